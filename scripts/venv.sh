# Sourced by scripts/demo, scripts/test and .ci/run: picks the Python the
# project installs into and runs with, and sets PY to it.
#
# An active virtual environment (VIRTUAL_ENV) is used as it is. Otherwise the
# project-local environment $CURVECHECK_VENV (default .venv in the checkout)
# is created on first use with ${PYTHON:-python3} and reused after, so the
# commands never `pip install` into a system Python (PEP 668 forbids it on
# Debian and Ubuntu) and never touch the user's other installs.
curvecheck_venv() {
  local root=$1 base=${PYTHON:-python3}
  if [ -n "${VIRTUAL_ENV:-}" ] && [ -x "$VIRTUAL_ENV/bin/python" ]; then
    PY="$VIRTUAL_ENV/bin/python"
    export PATH="$VIRTUAL_ENV/bin:$PATH"
    return 0
  fi
  local venv=${CURVECHECK_VENV:-$root/.venv}
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c 'import pip' >/dev/null 2>&1; then
    echo "scripts: creating the project's virtual environment in $venv (with $base)" >&2
    rm -rf "$venv"
    if ! "$base" -m venv "$venv" >/dev/null 2>&1; then
      # Debian ships venv's pip bootstrap separately (python3-venv).
      if command -v apt-get >/dev/null 2>&1; then
        local ver sudo=
        [ "$(id -u)" = 0 ] || sudo=sudo
        ver=$("$base" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
        echo "scripts: $base cannot make a virtual environment; installing python$ver-venv with apt-get" >&2
        $sudo apt-get update -qq
        DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "python$ver-venv" >/dev/null \
          || DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv >/dev/null
        rm -rf "$venv"
      fi
      "$base" -m venv "$venv"
    fi
    "$venv/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip setuptools wheel
  fi
  PY="$venv/bin/python"
  # As `activate` would: what the commands start (scripts/demo from a test,
  # the console scripts) runs in the same environment.
  export VIRTUAL_ENV="$venv"
  export PATH="$venv/bin:$PATH"
}
