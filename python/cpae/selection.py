# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""The training protocol: cpae_selection_* (hyperparameter selection on a
validation split of the training data)."""

import collections
import math
import sys
from ctypes import c_double, c_int64, c_void_p

import numpy as np

from ._interrupt import SigintFlag
from ._lib import SELECTION_FN, lib
from ._util import Handle, dp, fp, i32p, i64p, points, ref
from .enums import Activation, Init, LieParam, Method, Param, SelectionOption, to_enum
from .errors import Error
from .train import _param, _typed, _value

__all__ = ["Selection", "Candidate"]

#: One grid point: its index, {param name: value}, and after a fit its best
#: validation error (NaN before a fit or if it failed) and best step (-1 then).
Candidate = collections.namedtuple("Candidate", "index values validation best_step")

_OPTION_NAMES = {o.name.lower(): o for o in SelectionOption}
_OPTION_ENUMS = {SelectionOption.INIT: Init, SelectionOption.GENERATOR_KIND: LieParam,
                 SelectionOption.HIDDEN_ACTIVATION: Activation}
_OPTION_INTS = {SelectionOption.SEED, SelectionOption.REFIT, SelectionOption.GENERATORS}


def _option(name):
    if isinstance(name, str):
        key = name.strip().lower().replace("-", "_")
        if key not in _OPTION_NAMES:
            raise TypeError("unknown selection option %r; known: %s"
                            % (name, ", ".join(sorted(_OPTION_NAMES))))
        return _OPTION_NAMES[key]
    return to_enum(SelectionOption, name, "option")


class Selection(Handle):
    """The library's training protocol (docs/training.md): from the TRAINING
    data alone a validation split is drawn by seed; every candidate of a
    small hyperparameter grid is trained from the same initial weights with
    a budget in optimiser steps and early stopping on that split; the
    candidate with the lowest validation error wins (the earliest on ties)
    and, by default, is refitted on all the training data for its best
    number of steps. Test data never enters.

    ``Selection(method, widths, **options)``: the mirrored architecture
    ``widths`` = [d, h1, ..., h] and the method's fixed grid. Options
    (:class:`SelectionOption`, lower case): valid_fraction (0.2), seed (1),
    init ("pca"; or "random"), init_margin (0.5), refit (True),
    generators (1), generator_kind ("skew"), hidden_activation ("relu").
    :meth:`set_param` fixes a trainer key for every candidate,
    :meth:`set_grid` replaces a grid axis; :meth:`fit` runs it.
    """

    _destroy_name = "cpae_selection_destroy"

    def __init__(self, method, widths, **options):
        m = to_enum(Method, method, "method")
        w = np.ascontiguousarray(widths, dtype=np.int64)
        out = c_void_p()
        lib.cpae_selection_create(int(m), i64p(w), w.size, ref(out))
        super().__init__(out.value)
        self.method = m
        self.widths = [int(v) for v in w]
        self._fn = None
        try:
            self.set_options(**options)
        except BaseException:
            self.close()
            raise

    def set_options(self, **options):
        """Set protocol options by keyword; returns self."""
        for name, value in options.items():
            o = _option(name)
            cls = _OPTION_ENUMS.get(o)
            if cls is not None and isinstance(value, str):
                value = to_enum(cls, value, name)
            lib.cpae_selection_set_option(self.handle, int(o), float(value))
        return self

    def get_option(self, name):
        """An option's value (enums as members, counts as int, refit as bool)."""
        o = _option(name)
        v = c_double()
        lib.cpae_selection_get_option(self.handle, int(o), ref(v))
        v = v.value
        if o == SelectionOption.REFIT:
            return bool(v)
        if o in _OPTION_ENUMS:
            return _OPTION_ENUMS[o](int(v))
        if o in _OPTION_INTS:
            return int(v)
        return v

    @property
    def options(self):
        """{name: value} of every option."""
        return {o.name.lower(): self.get_option(o) for o in SelectionOption}

    def set_param(self, name, value):
        """Fix a trainer key (not seed) for every candidate; removes its grid
        axis. Returns self."""
        p = _param(name)
        lib.cpae_selection_set_param(self.handle, int(p), _value(p, value))
        return self

    def set_params(self, **params):
        """set_param for each keyword; returns self."""
        for name, value in params.items():
            self.set_param(name, value)
        return self

    def set_grid(self, name, values):
        """Replace the grid axis of a trainer key with these values (an empty
        list removes the axis; at most 16 values, 8 axes). Candidates are the
        product of the axes, the first varying slowest. Returns self."""
        p = _param(name)
        v = np.ascontiguousarray([_value(p, x) for x in values], dtype=np.float64)
        lib.cpae_selection_set_grid(self.handle, int(p), dp(v), v.size)
        return self

    @property
    def n_candidates(self):
        n = c_int64()
        lib.cpae_selection_n_candidates(self.handle, ref(n))
        return n.value

    def __len__(self):
        return self.n_candidates

    @property
    def grid_keys(self):
        """The grid axes' keys, in order, as Param members."""
        n = c_int64()
        lib.cpae_selection_grid_keys(self.handle, None, 0, ref(n))
        keys = np.zeros(max(n.value, 1), np.int32)
        lib.cpae_selection_grid_keys(self.handle, i32p(keys), n.value, ref(n))
        return [Param(int(k)) for k in keys[:n.value]]

    def candidate(self, index):
        """:class:`Candidate` ``index``."""
        keys = self.grid_keys
        vals = np.zeros(max(len(keys), 1), np.float64)
        val, best = c_double(), c_int64()
        lib.cpae_selection_candidate(self.handle, int(index), dp(vals), len(keys), ref(val),
                                     ref(best))
        values = {k.name.lower(): _typed(k, float(v)) for k, v in zip(keys, vals)}
        return Candidate(int(index), values, val.value, best.value)

    def candidates(self):
        """Every :class:`Candidate`, in grid order."""
        return [self.candidate(i) for i in range(self.n_candidates)]

    @property
    def best(self):
        """Index of the candidate the last fit selected (InvalidError before a fit)."""
        i = c_int64()
        lib.cpae_selection_best(self.handle, ref(i))
        return i.value

    def best_candidate(self):
        return self.candidate(self.best)

    def fit(self, x, progress=True):
        """Run the protocol on training data x (n, d), n >= 3; returns
        (model, lie): a new :class:`Model` and, for the Lie methods, its new
        :class:`Lie` (None otherwise). progress=True (the default) prints one
        line per candidate and one for the refit on stderr; False nothing.
        Ctrl-C (on the main thread) stops after the current candidate and
        raises KeyboardInterrupt; an exception of the progress output is
        re-raised after the C call."""
        from .lie import Lie
        from .model import Model
        pts, _ = points(x)
        state = {"error": None}

        with SigintFlag() as flag:
            def on_candidate(user, index, n, validation, best_step):
                try:
                    if progress:
                        label = "refit" if index == n else "candidate %d/%d" % (index + 1, n)
                        print("selection %s: validation %s, best step %d"
                              % (label, "failed" if math.isnan(validation)
                                 else "%.4g" % validation, best_step),
                              file=sys.stderr, flush=True)
                    return 1 if flag.set else 0
                except BaseException as e:
                    state["error"] = e
                    return 1

            self._fn = SELECTION_FN(on_candidate)
            model, lie = c_void_p(), c_void_p()
            error = None
            try:
                lib.cpae_selection_set_callback(self.handle, self._fn, None)
                self._busy = True
                try:
                    lib.cpae_selection_fit(self.handle, fp(pts), pts.shape[0], pts.shape[1],
                                           ref(model), ref(lie))
                except Error as e:
                    error = e
                finally:
                    self._busy = False
            finally:
                if not self.closed:
                    lib.cpae_selection_set_callback(self.handle, SELECTION_FN(), None)
                self._fn = None
        if state["error"] is not None:
            raise state["error"]
        if flag.set:
            if model.value:
                lib.cpae_model_destroy(model)
            if lie.value:
                lib.cpae_lie_destroy(lie)
            raise KeyboardInterrupt("cpae: model selection interrupted")
        if error is not None:
            raise error
        return (Model._adopt(model.value), Lie._adopt(lie.value) if lie.value else None)

    def __repr__(self):
        if self.closed:
            return self._closed_repr()
        return "Selection(method=%s, widths=%s, %d candidates)" % (
            self.method.name.lower(), self.widths, self.n_candidates)
