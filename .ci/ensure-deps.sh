#!/bin/sh
# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
# ensure-deps.sh -- make sure the Debian packages libcpae needs are present.
# Usage: ensure-deps.sh [--no-install] [build|check|docs|figures|all]...
# (several sets may be named; build is always included). Installs what is
# missing with apt-get when run as root; otherwise prints the exact command
# to run and exits 1. With --no-install (plain `make`) it never installs:
# it prints the command (and `make deps`) and exits 1.
set -u
install=yes
what=""
for a in "$@"; do
    case "$a" in
    --no-install) install=no ;;
    build|check|docs|figures|all) what="$what $a" ;;
    *) echo "ensure-deps.sh: unknown set '$a'" >&2; exit 2 ;;
    esac
done
wants() { case " $what " in *" $1 "*|*" all "*) return 0 ;; esac; return 1; }
missing=""

need_pc() { # need_pc PKGCONFIG-NAME DEBIAN-PACKAGE
    if ! command -v pkg-config >/dev/null 2>&1 || ! pkg-config --exists "$1"; then
        missing="$missing $2"
    fi
}

# want_py MODULE DEBIAN-PACKAGE: wanted, not required: installed with the
# rest when run as root; otherwise a note (the tests needing it skip).
optional=""
want_py() {
    [ -x /usr/bin/python3 ] && /usr/bin/python3 -c \
        "import importlib.util as u, sys; sys.exit(u.find_spec('$1') is None)" 2>/dev/null && return
    if [ "$(id -u)" = 0 ]; then missing="$missing $2"; else optional="$optional $2"; fi
}

command -v pkg-config >/dev/null 2>&1 || missing="$missing pkg-config"
# BLAS and LAPACK through Debian's alternatives (blas.pc, libblas.so.3);
# libopenblas-dev provides them with OpenBLAS, and the cblas.h we build with.
need_pc blas libopenblas-dev
need_pc openblas libopenblas-dev
need_pc lapacke liblapacke-dev
need_pc zlib zlib1g-dev
need_pc gsl libgsl-dev
need_pc jansson libjansson-dev
if wants check; then
    need_pc check check
    [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import numpy' >/dev/null 2>&1 ||
        missing="$missing python3-numpy"
    # python/tests (pytest): torch interop, tqdm progress bar, the README's
    # figure; .ci/run's pip install check builds in a venv (setuptools, wheel).
    [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import pytest' >/dev/null 2>&1 ||
        missing="$missing python3-pytest"
    want_py torch python3-torch
    want_py tqdm python3-tqdm
    want_py matplotlib python3-matplotlib
    want_py ensurepip python3-venv
    want_py setuptools python3-setuptools
    want_py wheel python3-wheel
    # libcpae-mpi's tests (mpirun -np 1, 2, 3): Open MPI.
    if ! pkg-config --exists mpi-c 2>/dev/null || ! command -v mpirun >/dev/null 2>&1; then
        if [ "$(id -u)" = 0 ]; then missing="$missing libopenmpi-dev openmpi-bin"
        else optional="$optional libopenmpi-dev openmpi-bin"; fi
    fi
    # The ABI checks compile the header as C++ and read symbols with nm.
    command -v g++ >/dev/null 2>&1 || missing="$missing g++"
    command -v nm >/dev/null 2>&1 || missing="$missing binutils"
    # make CC=clang check and make fuzz (libFuzzer ships with clang).
    command -v clang >/dev/null 2>&1 || missing="$missing clang"
fi
if wants figures; then
    # make demo and make figures draw with matplotlib through Debian's Python.
    [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import numpy' >/dev/null 2>&1 ||
        missing="$missing python3-numpy"
    [ -x /usr/bin/python3 ] && /usr/bin/python3 -c 'import matplotlib' >/dev/null 2>&1 ||
        missing="$missing python3-matplotlib"
fi
if wants docs; then
    command -v doxygen >/dev/null 2>&1 || missing="$missing doxygen"
fi

[ -z "$optional" ] ||
    echo "libcpae: optional, the tests needing them skip: sudo apt-get install -y$optional" >&2
[ -z "$missing" ] && exit 0
# Duplicates are possible (pkg-config reported twice): keep each name once.
missing=$(printf '%s\n' $missing | sort -u | tr '\n' ' ')
sudo="sudo "
[ "$(id -u)" = 0 ] && sudo=""
if [ "$install" = yes ] && [ -z "$sudo" ] && command -v apt-get >/dev/null 2>&1; then
    echo "libcpae: installing missing packages:$missing" | sed 's/  */ /g'
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null && apt-get install -y -qq $missing >/dev/null ||
        { echo "libcpae: apt-get install failed for: $missing" >&2; exit 1; }
    exit 0
fi
echo "libcpae: missing packages. Run:" >&2
echo "    ${sudo}apt-get install -y $missing" >&2
[ "$install" = yes ] || echo "or ${sudo}make deps (installs everything for make, make check and make demo)" >&2
exit 1
