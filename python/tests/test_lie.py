# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""Lie generators: creation, kinds, get/set, expm, orbits, cosine."""

import numpy as np
import pytest

import cpae


def expm_series(a):
    """exp(a) by scaling and squaring a Taylor series (float64)."""
    s = max(0, int(np.ceil(np.log2(max(np.linalg.norm(a, 1), 1e-300)))) + 1)
    b = a / 2.0 ** s
    out, term = np.eye(len(a)), np.eye(len(a))
    for k in range(1, 30):
        term = term @ b / k
        out = out + term
    for _ in range(s):
        out = out @ out
    return out


def test_create_and_kinds():
    lie = cpae.Lie(6, 2, "skew", seed=3)
    assert (lie.d, lie.k, lie.kind) == (6, 2, cpae.LieParam.SKEW)
    assert lie.trainable and repr(lie) == "Lie(d=6, k=2, kind=skew)"
    assert cpae.Lie.kinds() == [cpae.LieParam.GENERAL, cpae.LieParam.SKEW, cpae.LieParam.FIXED]
    g = lie.generators
    assert g.shape == (2, 6, 6) and g.dtype == np.float32
    assert np.allclose(g, -g.transpose(0, 2, 1), atol=1e-6)
    flat = g.reshape(2, -1).astype(np.float64)
    assert np.allclose(flat @ flat.T, np.eye(2), atol=1e-5)  # orthonormal, unit norm
    assert np.array_equal(cpae.Lie(6, 2, "skew", seed=3).generators, g)
    fixed = cpae.Lie(6, 1, "fixed")
    assert not fixed.trainable
    with pytest.raises(cpae.InvalidError):
        fixed.trainable = True
    lie.trainable = False
    assert not lie.trainable and "not trainable" in repr(lie)
    assert lie.clone().trainable is False
    with pytest.raises(cpae.SizeError):
        cpae.Lie(2, 5)  # k > d*d


def test_set_get_normalise_and_refuse():
    r = np.random.default_rng(0)
    a = r.standard_normal((5, 5))
    lie = cpae.Lie(5, 1, "general")
    lie.set(3.0 * a)
    g = lie.get(0)
    assert np.allclose(g, a / np.linalg.norm(a), atol=1e-6)
    assert np.array_equal(lie.get(), lie.generators)
    skew = cpae.Lie(5, 1, "skew")
    before = skew.generators
    with pytest.raises(cpae.InvalidError, match="skew"):
        skew.set(a)              # not skew-symmetric
    assert np.array_equal(skew.generators, before)  # unchanged
    with pytest.raises(cpae.SizeError):
        skew.set(np.zeros((4, 4)))
    bad = a - a.T
    bad[0, 1] = np.nan
    with pytest.raises(cpae.NonFiniteError):
        skew.set(bad)
    lie2 = cpae.Lie.from_generators(a - a.T, "skew", trainable=False)
    assert lie2.kind == cpae.LieParam.SKEW and not lie2.trainable


def test_expm_orbit_and_shift_generator():
    d = 9
    g = cpae.shift_generator(d)
    assert g.shape == (d, d) and np.allclose(g, -g.T, atol=1e-6)
    assert np.array_equal(cpae.Lie.shift_generator(d), g)
    lie = cpae.Lie.from_generators(g, "skew")
    gn = lie.get(0).astype(np.float64)
    scale = np.linalg.norm(g.astype(np.float64))
    theta = 2.0 * scale            # a shift by 2 samples after normalisation
    e = lie.expm(theta)
    assert e.shape == (d, d) and e.dtype == np.float32
    assert np.allclose(e, expm_series(theta * gn), atol=1e-5)
    assert np.allclose(e @ e.T, np.eye(d), atol=1e-5)   # orthogonal: skew generator
    x0 = np.sin(2 * np.pi * np.arange(d) / d)           # band-limited, period d
    shifted = e @ x0
    assert np.allclose(shifted, np.roll(x0, 2), atol=1e-4)
    orbit = lie.orbit(x0, [0.0, theta, 2 * theta])
    assert orbit.shape == (3, d)
    assert np.allclose(orbit[0], x0, atol=1e-6) and np.allclose(orbit[1], shifted, atol=1e-5)
    with pytest.raises(cpae.InvalidError):
        lie.orbit(x0, [0.0], j=1)


def test_cosine():
    d = 6
    lie = cpae.Lie.from_generators(cpae.shift_generator(d), "skew")
    c = lie.cosine(cpae.shift_generator(d))
    assert abs(c.full - 1.0) < 1e-6 and np.isnan(c.restricted)
    other = cpae.Lie(d, 1, "skew", seed=9).get(0)
    pts = np.random.default_rng(1).standard_normal((20, d))
    c2 = lie.cosine(other, points=pts)
    assert 0.0 <= c2.full < 1.0 and 0.0 <= c2.restricted <= 1.0
