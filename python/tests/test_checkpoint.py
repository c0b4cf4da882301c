# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""Persistence of what training makes: generators saved with the model,
trainer checkpoints that resume bit-identically (after Ctrl-C, after a
checkpoint into a new trainer), the library's per-epoch history."""

import math
import os
import signal

import numpy as np
import pytest

import cpae

D = 12


def sines(n, seed):
    rng = np.random.default_rng(seed)
    t = np.arange(D) / D
    ph = rng.uniform(0, 6.28, (n, 1))
    return (np.sin(6.28 * t + ph) + 0.05 * rng.standard_normal((n, D))).astype(np.float32)


def make(seed=1):
    m = cpae.Model.create_mirrored([D, 10, 3], seed=seed)
    lie = cpae.Lie(D, 1, "skew", seed=seed + 1)
    t = cpae.Trainer(m, method="lie_local", lie=lie, epochs=4, batch_size=8, seed=5,
                     lie_sampler="ball", lie_neighbours=2)
    return m, lie, t


def test_model_saved_with_its_generators(tmp_path):
    m, lie, _ = make()
    path = tmp_path / "m.cpae"
    m.save(path, lie=lie)
    m2, lie2 = cpae.Model.load(path, with_lie=True)
    assert m2.to_bytes(lie2) == m.to_bytes(lie)                # bit-exact
    assert np.array_equal(lie2.get(), lie.get()) and lie2.kind == lie.kind
    assert cpae.Model.load(path).to_bytes() == m.to_bytes()    # the model part alone
    m3, none = cpae.Model.from_bytes(m.to_bytes(), with_lie=True)
    assert none is None
    with pytest.raises(cpae.MismatchError):
        m.to_bytes(cpae.Lie(D + 1))
    bad = bytearray(m.to_bytes(lie))
    bad[-10] ^= 1
    with pytest.raises(cpae.FormatError, match="checksum"):
        cpae.Model.from_bytes(bytes(bad), with_lie=True)


def test_ctrl_c_then_resume_is_bit_identical():
    x, xv = sines(40, 3), sines(10, 4)
    m, lie, t = make()
    t.fit(x, validation=xv, progress=False)
    want, hist = m.to_bytes(lie), t.history

    m2, lie2, t2 = make()

    def cb(s):
        if s.step == 7:
            os.kill(os.getpid(), signal.SIGINT)                # Ctrl-C mid-epoch

    with pytest.raises(KeyboardInterrupt, match="resume"):
        t2.fit(x, validation=xv, progress=False, callback=cb)
    assert t2.resumable and t2.fit_state()[2] == 7
    t2.resume(progress=False)
    assert m2.to_bytes(lie2) == want
    assert [h["reconstruction"] for h in t2.history] == [h["reconstruction"] for h in hist]
    assert t2.best_epoch == t.best_epoch and t2.best_validation == t.best_validation


def test_checkpoint_into_a_new_trainer(tmp_path):
    x, xv = sines(40, 3), sines(10, 4)
    m, lie, t = make()
    t.fit(x, validation=xv, progress=False)
    want = m.to_bytes(lie)

    m2, lie2, t2 = make()
    path = tmp_path / "ckpt"

    def cb(s):
        if s.step == 10:
            t2.save_checkpoint(path)                          # from inside the fit
            return True

    t2.fit(x, validation=xv, progress=False, callback=cb)
    assert t2.stopped
    m3, lie3, t3 = make(seed=9)                              # other initial weights
    t3.load_checkpoint(path)
    t3.set_data(x)
    t3.set_validation(xv)
    assert t3.resumable and len(t3.history) == 1   # epoch 1 ends after step 10
    t3.resume(progress=False)
    assert m3.to_bytes(lie3) == want
    # bytes too, and a refusal changes nothing
    blob = t2.checkpoint_bytes()
    other = cpae.Trainer(cpae.Model.create_mirrored([D, 10, 3], seed=1))
    before = other.checkpoint_bytes()
    with pytest.raises(cpae.MismatchError):
        other.load_checkpoint(blob)
    with pytest.raises(cpae.FormatError):
        t3.load_checkpoint(blob[:100])
    assert other.checkpoint_bytes() == before
    with pytest.raises(cpae.InvalidError, match="nothing|no interrupted fit"):
        other.resume(progress=False)


def test_history_is_the_librarys(capsys):
    x, xv = sines(40, 3), sines(10, 4)
    m, lie, t = make()
    hist = t.fit(x, validation=xv, progress="plain")
    assert [h["epoch"] for h in hist] == [0, 1, 2, 3]
    assert [h["step"] for h in hist] == [5, 10, 15, 20] and all(h["steps"] == 5 for h in hist)
    assert all(math.isfinite(h["validation"]) for h in hist)
    best = min(h["validation"] for h in hist)
    if t.best_epoch >= 0:
        assert t.best_validation == best
    # per sample (history) against per element (evaluate)
    assert m.evaluate(xv)[0] * D == pytest.approx(t.best_validation, rel=1e-5)
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 4 and "(5 steps," in lines[-1]
