#!/usr/bin/env bash
# Transcribe-stage overhead: the engine path (windowing off) against one bare whisper-jni full(), synthetic model.
#   bench/transcribe.sh              # 9 repetitions, 25 s of audio, threads = nproc
#   bench/transcribe.sh 15 25 2      # repetitions, audio seconds, whisper threads
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/jdk.sh
"$EARSHOT_MVN" -B -q test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
mkdir -p target/bench-tmp
exec "$JAVA_HOME/bin/java" -Xmx2g --enable-native-access=ALL-UNNAMED \
  -Djava.io.tmpdir=target/bench-tmp -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "target/classes:target/test-classes:$(cat target/bench.classpath)" earshot.bench.TranscribeBench "$@"
