#!/bin/sh
# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
# post-install.sh -- the last step of `make install`: make sure programs can
# find libcpae.so.MAJOR. Usage: DESTDIR=... post-install.sh LIBDIR
# Runs ldconfig when DESTDIR is empty, the user is root and LIBDIR is one of
# the dynamic linker's directories (built in, or listed in /etc/ld.so.conf
# and /etc/ld.so.conf.d); otherwise prints one line saying what to do.
set -u
libdir=$1
dest=${DESTDIR:-}
ldconfig=$(command -v ldconfig 2>/dev/null || echo /sbin/ldconfig)

# ldconfig -v -N lists the directories it scans ("DIR: (from FILE:LINE)")
# without rebuilding the cache (so it runs as any user); -ef compares
# inodes, so /lib and /usr/lib match on a merged-/usr system.
searched=no
if [ -x "$ldconfig" ]; then
    for d in $("$ldconfig" -v -N -X 2>/dev/null | sed -n 's|^\(/[^:]*\):.*|\1|p'); do
        if [ "$d" -ef "$libdir" ]; then searched=yes; break; fi
    done
fi

if [ "$searched" = yes ] && [ -z "$dest" ] && [ "$(id -u)" = 0 ]; then
    "$ldconfig" || { echo "libcpae: ldconfig failed" >&2; exit 1; }
    echo "libcpae: ran ldconfig ($libdir is on the dynamic linker's path)"
elif [ "$searched" = yes ] && [ -z "$dest" ]; then
    echo "libcpae: $libdir is on the dynamic linker's path: run 'sudo ldconfig' once so programs find libcpae.so"
elif [ "$searched" = yes ]; then
    echo "libcpae: staged in DESTDIR=$dest; once in $libdir, run ldconfig as root so programs find libcpae.so"
else
    echo "libcpae: $libdir is not on the dynamic linker's path: run programs with LD_LIBRARY_PATH=$libdir, link them with -Wl,-rpath,$libdir, or add $libdir to a file in /etc/ld.so.conf.d/ and run ldconfig"
fi
