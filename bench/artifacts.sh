#!/usr/bin/env bash
# Artifact store benchmark: a job's PCM hand-offs (put from scratch, fetch, delete) on the dir store and on S3
# (S3Proxy on loopback, the production AWS SDK client).
#   bench/artifacts.sh           # 10-minute PCM (19.2 MB), 7 repetitions
#   bench/artifacts.sh 60 5      # minutes of PCM, repetitions
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/jdk.sh
"$EARSHOT_MVN" -B -q test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
exec "$JAVA_HOME/bin/java" -Xmx1g \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "target/classes:target/test-classes:$(cat target/bench.classpath)" earshot.bench.ArtifactBench "$@"
