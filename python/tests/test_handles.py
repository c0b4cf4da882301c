# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""Handles: close, context managers, finalizers, borrowing."""

import gc
import weakref

import numpy as np
import pytest

import cpae

from conftest import make_model


def test_close_twice_is_fine_and_use_after_close_raises(X):
    m = make_model()
    m.close()
    m.close()
    assert m.closed
    with pytest.raises(cpae.ClosedError, match="closed Model"):
        m.encode(X)
    with pytest.raises(ValueError):  # ClosedError is a ValueError, like I/O on a closed file
        m.dims
    assert repr(m) == "<cpae.Model (closed)>"


def test_context_managers_close():
    with cpae.Model.create_mirrored([4, 3, 2]) as m:
        with m.code(np.zeros(4)) as c, m.affine(np.zeros(4)) as a:
            assert c.n_bits == 6 and a.shape == (4, 4)
        assert c.closed and a.closed and not m.closed
    assert m.closed
    for obj in (cpae.Lie(4), cpae.PCA(np.eye(4), 2), cpae.Dataset(np.eye(4)),
                cpae.Layer(3, 2), cpae.Selection("ae", [4, 2])):
        with obj:
            repr(obj)
        assert obj.closed
        obj.close()
        with pytest.raises(cpae.ClosedError):
            obj.handle


def test_finalizer_frees_unreferenced_handles():
    m = cpae.Model.create_mirrored([4, 2])
    fin = m._finalizer
    ref = weakref.ref(m)
    assert fin.alive
    del m
    gc.collect()
    assert ref() is None and not fin.alive
    m = cpae.Model.create_mirrored([4, 2])
    fin = m._finalizer
    m.close()
    assert not fin.alive  # closed: the finalizer will not free it again


def test_trainer_borrows_model_and_lie():
    m = cpae.Model.create_mirrored([4, 3, 2])
    lie = cpae.Lie(4, 1, "skew")
    t = cpae.Trainer(m, "lie_local", lie=lie, epochs=1, batch_size=4)
    assert t.model is m and t.lie is lie
    mref = weakref.ref(m)
    del m
    gc.collect()
    assert mref() is not None  # the trainer keeps its model alive
    t.fit(np.random.default_rng(0).standard_normal((8, 4)), progress=False)
    lie.close()                # closing what it borrows closes the trainer first
    assert t.closed
    with pytest.raises(cpae.ClosedError):
        t.fit()
    mref().close()


def test_closing_a_model_closes_its_trainers():
    m = cpae.Model.create_mirrored([4, 2])
    t1, t2 = cpae.Trainer(m), cpae.Trainer(m)
    m.close()
    assert t1.closed and t2.closed


def test_result_objects_come_from_models():
    with pytest.raises(TypeError):
        cpae.Path()
    with pytest.raises(TypeError):
        cpae.Slice()
