#!/usr/bin/env bash
# Runs the whole test suite. Needs nothing but a JDK 25 and Maven: Postgres is embedded, SQLite is a file.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/jdk.sh
exec mvn -B test "$@"
