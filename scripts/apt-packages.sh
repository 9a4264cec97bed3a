# Sourced by the setup scripts: installs those of the named Debian packages that are missing (root or sudo).
# Usage: install_apt_packages LABEL PACKAGE... (LABEL starts its lines, e.g. "e2e-setup").
install_apt_packages() {
  local label=$1 missing=() p
  shift
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "$label: apt packages already installed"
    return
  fi
  local sudo=; [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "$label: apt-get install ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    -o DPkg::Lock::Timeout=600 "${missing[@]}" > /dev/null
}
