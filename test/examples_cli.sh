#!/bin/sh
# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
# examples_cli.sh -- the command lines of every example program: --help
# prints the usage on stdout and exits 0; an unknown option, a malformed or
# out-of-range value, an unknown name or a stray argument exits with status
# 2 and a message on stderr. Runs nothing long (every refusal comes before
# any work; a 60 s guard catches one that does not).
# Usage: examples_cli.sh [BIN_DIR]   (default build/examples; every program
# of examples/*.c must be built there). Prints "ok ..." and exits 0 on success.
set -u
bin=$(cd "${1:-build/examples}" && pwd) || exit 1
src=$(cd "$(dirname "$0")/../examples" && pwd) || exit 1
# A scratch working directory: a program that wrongly starts working finds
# no data there and writes nothing into the tree.
tmp=$(mktemp -d "${TMPDIR:-/tmp}/cpae-cli.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
failures=0 checks=0
bad() { echo "FAIL: $*"; failures=$((failures + 1)); }

# expect STATUS PROGRAM ARGS...: exit status STATUS; for 2, a message on stderr.
expect() {
    want=$1 prog=$2; shift 2
    checks=$((checks + 1))
    rc=0
    timeout 60 "$bin/$prog" "$@" > out 2> err < /dev/null || rc=$?
    if [ "$rc" -ne "$want" ]; then
        bad "$prog $*: exit $rc, expected $want"; sed 's/^/    /' err | head -n 3
    elif [ "$want" -eq 2 ] && ! [ -s err ]; then
        bad "$prog $*: exit 2 without a message on stderr"
    fi
}

n=0
for c in "$src"/*.c; do
    prog=$(basename "$c" .c)
    n=$((n + 1))
    [ -x "$bin/$prog" ] || { bad "$bin/$prog is not built"; continue; }
    for h in --help -h; do
        expect 0 "$prog" "$h"
        grep -q '^Usage: ' out || bad "$prog $h: no 'Usage: ' line on stdout"
    done
    expect 2 "$prog" --no-such-option
    expect 2 "$prog" -Z
done

# Malformed values, unknown names, missing values and stray arguments.
expect 2 cpae_example extra
expect 2 demo data out.json 12x           # STEPS with trailing junk
expect 2 demo data out.json 100 0         # SEEDS out of range
expect 2 demo data out.json abc
expect 2 demo data out.json 100 2 extra
expect 2 figures out data extra
expect 2 lie_recovery -s bogus
expect 2 lie_recovery --sampler=bogus
expect 2 lie_recovery -f sideways
expect 2 lie_recovery -e 12x
expect 2 lie_recovery --epochs abc
expect 2 lie_recovery -n 0
expect 2 lie_recovery -w -1
expect 2 lie_recovery -r -3
expect 2 lie_recovery -k 0
expect 2 lie_recovery -l 1e-3x
expect 2 lie_recovery -O 2
expect 2 lie_recovery -e                  # missing value
expect 2 lie_recovery extra
expect 2 regions_walk 12x
expect 2 regions_walk abc
expect 2 regions_walk 1 2
expect 2 table1 -e 12x data
expect 2 table1 --sampler bogus data
expect 2 table1 -s 0 data
expect 2 table1                           # no data set
if [ -x "$bin/mpi_train" ]; then          # built when Open MPI is installed
    expect 2 mpi_train --stop-after 0
    expect 2 mpi_train -e 12x
    expect 2 mpi_train --method bogus
    expect 2 mpi_train --resume           # missing value
fi

if [ "$failures" -ne 0 ]; then
    echo "examples_cli: $failures of $checks checks failed"
    exit 1
fi
echo "ok example command lines ($n programs, $checks checks: --help, unknown options, malformed values refused with status 2)"
