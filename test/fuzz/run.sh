#!/bin/sh
# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
# run.sh -- `make fuzz`: run each libFuzzer harness for a fixed number of
# executions over its seed corpus (test/fuzz/corpus/NAME, read only; new
# inputs go to a scratch corpus under build/fuzz/). A crash, a leak or a
# harness abort fails the run; the crashing input is left in build/fuzz/.
# Usage: run.sh RUNS HARNESS...   (harnesses are build/fuzz/fuzz_NAME)
set -u
runs=$1; shift
passed=0 failed=0
for h in "$@"; do
    name=${h##*/fuzz_}
    seeds=test/fuzz/corpus/$name
    scratch=build/fuzz/corpus_$name
    mkdir -p "$scratch"
    log=build/fuzz/$name.log
    if (cd build/fuzz && "./fuzz_$name" -runs="$runs" -max_len=65536 -rss_limit_mb=2048 \
            -timeout=20 -print_final_stats=1 "corpus_$name" "../../$seeds") >"$log" 2>&1; then
        execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
        echo "PASS: fuzz_$name: ${execs:-?} executions, no crash"
        passed=$((passed + 1))
    else
        echo "FAIL: fuzz_$name (see $log)"; tail -n 30 "$log"
        failed=$((failed + 1))
    fi
done
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
