#!/bin/sh
# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
# check_header.sh -- include/cpae.h is self-contained and warning-free:
# compiled alone (and included twice) as C99 and C11 with -pedantic, and as
# C++11, each with warnings as errors. Usage: check_header.sh [HEADER_DIR]
set -u
inc=${1:-include}
cc=${CC:-cc}
cxx=${CXX:-g++}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
printf '#include "cpae.h"\n#include "cpae.h"\nint cpae_header_check_anchor;\n' > "$tmp/t.c"
cp "$tmp/t.c" "$tmp/t.cpp"

try() { # try NAME COMMAND...
    name=$1; shift
    if "$@" > "$tmp/log" 2>&1; then
        echo "PASS: check_header: $name"
    else
        echo "FAIL: check_header: $name"; sed 's/^/    /' "$tmp/log"; fail=1
    fi
}
CWARN="-Wall -Wextra -Werror -Wstrict-prototypes -Wmissing-prototypes -Wshadow"
# shellcheck disable=SC2086  # CWARN is a list of flags
try "C99 -pedantic"  "$cc" -std=c99 -pedantic $CWARN -I"$inc" -c "$tmp/t.c" -o "$tmp/c99.o"
# shellcheck disable=SC2086
try "C11 -pedantic"  "$cc" -std=c11 -pedantic $CWARN -I"$inc" -c "$tmp/t.c" -o "$tmp/c11.o"
if command -v "$cxx" >/dev/null 2>&1; then
    try "C++11 -pedantic" "$cxx" -std=c++11 -pedantic -Wall -Wextra -Werror -I"$inc" \
        -c "$tmp/t.cpp" -o "$tmp/cxx.o"
else
    echo "FAIL: check_header: C++ compiler '$cxx' not found (install g++)"; fail=1
fi
exit $fail
