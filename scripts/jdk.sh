#!/usr/bin/env bash
# Sourced by the other scripts: points JAVA_HOME at a JDK 25 and checks for Maven, or stops with one clear line.
earshot_find_jdk() {
  local candidate
  for candidate in "${JAVA_HOME:-}" /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk* \
      /usr/lib/jvm/java-25-openjdk* /usr/lib/jvm/jdk-25* /opt/java/openjdk; do
    if [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] \
        && "$candidate/bin/java" -version 2>&1 | grep -q 'version "25'; then
      export JAVA_HOME="$candidate"
      export PATH="$JAVA_HOME/bin:$PATH"
      return 0
    fi
  done
  echo "earshot: a JDK 25 is required; install Temurin 25 (apt-get install temurin-25-jdk) or set JAVA_HOME to one" >&2
  exit 1
}

earshot_find_jdk
if ! command -v mvn >/dev/null 2>&1; then
  echo "earshot: Apache Maven 3.8+ is required; install it (apt-get install maven)" >&2
  exit 1
fi
# Maven's own libraries use sun.misc.Unsafe; JDK 25 warns about that on every run. The warning is harmless.
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
