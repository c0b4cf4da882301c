# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""Loading the library, version checks, the binding's coverage."""

import os
import re
import shutil
import subprocess
import sys

import pytest

import cpae
from cpae import _lib

from conftest import PYDIR


def header_version(repo):
    text = open(os.path.join(repo, "include", "cpae.h")).read()
    parts = [re.search(r"^#define CPAE_VERSION_%s (\d+)" % k, text, re.M).group(1)
             for k in ("MAJOR", "MINOR", "PATCH")]
    string = re.search(r'^#define CPAE_VERSION_STRING "(.*)"', text, re.M).group(1)
    return ".".join(parts), string


def test_binding_covers_the_whole_exported_api(repo):
    lib = _lib.lib
    assert not lib.missing, "not exported by %s: %s" % (lib.path, lib.missing)
    expected = set(open(os.path.join(repo, "test", "abi", "libcpae.symbols")).read().split())
    bound = set(_lib.BOUND_FUNCTIONS)
    assert expected == bound, ("unbound: %s; bound but not in the ABI list: %s"
                               % (sorted(expected - bound), sorted(bound - expected)))
    for name in _lib.BOUND_FUNCTIONS:
        fn = getattr(lib, name)
        assert fn.argtypes is not None, name
        assert fn.restype is not None or name.endswith("_destroy"), name


def test_versions_agree(repo):
    num, s = cpae.version_number(), cpae.version()
    major, minor, patch = (int(v) for v in s.split("."))
    assert num == major * 10000 + minor * 100 + patch
    parts, string = header_version(repo)
    assert parts == string == s, "header %s / %s, library %s" % (parts, string, s)
    # The package's version is kept equal to the header's (pyproject reads it
    # from cpae/_version.py).
    assert cpae.__version__ == string
    assert s in cpae.build_info()


def test_pyproject_takes_the_version_from_the_package():
    text = open(os.path.join(PYDIR, "pyproject.toml")).read()
    assert re.search(r'dynamic\s*=\s*\[\s*"version"\s*\]', text)
    assert 'version = {attr = "cpae._version.__version__"}' in text


def test_missing_function_names_itself():
    with pytest.raises(AttributeError, match="cpae_no_such_function is not exported"):
        _lib.lib.cpae_no_such_function


def run_python(code, env_update, cwd=None, unset=()):
    env = dict(os.environ)
    for k in unset:
        env.pop(k, None)
    env.update(env_update)
    return subprocess.run([sys.executable, "-c", code], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def test_cpae_lib_that_does_not_load_is_an_import_error_saying_what_to_do(tmp_path):
    bad = str(tmp_path / "nope" / "libcpae.so.0")
    r = run_python("import cpae", {"CPAE_LIB": bad, "PYTHONPATH": PYDIR}, cwd="/")
    assert r.returncode != 0
    assert "cpae.errors.LibraryNotFoundError" in r.stderr
    assert "CPAE_LIB=%s" % bad in r.stderr
    for fix in ("make", "make install", "CPAE_LIB=/path/to/lib/libcpae.so.0"):
        assert fix in r.stderr, r.stderr


def test_library_found_without_cpae_lib():
    # From the checkout: the installed soname if there is one, else ../../lib.
    r = run_python("import cpae; print(cpae.library_path()); print(cpae._lib.lib.how)",
                   {"PYTHONPATH": PYDIR}, cwd="/", unset=("CPAE_LIB",))
    assert r.returncode == 0, r.stderr
    path, how = r.stdout.strip().splitlines()
    checkout = os.path.join(os.path.dirname(PYDIR), "lib", "libcpae.so.0")
    assert (path, how) in ((checkout, "the checkout's build tree"),
                           ("libcpae.so.0", "installed soname (ld.so search)")), (path, how)


def test_nothing_found_lists_every_attempt(tmp_path):
    # The package alone, outside a checkout, with no installed library.
    probe = run_python("import ctypes; ctypes.CDLL('libcpae.so.0')", {},
                       unset=("CPAE_LIB", "LD_LIBRARY_PATH"))
    if probe.returncode == 0:
        pytest.skip("libcpae.so.0 is installed on this machine")
    shutil.copytree(os.path.join(PYDIR, "cpae"), str(tmp_path / "site" / "cpae"),
                    ignore=shutil.ignore_patterns("__pycache__"))
    r = run_python("import cpae", {"PYTHONPATH": str(tmp_path / "site")},
                   cwd=str(tmp_path), unset=("CPAE_LIB", "LD_LIBRARY_PATH"))
    assert r.returncode != 0
    err = r.stderr
    assert "CPAE_LIB: not set" in err
    assert "ctypes.CDLL('libcpae.so.0')" in err
    assert str(tmp_path / "lib" / "libcpae.so.0") in err and "no such file" in err
    assert "sudo make install" in err and "CPAE_LIB=" in err
