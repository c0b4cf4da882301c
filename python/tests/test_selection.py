# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""The selection protocol."""

import numpy as np
import pytest

import cpae


@pytest.fixture
def x(rng):
    return (rng.standard_normal((40, 3)) @ rng.standard_normal((3, 6))).astype(np.float32)


def test_selection_fit_candidates_and_best(x):
    sel = cpae.Selection("ae", [6, 8, 3], seed=3, init="random")
    assert sel.n_candidates == 6 and sel.grid_keys == [cpae.Param.LEARNING_RATE,
                                                        cpae.Param.WEIGHT_DECAY]
    opts = sel.options
    assert opts["valid_fraction"] == pytest.approx(0.2) and opts["refit"] is True
    assert opts["init"] is cpae.Init.RANDOM and opts["seed"] == 3
    assert opts["hidden_activation"] is cpae.Activation.RELU
    sel.set_params(steps=30, validate_every=5, patience=0)
    sel.set_grid("weight_decay", [])          # one axis left
    sel.set_grid("learning_rate", [1e-3, 1e-2, 3e-2])
    assert len(sel) == 3 and sel.grid_keys == [cpae.Param.LEARNING_RATE]
    before = sel.candidates()
    assert [c.values["learning_rate"] for c in before] == pytest.approx([1e-3, 1e-2, 3e-2])
    assert all(np.isnan(c.validation) and c.best_step == -1 for c in before)
    with pytest.raises(cpae.InvalidError):
        sel.best
    model, lie = sel.fit(x, progress=False)
    assert lie is None and model.dims == (6, 3)
    cands = sel.candidates()
    vals = [c.validation for c in cands]
    assert all(np.isfinite(vals)) and all(0 <= c.best_step <= 30 for c in cands)
    assert sel.best == int(np.argmin(vals)) and sel.best_candidate().index == sel.best
    again, _ = cpae.Selection("ae", [6, 8, 3], seed=3, init="random").set_params(
        steps=30, validate_every=5, patience=0).set_grid("weight_decay", []).set_grid(
        "learning_rate", [1e-3, 1e-2, 3e-2]).fit(x, progress=False)
    assert again.to_bytes() == model.to_bytes()           # deterministic


def test_selection_lie_method_returns_generators(x, capsys):
    sel = cpae.Selection("lie_local", [6, 4], generators=1, generator_kind="skew")
    sel.set_params(steps=10, validate_every=5).set_grid("w_lie_local", [0.1])
    sel.set_grid("learning_rate", [1e-3])
    model, lie = sel.fit(x)
    assert isinstance(lie, cpae.Lie) and lie.d == 6 and lie.kind == cpae.LieParam.SKEW
    err = capsys.readouterr().err
    assert "selection candidate 1/1: validation" in err and "selection refit" in err


def test_selection_errors(x):
    with pytest.raises(TypeError, match="unknown selection option"):
        cpae.Selection("ae", [6, 3], valid=0.5)
    sel = cpae.Selection("ae", [6, 3])
    with pytest.raises(cpae.InvalidError):
        sel.set_options(valid_fraction=2.0)
    with pytest.raises(cpae.InvalidError):
        sel.set_param("seed", 1)
    with pytest.raises(cpae.SizeError):
        sel.fit(x[:, :5])


def test_selection_ctrl_c_stops_after_the_current_candidate(x, monkeypatch):
    import io
    import os
    import signal
    import sys

    class CtrlCOnWrite(io.StringIO):      # Ctrl-C while candidate 1's line is printed
        def write(self, s):
            os.kill(os.getpid(), signal.SIGINT)
            return super().write(s)

    monkeypatch.setattr(sys, "stderr", CtrlCOnWrite())
    before = signal.getsignal(signal.SIGINT)
    sel = cpae.Selection("ae", [6, 8, 3], init="random").set_params(steps=20)
    assert sel.n_candidates == 6
    with pytest.raises(KeyboardInterrupt, match="selection interrupted"):
        sel.fit(x)
    assert signal.getsignal(signal.SIGINT) is before
    assert sys.stderr.getvalue().count("selection candidate") == 1
    model, _ = sel.fit(x, progress=False)      # the selection stays usable
    assert model.dims == (6, 3) and np.isfinite(sel.best_candidate().validation)
