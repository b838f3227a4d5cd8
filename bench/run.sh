#!/usr/bin/env bash
# Job-engine benchmark: no-op stages on SQLite and embedded Postgres.
#   bench/run.sh                 # both stores, default sizes
#   bench/run.sh sqlite 3000     # one store, number of jobs
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/jdk.sh
"$EARSHOT_MVN" -B -q test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
exec "$JAVA_HOME/bin/java" -Xmx2g --enable-native-access=ALL-UNNAMED \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "target/classes:target/test-classes:$(cat target/bench.classpath)" earshot.bench.EngineBench "$@"
