#!/usr/bin/env bash
# Builds whisper.cpp v1.7.1 (the release whose CPU build whisper-jni bundles, and whose whisper.h the FFM binding
# follows) as shared libraries with CUDA: libwhisper.so.1 and libggml.so, which Earshot loads when
# WHISPER_LIBRARY_DIR points at their directory. These are the steps Dockerfile.gpu runs in its CUDA devel stage.
#
#   scripts/build-whisper-cuda.sh [OUT_DIR]          (default build/whisper-cuda; the libraries land in OUT_DIR/lib)
#
# Settings (environment):
#   WHISPER_SRC         a git repository holding the v1.7.1 tag (a clone or mirror); unset: cloned from GitHub
#   CUDA_ARCHITECTURES  CMake's list; default below. CUDA 13 compiles for sm_75 (Turing) and newer only.
#   JOBS                parallel compile jobs (default 2)
#   CUBLAS_ROOT         a cuBLAS outside the toolkit, holding include/ and lib/libcublas.so.13, e.g. the PyPI wheel
#                       nvidia-cublas unpacked (nvidia/cu13); for a toolkit installed without cuBLAS, as on the
#                       machine this was first run on. The CUDA devel image has cuBLAS and needs none of this.
#
# A toolkit without the driver stub (lib64/stubs/libcuda.so) gets one made here: an empty library named libcuda.so.1,
# only so that libggml.so records that it needs libcuda.so.1; the NVIDIA driver supplies the real one at run time.
#
# The pinned architectures, and the GPUs they cover:
#   75-real  Turing: T4, RTX 20xx, Quadro RTX
#   80-real  Ampere: A100, A30
#   86-real  Ampere: A10, A40, RTX 30xx, RTX A-series
#   89-real  Ada: L4, L40/L40S, RTX 40xx
#   90       Hopper: H100, H200, as SASS; and as PTX, which the driver compiles for newer GPUs (Blackwell) at load
set -euo pipefail

WHISPER_TAG=v1.7.1
WHISPER_COMMIT=ebca09a3d1033417b0c630bbbe607b0f185b1488
CUDA_ARCHITECTURES="${CUDA_ARCHITECTURES:-75-real;80-real;86-real;89-real;90}"
JOBS="${JOBS:-2}"
OUT="${1:-build/whisper-cuda}"

command -v nvcc >/dev/null || { echo "build-whisper-cuda: nvcc not found (install the CUDA toolkit)" >&2; exit 1; }
command -v cmake >/dev/null || { echo "build-whisper-cuda: cmake not found" >&2; exit 1; }

mkdir -p "$OUT"
OUT="$(cd "$OUT" && pwd)"
SRC="$OUT/src"
rm -rf "$SRC" "$OUT/build" "$OUT/lib" "$OUT/link"
mkdir -p "$SRC" "$OUT/lib"

# The source, at the pinned commit: the tag must still name it, so a moved tag stops the build.
if [[ -n "${WHISPER_SRC:-}" ]]; then
  commit="$(git -C "$WHISPER_SRC" rev-parse "$WHISPER_TAG^{commit}")"
  [[ "$commit" == "$WHISPER_COMMIT" ]] || { echo "build-whisper-cuda: $WHISPER_TAG is $commit, expected $WHISPER_COMMIT" >&2; exit 1; }
  git -C "$WHISPER_SRC" archive "$WHISPER_COMMIT" | tar -x -C "$SRC"
else
  git clone --quiet --depth 1 --branch "$WHISPER_TAG" https://github.com/ggerganov/whisper.cpp "$SRC"
  commit="$(git -C "$SRC" rev-parse HEAD)"
  [[ "$commit" == "$WHISPER_COMMIT" ]] || { echo "build-whisper-cuda: $WHISPER_TAG is $commit, expected $WHISPER_COMMIT" >&2; exit 1; }
fi

# Gaps in a partial toolkit (see CUBLAS_ROOT above), filled for linking only.
extra=()
cuda_root="$(cd "$(dirname "$(readlink -f "$(command -v nvcc)")")/.." && pwd)"
if [[ -n "${CUBLAS_ROOT:-}" ]]; then
  mkdir -p "$OUT/link"
  ln -sf "$CUBLAS_ROOT/lib/libcublas.so.13" "$OUT/link/libcublas.so"
  ln -sf "$CUBLAS_ROOT/lib/libcublasLt.so.13" "$OUT/link/libcublasLt.so"
  extra+=("-DCUDA_cublas_LIBRARY=$OUT/link/libcublas.so" "-DCUDA_cublasLt_LIBRARY=$OUT/link/libcublasLt.so"
          "-DCMAKE_CUDA_FLAGS=-I$CUBLAS_ROOT/include" "-DCMAKE_CXX_FLAGS=-I$CUBLAS_ROOT/include")
fi
if ! ls "$cuda_root"/lib64/stubs/libcuda.so "$cuda_root"/targets/*/lib/stubs/libcuda.so >/dev/null 2>&1; then
  mkdir -p "$OUT/link"
  # The driver functions 1.7.1's ggml-cuda calls: the stub must define them, or the linker drops it (--as-needed)
  # and libggml.so would not name libcuda.so.1 at all.
  for f in cuDeviceGet cuDeviceGetAttribute cuGetErrorString cuMemAddressFree cuMemAddressReserve cuMemCreate \
           cuMemGetAllocationGranularity cuMemMap cuMemRelease cuMemSetAccess cuMemUnmap; do
    echo "int $f(void) { return 999; }"
  done > "$OUT/link/stub.c"
  cc -shared -fPIC -Wl,-soname,libcuda.so.1 -o "$OUT/link/libcuda.so" "$OUT/link/stub.c"
  extra+=("-DCUDA_cuda_driver_LIBRARY=$OUT/link/libcuda.so")
fi

# Shared libraries only (no examples, no tests); no -march=native, so the CPU side runs on any x86-64 host;
# RUNPATH $ORIGIN, so libwhisper.so.1 finds libggml.so beside it wherever the directory is copied.
# CUDA sources as C++17: 1.7.1's ggml leaves them at C++11, which CUDA 12 accepted with a deprecation warning, but
# CUDA 13's CUB, Thrust and libcu++ stop with "#error ... requires at least C++17". The code compiles as C++17 (later
# whisper.cpp releases build it so); the host C/C++ sources keep their standards, so the library's ABI is unchanged.
cmake -S "$SRC" -B "$OUT/build" \
  -DCMAKE_BUILD_TYPE=Release \
  -DBUILD_SHARED_LIBS=ON \
  -DWHISPER_BUILD_EXAMPLES=OFF -DWHISPER_BUILD_TESTS=OFF -DWHISPER_BUILD_SERVER=OFF \
  -DGGML_NATIVE=OFF \
  -DGGML_CUDA=ON \
  -DCMAKE_CUDA_ARCHITECTURES="$CUDA_ARCHITECTURES" \
  -DCMAKE_CUDA_STANDARD=17 -DCMAKE_CUDA_STANDARD_REQUIRED=ON \
  -DCMAKE_BUILD_WITH_INSTALL_RPATH=ON \
  -DCMAKE_INSTALL_RPATH='$ORIGIN' \
  "${extra[@]}"
cmake --build "$OUT/build" --config Release -j "$JOBS"

# libwhisper.so.1 (and the names that point at it) and every ggml library, links kept as links.
find "$OUT/build" \( -name 'libwhisper.so*' -o -name 'libggml*.so*' \) \( -type f -o -type l \) \
  -exec cp -P {} "$OUT/lib/" \;
[[ -e "$OUT/lib/libwhisper.so.1" ]] || { echo "build-whisper-cuda: no libwhisper.so.1 was built" >&2; exit 1; }
# Proof that CUDA is in: the ggml library exports the CUDA backend and links the CUDA runtime.
# (grep -c, not grep -q: -q stops reading early, nm dies of SIGPIPE and pipefail fails a good build)
exports="$(nm -D --defined-only "$OUT"/lib/libggml*.so | grep -c ggml_backend_cuda_init || true)"
[[ "$exports" -ge 1 ]] || { echo "build-whisper-cuda: no ggml library in $OUT/lib exports the CUDA backend" >&2; exit 1; }
needed="$(readelf -d "$OUT"/lib/libggml*.so | grep -c 'NEEDED.*\(libcudart\|libcuda\.so\)' || true)"
[[ "$needed" -ge 2 ]] || { echo "build-whisper-cuda: the ggml library does not link libcudart and libcuda" >&2; exit 1; }
ls -l "$OUT/lib"
echo "built whisper.cpp $WHISPER_TAG with CUDA ($CUDA_ARCHITECTURES) into $OUT/lib"
