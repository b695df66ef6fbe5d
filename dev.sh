#!/usr/bin/env bash
# BINGO Studio on a fresh Debian machine: everything the project needs, from its own files.
#   ./dev.sh run [ARGS]  set up, then open the app (no ARGS) or run a CLI command
#   ./dev.sh test [ARGS] set up, then run the whole test suite (ARGS go to pytest)
#   ./dev.sh setup       only set up
set -euo pipefail
cd "$(dirname "$0")"

# Debian packages: the AVR toolchain, Arduino core and simulator (offline Uno builds and the
# simulated Uno), the Cortex-M compiler (the Pico's C compiles in tests), Xvfb and Qt's runtime
# libraries (the window), and Fashion-MNIST.
APT_PACKAGES=(
  gcc-avr avr-libc arduino-core-avr avrdude simavr libsimavr-dev
  gcc-arm-none-eabi libnewlib-arm-none-eabi
  xvfb xauth libegl1 libgl1 libxkbcommon0 libxkbcommon-x11-0 libfontconfig1 libdbus-1-3
  libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1 libxcb-shape0 libxcb-xinerama0 libxcb-randr0
  libxcb-render-util0 libxcb-image0 libxcb-xkb1
  dataset-fashion-mnist
)
# Node.js for the simulated Pico (rp2040js, pinned in resources/rp2040/package-lock.json): Debian's
# packages, unless the machine already has node and npm (e.g. from NodeSource, which bundles npm).
NODE_PACKAGES=(nodejs npm)
PYTHON=${PYTHON:-python3}

setup_apt() {
  local missing=()
  for p in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "Installing Debian packages: ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
}

setup_node() {
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo="sudo"
    echo "Installing Debian packages: ${NODE_PACKAGES[*]}"
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${NODE_PACKAGES[@]}"
  fi
  # rp2040js into resources/rp2040/node_modules (git-ignored), again only when the lock file changes
  local stamp=resources/rp2040/node_modules/.bingo-setup
  local want
  want=$(sha1sum resources/rp2040/package-lock.json | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    (cd resources/rp2040 && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" > "$stamp"
  fi
}

setup_venv() {
  [ -x .venv/bin/python ] || "$PYTHON" -m venv .venv
  # reinstall only when the project's requirements change
  local stamp=.venv/.bingo-setup
  local want
  want=$(sha1sum pyproject.toml | cut -d' ' -f1)
  if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    .venv/bin/pip install -q --upgrade pip
    # torch==2.13.0 is pinned in pyproject.toml: the CPU wheel, never another torch
    .venv/bin/pip install -q -e ".[dev]"
    echo "$want" > "$stamp"
  fi
}

cmd=${1:-run}
shift || true
case "$cmd" in
  setup) setup_apt; setup_node; setup_venv ;;
  run) setup_apt; setup_node; setup_venv; exec .venv/bin/bingo-studio "$@" ;;
  test)
    setup_apt; setup_node; setup_venv
    export QT_QPA_PLATFORM=offscreen
    exec .venv/bin/python -m pytest -q "$@" ;;
  *) echo "usage: ./dev.sh run|test|setup [ARGS]" >&2; exit 2 ;;
esac
