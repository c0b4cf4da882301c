# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""Training: cpae_trainer_* and cpae_param_bounds."""

import collections
import math
import sys
import os
from ctypes import c_double, c_int32, c_int64, c_void_p

import numpy as np

from ._interrupt import SigintFlag
from ._lib import EPOCH_FN, PROGRESS_FN, lib
from ._util import Handle, dp, f32, fp, points, ref, text, u8p
from .enums import LieForm, LieSampler, Method, Optimizer, Param, to_enum
from .errors import CancelledError, Error

__all__ = ["Trainer", "param_bounds", "ParamBounds", "FitInfo", "StepInfo",
           "loss_term_names", "PARAM_NAMES"]

#: Keyword names of the trainer's hyperparameters -> Param.
PARAM_NAMES = {p.name.lower(): p for p in Param}
_INT_PARAMS = {Param.BATCH_SIZE, Param.EPOCHS, Param.SEED, Param.PATIENCE, Param.STEPS,
               Param.VALIDATE_EVERY, Param.PRECISION, Param.HOC_COPIES, Param.LIE_NEIGHBOURS,
               Param.LIE_THETA_GRID, Param.LIE_REANCHOR, Param.LIE_ANCHOR}
_ENUM_PARAMS = {Param.OPTIMIZER: Optimizer, Param.LIE_SAMPLER: LieSampler,
                Param.LIE_FORM: LieForm}

#: Range and default of a hyperparameter (the default for method "ae").
ParamBounds = collections.namedtuple("ParamBounds", "lo hi default")
#: What the last fit did: optimiser steps taken; the step whose weights
#: early stopping restored (0: the starting weights; -1: no validation data,
#: or the fit was cancelled or diverged) and their validation error.
FitInfo = collections.namedtuple("FitInfo", "steps best_step best_validation")
#: What a fit callback receives after every step: epoch (from 0), global
#: step (from 1), the step's unweighted loss terms {name: value}, the
#: library's latest validation error (NaN if none yet) and elapsed seconds.
StepInfo = collections.namedtuple("StepInfo", "epoch step terms validation seconds")


def loss_term_names():
    """The loss terms' names in the library's order ("reconstruction", ...,
    "total")."""
    return [text(lib.cpae_loss_term_name(i)) for i in range(lib.cpae_n_loss_terms())]


def _param(name):
    if isinstance(name, str):
        key = name.strip().lower().replace("-", "_")
        if key not in PARAM_NAMES:
            raise TypeError("unknown trainer parameter %r; known: %s"
                            % (name, ", ".join(sorted(PARAM_NAMES))))
        return PARAM_NAMES[key]
    return to_enum(Param, name, "parameter")


def _value(p, value):
    cls = _ENUM_PARAMS.get(p)
    if cls is not None and isinstance(value, str):
        value = to_enum(cls, value, p.name.lower())
    return float(value)


def _typed(p, v):
    if p in _ENUM_PARAMS and float(v).is_integer():
        try:
            return _ENUM_PARAMS[p](int(v))
        except ValueError:
            return v
    if p in _INT_PARAMS and float(v).is_integer():
        return int(v)
    return v


def param_bounds(name):
    """:class:`ParamBounds` (lo, hi, default) of a hyperparameter (a name
    such as "learning_rate" or a Param). Methods change the loss weights'
    defaults (docs/training.md)."""
    p = _param(name)
    lo, hi, dv = c_double(), c_double(), c_double()
    lib.cpae_param_bounds(int(p), ref(lo), ref(hi), ref(dv))
    return ParamBounds(lo.value, hi.value, _typed(p, dv.value))


class _Plain:
    """One line per epoch on stderr (progress=True without tqdm)."""

    def __init__(self, total_epochs, file):
        self.total, self.file = total_epochs, file

    def step(self, n=1):
        pass

    def epoch(self, entry):
        shown = ["%s %.4g" % (k, entry[k]) for k in entry["_terms"]
                 if k == "total" or entry[k] != 0.0]
        val = entry["validation"]
        print("epoch %d%s: %s%s (%d steps, %.1f s)"
              % (entry["epoch"] + 1, "/%d" % self.total if self.total else "",
                 ", ".join(shown), "" if math.isnan(val) else ", validation %.4g" % val,
                 entry["steps"], entry["seconds"]), file=self.file, flush=True)

    def close(self):
        pass


class _Tqdm:
    """A tqdm bar over the fit's steps, with the last epoch's figures."""

    def __init__(self, tqdm, total_steps, total_epochs, file):
        self.bar = tqdm(total=total_steps or None, unit="step", desc="fit", file=file,
                        dynamic_ncols=True, leave=True)
        self.total_epochs = total_epochs

    def step(self, n=1):
        self.bar.update(n)

    def epoch(self, entry):
        post = collections.OrderedDict()
        post["epoch"] = "%d/%d" % (entry["epoch"] + 1, self.total_epochs) \
            if self.total_epochs else entry["epoch"] + 1
        post["loss"] = "%.4g" % entry["total"]
        if not math.isnan(entry["validation"]):
            post["val"] = "%.4g" % entry["validation"]
        self.bar.set_postfix(post, refresh=False)

    def close(self):
        self.bar.close()


def _progress_bar(progress, total_steps, total_epochs):
    if not progress:
        return None
    file = sys.stderr
    if progress != "plain":
        try:
            from tqdm.auto import tqdm
        except ImportError:
            tqdm = None
        if tqdm is not None:
            return _Tqdm(tqdm, total_steps, total_epochs, file)
    return _Plain(total_epochs, file)


class _FitState:
    """Per-fit bookkeeping run from the library's step and epoch callbacks:
    the progress bar, the user's callback, Ctrl-C."""

    def __init__(self, bar, callback, flag):
        self.names = loss_term_names()
        self.bar = bar
        self.callback = callback
        self.flag = flag
        self.error = None
        self.stop = False
        self.last_step = 0
        self.epoch_step = None  # global step at the end of the last epoch shown

    def on_step(self, user, epoch, step, terms, validation, seconds):
        try:
            self.last_step = step
            if self.bar is not None:
                self.bar.step()
            if self.callback is not None:
                values = [terms[i] for i in range(len(self.names))]
                info = StepInfo(epoch, step, dict(zip(self.names, values)), validation, seconds)
                if self.callback(info):
                    self.stop = True
            return 1 if (self.stop or self.flag.set) else 0
        except BaseException as e:  # never unwind through C: re-raised after the call
            self.error = e
            return 1

    def on_epoch(self, user, epoch, row, n_cols):
        try:
            if self.bar is not None:
                shown = _history_entry([row[i] for i in range(n_cols)], self.names,
                                       self.epoch_step)
                self.epoch_step = shown["step"]
                shown["_terms"] = self.names
                self.bar.epoch(shown)
            return 1 if self.flag.set else 0
        except BaseException as e:
            self.error = e
            return 1


def _history_entry(row, names, previous_step):
    """One history dict from a row of cpae_trainer_history."""
    step = int(row[1])
    entry = {"epoch": int(row[0]), "step": step,
             "steps": step - previous_step if previous_step is not None else step}
    for k, name in enumerate(names):
        entry[name] = row[4 + k]
    entry["validation"] = row[3]
    entry["seconds"] = row[2]
    return entry


class Trainer(Handle):
    """Fits a :class:`Model` (and, for the Lie methods, the generators of a
    :class:`Lie`) with one of the objectives of docs/math.md section 3.

    ``Trainer(model, method="ae", lie=None, **params)``: ``method`` is a
    :class:`Method` or its name ("ae", "denoising", "contractive", "hoc",
    "lie_local", "lie_exact"); the Lie methods need ``lie`` (d = the
    model's input width). Hyperparameters are keywords named after
    :class:`Param` in lower case, with the C defaults of the method::

        Trainer(model, method="lie_local", lie=lie, epochs=20,
                learning_rate=1e-3, batch_size=32, w_lie_local=0.1,
                lie_sampler="ball", optimizer="adam")

    (:func:`param_bounds` gives each key's range and default;
    docs/training.md their meaning.) The trainer BORROWS the model and the
    Lie: it keeps Python references to them, and closing either closes the
    trainer first. Training changes them in place.

    After :meth:`fit`, :attr:`history` holds one dict per epoch (see
    :meth:`fit`), and :attr:`best_step` / :attr:`best_validation` /
    :meth:`fit_info` what early stopping chose.
    """

    _destroy_name = "cpae_trainer_destroy"

    def __init__(self, model, method=Method.AE, lie=None, **params):
        m = to_enum(Method, method, "method")
        out = c_void_p()
        lib.cpae_trainer_create(model.handle, lie.handle if lie is not None else None, int(m),
                                ref(out))
        super().__init__(out.value)
        self._model, self._lie, self._method = model, lie, m
        model._add_dependent(self)
        if lie is not None:
            lie._add_dependent(self)
        self._n_train = None
        self._validation = None
        self._progress_fn = self._epoch_fn = None
        #: One dict per epoch of the last fit (see fit()).
        self.history = []
        #: True when the last fit was stopped by a fit callback returning True.
        self.stopped = False
        try:
            self.set(**params)
        except BaseException:
            self.close()
            raise

    @property
    def model(self):
        """The borrowed :class:`Model`."""
        return self._model

    @property
    def lie(self):
        """The borrowed :class:`Lie` (or None)."""
        return self._lie

    @property
    def method(self):
        """The :class:`Method`."""
        return self._method

    # ------------------------------------------------------ hyperparameters
    def set(self, **params):
        """Set hyperparameters by keyword (``learning_rate=1e-3``, ...); enum
        values may be given by name (``optimizer="sgd"``). InvalidError for a
        value outside its bounds (nothing set after the failing key);
        TypeError for an unknown name. Returns self."""
        for name, value in params.items():
            p = _param(name)
            lib.cpae_trainer_set_param(self.handle, int(p), _value(p, value))
        return self

    def get(self, name):
        """One hyperparameter: int for counts and seeds, an enum member for
        optimizer / lie_sampler / lie_form, float otherwise."""
        p = _param(name)
        v = c_double()
        lib.cpae_trainer_get_param(self.handle, int(p), ref(v))
        return _typed(p, v.value)

    def __getitem__(self, name):
        return self.get(name)

    def __setitem__(self, name, value):
        self.set(**{_param(name).name.lower(): value})

    @property
    def params(self):
        """{name: value} of every hyperparameter."""
        return {p.name.lower(): self.get(p) for p in Param}

    # ----------------------------------------------------------------- data
    def set_data(self, x):
        """Training data (n, d), copied by the library (NonFiniteError for
        NaN or infinity)."""
        pts, _ = points(x)
        lib.cpae_trainer_set_data(self.handle, fp(pts), pts.shape[0], pts.shape[1])
        self._n_train = pts.shape[0]

    def set_validation(self, x):
        """Validation data (n_v, d): fit then measures (1/n_v) sum
        ||D(E(x)) - x||^2 and restores the best weights at the end."""
        pts, _ = points(x)
        lib.cpae_trainer_set_validation(self.handle, fp(pts), pts.shape[0], pts.shape[1])
        self._validation = pts.copy()

    def _validation_error(self):
        if self._validation is None:
            return math.nan
        v = self._validation
        mse, _ = c_double(), c_double()
        lib.cpae_model_evaluate(self._model.handle, fp(v), v.shape[0], v.shape[1], ref(mse),
                                None)
        return mse.value * v.shape[1]

    # ------------------------------------------------------------------ fit
    def _plan(self):
        """(steps per epoch, total steps, epochs) of the next fit."""
        n = self._n_train or 0
        bs = min(self.get("batch_size"), n) if n else 1
        spe = n // bs if bs else 0
        steps = self.get("steps")
        epochs = self.get("epochs")
        if steps > 0:
            return spe, steps, (steps + spe - 1) // spe if spe else 0
        return spe, epochs * spe, epochs

    def fit(self, x=None, validation=None, progress=True, callback=None):
        """Train; returns :attr:`history`.

        x: training data (n, d) (or a Dataset); None keeps the data of an
        earlier set_data / fit. validation: optional validation data (early
        stopping then restores the weights with the lowest validation error,
        see set_validation). progress: True shows a tqdm progress bar when
        tqdm is importable, else prints one line per epoch on stderr;
        "plain" forces the lines; False prints nothing. callback: called
        after every step with a :class:`StepInfo`; returning True stops the
        fit (then fit returns normally, keeping the last step's weights, and
        :attr:`stopped` is True).

        Ctrl-C (SIGINT, when fit runs on the main thread) stops training at
        the end of the current step and raises KeyboardInterrupt; the model
        keeps the weights of the last step and stays usable. The previous
        SIGINT handler is restored. An exception raised by the callback (or
        the progress bar) also stops training and is re-raised here. Other
        failures raise the status's Error (e.g. DivergedError: the model is
        at its last finite state, or back at its starting weights when the
        loss grew without bound).

        :attr:`history` is a list with one dict per epoch (also kept after an
        exception)::

            {"epoch": 0, "steps": 8, "step": 8,          # steps in it, global step at its end
             "reconstruction": ..., "contractive": ..., "higher_order": ...,
             "lie_local": ..., "lie_exact": ..., "total": ...,  # means over its steps
              "validation": ...,  # the latest (1/n_v) sum ||D(E(x)) - x||^2 at its end
                                 # (NaN without validation data)
             "seconds": ...}     # elapsed since the fit began, at its end

        It is the library's own per-epoch history (cpae_trainer_history), the
        last epoch included; a resumed fit continues it. The terms are
        unweighted, summed over dimensions and averaged over the batch
        ("total" is the weighted objective): per sample, like the validation
        error, while :meth:`Model.evaluate`'s MSE is per element (divided by
        d). :meth:`history_arrays` gives the same as NumPy arrays.
        """
        if self._busy:
            raise RuntimeError("Trainer.fit called from a callback of its own fit")
        if x is not None:
            self.set_data(x)
        if validation is not None:
            self.set_validation(validation)
        return self._run(lib.cpae_trainer_fit, "fit", progress, callback)

    def resume(self, progress=True, callback=None):
        """Continue a fit that was stopped (Ctrl-C, a callback returning
        True) or that a checkpoint was saved during (:meth:`load_checkpoint`,
        after setting the same training and validation data), to the end of
        its budget. The weights come out bit-identical to a fit that was
        never interrupted. Same arguments and exceptions as :meth:`fit`;
        InvalidError when there is nothing to resume (:attr:`resumable`)."""
        return self._run(lib.cpae_trainer_resume, "resume", progress, callback)

    def _run(self, call, name, progress, callback):
        if self._busy:
            raise RuntimeError("Trainer.%s called from a callback of its own fit" % name)
        _, total_steps, epochs = self._plan()
        done = self.fit_state()[2] if name == "resume" else 0
        self.stopped = False
        bar = _progress_bar(progress, max(total_steps - done, 0), epochs)
        status_error = None
        with SigintFlag() as flag:
            state = _FitState(bar, callback, flag)
            if name == "resume" and self.history:
                state.epoch_step = self.history[-1]["step"]
            self._progress_fn = PROGRESS_FN(state.on_step)
            self._epoch_fn = EPOCH_FN(state.on_epoch)
            try:
                lib.cpae_trainer_set_callback(self.handle, self._progress_fn, None)
                lib.cpae_trainer_set_epoch_callback(self.handle, self._epoch_fn, None)
                self._busy = True
                try:
                    call(self.handle)
                except Error as e:
                    status_error = e
                finally:
                    self._busy = False
            finally:
                if not self.closed:
                    lib.cpae_trainer_set_callback(self.handle, PROGRESS_FN(), None)
                    lib.cpae_trainer_set_epoch_callback(self.handle, EPOCH_FN(), None)
                    self.history = self._c_history()
                self._progress_fn = self._epoch_fn = None
                if bar is not None:
                    bar.close()
        if state.error is not None:
            raise state.error
        if flag.set:
            raise KeyboardInterrupt("cpae: training interrupted at step %d (the model keeps "
                                    "the weights of that step; Trainer.resume() continues)"
                                    % state.last_step)
        if status_error is not None:
            if isinstance(status_error, CancelledError) and state.stop:
                self.stopped = True
            else:
                raise status_error
        return self.history

    def _c_history(self):
        rows, cols = c_int64(), c_int64()
        try:
            lib.cpae_trainer_history(self.handle, None, 0, ref(rows), ref(cols))
        except Error:
            pass  # BUFFER_TOO_SMALL when there are rows: the size is in rows, cols
        h = np.empty((rows.value, cols.value), np.float64)
        if rows.value:
            lib.cpae_trainer_history(self.handle, dp(h), h.size, ref(rows), ref(cols))
        names, out, prev = loss_term_names(), [], 0
        for r in h:
            out.append(_history_entry(r, names, prev))
            prev = out[-1]["step"]
        return out

    # ---------------------------------------------------------- checkpoints
    def save_checkpoint(self, file):
        """Save everything training needs to go on (model and generators,
        hyperparameters, optimiser moments, random state, the fit's data
        order and position, early stopping, history) to a path, atomically.
        Callable from a fit callback. The data are not saved (a checksum
        is)."""
        lib.cpae_trainer_save_checkpoint(self.handle, os.fsencode(file))

    def checkpoint_bytes(self):
        """The checkpoint as bytes (see :meth:`save_checkpoint`)."""
        n = c_int64()
        lib.cpae_trainer_checkpoint_size(self.handle, ref(n))
        buf = np.empty(n.value, np.uint8)
        written = c_int64()
        lib.cpae_trainer_save_checkpoint_to_buffer(self.handle, u8p(buf), buf.size,
                                                   ref(written))
        return buf[:written.value].tobytes()

    def load_checkpoint(self, file):
        """Restore a checkpoint (a path, or bytes from
        :meth:`checkpoint_bytes`) into this trainer: its model, generators,
        hyperparameters, optimiser and fit position are replaced. The
        trainer must have the checkpoint's method, layer shapes and
        generator size (MismatchError otherwise); FormatError for a damaged
        file. Nothing changes when it is refused. Then set the same data and
        call :meth:`resume`."""
        if isinstance(file, (bytes, bytearray, memoryview)):
            buf = np.frombuffer(bytes(file), dtype=np.uint8)
            lib.cpae_trainer_load_checkpoint_from_buffer(self.handle, u8p(buf), buf.size)
        else:
            lib.cpae_trainer_load_checkpoint(self.handle, os.fsencode(file))
        self.history = self._c_history()

    def fit_state(self):
        """(resumable, epoch, step) of the current or last fit."""
        r, e, st = c_int32(), c_int64(), c_int64()
        lib.cpae_trainer_fit_state(self.handle, ref(r), ref(e), ref(st))
        return bool(r.value), e.value, st.value

    @property
    def resumable(self):
        """True when :meth:`resume` can continue a stopped fit."""
        return self.fit_state()[0]

    @property
    def best_epoch(self):
        """Epoch in (or at whose end) the best validation error was measured
        (-1: the starting weights, or no validation data)."""
        e = c_int64()
        lib.cpae_trainer_best_epoch(self.handle, ref(e), None, None)
        return e.value

    def history_arrays(self):
        """The history as {key: (n_epochs,) array}."""
        keys = self.history[0].keys() if self.history else []
        return {k: np.array([e[k] for e in self.history]) for k in keys}

    def fit_info(self):
        """:class:`FitInfo` (steps, best_step, best_validation) of the last fit."""
        steps, best, val = c_int64(), c_int64(), c_double()
        lib.cpae_trainer_fit_info(self.handle, ref(steps), ref(best), ref(val))
        return FitInfo(steps.value, best.value, val.value)

    @property
    def best_step(self):
        """Step whose weights early stopping restored (0: the starting
        weights; -1: no validation, or the fit was cancelled or diverged)."""
        return self.fit_info().best_step

    @property
    def best_validation(self):
        """Validation error of those weights (NaN if none)."""
        return self.fit_info().best_validation

    # ------------------------------------------------------ low-level steps
    @property
    def n_params(self):
        """Trainable values: model weights and biases, then the generators
        (k d d, unless fixed or absent)."""
        n = c_int64()
        lib.cpae_trainer_n_params(self.handle, ref(n))
        return n.value

    @property
    def workspace_size(self):
        """Bytes the trainer keeps between steps."""
        n = c_int64()
        lib.cpae_trainer_workspace_size(self.handle, ref(n))
        return n.value

    def get_params(self):
        """All trainable values, flat float32 (per encoder then decoder
        layer: W row-major then b; then G_1..G_k)."""
        v = np.empty(self.n_params, np.float32)
        lib.cpae_trainer_get_params(self.handle, fp(v), v.size)
        return v

    def set_params(self, values):
        """Set all trainable values from a flat vector (layout of get_params;
        generators are renormalised)."""
        v = f32(values).reshape(-1)
        lib.cpae_trainer_set_params(self.handle, fp(v), v.size)

    def _terms(self):
        return np.zeros(lib.cpae_n_loss_terms(), np.float64)

    def gradient(self, x, grad=True):
        """(terms, gradient) on the batch x (m, d) without changing any
        weight: terms {name: value}; gradient of the total loss, flat float32
        in the layout of get_params (None with grad=False)."""
        pts, _ = points(x)
        terms = self._terms()
        g = np.empty(self.n_params, np.float32) if grad else None
        lib.cpae_trainer_gradient(self.handle, fp(pts), pts.shape[0], pts.shape[1], dp(terms),
                                  terms.size, fp(g), g.size if g is not None else 0)
        return dict(zip(loss_term_names(), terms.tolist())), g

    def apply_gradient(self, grad):
        """One optimiser step with an externally computed gradient."""
        g = f32(grad).reshape(-1)
        lib.cpae_trainer_apply_gradient(self.handle, fp(g), g.size)

    def step(self, x):
        """One optimiser step on the batch x (m, d); returns its terms
        {name: value}."""
        pts, _ = points(x)
        terms = self._terms()
        lib.cpae_trainer_step(self.handle, fp(pts), pts.shape[0], pts.shape[1], dp(terms),
                              terms.size)
        return dict(zip(loss_term_names(), terms.tolist()))

    def __repr__(self):
        if self.closed:
            return self._closed_repr()
        return "Trainer(method=%s, model=%r%s)" % (
            self._method.name.lower(), self._model,
            ", lie=%r" % self._lie if self._lie is not None else "")
