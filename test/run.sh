#!/bin/sh
# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
# run.sh -- run each Check test program, then the Python package's pytest
# suite (python/tests) and the example programs' checks (table1 end to end,
# every program's command line), and print one closing line "N passed, N
# failed" (N counts Check tests and pytest tests, plus one for each example
# check; skipped tests count neither way).
# After each program one line lists its suite (one suite per module):
#   suite core: 32 checks, 0 failures
# (failures counts Check's failures and errors).
# Usage: run.sh TEST_BINARY...   (PYTHON=... (default /usr/bin/python3),
#   NO_PYTHON=1 to skip pytest and the example programs)
set -u
passed=0 failed=0 progs_failed=""
for t in "$@"; do
    out=$("$t" 2>&1); rc=$?
    printf '%s\n' "$out"
    # Check's summary: "100%: Checks: 12, Failures: 0, Errors: 0"
    line=$(printf '%s\n' "$out" | grep -E '^[0-9]+%: Checks: ' | tail -n 1)
    # Suite name from Check's "Running suite(s): NAME", else the program's.
    suite=$(printf '%s\n' "$out" | sed -n 's/^Running suite(s): *//p' | head -n 1)
    [ -n "$suite" ] || suite=$(basename "$t" | sed 's/^check_//')
    if [ -n "$line" ]; then
        n=$(echo "$line" | sed -E 's/.*Checks: ([0-9]+).*/\1/')
        f=$(echo "$line" | sed -E 's/.*Failures: ([0-9]+).*/\1/')
        e=$(echo "$line" | sed -E 's/.*Errors: ([0-9]+).*/\1/')
        passed=$((passed + n - f - e)); failed=$((failed + f + e))
        echo "suite $suite: $n checks, $((f + e)) failures"
    else
        failed=$((failed + 1))
        echo "suite $suite: no Check summary (exit status $rc)"
    fi
    [ $rc -eq 0 ] || progs_failed="$progs_failed $t"
done
# The Python package against this tree's library: pytest's summary line
# ("3 failed, 95 passed, 2 skipped in 9.1s") gives the counts; a run without
# one (pytest missing, a collection error) counts as one failure.
if [ "${NO_PYTHON:-0}" != 1 ]; then
    top=$(cd "$(dirname "$0")/.." && pwd)
    out=$(cd "$top" && CPAE_LIB="$top/lib/libcpae.so.0" PYTHONPATH="$top/python" \
          PYTHONDONTWRITEBYTECODE=1 "${PYTHON:-/usr/bin/python3}" -m pytest -q \
          -p no:cacheprovider python/tests 2>&1); rc=$?
    printf '%s\n' "$out"
    line=$(printf '%s\n' "$out" | grep -E '^=* *[0-9]+ (passed|failed|error|errors|skipped)' |
           tail -n 1)
    count() { printf '%s\n' "$line" | grep -oE "[0-9]+ $1" | head -n 1 | cut -d' ' -f1; }
    p=$(count passed); f=$(count failed); e=$(count 'errors?')
    pf=$((${f:-0} + ${e:-0}))
    if [ -z "$line" ] || [ $rc -ne 0 ]; then
        [ $pf -gt 0 ] || pf=1
        progs_failed="$progs_failed pytest"
    fi
    passed=$((passed + ${p:-0})); failed=$((failed + pf))
    echo "suite python: ${p:-0} passed, $pf failed (pytest python/tests)"
fi
# Example programs run end to end (not under the sanitizer run).
if [ "${NO_PYTHON:-0}" != 1 ] && [ -x build/examples/table1 ]; then
    if out=$(sh "$(dirname "$0")/table1_smoke.sh" build/examples/table1 2>&1); then
        printf '%s\n' "$out" | tail -n 1; passed=$((passed + 1))
    else
        printf '%s\n' "$out"; failed=$((failed + 1)); progs_failed="$progs_failed table1_smoke.sh"
    fi
fi
# Every example program's command line: --help, refusals with status 2.
if [ "${NO_PYTHON:-0}" != 1 ] && [ -d build/examples ]; then
    if out=$(sh "$(dirname "$0")/examples_cli.sh" build/examples 2>&1); then
        printf '%s\n' "$out" | tail -n 1; passed=$((passed + 1))
    else
        printf '%s\n' "$out"; failed=$((failed + 1)); progs_failed="$progs_failed examples_cli.sh"
    fi
fi
# libcpae-mpi under mpirun (built by make check when Open MPI is there).
if [ "${NO_PYTHON:-0}" != 1 ] && [ -x build/test/check_mpi ] && command -v mpirun >/dev/null 2>&1
then
    out=$(sh "$(dirname "$0")/mpi/run.sh" 2>&1); rc=$?
    printf '%s\n' "$out" | grep -v '^[0-9]* passed, [0-9]* failed$'
    line=$(printf '%s\n' "$out" | grep -E '^[0-9]+ passed, [0-9]+ failed$' | tail -n 1)
    p=${line%% passed*}; f=${line#*passed, }; f=${f%% failed*}
    [ -n "$line" ] || { p=0; f=1; }
    passed=$((passed + p)); failed=$((failed + f))
    [ $rc -eq 0 ] || progs_failed="$progs_failed mpi/run.sh"
fi
[ -z "$progs_failed" ] || echo "failing:$progs_failed"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ -z "$progs_failed" ]
