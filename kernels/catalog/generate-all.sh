#!/usr/bin/env bash
# Regenerate every output of kernels/catalog and test/fixtures/ops, one job at a time
# (kernels/catalog/setup.sh first). Not used in CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
ENV_FILE=${MEMLENS_VENVS:-$HOME/.cache/memlens-venvs}/catalog-env.sh
[ -f "$ENV_FILE" ] || bash kernels/catalog/setup.sh
. "$ENV_FILE"
py214() { PYTHONPATH="${EXTRA214}${PYTHONPATH:+:$PYTHONPATH}" "$PY214" "$@"; }

# 2.x first: 1.13's tags.yaml has no "pointwise" tag and borrows the set from torch-2.13.json.
"$PY213" kernels/catalog/generate.py --check
py214 kernels/catalog/generate.py --check
"$PY113" kernels/catalog/generate.py --check
python3 kernels/catalog/releases.py
"$PY113" test/groundtruth/probe_ops.py
"$PY213" test/groundtruth/probe_ops.py
py214 test/groundtruth/probe_ops.py
