# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""The package version: always equal to CPAE_VERSION_STRING of include/cpae.h.

python/tests/test_loading.py checks the two agree, so a version bump in the
header fails `make check` until this line follows it.
"""

__version__ = "0.7.0"
