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
# A missing data set is an error with a message, not a crash.
if "$bin" -q -e 1 -s 1 /nonexistent/Foo > /dev/null 2> "$out/err"; then exit 1; fi
grep -q 'no Foo_TRAIN.tsv' "$out/err"
echo "ok table1 end to end on a tiny budget (2 data sets x 5 methods x 2 seeds, Markdown/CSV/JSON)"
