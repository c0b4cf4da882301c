#!/bin/sh
# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
# check_version.sh -- one version everywhere: the header's macros, the
# library's runtime cpae_version_number / cpae_version_string, the soname
# (libcpae.so.MAJOR), the generated cpae.pc and a CHANGELOG.md entry.
# Usage: check_version.sh [LIBDIR] [HEADER_DIR]   (run from the repo root)
set -u
libdir=${1:-lib}
inc=${2:-include}
cc=${CC:-cc}
here=$(dirname "$0")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
macro() { sed -n "s/^#define CPAE_VERSION_$1 \\([0-9]*\\).*/\\1/p" "$inc/cpae.h"; }
version="$(macro MAJOR).$(macro MINOR).$(macro PATCH)"

# 1. header macros == runtime functions (compiled against the built library)
if "$cc" -std=c11 -Wall -Wextra -Werror -I"$inc" "$here/version_check.c" -o "$tmp/vc" \
        -L"$libdir" -lcpae -Wl,-rpath,"$(cd "$libdir" && pwd)" > "$tmp/log" 2>&1; then
    LD_LIBRARY_PATH="$libdir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" "$tmp/vc" || fail=1
else
    echo "FAIL: check_version: could not build version_check.c"; sed 's/^/    /' "$tmp/log"; fail=1
fi

# 2. soname
soname=$(objdump -p "$libdir/libcpae.so" 2>/dev/null | awk '$1 == "SONAME" { print $2 }')
if [ "$soname" = "libcpae.so.$(macro MAJOR)" ]; then
    echo "PASS: check_version: soname $soname"
else
    echo "FAIL: check_version: soname is '$soname', expected libcpae.so.$(macro MAJOR)"; fail=1
fi

# 3. pkg-config file
if [ -f "$libdir/cpae.pc" ]; then
    pcv=$(sed -n 's/^Version: *//p' "$libdir/cpae.pc")
    if [ "$pcv" = "$version" ]; then
        echo "PASS: check_version: cpae.pc Version $pcv"
    else
        echo "FAIL: check_version: cpae.pc Version '$pcv', header $version"; fail=1
    fi
fi

# 4. the changelog documents this version
if [ -f CHANGELOG.md ]; then
    if grep -q "^## \[$version\]" CHANGELOG.md; then
        echo "PASS: check_version: CHANGELOG.md has a [$version] entry"
    else
        echo "FAIL: check_version: CHANGELOG.md has no '## [$version]' entry"; fail=1
    fi
fi
exit $fail
