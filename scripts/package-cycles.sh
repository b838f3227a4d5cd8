#!/usr/bin/env bash
# Prints the package pairs in src/main that import each other, and their count on the last line.
# A package is a directory under src/main/java/earshot; a dialect's subpackage (store.sqlite, store.postgres) counts as
# part of its parent, since the parent's one switch naming its dialects is the point of the layout. Imports and
# fully qualified names in code (not in comments) both count; static imports count for the class's package.
# Usage: scripts/package-cycles.sh [-v]   (-v also lists the classes behind each direction)
set -euo pipefail
cd "$(dirname "$0")/.."
root=src/main/java
edges="$(mktemp)"
trap 'rm -f "$edges"' EXIT
# package of a class file: path below earshot/, first directory only (top-level files are package "earshot")
top() {
  local rel="${1#"$root"/earshot/}"
  case "$rel" in */*) echo "${rel%%/*}" ;; *) echo earshot ;; esac
}
find "$root" -name '*.java' | sort | while read -r file; do
  from="$(top "$file")"
  { grep -hoE '^import (static )?earshot\.[A-Za-z0-9_.]+' "$file" | sed -E 's/^import (static )?//' || true
    grep -vE '^(import|package) |^\s*(\*|//|/\*)' "$file" | grep -hoE '\bearshot\.[a-z][a-z0-9_]*\.[A-Z][A-Za-z0-9_]*' || true
  } | while read -r name; do
    rest="${name#earshot.}"
    case "$rest" in [A-Z]*) to=earshot ;; *) to="${rest%%.*}" ;; esac
    if [ "$from" != "$to" ]; then printf "%s %s %s\n" "$from" "$to" "${file##*/}"; fi
  done
done | sort -u >"$edges"
count=0
while read -r a b; do
  if [[ "$a" < "$b" ]] && grep -q "^$b $a " "$edges"; then
    count=$((count + 1))
    echo "$a <-> $b"
    if [ "${1:-}" = -v ]; then
      echo "  $a -> $b: $(awk -v a="$a" -v b="$b" '$1==a && $2==b {print $3}' "$edges" | sort -u | tr '\n' ' ')"
      echo "  $b -> $a: $(awk -v a="$a" -v b="$b" '$1==b && $2==a {print $3}' "$edges" | sort -u | tr '\n' ' ')"
    fi
  fi
done < <(cut -d ' ' -f 1,2 "$edges" | sort -u)
echo "package pairs importing each other: $count"
