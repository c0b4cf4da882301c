#!/bin/sh
# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
# run.sh -- libcpae-mpi's test under mpirun with 1, 2 and 3 processes on
# this machine (--oversubscribe; as root --allow-run-as-root), a
# checkpoint saved by 3 processes resumed on 2, then examples/mpi_train
# with 2 processes against its single-process fit.
# Prints one "ok"/"FAIL" line per run and ends with "N passed, N failed".
# Usage: test/mpi/run.sh   (from the top of the tree, after `make mpi`)
set -u
flags="--oversubscribe"
[ "$(id -u)" = 0 ] && flags="$flags --allow-run-as-root"
passed=0 failed=0
for np in 1 2 3; do
    if out=$(timeout 600 mpirun $flags -np "$np" build/test/check_mpi 2>&1); then
        printf '%s\n' "$out" | tail -n 1; passed=$((passed + 1))
    else
        printf '%s\n' "$out"; echo "FAIL: mpirun -np $np build/test/check_mpi"
        failed=$((failed + 1))
    fi
done
# A checkpoint saved by 3 processes resumes on 2 (and in one trainer).
dir=$(mktemp -d)
if out=$(timeout 600 mpirun $flags -np 3 build/test/check_mpi --save "$dir" 2>&1) &&
   out2=$(timeout 600 mpirun $flags -np 2 build/test/check_mpi --resume "$dir" 2>&1); then
    printf '%s\n' "$out" "$out2" | grep '^ok'; passed=$((passed + 1))
else
    printf '%s\n' "$out" "${out2:-}"; echo "FAIL: check_mpi --save (3 processes) / --resume (2)"
    failed=$((failed + 1))
fi
rm -rf "$dir"
# The example: 2 processes reproduce the single-process fit (double).
if out=$(timeout 600 mpirun $flags -np 2 build/examples/mpi_train --epochs 5 --compare 2>&1) &&
   printf '%s\n' "$out" | grep -Eq 'single-process fit: 0$|single-process fit: [0-9.]+e-(1[0-9]|[2-9][0-9])$'; then
    printf '%s\n' "$out" | sed 's/^/ok mpi_train: /'; passed=$((passed + 1))
else
    printf '%s\n' "$out"; echo "FAIL: mpirun -np 2 build/examples/mpi_train --compare"
    failed=$((failed + 1))
fi
# The example stopped after epoch 2 of 5 on 3 processes, resumed from its
# checkpoint on 2: the uninterrupted single-process fit's weights.
dir=$(mktemp -d)
if out=$(timeout 600 mpirun $flags -np 3 build/examples/mpi_train --epochs 5 --stop-after 2 \
             --checkpoint "$dir/ck" 2>&1) &&
   out2=$(timeout 600 mpirun $flags -np 2 build/examples/mpi_train --epochs 5 \
              --resume "$dir/ck" --compare 2>&1) &&
   printf '%s\n' "$out2" | grep -Eq 'single-process fit: 0$|single-process fit: [0-9.]+e-(1[0-9]|[2-9][0-9])$'; then
    printf '%s\n' "$out" "$out2" | sed 's/^/ok mpi_train resume: /'; passed=$((passed + 1))
else
    printf '%s\n' "$out" "${out2:-}"; echo "FAIL: mpi_train --stop-after / --resume"
    failed=$((failed + 1))
fi
rm -rf "$dir"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
