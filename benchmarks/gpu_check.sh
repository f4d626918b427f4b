#!/usr/bin/env bash
# The one script to run on a lent GPU (issue 20): the fast-step and pack benchmarks, ours beside the
# official ProbeGAN step, the paper-scale step, then the gpu-smoke book; everything it measures is
# written under $OUT/measured (and benchmarks/measured/ when run here), named with the device and date.
#
#   on the lent machine (the `device` tool), with benchmarks/.official carried:
#       bash benchmarks/gpu_check.sh
#   here, first, on CPU with tiny settings (what the test of this script is):
#       DEVICE=cpu QUICK=1 OUT=/tmp/gpucheck bash benchmarks/gpu_check.sh
#
# benchmarks/.official/ is the official code (git -C /work/.mirror/csmiler+ProbeGAN/repo archive HEAD
# | tar -x -C benchmarks/.official), kept out of git and of probelib; without it that part is skipped.
# BOOK_S bounds the gpu-smoke book's seconds (default 420) so the whole call fits a 10-minute limit.
set -uo pipefail
DEVICE=${DEVICE:-cuda}
QUICK=${QUICK:-0}
OUT=${OUT:-benchmarks/measured}
BOOK_S=${BOOK_S:-420}
PY=${PY:-$(test -x .venv/bin/python && echo .venv/bin/python || echo python3)}
export PYTHONPATH=${PYTHONPATH:+$PYTHONPATH:}$PWD PYTHONUNBUFFERED=1
mkdir -p "$OUT/measured"
name=$($PY - <<PY
import torch
d = "$DEVICE"
print(torch.cuda.get_device_name(0).split()[-1].lower() if d == "cuda" and torch.cuda.is_available() else "cpu")
PY
)
stamp="${name}_$(date +%Y-%m-%d)"
echo "[gpu-check] device $DEVICE ($name), quick=$QUICK, out $OUT/measured"
status=0
if [ "$QUICK" = 1 ]; then
  fast=(--steps 1 --skip-paper --ks 1,2); paper=(--steps 1); official=(--steps 1)
else
  fast=(--steps 10 --paper-steps 10 --ks 1,4,8,16); paper=(--steps 20); official=(--steps 10)
fi
$PY benchmarks/fast_step.py --device "$DEVICE" "${fast[@]}" --out "$OUT/measured/fast_step_$stamp.jsonl" || status=1
if [ "$QUICK" != 1 ]; then
  $PY benchmarks/probegan_step.py --device "$DEVICE" "${paper[@]}" --out "$OUT/measured/probegan_step_$stamp.jsonl" || status=1
fi
if [ -d benchmarks/.official ]; then
  $PY benchmarks/official_step.py --official benchmarks/.official --device "$DEVICE" "${official[@]}" \
      --out "$OUT/measured/official_step_$stamp.jsonl" || status=1
else
  echo "[gpu-check] benchmarks/.official is not here: the official step is skipped"
fi
profile=gpu-smoke; only=()
[ "$QUICK" = 1 ] && { profile=smoke; only=(--only 01); }
timeout "$BOOK_S" $PY -m probelib.run --profile "$profile" "${only[@]}" --run-dir "$OUT/run" --no-build \
    > "$OUT/measured/book_${profile}_$stamp.log" 2>&1
rc=$?
[ -f "$OUT/run/ledger.json" ] && cp "$OUT/run/ledger.json" "$OUT/measured/ledger_${profile}_$stamp.json"
echo "[gpu-check] $profile book: exit $rc (124 = stopped at ${BOOK_S}s); ledger: $(ls "$OUT"/measured/ledger_* 2>/dev/null)"
tail -3 "$OUT/measured/book_${profile}_$stamp.log"
exit $status
