#!/usr/bin/env bash
# Cluster benchmarks with real processes on loopback (one JVM per node, Hazelcast, embedded Postgres):
#   bench/cluster.sh dispatch [samples]          submit on an API node -> first stage starting on a worker node
#   bench/cluster.sh throughput [jobs] [nodes]   no-op stages with 1, 2 and 3 worker nodes (or only [nodes])
#   bench/cluster.sh chaos [jobs] [seconds]      1,000 jobs with a node killed (-9) and restarted every N seconds
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/jdk.sh
"$EARSHOT_MVN" -B -q test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
mkdir -p target/bench-tmp
CP="target/classes:target/test-classes:$(cat target/bench.classpath)"
exec "$JAVA_HOME/bin/java" -Xmx1g --enable-native-access=ALL-UNNAMED -Djava.io.tmpdir="$PWD/target/bench-tmp" \
  -Dsurefire.test.class.path="$CP" -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "$CP" earshot.bench.ClusterBench "$@"
