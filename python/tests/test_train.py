# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""Training: keyword parameters, fit with history, progress, callbacks,
Ctrl-C, errors, the low-level step API."""

import math
import os
import signal
import sys
import threading
import time

import numpy as np
import pytest

import cpae

from conftest import WIDTHS

D = WIDTHS[0]


@pytest.fixture
def data(rng):
    return rng.standard_normal((64, D)).astype(np.float32)


def test_keyword_parameters(model):
    t = cpae.Trainer(model, method="denoising", epochs=3, batch_size=16, learning_rate=1e-2,
                     optimizer="sgd", momentum=0.5)
    assert t.method == cpae.Method.DENOISING
    assert t.get("epochs") == 3 and isinstance(t.get("epochs"), int)
    assert t["learning_rate"] == pytest.approx(1e-2)
    assert t.get("optimizer") is cpae.Optimizer.SGD
    assert t.get("noise_sigma") == pytest.approx(0.1)      # the method's default
    assert t.get(cpae.Param.SEED) == 0 and t.get("precision") == 32
    t.set(lie_sampler="facet", lie_form=cpae.LieForm.TANGENT)
    assert t.get("lie_sampler") is cpae.LieSampler.FACET
    assert t.get("lie_form") is cpae.LieForm.TANGENT
    t["batch_size"] = 8
    assert t.params["batch_size"] == 8 and set(t.params) == {p.name.lower() for p in cpae.Param}
    with pytest.raises(TypeError, match="unknown trainer parameter 'learnig_rate'"):
        t.set(learnig_rate=1.0)
    with pytest.raises(cpae.InvalidError, match="batch_size|8"):
        t.set(batch_size=0)
    with pytest.raises(cpae.InvalidError):
        t.set(epochs=2.5)
    with pytest.raises(ValueError, match="sgd, adam"):
        t.set(optimizer="adagrad")
    b = cpae.param_bounds("learning_rate")
    assert b.lo <= b.default <= b.hi and b.default == pytest.approx(1e-3)
    assert cpae.param_bounds("optimizer").default is cpae.Optimizer.ADAM
    assert cpae.loss_term_names() == ["reconstruction", "contractive", "higher_order",
                                      "lie_local", "lie_exact", "total"]
    with pytest.raises(cpae.NullError, match="lie"):
        cpae.Trainer(model, "lie_exact")
    with pytest.raises(ValueError):
        cpae.Trainer(model, "nonsense")


def test_fit_history_and_the_library_agree(model, data):
    train, valid = data[:48], data[48:]
    t = cpae.Trainer(model, epochs=4, batch_size=16, learning_rate=1e-2)
    steps = []
    hist = t.fit(train, validation=valid, progress=False, callback=steps.append)
    spe = 48 // 16
    assert hist is t.history and len(hist) == 4 and len(steps) == 4 * spe
    assert [h["epoch"] for h in hist] == [0, 1, 2, 3]
    assert [h["step"] for h in hist] == [3, 6, 9, 12] and all(h["steps"] == spe for h in hist)
    assert set(hist[0]) == {"epoch", "steps", "step", "reconstruction", "contractive",
                            "higher_order", "lie_local", "lie_exact", "total", "validation",
                            "seconds"}
    for e, h in enumerate(hist):
        mine = [s.terms for s in steps if s.epoch == e]
        assert h["total"] == pytest.approx(np.mean([m["total"] for m in mine]), rel=1e-12)
        assert h["reconstruction"] == pytest.approx(h["total"])   # plain AE: one term
        assert h["contractive"] == 0.0
    assert all(a["seconds"] <= b["seconds"] for a, b in zip(hist, hist[1:]))
    assert [s.step for s in steps] == list(range(1, 13))
    # The library reports an epoch's validation with the next epoch's steps;
    # the history has it at the epoch's end, the last epoch's included.
    for e in range(3):
        first_of_next = [s for s in steps if s.epoch == e + 1][0]
        assert hist[e]["validation"] == pytest.approx(first_of_next.validation, rel=1e-9)
    info = t.fit_info()
    assert info.steps == 12 and info == (t.fit_info().steps, t.best_step, t.best_validation)
    initial = steps[0].validation                     # step 0's validation
    vals = [initial] + [h["validation"] for h in hist]
    assert t.best_validation == pytest.approx(min(vals), rel=1e-9)
    assert t.best_step == [0, 3, 6, 9, 12][int(np.argmin(vals))]
    # the restored (best) weights have that validation error
    assert model.evaluate(valid).mse * D == pytest.approx(t.best_validation, rel=1e-6)
    arrays = t.history_arrays()
    assert arrays["total"].shape == (4,) and np.array_equal(arrays["epoch"], np.arange(4))


def test_loss_scale_reconstruction_term_is_d_times_the_evaluate_mse(model, data):
    t = cpae.Trainer(model, precision=64)
    terms, grad = t.gradient(data, grad=False)
    assert grad is None
    assert terms["reconstruction"] == pytest.approx(model.evaluate(data).mse * D, rel=1e-9)


def test_fit_with_steps_budget_and_no_validation(model, data):
    t = cpae.Trainer(model, steps=10, batch_size=16)     # 4 steps per epoch
    hist = t.fit(data, progress=False)
    assert [h["steps"] for h in hist] == [4, 4, 2]
    assert all(math.isnan(h["validation"]) for h in hist)
    assert t.fit_info() == (10, -1, pytest.approx(float("nan"), nan_ok=True))


def test_callback_returning_true_stops_without_an_exception(model, data):
    t = cpae.Trainer(model, epochs=10, batch_size=16)
    hist = t.fit(data, progress=False, callback=lambda s: s.step == 6)
    assert t.stopped and t.fit_info().steps == 6 and t.resumable
    # finished epochs only: the stopped one gets its row when it ends
    assert [h["steps"] for h in hist] == [4] and math.isnan(hist[-1]["validation"])
    hist = t.resume(progress=False)
    assert not t.stopped and not t.resumable and t.fit_info().steps == 40
    assert [h["steps"] for h in hist] == [4] * 10
    t.fit(data, progress=False)
    assert not t.stopped and t.fit_info().steps == 40


def test_exception_in_the_callback_is_reraised_after_the_c_call(model, data):
    t = cpae.Trainer(model, epochs=10, batch_size=16)

    class Boom(Exception):
        pass

    def cb(s):
        if s.step == 3:
            raise Boom("from the callback")

    with pytest.raises(Boom, match="from the callback"):
        t.fit(data, progress=False, callback=cb)
    assert t.fit_info().steps == 3
    assert np.all(np.isfinite(model.reconstruct(data)))
    t.fit(progress=False)  # the data stays; the callback was removed
    assert t.fit_info().steps == 40


def test_ctrl_c_cancels_cleanly(model, data):
    before = signal.getsignal(signal.SIGINT)
    t = cpae.Trainer(model, epochs=1000, batch_size=16)
    params = {}

    def cb(s):
        if s.step == 5:
            params["at5"] = t.get_params()
            os.kill(os.getpid(), signal.SIGINT)   # Ctrl-C

    with pytest.raises(KeyboardInterrupt, match="interrupted at step 5"):
        t.fit(data, progress=False, callback=cb)
    assert signal.getsignal(signal.SIGINT) is before          # handler restored
    assert t.fit_info().steps == 5 and t.fit_info().best_step == -1
    assert np.array_equal(t.get_params(), params["at5"])      # the last step's weights
    assert [h["steps"] for h in t.history] == [4]                # finished epochs
    assert np.all(np.isfinite(model.reconstruct(data)))       # still a valid model
    model.to_bytes()
    t.set(epochs=1)
    t.fit(progress=False)                                     # and trainable again
    assert t.fit_info().steps == 4


def test_ctrl_c_from_another_thread_during_a_long_fit(data):
    m = cpae.Model.create_mirrored([D, 64, 32, 4], seed=2)
    # divergence_factor 0: the fit overfits 64 points to a loss near 0, where
    # the growth guard could stop it before the timer fires
    t = cpae.Trainer(m, epochs=10 ** 6, batch_size=16, divergence_factor=0)
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    t0 = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            t.fit(data, progress=False)
    finally:
        timer.cancel()
    assert time.monotonic() - t0 < 20
    steps = t.fit_info().steps
    assert 0 < steps < 4 * 10 ** 6
    assert np.all(np.isfinite(m.encode(data)))


def test_progress_output(model, data, capsys, monkeypatch):
    t = cpae.Trainer(model, epochs=3, batch_size=16)
    t.fit(data, progress=False)
    out, err = capsys.readouterr()
    assert out == "" and err == ""
    t.fit(data, validation=data[:8], progress="plain")
    out, err = capsys.readouterr()
    lines = err.strip().splitlines()
    assert out == "" and len(lines) == 3
    assert lines[0].startswith("epoch 1/3: reconstruction ") and "validation" in lines[0]
    assert "(4 steps," in lines[2]
    # progress=True without tqdm: the same lines
    monkeypatch.setitem(sys.modules, "tqdm", None)
    monkeypatch.setitem(sys.modules, "tqdm.auto", None)
    t.fit(data, progress=True)
    out, err = capsys.readouterr()
    assert len(err.strip().splitlines()) == 3 and err.startswith("epoch 1/3")


def test_progress_bar_with_tqdm(model, data, capsys):
    pytest.importorskip("tqdm")
    t = cpae.Trainer(model, epochs=3, batch_size=16)
    t.fit(data, progress=True)
    out, err = capsys.readouterr()
    assert out == "" and "12/12" in err and "step" in err and "loss=" in err


def test_errors_of_fit(model, data):
    t = cpae.Trainer(model)
    with pytest.raises(cpae.SizeError, match="no training data"):
        t.fit(progress=False)
    bad = data.copy()
    bad[3, 2] = np.inf
    with pytest.raises(cpae.NonFiniteError):
        t.fit(bad, progress=False)
    with pytest.raises(cpae.SizeError):
        t.fit(data[:, :5], progress=False)
    big = cpae.Trainer(model, optimizer="sgd", learning_rate=10, momentum=0, epochs=50,
                       batch_size=8)
    with pytest.raises(cpae.DivergedError) as info:
        big.fit(data * 10, progress=False)
    assert isinstance(info.value, ArithmeticError)
    assert len(big.history) >= 1                          # kept after the exception
    assert np.all(np.isfinite(big.get_params()))          # last finite state


def test_step_gradient_and_parameters(model, data):
    t = cpae.Trainer(model, optimizer="sgd", learning_rate=0.1, momentum=0, precision=64)
    n = t.n_params
    assert n == model.n_params
    p0 = t.get_params()
    assert p0.shape == (n,) and p0.dtype == np.float32
    terms, g = t.gradient(data[:16])
    assert g.shape == (n,) and terms["total"] > 0
    assert np.array_equal(t.get_params(), p0)             # gradient changes nothing
    # central differences on a few coordinates
    for i in (0, 5, n - 1):
        e = np.zeros(n, np.float32)
        e[i] = 1e-2
        t.set_params(p0 + e)
        up = t.gradient(data[:16], grad=False)[0]["total"]
        t.set_params(p0 - e)
        down = t.gradient(data[:16], grad=False)[0]["total"]
        fd = (up - down) / (2 * 1e-2)
        assert fd == pytest.approx(g[i], rel=2e-2, abs=1e-3)
    t.set_params(p0)
    t.apply_gradient(g)                                   # SGD: p - lr g
    assert np.allclose(t.get_params(), p0 - 0.1 * g, rtol=1e-6, atol=1e-7)
    t.set_params(p0)
    st = t.step(data[:16])
    assert st == pytest.approx(terms)
    assert np.allclose(t.get_params(), p0 - 0.1 * g, rtol=1e-6, atol=1e-7)
    assert t.workspace_size > 0
    with pytest.raises(cpae.SizeError):
        t.set_params(p0[:-1])
    with pytest.raises(cpae.NonFiniteError):
        t.apply_gradient(np.full(n, np.nan))


def test_lie_training_learns_the_generator(data):
    m = cpae.Model.create_mirrored([D, 16, 4], seed=5)
    lie = cpae.Lie(D, 1, "skew", seed=5)
    g0 = lie.generators
    t = cpae.Trainer(m, "lie_local", lie=lie, epochs=3, batch_size=16, w_lie_local=1.0)
    assert t.n_params == m.n_params + D * D
    hist = t.fit(data, progress=False)
    assert all(h["lie_local"] > 0 for h in hist)
    assert h_total_is_weighted(hist[-1], {"reconstruction": 1.0, "lie_local": 1.0})
    g1 = lie.generators
    assert not np.array_equal(g0, g1) and np.allclose(g1, -g1.transpose(0, 2, 1), atol=1e-6)


def h_total_is_weighted(entry, weights):
    return entry["total"] == pytest.approx(sum(w * entry[k] for k, w in weights.items()),
                                           rel=1e-9)


def test_pca_matches_numpy_and_evaluates_like_a_model(rng):
    n, d, k = 30, 9, 3
    data = (rng.standard_normal((n, 4)) @ rng.standard_normal((4, d))
            + 0.01 * rng.standard_normal((n, d)) + 2.0).astype(np.float32)
    with cpae.PCA(data, k) as p:
        assert (p.d, p.k) == (d, k)
        x64 = data.astype(np.float64)
        mu = x64.mean(0)
        _, sv, vt = np.linalg.svd(x64 - mu, full_matrices=False)
        assert np.allclose(p.variances, sv[:k] ** 2 / (n - 1), rtol=1e-4)
        assert np.allclose(np.abs(np.sum(p.components * vt[:k], 1)), 1.0, atol=1e-5)
        comp = p.components
        assert np.all(comp[np.arange(k), np.argmax(np.abs(comp), 1)] > 0)  # sign convention
        assert np.allclose(p.mean, mu, atol=1e-5)
        assert p.total_variance == pytest.approx(np.sum(np.var(x64, axis=0, ddof=1)), rel=1e-6)
        assert np.allclose(p.explained_variance_ratio, p.variances / p.total_variance)
        m = p.to_model()
        ref = np.mean(((x64 - mu) @ vt[:k].T @ vt[:k] + mu - x64) ** 2)
        assert m.evaluate(data).mse == pytest.approx(ref, rel=1e-4, abs=1e-9)
        assert m.dims == (d, k) and m.count_regions(data) == 1
        # a nonlinear autoencoder started at the PCA solution
        ae = cpae.Model.create_mirrored([d, 12, k], seed=1)
        p.init_model(ae, data)
        assert np.allclose(ae.reconstruct(data), m.reconstruct(data), atol=1e-4)
    with pytest.raises(cpae.InvalidError):
        cpae.PCA(data, 10)
    mean_only = cpae.PCA(data, 0)
    assert mean_only.components.shape == (0, d)
    assert np.allclose(mean_only.to_model().reconstruct(data[:2]), [mu, mu], atol=1e-5)


def test_closing_what_a_running_fit_uses_is_refused(model, data):
    t = cpae.Trainer(model, epochs=3, batch_size=16)
    for action in (model.close, t.close, lambda: t.fit(data)):
        def cb(s, action=action):
            if s.step == 2:
                action()
        with pytest.raises(RuntimeError, match="while it is training|its own fit"):
            t.fit(data, progress=False, callback=cb)
        assert not model.closed and not t.closed and t.fit_info().steps == 2
    t.close()
    assert not model.closed
