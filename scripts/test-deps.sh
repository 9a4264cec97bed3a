#!/usr/bin/env bash
# Debian packages the unit and integration tests use (`npm test` runs it first: scripts/test-all.sh): sox makes the WAV
# fixtures, espeak-ng makes speech fixtures, openssl makes the HTTPS test certificates. The capture
# tests run a private headless PulseAudio server (pulseaudio) and play into it / record from it with
# paplay and parec (pulseaudio-utils), arecord (alsa-utils, through ALSA's pulse plugin from
# libasound2-plugins), sox/rec (its pulseaudio driver: libsox-fmt-pulse) and ffmpeg (the fallback recorder
# when parec is missing). neovim: its built-in LSP client drives the daemon as a third-party client. qemu-user:
# test/package runs the packaged whisper addon on emulated older CPUs (no AVX; AVX without AVX2). shellcheck: the
# unit tests lint the release workflow's bash scripts with it (scripts/lint-workflows.js). The Vulkan module
# (the GPU without a build): scripts/vulkan-sdk.sh brings what it compiles with and Mesa's software Vulkan device
# (lavapipe) that test/package runs it on; it is built here when the install did not (npm ci ran before this), unless
# called with --vulkan-later: then only its SDK is brought, and scripts/test-all.sh builds the module in the background
# while the suites that do not need it run.
# The capture tests also need audify's addon (the in-process backend): `npm ci` builds it when it runs as root
# (scripts/build-audify.js installs cmake, g++, libasound2-dev, libpulse-dev itself); when it could not (no root at
# install time), the build packages are installed here with sudo and the addon is built now. g++ and libpulse-dev are
# also what the capture app's recorder compiles with on Linux (scripts/mac-capture-app.js --native-only, RtAudio's
# PulseAudio API), which test/integration/mac-capture-recorder.test.ts builds and runs, with lsof finding the app's
# process that holds a FIFO as the daemon does on macOS.
# Installs only what is missing; needs root or sudo when something is.
set -euo pipefail
PACKAGES=(sox espeak-ng openssl pulseaudio pulseaudio-utils alsa-utils libasound2-plugins libsox-fmt-pulse ffmpeg neovim qemu-user shellcheck g++ libpulse-dev lsof)
AUDIFY_BUILD=(cmake g++ make libasound2-dev libpulse-dev)
audify_ok=1
node "$(dirname "$0")/build-audify.js" --check > /dev/null 2>&1 || { audify_ok=0; PACKAGES+=("${AUDIFY_BUILD[@]}"); }
SETUP_LABEL=test-deps
# shellcheck source=scripts/apt-lib.sh
source "$(dirname "$0")/apt-lib.sh"
install_apt_packages "${PACKAGES[@]}"
if [ "$audify_ok" -eq 0 ]; then
  node "$(dirname "$0")/build-audify.js"
  node "$(dirname "$0")/build-audify.js" --check > /dev/null || { echo "test-deps: audify's addon did not build (see above)" >&2; exit 1; }
fi
here=$(cd "$(dirname "$0")" && pwd)
sdk=$(bash "$here/vulkan-sdk.sh")
[ "${1:-}" = --vulkan-later ] && exit 0
if ! node -e "process.exit((require('$here/whisper-core/build-core.js').installedCore()?.gpuBackends ?? []).includes('vulkan') ? 0 : 1)"; then
  VULKAN_SDK=$sdk EARSHOT_WHISPER_GPU=vulkan EARSHOT_WHISPER_NO_FALLBACK=1 node "$here/build-whisper.js"
fi
