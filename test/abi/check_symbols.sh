#!/bin/sh
# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
# check_symbols.sh -- the exported ABI of lib/libcpae.so.
#   1. every dynamic symbol the library defines is a function named cpae_*
#      (no cpae__* internals, no foreign names, no exported data);
#   2. the exported functions, the CPAE_API declarations of include/cpae.h and
#      test/abi/libcpae.symbols (the reviewed list) are the same three sets.
# Usage: check_symbols.sh [LIB] [HEADER]       (run from the repo root)
#        check_symbols.sh --update              rewrite libcpae.symbols from
#                                               the header (then review the diff)
set -eu
here=$(dirname "$0")
expected="$here/libcpae.symbols"
if [ "${1:-}" = "--update" ]; then
    sh "$here/header_symbols.sh" include/cpae.h > "$expected"
    echo "wrote $expected ($(wc -l < "$expected") symbols)"
    exit 0
fi
lib=${1:-lib/libcpae.so}
hdr=${2:-include/cpae.h}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() { echo "FAIL: check_symbols: $*"; fail=1; }

[ -e "$lib" ] || { echo "FAIL: check_symbols: $lib not found (build it first)"; exit 1; }
command -v nm >/dev/null 2>&1 || { echo "FAIL: check_symbols: nm not found (binutils)"; exit 1; }

# "ADDR TYPE NAME[@@VERSION]"; the version node itself is an absolute (A)
# symbol named after the version script's node, not part of the API.
nm -D --defined-only "$lib" | awk '{ sub(/@.*/, "", $3); print $2, $3 }' |
    grep -v '^A LIBCPAE_' > "$tmp/nm" || true

awk '$2 !~ /^cpae_/ || $2 ~ /^cpae__/ { print $2 }' "$tmp/nm" > "$tmp/foreign"
if [ -s "$tmp/foreign" ]; then
    bad "symbols exported that are not public cpae_* names:"
    sed 's/^/    /' "$tmp/foreign"
fi
awk '$1 != "T" { print $1, $2 }' "$tmp/nm" > "$tmp/nonfunc"
if [ -s "$tmp/nonfunc" ]; then
    bad "exported symbols that are not functions (type, name):"
    sed 's/^/    /' "$tmp/nonfunc"
fi

awk '$1 == "T" { print $2 }' "$tmp/nm" | LC_ALL=C sort -u > "$tmp/lib"
sh "$here/header_symbols.sh" "$hdr" | LC_ALL=C sort -u > "$tmp/hdr"
[ -s "$tmp/hdr" ] || bad "no CPAE_API declarations found in $hdr"
LC_ALL=C sort -u "$expected" > "$tmp/exp"

compare() { # compare A-FILE A-NAME B-FILE B-NAME
    LC_ALL=C comm -23 "$1" "$3" > "$tmp/only"
    if [ -s "$tmp/only" ]; then
        bad "in $2 but not in $4:"; sed 's/^/    /' "$tmp/only"
    fi
}
compare "$tmp/hdr" "$hdr" "$tmp/lib" "$lib"
compare "$tmp/lib" "$lib" "$tmp/hdr" "$hdr"
compare "$tmp/hdr" "$hdr" "$tmp/exp" "$expected"
compare "$tmp/exp" "$expected" "$tmp/hdr" "$hdr"

if [ $fail -ne 0 ]; then
    echo "     (if the API change is intended: sh $0 --update, review, commit)"
    exit 1
fi
echo "PASS: check_symbols: $(wc -l < "$tmp/lib") exported functions, all cpae_*, match $hdr and $expected"
