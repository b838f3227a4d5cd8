#!/usr/bin/env bash
# Job-event fan-out: SSE subscribers on one job, time from a state change (a progress report) to the last subscriber.
#   bench/events.sh                    # sqlite, 1000 subscribers, 60 changes
#   bench/events.sh postgres 1000 60
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/jdk.sh
"$EARSHOT_MVN" -B -q test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
exec "$JAVA_HOME/bin/java" -Xmx1g --enable-native-access=ALL-UNNAMED \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "target/classes:target/test-classes:$(cat target/bench.classpath)" earshot.bench.EventFanoutBench "$@"
