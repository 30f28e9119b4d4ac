#!/bin/bash
# Side-by-side train-step timings: Scalpel JIT and the PyTorch reference, interleaved
# (Scalpel plain, PyTorch plain, Scalpel Surgery, PyTorch Surgery) for ROUNDS rounds, with the
# load average before each pair; one JSON object per line in OUT.
#   scripts/bench/compare_train_step.sh [BIN] [ROUNDS] [OUT] [THREADS] [PYTHON]
set -u
BIN=${1:-.build/release/scalpel}
ROUNDS=${2:-3}
OUT=${3:-train-step-comparison.jsonl}
THREADS=${4:-2}
PYTHON=${5:-.venv/bin/python}
B="env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE"
for r in $(seq 1 "$ROUNDS"); do
  for s in "" "--surgery"; do
    echo "{\"round\": $r, \"load\": \"$(cut -d' ' -f1 /proc/loadavg)\"}" >> "$OUT"
    $B "$BIN" bench train-step --config tiny --steps 20 --threads "$THREADS" $s 2>/dev/null \
      | tail -1 >> "$OUT"
    $B "$PYTHON" scripts/bench/pytorch_train_step.py --config tiny --steps 20 \
      --threads "$THREADS" $s 2>/dev/null | tail -1 >> "$OUT"
  done
done
