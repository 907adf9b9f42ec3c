#!/usr/bin/env bash
# Creates the PyTorch environments that measure the fixtures' ground truth (test/groundtruth/README.md).
# Idempotent: an environment whose torch already imports at the wanted release is left alone.
# Never run in CI: CI needs only the committed *.truth-<release>.json files.
#
#   test/groundtruth/setup-envs.sh            # all three
#   test/groundtruth/setup-envs.sh 2.14       # one (1.13, 2.13 or 2.14)
#
# Where:  ${MEMLENS_TRUTH_ENVS:-~/.cache/memlens-truth}/torch-{1.13,2.13,2.14}  (outside the repository)
#   torch-1.13  venv over Debian's python3-torch 1.13 + python3-torchvision 0.14 (--system-site-packages;
#               the two Debian packages are installed with apt when missing)
#   torch-2.13  torch==2.13.0 (a CPU build) + numpy, for Python 3.11
#   torch-2.14  torch==2.14.1 + torchvision==0.29.1 (a CUDA build, ~5.5 GB, runs on the CPU), Python 3.11
# The Python for the 2.x environments: $MEMLENS_TRUTH_PYTHON, else the first python3.11 on PATH.
set -euo pipefail

ENVS="${MEMLENS_TRUTH_ENVS:-$HOME/.cache/memlens-truth}"
PY311="${MEMLENS_TRUTH_PYTHON:-$(command -v python3.11 || command -v python3)}"
[ $# -gt 0 ] || set -- 1.13 2.13 2.14
mkdir -p "$ENVS"

has_torch() {  # ENV_DIR RELEASE [EXTRA_IMPORT]
  [ -x "$1/bin/python" ] || return 1
  "$1/bin/python" - "$2" "${3:-}" <<'EOF' >/dev/null 2>&1
import sys, importlib, torch
assert ".".join(torch.__version__.split(".")[:2]) == sys.argv[1], torch.__version__
if sys.argv[2]:
    importlib.import_module(sys.argv[2])
EOF
}

setup_113() {
  local env="$ENVS/torch-1.13"
  if ! /usr/bin/python3 -c 'import torch, torchvision' >/dev/null 2>&1; then
    echo "== apt-get install python3-torch python3-torchvision =="
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends python3-torch python3-torchvision python3-venv >/dev/null
  fi
  if has_torch "$env" 1.13 torchvision; then echo "torch-1.13: ready ($env)"; return; fi
  echo "== torch-1.13: venv over Debian's python3-torch =="
  rm -rf "$env"
  /usr/bin/python3 -m venv --system-site-packages "$env"
  has_torch "$env" 1.13 torchvision
  echo "torch-1.13: ready ($env)"
}

setup_pip() {  # RELEASE IMPORT_CHECK PIP_ARGS...
  local release="$1" check="$2"; shift 2
  local env="$ENVS/torch-$release"
  if has_torch "$env" "$release" "$check"; then echo "torch-$release: ready ($env)"; return; fi
  echo "== torch-$release: $PY311 -m venv; pip install $* =="
  rm -rf "$env"
  "$PY311" -m venv "$env"
  "$env/bin/python" -m pip install -q --disable-pip-version-check "$@"
  has_torch "$env" "$release" "$check"
  echo "torch-$release: ready ($env)"
}

for r in "$@"; do
  case "$r" in
    1.13) setup_113 ;;
    2.13) setup_pip 2.13 numpy torch==2.13.0 numpy ;;
    2.14) setup_pip 2.14 torchvision torch==2.14.1 torchvision==0.29.1 ;;
    *) echo "unknown release $r (1.13, 2.13 or 2.14)" >&2; exit 2 ;;
  esac
done
