#!/usr/bin/env bash
# whisper.cpp decoding defaults and thread contention on the synthetic model (issue 11).
#   bench/whisper.sh           # 3 repetitions, 10 s of audio
#   bench/whisper.sh 5 20      # repetitions, audio seconds
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/jdk.sh
mvn -B -q ${MVN_OFFLINE:-} test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
mkdir -p target/bench-tmp
exec "$JAVA_HOME/bin/java" -Xmx2g --enable-native-access=ALL-UNNAMED \
  -Djava.io.tmpdir=target/bench-tmp -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "target/classes:target/test-classes:$(cat target/bench.classpath)" earshot.bench.WhisperParamsBench "$@"
