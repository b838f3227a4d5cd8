#!/usr/bin/env bash
# Starts a node on the embedded defaults (SQLite under ./data, every role, port 8080), building target/earshot.jar
# first when it is missing or older than anything under src/, pom.xml or conf/.
# Extra arguments go to Earshot, e.g. scripts/run.sh --conf my.json; so do the environment variables in README.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/jdk.sh

# True when target/earshot.jar is missing or a build input changed after it was written. Directories count too, so
# that a deleted or renamed file (which touches its directory) also rebuilds.
earshot_jar_stale() {
  [ ! -f target/earshot.jar ] \
    || [ -n "$(find src pom.xml conf -newer target/earshot.jar -print 2>/dev/null | head -n 1)" ]
}

if earshot_jar_stale; then
  mkdir -p target
  touch target/.run-build-started
  "$EARSHOT_MVN" -B -q package -DskipTests
  # Date the jar by when the build began: Maven may leave an up-to-date jar untouched, and a file saved while the
  # build ran must still count as newer on the next start.
  touch -r target/.run-build-started target/earshot.jar
fi
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED -jar target/earshot.jar "$@"
