#!/bin/sh
# table1_smoke.sh -- examples/table1 end to end on a tiny budget: every
# method on the shipped UCR data, Markdown on stdout, CSV and JSON files.
# Prints "ok ..." and exits 0 on success.
set -eu
bin=${1:-build/examples/table1}
out=$(mktemp -d "${TMPDIR:-/tmp}/cpae-table1.XXXXXX")
trap 'rm -rf "$out"' EXIT
"$bin" -q -e 2 -s 2 -w 16,4 --max-test 50 --csv "$out/t.csv" --json "$out/t.json" \
    --md "$out/t.md" examples/data/ucr/SyntheticControl examples/data/ucr/CBF > "$out/stdout"
grep -q '| SyntheticControl (300/50, 60) |' "$out/stdout"
grep -q '| CBF (30/50, 128) |' "$out/stdout"
grep -q 'Lie (exact)' "$out/t.md"
# 2 data sets x 5 methods x 2 seeds, plus the header line
test "$(wc -l < "$out/t.csv")" -eq 21
grep -q '"method": "lie-local"' "$out/t.json"
/usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d['results'])==10" "$out/t.json" 2>/dev/null ||
    python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert len(d['results'])==10" "$out/t.json"
# A run split over seeds merges into the same table: seeds 1-2 above,
# seed 3 here; the merged CSV has 3 seeds per cell and a seconds column.
"$bin" -q -e 2 -s 1 --first-seed 3 -w 16,4 --max-test 50 -m ae,lie-local \
    --csv "$out/t3.csv" examples/data/ucr/CBF > /dev/null
grep -q '^CBF,30,50,128,lie-local,3,' "$out/t3.csv"
py=/usr/bin/python3; [ -x "$py" ] || py=python3
"$py" examples/table1_merge.py --csv "$out/m.csv" "$out/t.csv" "$out/t3.csv" > "$out/merged"
grep -q '| CBF (30/50, 128) |.*(3) |' "$out/merged"
test "$(grep -c '^CBF,30,50,128,ae,' "$out/m.csv")" -eq 3
# The same (data set, method, seed) twice is refused.
if "$py" examples/table1_merge.py "$out/t3.csv" "$out/t3.csv" > /dev/null 2>&1; then exit 1; fi
# A missing data set is an error with a message, not a crash.
if "$bin" -q -e 1 -s 1 /nonexistent/Foo > /dev/null 2> "$out/err"; then exit 1; fi
grep -q 'no Foo_TRAIN.tsv' "$out/err"
echo "ok table1 end to end on a tiny budget (2 data sets x 5 methods x 2 seeds, Markdown/CSV/JSON, split seeds merged)"
