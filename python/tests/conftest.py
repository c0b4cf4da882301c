# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""Shared fixtures of the cpae package tests.

Run from the repository as test/run.sh does:
    CPAE_LIB=$PWD/lib/libcpae.so.0 PYTHONPATH=python /usr/bin/python3 -m pytest -q python/tests
(without PYTHONPATH this file puts python/ on sys.path; without CPAE_LIB
the package finds the installed library or the checkout's lib/).
"""

import os
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
PYDIR = os.path.dirname(HERE)
REPO = os.path.dirname(PYDIR)
if PYDIR not in sys.path:
    sys.path.insert(0, PYDIR)

import cpae  # noqa: E402

WIDTHS = [8, 16, 4]
SEED = 20261124


@pytest.fixture(scope="session")
def repo():
    """The source tree's root (tests that need files of it skip outside one)."""
    if not os.path.exists(os.path.join(REPO, "include", "cpae.h")):
        pytest.skip("not running from a libcpae source tree")
    return REPO


@pytest.fixture
def rng():
    return np.random.default_rng(SEED)


def make_model(widths=WIDTHS, activation="relu", seed=SEED):
    """A mirrored model with non-zero biases whose double weights equal the
    float32 values NumPy reads (rounded once through the float32 API)."""
    r = np.random.default_rng(seed)
    m = cpae.Model.create_mirrored(widths, activation, seed=seed)
    for stack in ("encoder", "decoder"):
        for i in range(m.n_layers(stack)):
            w, b = m.get_layer_params(stack, i)
            m.set_layer_params(stack, i, w, (r.standard_normal(b.shape) * 0.1).astype(np.float32))
    return m


@pytest.fixture
def model():
    m = make_model()
    yield m
    m.close()


@pytest.fixture
def X(rng):
    return rng.standard_normal((32, WIDTHS[0])).astype(np.float32)


def np_stack(m, stack, p):
    """Forward pass of one stack in float64 NumPy: (output, list of the
    pre-activations z of the non-identity layers)."""
    a = np.asarray(p, np.float64)
    zs = []
    for i in range(m.n_layers(stack)):
        w, b = m.get_layer_params(stack, i)
        info = m.layer_info(stack, i)
        z = w.astype(np.float64) @ a + b
        if info.activation == cpae.Activation.IDENTITY:
            a = z
        else:
            zs.append(z)
            if info.activation == cpae.Activation.RELU:
                a = np.maximum(z, 0.0)
            elif info.activation == cpae.Activation.LEAKY_RELU:
                a = np.where(z > 0, z, info.alpha * z)
            else:
                a = np.abs(z)
    return a, zs


def rel_err(a, b):
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    return float(np.linalg.norm(a - b) / max(1.0, np.linalg.norm(b)))
