#!/usr/bin/env bash
# Adds the CUDA backend module to Earshot's whisper addon (build/Release/gpu/libggml-cuda.so, beside the Vulkan module
# the install builds where the Vulkan SDK is). The packages do not carry it: ggml-cuda for every GPU architecture is
# 90-135 MB, and it needs NVIDIA's cuBLAS at run time (cublasLt alone is over 400 MB), so NVIDIA GPUs get the Vulkan
# module, which every vendor's driver runs. This is for a machine with the CUDA toolkit that wants CUDA's own kernels.
# With the module in place, "earshot.gpu": "auto" uses the GPU by itself.
#
#   CUDA:   the driver and the CUDA toolkit with cuBLAS (nvcc; CUDA_HOME, default /usr/local/cuda).
#           EARSHOT_CUDA_ARCHITECTURES (e.g. "native" or "89") narrows the GPU architectures compiled for.
#   --vulkan: the Vulkan module again (what the install builds by itself when scripts/vulkan-sdk.sh or a Vulkan SDK
#           has run), e.g. after installing the SDK.
#
# It runs scripts/build-whisper.js with EARSHOT_WHISPER_GPU=cuda|vulkan: the module is built in the same CMake tree as
# the CPU core (the same ggml-base), installed in gpu/, and earshot-core.json records it, which later `npm rebuild`s
# keep. If the build fails, the installed core is left as it was. UNTESTED on a GPU: Earshot's machines have none (the
# Vulkan module runs on Mesa's software Vulkan device in the tests).
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
fi
cd "$REPO"
GPU=$BACKEND
# Keep the Vulkan module when adding CUDA.
node -e "process.exit((require('./scripts/whisper-core/build-core.js').installedCore()?.gpuBackends ?? []).includes('vulkan') ? 0 : 1)" && [ "$BACKEND" = cuda ] && GPU=vulkan,cuda
EARSHOT_WHISPER_GPU=$GPU EARSHOT_WHISPER_NO_FALLBACK=1 node scripts/build-whisper.js
echo "build-whisper-cuda: done ($GPU). \"earshot.gpu\": \"auto\" uses it (EARSHOT_GPU=1 forces the GPU for the CLI)."
