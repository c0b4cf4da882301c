#!/usr/bin/python3
# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""sitedir.py PREFIX -- print the directory under PREFIX where this
interpreter imports pure-Python packages from (used by `make install` for
the cpae package; override with PYTHONDIR=...).

Among the interpreter's install schemes (Debian's deb_system and
posix_local, and the standard posix_prefix), the first whose purelib
directory, computed for PREFIX, is on sys.path wins: on Debian PREFIX=/usr
gives /usr/lib/python3/dist-packages and PREFIX=/usr/local gives
/usr/local/lib/python3.X/dist-packages. For any other prefix (on no
sys.path) it is posix_prefix's PREFIX/lib/python3.X/site-packages, and
`python3 sitedir.py --check DIR` tells whether DIR is on sys.path.
"""

import os
import sys
import sysconfig


def candidates(prefix):
    schemes = sysconfig.get_scheme_names()
    out = []
    for scheme, base in (("deb_system", prefix), ("posix_local", prefix),
                         ("posix_local", prefix[:-len("/local")] if prefix.endswith("/local")
                          else None),
                         ("posix_prefix", prefix)):
        if base is None or scheme not in schemes:
            continue
        out.append(sysconfig.get_path("purelib", scheme, vars={"base": base, "platbase": base}))
    return out


def on_path(d):
    norm = os.path.normpath
    return any(norm(p) == norm(d) for p in sys.path if p)


def main(argv):
    if len(argv) == 3 and argv[1] == "--check":
        return 0 if on_path(argv[2]) else 1
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    prefix = os.path.normpath(argv[1]) if argv[1] != "/" else "/"
    cands = candidates(prefix)
    for d in cands:
        if on_path(d):
            print(d)
            return 0
    fallback = sysconfig.get_path("purelib", "posix_prefix",
                                  vars={"base": prefix, "platbase": prefix})
    print(fallback)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
