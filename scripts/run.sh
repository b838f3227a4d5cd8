#!/usr/bin/env bash
# Builds target/earshot.jar and starts a node on the embedded defaults (SQLite under ./data, every role, port 8080).
# Extra arguments go to Earshot, e.g. scripts/run.sh --conf my.json
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/jdk.sh
"$EARSHOT_MVN" -B -q package -DskipTests
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -jar target/earshot.jar "$@"
