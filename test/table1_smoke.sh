#!/bin/sh
# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
# table1_smoke.sh -- examples/table1 end to end on a tiny budget: PCA, the
# mean and every autoencoder method under the selection protocol on the
# shipped UCR data, Markdown on stdout, CSV and JSON files, runs split over
# seeds merged, and every refusal of a bad command line with status 2.
# Prints "ok ..." and exits 0 on success.
set -eu
bin=${1:-build/examples/table1}
out=$(mktemp -d "${TMPDIR:-/tmp}/cpae-table1.XXXXXX")
trap 'rm -rf "$out"' EXIT
"$bin" -q --steps 6 --patience 0 -s 2 -w 16,4 --max-test 50 --csv "$out/t.csv" \
    --json "$out/t.json" --md "$out/t.md" examples/data/ucr/SyntheticControl \
    examples/data/ucr/CBF > "$out/stdout"
grep -q '| SyntheticControl (300/50, 60) |' "$out/stdout"
grep -q '| CBF (30/50, 128) |' "$out/stdout"
grep -q 'Lie (exact)' "$out/t.md"
grep -q '| PCA | Mean |' "$out/t.md"
grep -q 'one-sided' "$out/t.md"
# 2 data sets x 7 methods x 2 seeds, plus the header line
test "$(wc -l < "$out/t.csv")" -eq 29
# the selected hyperparameters are recorded per run
grep -q '^CBF,0,30,50,128,lie-local,1,.*w_lie_local=.*;best_step=' "$out/t.csv"
grep -q '^CBF,0,30,50,128,pca,2,.*,k=4$' "$out/t.csv"
grep -q '"method": "lie-local"' "$out/t.json"
py=/usr/bin/python3; [ -x "$py" ] || py=python3
"$py" -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d['results'])==14; \
assert all(len(r['runs'])==2 for r in d['results']); \
assert 'selected' in d['results'][0]['runs'][0]" "$out/t.json"
# A run split over seeds merges into the same table: seeds 1-2 above,
# seed 3 here.
"$bin" -q --steps 6 -s 1 --first-seed 3 -w 16,4 --max-test 50 -m pca,ae,lie-local \
    --csv "$out/t3.csv" examples/data/ucr/CBF > /dev/null
grep -q '^CBF,0,30,50,128,lie-local,3,' "$out/t3.csv"
"$bin" --merge --csv "$out/m.csv" "$out/t.csv" "$out/t3.csv" > "$out/merged"
grep -q '| CBF (30/50, 128) |' "$out/merged"
test "$(grep -c '^CBF,0,30,50,128,ae,' "$out/m.csv")" -eq 3
# Lists of samplers / forms become grid axes, chosen on validation and
# recorded with the other selected values.
"$bin" -q --steps 6 -s 1 -w 16,4 --max-test 50 -m lie-local,lie-exact \
    --sampler data,ball --form plain,tangent --csv "$out/axes.csv" \
    examples/data/ucr/CBF > /dev/null
grep -q '^CBF,0,30,50,128,lie-local,1,.*;lie_sampler=[01];lie_form=[01];best_step=' "$out/axes.csv"
grep -q '^CBF,0,30,50,128,lie-exact,1,.*;lie_form=[01];best_step=' "$out/axes.csv"
# The same (data set, method, seed) twice is refused.
if "$bin" --merge "$out/t3.csv" "$out/t3.csv" > /dev/null 2>&1; then exit 1; fi
# Bad command lines exit with status 2 and say why.
expect2() {
    rc=0
    "$bin" "$@" examples/data/ucr/CBF > /dev/null 2> "$out/err" || rc=$?
    [ "$rc" -eq 2 ] || { echo "table1 $*: exit $rc, expected 2"; exit 1; }
    test -s "$out/err"
}
expect2 -m ae,bogus
expect2 -e abc
expect2 -e 10x
expect2 --sampler bogus
expect2 --form sideways
expect2 --sampler data,data
expect2 --sampler ball,
expect2 --form plain,,tangent
expect2 --steps -5
expect2 -s 0
expect2 --valid 1.5
expect2 --no-such-option
expect2 -w 16,,4x
rc=0; "$bin" > /dev/null 2>&1 || rc=$?; [ "$rc" -eq 2 ]
"$bin" --help | grep -q 'Usage: table1'
# A missing data set is an error with a message, not a crash.
if "$bin" -q --steps 1 -s 1 /nonexistent/Foo > /dev/null 2> "$out/err"; then exit 1; fi
grep -q 'no Foo_TRAIN.tsv' "$out/err"
echo "ok table1 end to end on a tiny budget (2 data sets x 7 methods x 2 seeds, Markdown/CSV/JSON, split seeds merged, bad options refused with status 2)"
