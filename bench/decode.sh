#!/usr/bin/env bash
# Decode benchmark: AudioDecoder against jave's bundled ffmpeg alone, same arguments, same generated files.
#   bench/decode.sh              # 10-minute mp3 and ogg/opus, 7 repetitions
#   bench/decode.sh 2 5          # minutes of audio, repetitions
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/jdk.sh
"$EARSHOT_MVN" -B -q test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
exec "$JAVA_HOME/bin/java" -Xmx1g \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "target/classes:target/test-classes:$(cat target/bench.classpath)" earshot.bench.DecodeBench "$@"
