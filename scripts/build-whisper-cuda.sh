#!/usr/bin/env bash
# Rebuilds Earshot's whisper addon with NVIDIA CUDA (Linux). Not part of `npm ci`: run it by hand on a
# machine with an NVIDIA GPU, the driver and the CUDA toolkit (nvcc), then set "earshot.gpu": "on".
#
#   1. builds libwhisper.a with GGML_CUDA=1 from the whisper.cpp sources inside the smart-whisper package
#      (the same sources as the CPU build, so results match);
#   2. rebuilds the addon against it (smart-whisper's BYOL "bring your own library" hook);
#   3. leaves build/Release/earshot-cuda.json, which tells scripts/build-whisper.js (postinstall) to keep
#      this build instead of replacing it with the CPU one.
# Usage: scripts/build-whisper-cuda.sh [CUDA_HOME]        (default /usr/local/cuda)
# Undo:  rm node_modules/smart-whisper/build/Release/earshot-cuda.json && node scripts/build-whisper.js --force
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
CUDA_HOME=${1:-${CUDA_HOME:-/usr/local/cuda}}
SW=$(cd "$REPO" && node -p "require('path').dirname(require.resolve('smart-whisper/package.json'))")
command -v nvcc >/dev/null || [ -x "$CUDA_HOME/bin/nvcc" ] || { echo "build-whisper-cuda: nvcc not found (install the CUDA toolkit or pass CUDA_HOME)" >&2; exit 1; }
export PATH=$CUDA_HOME/bin:$PATH
cd "$SW/whisper.cpp"
# The npm copy of whisper.cpp lacks scripts/get-flags.mk, which its Makefile includes; it only adds
# version flags, so an empty file is enough.
mkdir -p scripts && touch scripts/get-flags.mk
FLAGS="-O3 -DNDEBUG -D_GNU_SOURCE"
make clean >/dev/null 2>&1 || true
GGML_CUDA=1 CUDA_PATH=$CUDA_HOME CFLAGS="$FLAGS" CXXFLAGS="$FLAGS" make -j"$(nproc)" libwhisper.a
LIBS="$SW/whisper.cpp/libwhisper.a -L$CUDA_HOME/lib64 -L$CUDA_HOME/targets/x86_64-linux/lib -lcuda -lcublas -lculibos -lcudart -lcublasLt"
cd "$REPO"
BYOL="$LIBS" npm rebuild --foreground-scripts smart-whisper
printf '{"kind":"cuda","cudaHome":"%s","built":"%s"}\n' "$CUDA_HOME" "$(date -u +%FT%TZ)" > "$SW/build/Release/earshot-cuda.json"
echo "build-whisper-cuda: done. Set \"earshot.gpu\": \"on\" (or EARSHOT_GPU=1 for the CLI)."
