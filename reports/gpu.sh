#!/usr/bin/env bash
# The prepared GPU run (python -m nnclaims.bench.gpu), for a session that finds a GPU lent:
#   here:     python -m nnclaims.bench.gpu --prepare .whl     (wheels the GPU machine lacks + this package's)
#   device:   run(command="bash reports/gpu.sh", carry=[".whl"], timeout_s=540)
# It installs the carried wheels (if any) into /tmp/site, then runs every GPU step under its own cap and leaves
# summary.txt and gpu-run.tar.gz in $OUT. Extra arguments go to the Python module (e.g. --dry-run --device cpu).
set -euo pipefail
cd "$(dirname "$0")/.."
if compgen -G ".whl/*.whl" > /dev/null; then
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade --target /tmp/site .whl/*.whl
  export PYTHONPATH=/tmp/site${PYTHONPATH:+:$PYTHONPATH}
fi
export PYTHONUNBUFFERED=1
out=$(realpath -m "${OUT:-gpu-out}")
# run outside the checkout: its top-level nnclaims/ folder would shadow the installed package
cd /tmp && exec python3 -m nnclaims.bench.gpu --out "$out" "$@"
