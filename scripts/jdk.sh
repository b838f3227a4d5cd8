#!/usr/bin/env bash
# Sourced by the other scripts: points JAVA_HOME (and PATH) at a JDK 25 and EARSHOT_MVN at a Maven 3.8 or newer,
# or stops with one clear line.
#
# The JDK is the first of:
#   1. $JAVA_HOME, if it is a JDK 25 (so setting it skips everything below);
#   2. the usual install paths (/usr/lib/jvm/temurin-25-jdk*, ...). EARSHOT_JDK_CANDIDATES replaces that list
#      (space-separated paths or globs); the tests set it empty so that the machine's own JDK is not found;
#   3. a Temurin 25 downloaded earlier into .jdk/;
#   4. Temurin 25 for this OS and CPU, downloaded from Adoptium into .jdk/ and used only if its SHA-256 matches the
#      one Adoptium publishes. EARSHOT_JDK_URL with EARSHOT_JDK_SHA256 names the archive and its checksum instead
#      (a mirror, or a file:// URL); EARSHOT_JDK_API replaces the Adoptium metadata URL.
# Maven is `mvn` when it is on PATH and 3.8 or newer, otherwise ./mvnw, which fetches Maven from Maven Central into
# ~/.m2/wrapper on first use. Scripts run Maven as "$EARSHOT_MVN".

EARSHOT_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
EARSHOT_JDK_DEFAULT_CANDIDATES="/usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-25-jdk* \
/usr/lib/jvm/java-25-openjdk* /usr/lib/jvm/jdk-25* /opt/java/openjdk \
/Library/Java/JavaVirtualMachines/*-25*/Contents/Home"

earshot_die() {
  echo "earshot: $*" >&2
  exit 1
}

# True when $1 holds a java that reports version "25 and a javac.
earshot_is_jdk25() {
  [ -n "$1" ] && [ -x "$1/bin/java" ] && [ -x "$1/bin/javac" ] || return 1
  case "$("$1/bin/java" -version 2>&1)" in
    *'version "25'*) return 0 ;;
  esac
  return 1
}

# Exports JAVA_HOME (and puts its bin first on PATH) for the first argument that is a JDK 25; false when none is.
earshot_use_jdk25() {
  local candidate
  for candidate in "$@"; do
    if earshot_is_jdk25 "$candidate"; then
      export JAVA_HOME="$candidate"
      export PATH="$JAVA_HOME/bin:$PATH"
      return 0
    fi
  done
  return 1
}

earshot_find_jdk() {
  # Unquoted on purpose: the candidate list is split into words and its globs expanded.
  # shellcheck disable=SC2086
  earshot_use_jdk25 "${JAVA_HOME:-}" ${EARSHOT_JDK_CANDIDATES-$EARSHOT_JDK_DEFAULT_CANDIDATES} \
    "$EARSHOT_ROOT"/.jdk/* "$EARSHOT_ROOT"/.jdk/*/Contents/Home && return 0
  earshot_download_jdk
  earshot_use_jdk25 "$EARSHOT_ROOT"/.jdk/* "$EARSHOT_ROOT"/.jdk/*/Contents/Home \
    || earshot_die "no JDK 25 in .jdk/ after the download; set JAVA_HOME to a JDK 25"
}

earshot_fetch() {
  if command -v curl >/dev/null 2>&1; then
    curl --fail --location --silent --show-error --retry 3 --output "$2" "$1"
  else
    wget --quiet --output-document="$2" "$1"
  fi
}

earshot_sha256() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  else
    shasum -a 256 "$1" | cut -d ' ' -f 1
  fi
}

# Sets EARSHOT_JDK_URL and EARSHOT_JDK_SHA256 from Adoptium's metadata for the newest Temurin 25 on this platform.
# The JSON is read with sed: the "package" object (the .tar.gz; macOS also lists an "installer") holds no nested
# objects, so its "link" and "checksum" can be cut out of the flattened text.
earshot_adoptium_lookup() {
  local os arch api meta package
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=mac ;;
    *) earshot_die "no JDK 25 found, and Temurin is not downloaded for $(uname -s); set JAVA_HOME to a JDK 25" ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=aarch64 ;;
    *) earshot_die "no JDK 25 found, and Temurin is not downloaded for $(uname -m); set JAVA_HOME to a JDK 25" ;;
  esac
  api="https://api.adoptium.net/v3/assets/latest/25/hotspot?os=$os&architecture=$arch&image_type=jdk&vendor=eclipse"
  api="${EARSHOT_JDK_API:-$api}"
  meta="$EARSHOT_ROOT/.jdk/adoptium-$$.json"
  if ! earshot_fetch "$api" "$meta"; then
    rm -f "$meta"
    earshot_die "no JDK 25 found, and $api could not be read; set JAVA_HOME to a JDK 25"
  fi
  package="$(tr -d '\r\n' <"$meta" | sed -n 's/.*"package"[[:space:]]*:[[:space:]]*{\([^}]*\)}.*/\1/p')"
  rm -f "$meta"
  EARSHOT_JDK_URL="$(printf '%s' "$package" | sed -n 's/.*"link"[[:space:]]*:[[:space:]]*"\([^"]*\)".*/\1/p')"
  EARSHOT_JDK_SHA256="$(printf '%s' "$package" \
    | sed -n 's/.*"checksum"[[:space:]]*:[[:space:]]*"\([0-9a-fA-F]\{64\}\)".*/\1/p')"
  if [ -z "$EARSHOT_JDK_URL" ] || [ -z "$EARSHOT_JDK_SHA256" ]; then
    earshot_die "no JDK 25 found, and $api lists no Temurin 25 archive with a checksum; set JAVA_HOME to a JDK 25"
  fi
}

# Downloads the JDK archive into .jdk/, checks its SHA-256 and unpacks it there. Nothing is kept unless it all worked.
earshot_download_jdk() {
  local jdk_dir="$EARSHOT_ROOT/.jdk" expected actual
  command -v curl >/dev/null 2>&1 || command -v wget >/dev/null 2>&1 \
    || earshot_die "no JDK 25 found, and neither curl nor wget is there to download one; set JAVA_HOME to a JDK 25"
  command -v sha256sum >/dev/null 2>&1 || command -v shasum >/dev/null 2>&1 \
    || earshot_die "no JDK 25 found, and neither sha256sum nor shasum is there to check a download;" \
      "set JAVA_HOME to a JDK 25"
  EARSHOT_JDK_ARCHIVE="$jdk_dir/download-$$.tar.gz"
  EARSHOT_JDK_UNPACK="$jdk_dir/unpack-$$"
  # On any failure (or Ctrl-C) the partial download goes, and .jdk/ too if nothing else is in it.
  trap 'rm -rf "$EARSHOT_JDK_ARCHIVE" "$EARSHOT_JDK_UNPACK"; rmdir "$EARSHOT_ROOT/.jdk" 2>/dev/null' EXIT
  mkdir -p "$jdk_dir"
  if [ -n "${EARSHOT_JDK_URL:-}" ]; then
    [ -n "${EARSHOT_JDK_SHA256:-}" ] || earshot_die "EARSHOT_JDK_URL is set without EARSHOT_JDK_SHA256"
  else
    earshot_adoptium_lookup
  fi
  echo "earshot: no JDK 25 found; downloading Temurin 25 into .jdk/ from $EARSHOT_JDK_URL" \
    "(set JAVA_HOME to skip this)" >&2
  earshot_fetch "$EARSHOT_JDK_URL" "$EARSHOT_JDK_ARCHIVE" || earshot_die "could not download $EARSHOT_JDK_URL"
  expected="$(printf '%s' "$EARSHOT_JDK_SHA256" | tr 'A-F' 'a-f')"
  actual="$(earshot_sha256 "$EARSHOT_JDK_ARCHIVE" | tr 'A-F' 'a-f')"
  [ "$actual" = "$expected" ] \
    || earshot_die "refused $EARSHOT_JDK_URL: its SHA-256 is $actual, not the published $expected; nothing was kept"
  mkdir "$EARSHOT_JDK_UNPACK"
  tar -xzf "$EARSHOT_JDK_ARCHIVE" -C "$EARSHOT_JDK_UNPACK" || earshot_die "could not unpack $EARSHOT_JDK_URL"
  # The archive holds one directory, e.g. jdk-25.0.1+8 (with Contents/Home inside on macOS); it moves into .jdk/
  # whole, so that a .jdk/* entry is either absent or complete.
  local top
  for top in "$EARSHOT_JDK_UNPACK"/*; do
    earshot_is_jdk25 "$top" || earshot_is_jdk25 "$top/Contents/Home" \
      || earshot_die "the archive from $EARSHOT_JDK_URL holds no JDK 25; nothing was kept"
  done
  for top in "$EARSHOT_JDK_UNPACK"/*; do
    rm -rf "${jdk_dir:?}/${top##*/}"
    mv "$top" "$jdk_dir/"
  done
  rm -rf "$EARSHOT_JDK_ARCHIVE" "$EARSHOT_JDK_UNPACK"
  trap - EXIT
}

# Sets EARSHOT_MVN: mvn from PATH when it is 3.8 or newer, else the project's Maven Wrapper.
earshot_find_maven() {
  local version major minor
  EARSHOT_MVN="$EARSHOT_ROOT/mvnw"
  if command -v mvn >/dev/null 2>&1; then
    version="$(mvn -B -v 2>/dev/null \
      | sed -n 's/.*Apache Maven \([0-9][0-9]*\)\.\([0-9][0-9]*\).*/\1 \2/p')" || version=""
    version="${version%%$'\n'*}"
    major="${version%% *}"
    minor="${version#* }"
    if [ -n "$version" ] && { [ "$major" -gt 3 ] || { [ "$major" -eq 3 ] && [ "$minor" -ge 8 ]; }; }; then
      EARSHOT_MVN=mvn
    fi
  fi
  # mvnw downloads silently; say why the first build waits, once (while its Maven is not in ~/.m2/wrapper yet).
  local dist
  dist="$(sed -n 's|^distributionUrl=.*/\(apache-maven-[^/]*\)-bin\.zip.*|\1|p' \
    "$EARSHOT_ROOT/.mvn/wrapper/maven-wrapper.properties")"
  if [ "$EARSHOT_MVN" != mvn ] \
      && ! compgen -G "${MAVEN_USER_HOME:-$HOME/.m2}/wrapper/dists/$dist/*/bin/mvn" >/dev/null; then
    echo "earshot: no Maven 3.8+ on PATH; ./mvnw downloads $dist from Maven Central into ~/.m2/wrapper" >&2
  fi
  export EARSHOT_MVN
}

earshot_find_jdk
earshot_find_maven
# Maven's own libraries use sun.misc.Unsafe; JDK 25 warns about that on every run. The warning is harmless.
export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
