#!/usr/bin/env bash
# Idempotent set-up on Debian 12 / Python 3.11: apt tools, a venv in .venv, pip installs.
#   scripts/setup.sh          what `accelsmith design` needs
#   scripts/setup.sh --test   plus what the test suite needs (browser, test and optional extras)
# A re-run skips apt and pip when nothing they would install has changed.
set -euo pipefail
cd "$(dirname "$0")/.."

mode=run
[[ "${1:-}" == "--test" ]] && mode=test

apt_pkgs=(iverilog ccache make g++ bubblewrap)
extras="test"
if [[ $mode == test ]]; then
  apt_pkgs+=(chromium)
  extras="test,review,opt,dse,ray"
fi

missing=()
for p in "${apt_pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing apt packages: ${missing[*]}"
  sudo=""; [[ $(id -u) -ne 0 ]] && sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${missing[@]}" >/dev/null
fi

python=${PYTHON:-python3}
if [[ ! -x .venv/bin/python ]]; then
  echo "setup: creating .venv"
  "$python" -m venv .venv
fi

stamp=.venv/.accelsmith-setup-$mode
want=$(cat pyproject.toml setup.py | sha256sum | cut -d' ' -f1)
if [[ ! -f $stamp || $(cat "$stamp") != "$want" ]]; then
  echo "setup: installing Python packages ($extras); the first run takes a few minutes"
  .venv/bin/python -m pip install -q --upgrade "pip>=24"
  # torch==2.13.0 exactly: the CPU wheel; anything looser pulls a multi-GB CUDA build
  .venv/bin/python -m pip install -q "torch==2.13.0" -e ".[$extras]"
  echo "$want" > "$stamp"
fi

# SCALE-Sim (the GEMM cycle cross-check) needs numpy 1.x, which the project's stack cannot share: own venv
if [[ $mode == test && ! -f .venv-scalesim/.accelsmith-setup ]]; then
  echo "setup: creating .venv-scalesim for SCALE-Sim"
  "$python" -m venv .venv-scalesim
  .venv-scalesim/bin/python -m pip install -q "scalesim==3.0.0" "numpy==1.26.4" "pandas==2.3.3" "numba==0.61.2"
  touch .venv-scalesim/.accelsmith-setup
fi
