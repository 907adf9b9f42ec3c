#!/usr/bin/env bash
# Prepare what kernels/catalog/generate.py, kernels/catalog/releases.py and
# test/groundtruth/probe_ops.py need. Everything lands under ~/.cache, never in the repository.
# Idempotent; not used in CI. Writes ~/.cache/memlens-venvs/catalog-env.sh (PY113, PY213, PY214,
# EXTRA214) for generate-all.sh.
#
#   1.13  Debian's python3-torch (1.13.1+dfsg) in a --system-site-packages venv, plus the exact
#         1.13.1 tools/autograd sources from Debian's orig tarball (Debian ships torchgen, not these)
#   2.13  a venv with torch==2.13.0 (CPU)
#   2.14  ~/.cache/memlens-truth/torch-2.14 if another task made it (torch==2.14.1), else our own
#         venv; its extra packages go to a separate --target folder so a shared venv is not modified
#   wheels  the aarch64 wheel of the last patch of every release 1.13 ... 2.14 (releases.py)
set -euo pipefail
cd "$(dirname "$0")/../.."

TRUTH=${MEMLENS_TRUTH:-$HOME/.cache/memlens-truth}
VENVS=${MEMLENS_VENVS:-$HOME/.cache/memlens-venvs}
EXTRA="pyyaml expecttest hypothesis"
mkdir -p "$TRUTH" "$VENVS"
PY311=$(command -v python3.11 || command -v python3)

# --- 1.13 -------------------------------------------------------------------------------------
/usr/bin/python3 -c 'import torch, torchgen' 2>/dev/null || { echo "PyTorch 1.13 needs Debian's python3-torch: apt-get install python3-torch" >&2; exit 1; }
[ -x "$TRUTH/torch-1.13/bin/python" ] || /usr/bin/python3 -m venv --system-site-packages "$TRUTH/torch-1.13"
"$TRUTH/torch-1.13/bin/python" -m pip install -q $EXTRA
PY113="$TRUTH/torch-1.13/bin/python"

SRC="$VENVS/src113"
if [ ! -f "$SRC/pytorch-1.13.1/tools/autograd/derivatives.yaml" ]; then
  mkdir -p "$SRC"
  TAR="$SRC/pytorch_1.13.1+dfsg.orig.tar.xz"
  [ -f "$TAR" ] || curl -fsSL -o "$TAR" http://deb.debian.org/debian/pool/main/p/pytorch/pytorch_1.13.1+dfsg.orig.tar.xz
  echo "a096539deced9b5a10510de85da61bc7  $TAR" | md5sum -c - >/dev/null
  tar -xJf "$TAR" -C "$SRC" pytorch-1.13.1/tools/__init__.py pytorch-1.13.1/tools/autograd \
    pytorch-1.13.1/aten/src/ATen/native/native_functions.yaml
fi

# --- 2.13 -------------------------------------------------------------------------------------
if [ ! -x "$VENVS/torch213/bin/python" ]; then
  "$PY311" -m venv "$VENVS/torch213"
  "$VENVS/torch213/bin/python" -m pip install -q torch==2.13.0 numpy
fi
"$VENVS/torch213/bin/python" -m pip install -q $EXTRA
PY213="$VENVS/torch213/bin/python"

# --- 2.14 -------------------------------------------------------------------------------------
EXTRA214=""
if [ -x "$TRUTH/torch-2.14/bin/python" ]; then
  PY214="$TRUTH/torch-2.14/bin/python"
  EXTRA214="$VENVS/extras-2.14"
  "$PY214" -c 'import yaml, expecttest, hypothesis' 2>/dev/null || \
    PYTHONPATH="$EXTRA214" "$PY214" -c 'import yaml, expecttest, hypothesis' 2>/dev/null || \
    "$PY214" -m pip install -q --target "$EXTRA214" $EXTRA
else
  if [ ! -x "$VENVS/torch214/bin/python" ]; then
    "$PY311" -m venv "$VENVS/torch214"
    "$VENVS/torch214/bin/python" -m pip install -q torch==2.14.1 numpy
  fi
  "$VENVS/torch214/bin/python" -m pip install -q $EXTRA
  PY214="$VENVS/torch214/bin/python"
fi

# --- wheels for releases.py --------------------------------------------------------------------
python3 kernels/catalog/releases.py --download-only

cat > "$VENVS/catalog-env.sh" <<ENV
PY113="$PY113"
PY213="$PY213"
PY214="$PY214"
EXTRA214="$EXTRA214"
ENV
echo "ready: $VENVS/catalog-env.sh"
cat "$VENVS/catalog-env.sh"
