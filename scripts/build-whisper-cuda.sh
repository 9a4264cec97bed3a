#!/usr/bin/env bash
# Rebuilds Earshot's whisper addon with a GPU backend of the new whisper.cpp core: NVIDIA CUDA (Linux, the default) or
# Vulkan (any vendor's GPU, Linux and Windows: --vulkan). Not part of a plain `npm ci`: run it by hand on a machine
# with the GPU's SDK, then set "earshot.gpu": "on" (or EARSHOT_GPU=1 for the CLI); with the setting off the same
# addon decodes on the CPU.
#
#   CUDA:   the driver and the CUDA toolkit (nvcc; CUDA_HOME, default /usr/local/cuda). EARSHOT_CUDA_ARCHITECTURES
#           (e.g. "native" or "89") narrows the GPU architectures compiled for: ggml's default list takes long.
#   Vulkan: the Vulkan headers (1.3.261 or later: ggml uses VK_EXT_layer_settings) and loader, glslc and the SPIR-V
#           headers (the LunarG Vulkan SDK; Debian 12's libvulkan-dev 1.3.239 is too old and fails to compile
#           ggml-vulkan.cpp; VULKAN_SDK=DIR points CMake at newer headers under DIR/include). Compiled here with
#           Debian 13's libvulkan-dev and spirv-headers 1.4.309 unpacked to such a DIR, Debian 12's glslc 2023.2 and
#           loader, and run on Mesa's software Vulkan device (lavapipe): the CPU's tokens (BENCHMARKS.md, issue 16).
#           UNTESTED on a GPU: Earshot's machines have none.
#
# It runs scripts/build-whisper.js with EARSHOT_WHISPER_BACKEND=cuda|vulkan: CMake builds whisper.cpp and ggml with
# that backend from the same sources as the CPU core (nodejs-whisper's whisper.cpp), the patched binding is linked
# with them, and earshot-core.json records the kind, which later `npm rebuild`s keep. A fresh `npm ci` builds the CPU
# core again unless EARSHOT_WHISPER_BACKEND is set for it too. If the GPU build fails, the CPU core is left in place.
#
# Usage: scripts/build-whisper-cuda.sh [--vulkan] [CUDA_HOME]
# Undo:  node scripts/build-whisper.js --cpu
set -euo pipefail
REPO=$(cd "$(dirname "$0")/.." && pwd)
BACKEND=cuda
if [ "${1:-}" = "--vulkan" ]; then BACKEND=vulkan; shift; fi
if [ "$BACKEND" = cuda ]; then
  CUDA_HOME=${1:-${CUDA_HOME:-/usr/local/cuda}}
  command -v nvcc >/dev/null || [ -x "$CUDA_HOME/bin/nvcc" ] || { echo "build-whisper-cuda: nvcc not found (install the CUDA toolkit or pass CUDA_HOME)" >&2; exit 1; }
  export CUDA_HOME PATH=$CUDA_HOME/bin:$PATH
else
  command -v glslc >/dev/null || { echo "build-whisper-cuda: glslc not found (apt-get install glslc libvulkan-dev, or the Vulkan SDK)" >&2; exit 1; }
fi
cd "$REPO"
EARSHOT_WHISPER_BACKEND=$BACKEND EARSHOT_WHISPER_NO_FALLBACK=1 node scripts/build-whisper.js
echo "build-whisper-cuda: done ($BACKEND). Set \"earshot.gpu\": \"on\" (or EARSHOT_GPU=1 for the CLI)."
