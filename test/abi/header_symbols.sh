#!/bin/sh
# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
# header_symbols.sh -- print the sorted names of the functions cpae.h declares
# with CPAE_API (one a line). Usage: header_symbols.sh [HEADER]
# The header is run through the preprocessor (comments and the #if blocks
# that define CPAE_API disappear), then each CPAE_API declaration is cut at
# its first '(' and the last identifier before it is the name.
set -eu
hdr=${1:-include/cpae.h}
cc=${CC:-cc}
"$cc" -E -P -D'CPAE_API=__cpae_api_marker__' -DCPAE_NODISCARD= -x c "$hdr" |
    tr '\n' ' ' |
    grep -oE '__cpae_api_marker__[^;(]*\(' |
    sed -E 's/^.*[^A-Za-z0-9_]([A-Za-z_][A-Za-z0-9_]*)[[:space:]]*\($/\1/' |
    LC_ALL=C sort
