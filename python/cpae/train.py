"""Training: cpae_trainer_* and cpae_param_bounds."""

import collections
import math
import sys
from ctypes import c_double, c_int64, c_void_p

import numpy as np

from ._interrupt import SigintFlag
from ._lib import PROGRESS_FN, lib
from ._util import Handle, dp, f32, fp, points, ref, text
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
    """Per-fit bookkeeping run from the progress callback."""

    def __init__(self, trainer, steps_per_epoch, total_steps, bar, callback, flag):
        self.trainer = trainer
        self.names = loss_term_names()
        self.spe = steps_per_epoch
        self.total_steps = total_steps
        self.bar = bar
        self.callback = callback
        self.flag = flag
        self.error = None
        self.stop = False
        self.sums = None
        self.count = 0
        self.epoch = -1
        self.last_step = 0
        self.last_seconds = 0.0

    def _close_epoch(self, complete):
        if self.count == 0:
            return
        entry = {"epoch": self.epoch, "steps": self.count, "step": self.last_step}
        for name, s in zip(self.names, self.sums):
            entry[name] = s / self.count
        entry["validation"] = self.trainer._validation_error() if complete else math.nan
        entry["seconds"] = self.last_seconds
        self.trainer.history.append(entry)
        if self.bar is not None:
            shown = dict(entry)
            shown["_terms"] = self.names
            self.bar.epoch(shown)
        self.count = 0

    def on_step(self, user, epoch, step, terms, validation, seconds):
        try:
            values = [terms[i] for i in range(len(self.names))]
            if epoch != self.epoch:
                self._close_epoch(False)
                self.epoch, self.sums, self.count = epoch, [0.0] * len(values), 0
            self.sums = [s + v for s, v in zip(self.sums, values)]
            self.count += 1
            self.last_step, self.last_seconds = step, seconds
            if self.bar is not None:
                self.bar.step()
            if step == (epoch + 1) * self.spe or step == self.total_steps:
                self._close_epoch(True)
            if self.callback is not None:
                info = StepInfo(epoch, step, dict(zip(self.names, values)), validation, seconds)
                if self.callback(info):
                    self.stop = True
            return 1 if (self.stop or self.flag.set) else 0
        except BaseException as e:  # never unwind through C: re-raised after the call
            self.error = e
            return 1


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
        self._progress_fn = None
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
             "validation": ...,  # (1/n_v) sum ||D(E(x)) - x||^2 at its end (NaN without
                                 # validation data, or for an epoch cut short)
             "seconds": ...}     # elapsed since the fit began, at its end

        The terms are unweighted, summed over dimensions and averaged over
        the batch ("total" is the weighted objective); :meth:`history_arrays`
        gives the same as NumPy arrays.
        """
        if self._busy:
            raise RuntimeError("Trainer.fit called from a callback of its own fit")
        if x is not None:
            self.set_data(x)
        if validation is not None:
            self.set_validation(validation)
        spe, total_steps, epochs = self._plan()
        self.history = []
        self.stopped = False
        bar = _progress_bar(progress, total_steps, epochs)
        status_error = None
        with SigintFlag() as flag:
            state = _FitState(self, spe, total_steps, bar, callback, flag)
            self._progress_fn = PROGRESS_FN(state.on_step)
            try:
                lib.cpae_trainer_set_callback(self.handle, self._progress_fn, None)
                self._busy = True
                try:
                    lib.cpae_trainer_fit(self.handle)
                except Error as e:
                    status_error = e
                finally:
                    self._busy = False
                state._close_epoch(False)
            finally:
                if not self.closed:
                    lib.cpae_trainer_set_callback(self.handle, PROGRESS_FN(), None)
                self._progress_fn = None
                if bar is not None:
                    bar.close()
        if state.error is not None:
            raise state.error
        if flag.set:
            raise KeyboardInterrupt("cpae: training interrupted at step %d (the model keeps "
                                    "the weights of that step)" % state.last_step)
        if status_error is not None:
            if isinstance(status_error, CancelledError) and state.stop:
                self.stopped = True
            else:
                raise status_error
        return self.history

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
