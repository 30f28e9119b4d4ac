#!/usr/bin/env bash
# The Surgery diff of examples/attention/attention.ir, as a page: sink-divergence, then the
# gradient of the new loss, then clean-up. Open out/attention.html in a browser.
set -euo pipefail
cd "$(dirname "$0")/../.."
swift build --product scalpel-opt >&2
weights=embed,layers.0.wq,layers.0.wk,layers.0.wv,layers.0.wo
weights+=,layers.1.wq,layers.1.wk,layers.1.wv,layers.1.wo,head
mkdir -p out
.build/debug/scalpel-opt examples/attention/attention.ir \
  --passes "sink-divergence{lambda=300 sink=0},grad{of=loss wrt=$weights},canonicalize,cse,dce" \
  --html out/attention.html --dot out/attention.dot -o out/attention-step.ir
echo "open out/attention.html"
