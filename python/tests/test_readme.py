# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""The README's Python example runs as written (so it cannot rot)."""

import os
import re
import subprocess
import sys

import pytest

from conftest import PYDIR


def readme_example(repo):
    text = open(os.path.join(repo, "README.md")).read()
    section = text[text.index("## Use from Python"):]
    section = section[:section.index("\n## ", 3)]
    blocks = re.findall(r"```python\n(.*?)```", section, re.S)
    assert len(blocks) == 1, "expected one python block in README's 'Use from Python'"
    return blocks[0]


def test_readme_example_runs(repo, tmp_path):
    pytest.importorskip("matplotlib")
    code = readme_example(repo)
    assert len(code.strip().splitlines()) <= 20
    # Run it where it says (the repository's relative data paths) but write
    # the figure into a temporary directory: examples/ is linked there.
    os.symlink(os.path.join(repo, "examples"), str(tmp_path / "examples"))
    env = dict(os.environ, MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1",
               PYTHONPATH=PYDIR + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-c", code], cwd=str(tmp_path), env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert re.match(r"test MSE \d+\.\d+ \(PCA \d+\.\d+\), \d+ regions for 900 test series$",
                    r.stdout.strip()), r.stdout
    png = tmp_path / "cbf.png"
    assert png.exists() and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_package_readme_example_runs(tmp_path):
    text = open(os.path.join(PYDIR, "README.md")).read()
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) == 1
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1",
               PYTHONPATH=PYDIR + os.pathsep + os.environ.get("PYTHONPATH", ""))
    r = subprocess.run([sys.executable, "-c", blocks[0]], cwd=str(tmp_path), env=env,
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    assert r.stdout.startswith("100 [")
