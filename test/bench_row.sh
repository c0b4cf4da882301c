#!/bin/sh
# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
# bench_row.sh -- one row of `make bench-peer`, repeated: libcpae
# (build/bench_step) and the PyTorch peer (peerx.py) alternately, N times
# each, on the same data and flags; prints every run's ms per step, then the
# best and the median of each side and their ratios (peer / libcpae). A
# benchmark, not a test: never part of make check.
#
# Usage: test/bench_row.sh SHAPE N STEPS WARMUP ROW_FLAGS...
#   SHAPE      a (140-64-16, data B140) or b (784-256-64-16, data B784)
#   N          interleaved pairs of runs
#   STEPS      timed steps a run; WARMUP untimed steps first
#   ROW_FLAGS  the row's flags for both sides, as in test/bench_peer.py's
#              ROWS, e.g. --method lie --sampler ball --neighbors 4 --skew
# Example, the (a) ball K = 4 row five times (docs/performance.md):
#   test/bench_row.sh a 5 100 5 --method lie --sampler ball --neighbors 4 --skew
#
# The peer is not shipped with libcpae: PEER_DIR names its folder (default
# ../shared/peer beside this checkout, or beside the main worktree of a git
# worktree). Without it, or when PEER_PYTHON (default /usr/bin/python3)
# cannot import torch and numpy, it says why and exits 0, like
# test/bench_peer.py. THREADS (default 1): both sides' threads.
# BENCH_PRECISION: libcpae's --precision (32 or 64). Data: the peer's
# synth.py into build/bench-peer/ (shared with make bench-peer).
set -u
usage() { sed -n 's/^# \{0,1\}//; 9,16p' "$0" >&2; exit 2; }
[ $# -ge 5 ] || usage
shape=$1 n=$2 steps=$3 warmup=$4
shift 4
case "$shape" in
a) data=B140 arch=140,64,16 d=140 kmax=5 ;;
b) data=B784 arch=784,256,64,16 d=784 kmax=20 ;;
*) usage ;;
esac
for v in "$n" "$steps" "$warmup"; do
    case "$v" in '' | *[!0-9]*) usage ;; esac
done
[ "$n" -ge 1 ] && [ "$steps" -ge 1 ] || usage

repo=$(cd "$(dirname "$0")/.." && pwd)
step="$repo/build/bench_step"
py=${PEER_PYTHON:-/usr/bin/python3}
threads=${THREADS:-1}
skip() { echo "bench_row: skipped: $*"; exit 0; }

peer=${PEER_DIR:-}
if [ -z "$peer" ]; then
    peer="$repo/../shared/peer"
    if ! [ -f "$peer/peerx.py" ]; then # a git worktree: beside the main worktree
        common=$(git -C "$repo" rev-parse --path-format=absolute --git-common-dir 2>/dev/null)
        [ -n "$common" ] && peer="$(dirname "$common")/../shared/peer"
    fi
fi
[ -f "$peer/peerx.py" ] || skip "no PyTorch peer (peerx.py) in '$peer'; set PEER_DIR"
peer=$(cd "$peer" && pwd)
"$py" -c 'import numpy, torch' > /dev/null 2>&1 ||
    skip "$py cannot import torch and numpy; on Debian: apt-get install python3-torch python3-numpy"
[ -x "$step" ] || { echo "bench_row: $step missing: run make build/bench_step" >&2; exit 1; }

out="$repo/build/bench-peer"
mkdir -p "$out" || exit 1
prefix="$out/$data"
if ! [ -f "${prefix}_TRAIN.tsv" ]; then
    "$py" "$peer/synth.py" --d "$d" --kmax "$kmax" --n-train 640 --n-test 200 --seed 1 \
        --out "$prefix" > /dev/null || { echo "bench_row: synth.py failed" >&2; exit 1; }
fi
export OPENBLAS_NUM_THREADS="$threads" OMP_NUM_THREADS="$threads" MKL_NUM_THREADS="$threads"
export PEER_DIR="$peer"
log="$out/row.jsonl"
: > "$log"

# run SIDE COMMAND...: one run; its JSON line (seconds_per_step) into the log.
run() {
    side=$1; shift
    line=$("$@" 2> "$out/row.err" | grep '^{' | tail -n 1)
    if [ -z "$line" ]; then
        echo "bench_row: $side failed: $*" >&2; tail -n 5 "$out/row.err" >&2; exit 1
    fi
    printf '%s\t%s\n' "$side" "$line" >> "$log"
    printf '%s\n' "$line" | "$py" -c 'import json, sys
print("  %-7s %9.3f ms/step" % (sys.argv[1], 1e3 * json.load(sys.stdin)["seconds_per_step"]))' "$side"
}

common="--train ${prefix}_TRAIN.tsv --arch $arch --batch 64 --steps $steps --warmup $warmup --seed 0 --threads $threads"
prec=""
[ -n "${BENCH_PRECISION:-}" ] && prec="--precision $BENCH_PRECISION"
echo "bench_row: ($shape) $*, $n pairs, $steps steps (+$warmup warm-up), $threads thread(s), peer $peer"
i=0
while [ "$i" -lt "$n" ]; do
    i=$((i + 1))
    # shellcheck disable=SC2086  # word splitting of the flag strings is intended
    run libcpae "$step" $common "$@" --init torch $prec
    # shellcheck disable=SC2086
    run peer "$py" "$peer/peerx.py" --test "${prefix}_TEST.tsv" $common "$@" \
        --dtype float32 --jacobian tangent
done

"$py" - "$log" <<'EOF'
import json, statistics, sys
ms = {'libcpae': [], 'peer': []}
for line in open(sys.argv[1]):
    side, js = line.rstrip('\n').split('\t', 1)
    ms[side].append(1e3 * json.loads(js)['seconds_per_step'])
c, p = ms['libcpae'], ms['peer']
print('libcpae ms: best %.3g, median %.3g (%.3g-%.3g)' % (min(c), statistics.median(c), min(c), max(c)))
print('peer ms:    best %.3g, median %.3g (%.3g-%.3g)' % (min(p), statistics.median(p), min(p), max(p)))
print('speed-up (peer/libcpae): %.2fx best against best, %.2fx median against median'
      % (min(p) / min(c), statistics.median(p) / statistics.median(c)))
EOF
