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
# shellcheck source=scripts/apt-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/apt-lib.sh"
