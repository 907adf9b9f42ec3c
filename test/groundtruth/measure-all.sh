#!/usr/bin/env bash
# Regenerates every committed truth file: measure.py in each measurement environment
# (test/groundtruth/setup-envs.sh) for all fixtures, then for all torchvision cases where that
# environment has torchvision (1.13: Debian's 0.14; 2.14: 0.29.1; 2.13 has none). Never run in CI.
#
#   test/groundtruth/measure-all.sh                 # 1.13, 2.13, 2.14
#   test/groundtruth/measure-all.sh 2.14            # one release
#   MEASURE_ARGS="--series /tmp/memlens-series" test/groundtruth/measure-all.sh   # options for measure.py
#
# Runs one job at a time with one thread (measure.py sets torch.set_num_threads(1)).
set -euo pipefail
cd "$(dirname "$0")/../.."
ENVS="${MEMLENS_TRUTH_ENVS:-$HOME/.cache/memlens-truth}"
[ $# -gt 0 ] || set -- 1.13 2.13 2.14
read -r -a ARGS <<< "${MEASURE_ARGS:-}"

for r in "$@"; do
  py="$ENVS/torch-$r/bin/python"
  if [ ! -x "$py" ]; then
    echo "no environment $ENVS/torch-$r: run test/groundtruth/setup-envs.sh $r" >&2
    exit 1
  fi
  echo "== torch $r: fixtures =="
  start=$SECONDS
  OMP_NUM_THREADS=1 "$py" test/groundtruth/measure.py "${ARGS[@]}"
  echo "   ($((SECONDS - start)) s)"
  if "$py" -c 'import torchvision' >/dev/null 2>&1; then
    echo "== torch $r: torchvision cases =="
    start=$SECONDS
    OMP_NUM_THREADS=1 "$py" test/groundtruth/measure.py "${ARGS[@]}" --torchvision
    echo "   ($((SECONDS - start)) s)"
  fi
done
