#!/usr/bin/env bash
# Runs the whole test suite. Needs nothing but a JDK 25 and Maven 3.8+, and scripts/jdk.sh fetches both when they are
# missing: Postgres is embedded, SQLite is a file.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/jdk.sh
exec "$EARSHOT_MVN" -B test "$@"
