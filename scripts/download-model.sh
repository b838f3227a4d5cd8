#!/usr/bin/env bash
# Downloads an official whisper.cpp ggml model from its Hugging Face repository into the models directory
# (EARSHOT_MODELS_DIR, default ./models), as ggml-<name>.bin, which is where Earshot's model registry looks.
#   scripts/download-model.sh base.en
#   EARSHOT_MODELS_DIR=/srv/models scripts/download-model.sh large-v3-turbo-q5_0
set -euo pipefail

BASE_URL="https://huggingface.co/ggerganov/whisper.cpp/resolve/main"
NAMES=(tiny tiny.en base base.en small small.en medium medium.en large-v1 large-v2 large-v3 large-v3-turbo)

usage() {
  cat >&2 <<USAGE
usage: scripts/download-model.sh <model>

Fetches ggml-<model>.bin from ${BASE_URL}
into \$EARSHOT_MODELS_DIR (default ./models).

models: ${NAMES[*]}
        and quantized variants <model>-q<d>_<d> where published, e.g. base-q5_1, small-q8_0, large-v3-turbo-q5_0
USAGE
  exit 2
}

[ $# -eq 1 ] || usage
name="$1"
case "$name" in -h|--help) usage ;; esac

base="$name"
if [[ "$name" =~ ^(.+)-q[0-9]+_[0-9]+$ ]]; then
  base="${BASH_REMATCH[1]}"
fi
known=0
for n in "${NAMES[@]}"; do
  [ "$n" = "$base" ] && known=1
done
if [ "$known" -ne 1 ]; then
  echo "download-model: unknown model '$name'" >&2
  usage
fi
command -v curl >/dev/null 2>&1 || { echo "download-model: curl is required" >&2; exit 1; }

dir="${EARSHOT_MODELS_DIR:-./models}"
mkdir -p "$dir"
target="$dir/ggml-$name.bin"
if [ -s "$target" ]; then
  echo "download-model: $target already exists"
  exit 0
fi

echo "download-model: fetching ggml-$name.bin into $dir"
tmp="$target.part"
trap 'rm -f "$tmp"' EXIT
# --fail: a 404 (a quantization that is not published) must not leave an HTML page behind as a "model"
curl --fail --location --retry 3 --output "$tmp" "$BASE_URL/ggml-$name.bin"
# every whisper.cpp model starts with the ggml magic 0x67676d6c, stored little-endian as "lmgg"
if [ "$(head -c 4 "$tmp")" != "lmgg" ]; then
  echo "download-model: $BASE_URL/ggml-$name.bin is not a ggml model" >&2
  exit 1
fi
mv "$tmp" "$target"
trap - EXIT
echo "download-model: saved $target ($(du -h "$target" | cut -f1))"
