#!/usr/bin/env bash
# Live-stream latency at real-time pace on the synthetic model (issue 15).
#   bench/stream.sh                # 1, 4 and 16 streams, 2 whisper states
#   bench/stream.sh 1,2,4,8,16 2   # stream counts, audio.whisper.max_states
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/jdk.sh
"$EARSHOT_MVN" -B -q ${MVN_OFFLINE:-} test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
mkdir -p target/bench-tmp
exec "$JAVA_HOME/bin/java" -Xmx2g --enable-native-access=ALL-UNNAMED \
  -Djava.io.tmpdir=target/bench-tmp -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "target/classes:target/test-classes:$(cat target/bench.classpath)" earshot.bench.StreamBench "$@"
