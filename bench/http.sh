#!/usr/bin/env bash
# HTTP API throughput (submit and status) against a plain Vert.x hello-world route.
#   bench/http.sh                      # sqlite, 10 s per case, 32 connections
#   bench/http.sh postgres 10 32
#   bench/http.sh sqlite 10 32 get     # only hello-world and the named cases (health, get, submit)
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/jdk.sh
"$EARSHOT_MVN" -B -q test-compile dependency:build-classpath -Dmdep.outputFile=target/bench.classpath -Dmdep.includeScope=test
exec "$JAVA_HOME/bin/java" -Xmx1g --enable-native-access=ALL-UNNAMED \
  -Dorg.slf4j.simpleLogger.defaultLogLevel=warn \
  -cp "target/classes:target/test-classes:$(cat target/bench.classpath)" earshot.bench.HttpApiBench "$@"
