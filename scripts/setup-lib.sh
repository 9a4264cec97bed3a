# Sourced by the setup scripts (e2e-setup.sh, wine-setup.sh) after they set SETUP_LABEL, which starts their lines.

# Run under `npm test`, the outer npm's variables would leak into the nested installs (code-server's postinstall reads
# the Node version from npm_config_user_agent, which would still name the outer Node): none of them is passed on.
for v in $(compgen -e | grep '^npm_'); do unset "$v"; done

# timed <label> <command...>: run a step and print how long it took
timed() {
  local label=$1 t0=$SECONDS; shift
  "$@"
  echo "$SETUP_LABEL: $label done in $((SECONDS - t0)) s"
}

# install_apt_packages PACKAGE...: installs those that are missing (root or sudo)
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
