# Sourced by the scripts that install Debian packages (setup-lib.sh for the setup scripts, test-deps.sh,
# vulkan-sdk.sh, make-sample.sh) after they set SETUP_LABEL, which starts its lines. One install for all of them.

# install_apt_packages PACKAGE...: installs those that are missing (root or sudo). Its lines go to stdout: a caller whose
# stdout is its answer (vulkan-sdk.sh prints a path) sends them to stderr.
install_apt_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "$SETUP_LABEL: apt packages already installed"
    return
  fi
  local sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "$SETUP_LABEL: apt-get install ${missing[*]}"
  $sudo apt-get update -qq
  # The fetched .deb files are not kept (APT::Keep-Downloaded-Packages=false, as `apt` does): a fresh clone's test run
  # left 350 MiB of them in /var/cache/apt/archives (2026-11-30), on a machine whose disk may be nearly full.
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=600 -o APT::Keep-Downloaded-Packages=false "${missing[@]}" > /dev/null
}
