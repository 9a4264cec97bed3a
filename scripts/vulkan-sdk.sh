#!/usr/bin/env bash
# What ggml's Vulkan backend compiles with, on Debian or Ubuntu, for the Vulkan module (scripts/build-whisper.js builds
# it whenever this is here): glslc and the Vulkan loader from apt, and Vulkan headers of 1.3.261 or later with the
# SPIR-V headers. Debian 12's libvulkan-dev (1.3.239) is too old (ggml uses VK_EXT_layer_settings), so where the
# system's headers are older, Debian 13's libvulkan-dev and spirv-headers are unpacked into .vulkan-sdk/ (dpkg-deb -x:
# nothing installed system-wide), each checked against its sha256. Also mesa-vulkan-drivers: lavapipe, the software
# Vulkan device the tests run the module on. Needs root or sudo for apt-get the first time.
#
# Only the pinned files are used: when the mirror no longer has one (a Debian point release replaced it), the script
# fails and says to update the pin, rather than trust another file's checksum read from an unsigned index over HTTP.
#
# Prints the directory to use as VULKAN_SDK. Usage: VULKAN_SDK=$(bash scripts/vulkan-sdk.sh)
# (Sourced, it only defines its functions: test/unit/vulkan-sdk.test.ts runs fetch_pinned_deb.)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
SDK=$ROOT/.vulkan-sdk
MIRROR=${EARSHOT_DEBIAN_MIRROR:-http://deb.debian.org/debian}
# name, version, sha256, pool folder: Debian 13 (trixie)'s, the newest headers Debian ships.
DEBS=(
  "libvulkan-dev 1.4.309.0-1 amd64 8d329d465e16168afff58b1bd0dd6db46aac2cc3f56054a481b25a04e90b345a v/vulkan-loader"
  "spirv-headers 1.6.1+1.4.309.0-1 all dc18db866d63680351c40ac6b6bece34cb52da64a7799ce1cc4f16f6bff4d064 s/spirv-headers"
)

# fetch_pinned_deb "<name> <version> <arch> <sha256> <pool folder>" OUT: the pinned .deb from the mirror into OUT,
# checked against its sha256; exits 1 when the mirror no longer has it or it does not match.
fetch_pinned_deb() {
  local name version arch sha pool file
  read -r name version arch sha pool <<< "$1"
  file="${name}_${version/+/%2B}_${arch}.deb"
  if ! curl -fsSL --retry 3 -o "$2" "$MIRROR/pool/main/$pool/$file"; then
    rm -f "$2"
    echo "vulkan-sdk: $MIRROR/pool/main/$pool/$file is gone (a Debian point release replaced it?): update DEBS in scripts/vulkan-sdk.sh to the version Debian 13 has now, with the SHA256 that its signed release files list (apt-get download $name on Debian 13, then sha256sum)" >&2
    exit 1
  fi
  echo "$sha  $2" | sha256sum -c --quiet - || { echo "vulkan-sdk: $2 does not match its pinned sha256 $sha" >&2; exit 1; }
}

main() {
  SETUP_LABEL=vulkan-sdk
  # shellcheck source=scripts/apt-lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/apt-lib.sh"
  install_apt_packages glslc libvulkan1 mesa-vulkan-drivers >&2

  header_version() { sed -n 's/^#define VK_HEADER_VERSION \([0-9]*\)$/\1/p' "$1/include/vulkan/vulkan_core.h" 2>/dev/null; }
  # The system's own headers when they are new enough (Debian 13, Ubuntu 24.04: 1.3.275).
  if [ "$(header_version /usr)" -ge 261 ] 2>/dev/null && [ -d /usr/include/spirv ]; then
    echo /usr
    exit 0
  fi

  stamp=$(printf '%s\n' "${DEBS[@]}" | sha256sum | cut -c1-16)
  if [ "$(cat "$SDK/.stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$SDK"
    mkdir -p "$SDK/debs"
    for entry in "${DEBS[@]}"; do
      read -r name _ <<< "$entry"
      fetch_pinned_deb "$entry" "$SDK/debs/${name}.deb"
      dpkg-deb -x "$SDK/debs/${name}.deb" "$SDK"
    done
    rm -rf "$SDK/debs"
    # CMake's FindVulkan looks for the loader under $VULKAN_SDK/lib: the system's (apt's libvulkan1).
    # awk reads to the end (no early exit): under pipefail, ldconfig killed by SIGPIPE would fail the script (exit 141).
    loader=$(ldconfig -p | awk '/libvulkan\.so\.1 .*x86-64|libvulkan\.so\.1 .*AArch64/ && !found { print $NF; found = 1 }')
    [ -n "$loader" ] || loader=$(ldconfig -p | awk '/libvulkan\.so\.1/ && !found { print $NF; found = 1 }')
    [ -n "$loader" ] || { echo "vulkan-sdk: the Vulkan loader (libvulkan.so.1) is not installed" >&2; exit 1; }
    mkdir -p "$SDK/usr/lib"
    ln -sf "$loader" "$SDK/usr/lib/libvulkan.so"
    echo "$stamp" > "$SDK/.stamp"
  fi
  echo "$SDK/usr"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then main "$@"; fi
