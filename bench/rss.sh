#!/usr/bin/env bash
# Peak RSS while one long generated file goes through the whole pipeline (synthetic whisper model).
#   bench/rss.sh        # 60 minutes of audio
#   bench/rss.sh 10     # minutes
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/jdk.sh
"$EARSHOT_MVN" -B -q test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
exec "$JAVA_HOME/bin/java" ${BENCH_JAVA_OPTS:--Xmx512m} --enable-native-access=ALL-UNNAMED \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "target/classes:target/test-classes:$(cat target/bench.classpath)" earshot.bench.PipelineRssBench "$@"
