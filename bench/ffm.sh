#!/usr/bin/env bash
# FFM binding against whisper-jni full() on the same work (same libwhisper.so.1, model, audio, parameters).
#   bench/ffm.sh              # 9 repetitions, 25 s of audio, threads = nproc
#   bench/ffm.sh 15 25 2      # repetitions, audio seconds, whisper threads
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/jdk.sh
"$EARSHOT_MVN" -B -q ${MVN_OFFLINE:-} test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
mkdir -p target/bench-tmp
exec "$JAVA_HOME/bin/java" -Xmx2g --enable-native-access=ALL-UNNAMED \
  -Djava.io.tmpdir=target/bench-tmp -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "target/classes:target/test-classes:$(cat target/bench.classpath)" earshot.bench.FfmBench "$@"
