#!/bin/sh
# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
# run.sh -- run each Check test program, then the Python FFI smoke test and
# the example programs' checks (table1 end to end, every program's command
# line), and print one closing line "N passed, N failed" (N counts Check
# tests, plus one for each of the other three). After
# each program one line lists its suite (one suite per module):
#   suite core: 32 checks, 0 failures
# (failures counts Check's failures and errors).
# Usage: run.sh TEST_BINARY...   (PYTHON=..., NO_PYTHON=1 to skip the FFI test)
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
if [ "${NO_PYTHON:-0}" != 1 ]; then
    here=$(dirname "$0")
    if out=$(${PYTHON:-python3} "$here/test_ctypes.py" 2>&1); then
        printf '%s\n' "$out"; passed=$((passed + 1))
    else
        printf '%s\n' "$out"; failed=$((failed + 1)); progs_failed="$progs_failed test_ctypes.py"
    fi
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
[ -z "$progs_failed" ] || echo "failing:$progs_failed"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ -z "$progs_failed" ]
