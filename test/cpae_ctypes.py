# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""cpae_ctypes -- reference ctypes binding for libcpae.

A small, dependency-light binding (ctypes + NumPy) that shows how to call
libcpae safely from a foreign-function interface:

* every exported function gets explicit ``argtypes`` and ``restype`` (the
  ctypes default ``restype`` is C ``int``, which truncates pointers and
  64-bit values);
* statuses are ``int32``, sizes and indices ``int64``, handles ``c_void_p``;
* every non-zero status becomes a :class:`CpaeError` carrying the status,
  ``cpae_status_string(status)`` and this thread's ``cpae_last_error()``;
* arrays are NumPy ``float32`` C-contiguous (row-major), as the C API expects.

The library is ``lib/libcpae.so`` of this repository, or the path in the
environment variable ``CPAE_LIB``.

    import cpae_ctypes as cp
    m = cp.Model.mirrored([8, 16, 4], cp.ACT_RELU, seed=1)
    enc, dec, ae = m.region_maps(x)        # Affine objects
    y = ae.slope64() @ x + ae.offset64()   # == m.reconstruct(x)
"""

import ctypes
import os
from ctypes import (CFUNCTYPE, POINTER, c_char, c_char_p, c_double, c_float,
                    c_int32, c_int64, c_uint8, c_uint32, c_uint64, c_void_p)

import numpy as np

# --------------------------------------------------------------- constants
# Values from include/cpae.h (fixed forever; new ones are only appended).
OK = 0
E_NULL = 1
E_INVALID = 2
E_SIZE = 3
E_BUFFER_TOO_SMALL = 4
E_NONFINITE = 5
E_NOMEM = 6
E_IO = 7
E_FORMAT = 8
E_VERSION = 9
E_NUMERIC = 10
E_MISMATCH = 11
E_LIMIT = 12
E_CALLBACK = 13
E_INTERNAL = 14
E_CANCELLED = 15
E_DIVERGED = 16

STATUS_NAMES = {
    0: "CPAE_OK", 1: "CPAE_E_NULL", 2: "CPAE_E_INVALID", 3: "CPAE_E_SIZE",
    4: "CPAE_E_BUFFER_TOO_SMALL", 5: "CPAE_E_NONFINITE", 6: "CPAE_E_NOMEM",
    7: "CPAE_E_IO", 8: "CPAE_E_FORMAT", 9: "CPAE_E_VERSION",
    10: "CPAE_E_NUMERIC", 11: "CPAE_E_MISMATCH", 12: "CPAE_E_LIMIT",
    13: "CPAE_E_CALLBACK", 14: "CPAE_E_INTERNAL", 15: "CPAE_E_CANCELLED",
    16: "CPAE_E_DIVERGED",
}

ACT_IDENTITY = 0
ACT_RELU = 1
ACT_LEAKY_RELU = 2
ACT_ABS = 3

ENCODER = 0
DECODER = 1
AUTOENCODER = 2

LIE_GENERAL = 0
LIE_SKEW = 1
LIE_FIXED = 2

METHOD_AE = 0
METHOD_DENOISING = 1
METHOD_CONTRACTIVE = 2
METHOD_HOC = 3
METHOD_LIE_LOCAL = 4
METHOD_LIE_EXACT = 5

TERM_RECONSTRUCTION = 0
TERM_CONTRACTIVE = 1
TERM_HIGHER_ORDER = 2
TERM_LIE_LOCAL = 3
TERM_LIE_EXACT = 4
TERM_TOTAL = 5
N_LOSS_TERMS = 6

# Hyperparameter keys (cpae_param); values are always passed as double.
P_OPTIMIZER = 1
P_LEARNING_RATE = 2
P_MOMENTUM = 3
P_ADAM_BETA1 = 4
P_ADAM_BETA2 = 5
P_ADAM_EPS = 6
P_WEIGHT_DECAY = 7
P_BATCH_SIZE = 8
P_EPOCHS = 9
P_SEED = 10
P_PATIENCE = 11
P_GENERATOR_LR = 12
P_PRECISION = 16  # 32 (default) or 64
P_W_RECONSTRUCTION = 20
P_NOISE_SIGMA = 21
P_NOISE_MASK = 22
P_W_CONTRACTIVE = 23
P_W_HIGHER_ORDER = 24
P_HOC_SIGMA = 25
P_HOC_COPIES = 26
P_W_LIE_LOCAL = 30
P_LIE_SAMPLER = 31
P_LIE_NEIGHBOURS = 32
P_LIE_DELTA = 33
P_LIE_FACET_EPS = 34
P_LIE_FORM = 35
P_W_LIE_EXACT = 40
P_LIE_THETA_MAX = 41
P_LIE_THETA_GRID = 42
P_LIE_REANCHOR = 43
P_LIE_ANCHOR = 44


class CpaeError(Exception):
    """A libcpae call returned a non-zero status.

    Attributes: ``status`` (int), ``name`` (e.g. "CPAE_E_SIZE"), ``function``
    (the C function), ``status_text`` (cpae_status_string) and ``detail``
    (cpae_last_error on the calling thread right after the failure).
    """

    def __init__(self, status, function, status_text, detail):
        self.status = int(status)
        self.name = STATUS_NAMES.get(self.status, "status %d" % self.status)
        self.function = function
        self.status_text = status_text
        self.detail = detail
        super().__init__("%s failed: %s (%s): %s"
                         % (function, self.name, status_text, detail))


# ------------------------------------------------------------------- types
_S = c_int32            # status
_I32 = c_int32          # enums
_I64 = c_int64          # sizes, indices
_U64 = c_uint64
_D = c_double
_H = c_void_p           # opaque handle
_PH = POINTER(c_void_p)  # handle out-parameter / array of handles / void **
_PF = POINTER(c_float)
_PD = POINTER(c_double)
_PU8 = POINTER(c_uint8)
_PI32 = POINTER(c_int32)
_PI64 = POINTER(c_int64)
_PU64 = POINTER(c_uint64)

#: typedef int32_t (*cpae_write_fn)(void *user_data, const uint8_t *bytes, int64_t n)
WRITE_FN = CFUNCTYPE(c_int32, c_void_p, _PU8, c_int64)
# Callbacks: keep the WRITE_FN / PROGRESS_FN object referenced from Python
# for as long as libcpae may call it (for a trainer's progress callback: until
# it is replaced or removed). ctypes frees the trampoline with the object,
# and a call through a freed trampoline crashes the process. A NULL callback
# is PROGRESS_FN() (ctypes refuses None for a function-pointer argtype).
#: typedef int32_t (*cpae_progress_fn)(void *user_data, int64_t epoch,
#:     int64_t step, const double *terms, double validation, double seconds)
PROGRESS_FN = CFUNCTYPE(c_int32, c_void_p, c_int64, c_int64, _PD, c_double,
                        c_double)
EPOCH_FN = CFUNCTYPE(c_int32, c_void_p, c_int64, _PD, c_int64)
SELECTION_FN = CFUNCTYPE(c_int32, c_void_p, c_int64, c_int64, c_double, c_int64)

# name: (restype, argtypes). _S as restype means "raise CpaeError on != 0"
# (except for the functions in _NO_ERRCHECK).
# This table covers the whole public API (test_ctypes.py checks it against
# test/abi/libcpae.symbols).
_SIGNATURES = {
    # status and version
    "cpae_version_number": (c_uint32, []),
    "cpae_version_string": (c_char_p, []),
    "cpae_build_info": (c_char_p, []),
    "cpae_status_string": (c_char_p, [_I32]),
    "cpae_last_error": (c_char_p, []),
    "cpae_last_error_copy": (_S, [POINTER(c_char), _I64, _PI64]),  # no errcheck
    # limits
    "cpae_max_layers": (_I64, []),
    "cpae_max_width": (_I64, []),
    "cpae_max_params": (_I64, []),
    "cpae_default_leaky_alpha": (_D, []),
    # layers
    "cpae_layer_create": (_S, [_I64, _I64, _I32, _D, _PH]),
    "cpae_layer_destroy": (None, [_H]),
    "cpae_layer_dims": (_S, [_H, _PI64, _PI64]),
    "cpae_layer_activation": (_S, [_H, _PI32, _PD]),
    "cpae_layer_set_weights": (_S, [_H, _PF, _I64]),
    "cpae_layer_get_weights": (_S, [_H, _PF, _I64]),
    "cpae_layer_set_bias": (_S, [_H, _PF, _I64]),
    "cpae_layer_get_bias": (_S, [_H, _PF, _I64]),
    "cpae_layer_forward": (_S, [_H, _PF, _I64, _I64, _PF, _I64]),
    # models
    "cpae_model_create": (_S, [_PI64, _PI32, _PD, _I64,
                               _PI64, _PI32, _PD, _I64, _U64, _PH]),
    "cpae_model_create_mirrored": (_S, [_PI64, _I64, _I32, _U64, _PH]),
    "cpae_model_from_layers": (_S, [_PH, _I64, _PH, _I64, _PH]),
    "cpae_model_clone": (_S, [_H, _PH]),
    "cpae_model_destroy": (None, [_H]),
    "cpae_model_dims": (_S, [_H, _PI64, _PI64]),
    "cpae_model_n_layers": (_S, [_H, _I32, _PI64]),
    "cpae_model_layer_info": (_S, [_H, _I32, _I64, _PI64, _PI64, _PI32, _PD]),
    "cpae_model_get_layer_params": (_S, [_H, _I32, _I64, _PF, _I64, _PF, _I64]),
    "cpae_model_set_layer_params": (_S, [_H, _I32, _I64, _PF, _I64, _PF, _I64]),
    "cpae_model_get_layer": (_S, [_H, _I32, _I64, _PH]),
    "cpae_model_n_params": (_S, [_H, _PI64]),
    "cpae_model_sizeof": (_S, [_H, _PI64]),
    "cpae_model_set_user_data": (_S, [_H, c_void_p]),
    "cpae_model_get_user_data": (_S, [_H, _PH]),
    "cpae_model_encode": (_S, [_H, _PF, _I64, _I64, _PF, _I64]),
    "cpae_model_decode": (_S, [_H, _PF, _I64, _I64, _PF, _I64]),
    "cpae_model_reconstruct": (_S, [_H, _PF, _I64, _I64, _PF, _I64]),
    # region codes
    "cpae_code_create": (_S, [_H, _I32, _PH]),
    "cpae_code_destroy": (None, [_H]),
    "cpae_code_clone": (_S, [_H, _PH]),
    "cpae_model_code": (_S, [_H, _I32, _PF, _I64, _H]),
    "cpae_model_code_bytes": (_S, [_H, _I32, _PI64]),
    "cpae_model_codes": (_S, [_H, _I32, _PF, _I64, _I64, _PU8, _I64]),
    "cpae_model_count_regions": (_S, [_H, _I32, _PF, _I64, _I64, _PI64]),
    "cpae_code_info": (_S, [_H, _PI64, _PI32]),
    "cpae_code_bit": (_S, [_H, _I64, _PI32]),
    "cpae_code_equal": (_S, [_H, _H, _PI32]),
    "cpae_code_hash": (_S, [_H, _PU64]),
    "cpae_code_hamming": (_S, [_H, _H, _PI64]),
    "cpae_code_popcount": (_S, [_H, _PI64]),
    "cpae_code_to_bytes": (_S, [_H, _PU8, _I64, _PI64]),
    "cpae_code_from_bytes": (_S, [_H, _PU8, _I64]),
    # per-region affine maps
    "cpae_affine_create": (_S, [_H, _I32, _PH]),
    "cpae_affine_destroy": (None, [_H]),
    "cpae_model_affine": (_S, [_H, _I32, _PF, _I64, _H]),
    "cpae_model_region_maps": (_S, [_H, _PF, _I64, _H, _H, _H]),
    "cpae_affine_dims": (_S, [_H, _PI64, _PI64]),
    "cpae_affine_get_slope": (_S, [_H, _PF, _I64]),
    "cpae_affine_get_offset": (_S, [_H, _PF, _I64]),
    "cpae_affine_get_slope_f64": (_S, [_H, _PD, _I64]),
    "cpae_affine_get_offset_f64": (_S, [_H, _PD, _I64]),
    "cpae_affine_apply": (_S, [_H, _PF, _I64, _I64, _PF, _I64]),
    "cpae_affine_compose": (_S, [_H, _H, _H]),
    # geometry
    "cpae_model_boundary_distance": (_S, [_H, _I32, _PF, _I64, _PD, _PI64,
                                          _PF, _I64]),
    "cpae_model_boundary_distances": (_S, [_H, _I32, _PF, _I64, _I64, _PD,
                                           _I64]),
    "cpae_model_segment": (_S, [_H, _I32, _PF, _PF, _I64, _I64, _PH]),
    "cpae_path_destroy": (None, [_H]),
    "cpae_path_n_regions": (_S, [_H, _PI64]),
    "cpae_path_params": (_S, [_H, _PD, _I64]),
    "cpae_path_code": (_S, [_H, _I64, _H]),
    "cpae_path_codes": (_S, [_H, _PU8, _I64]),
    "cpae_model_count_regions_in_ball": (_S, [_H, _I32, _PF, _I64, _D, _I64,
                                              _U64, _PI64]),
    "cpae_model_slice": (_S, [_H, _I32, _PF, _PF, _PF, _I64, _D, _D, _D, _D,
                              _I64, _PH]),
    "cpae_slice_destroy": (None, [_H]),
    "cpae_model_orbit_regions": (_S, [_H, _I32, _H, _I64, _PF, _I64, _D, _D,
                                      _I64, _I64, _PI64, _PI64]),
    "cpae_model_ball_profile": (_S, [_H, _I32, _PF, _I64, _I64, _PF, _PD,
                                     _I64, _I64, _U64, _PI64, _PI64, _I64]),
    "cpae_report_create": (_S, [_H, _H, _PF, _I64, _I64, _PH]),
    "cpae_report_destroy": (None, [_H]),
    "cpae_report_get": (_S, [_H, _I32, _PD]),
    "cpae_report_distances": (_S, [_H, _I32, _PD, _I64]),
    "cpae_report_json": (_S, [_H, c_char_p, _I64, _PI64]),
    "cpae_slice_n_polygons": (_S, [_H, _PI64]),
    "cpae_slice_polygon_size": (_S, [_H, _I64, _PI64]),
    "cpae_slice_polygon": (_S, [_H, _I64, _PD, _I64]),
    "cpae_slice_area": (_S, [_H, _I64, _PD]),
    "cpae_slice_code": (_S, [_H, _I64, _H]),
    "cpae_slice_codes": (_S, [_H, _PU8, _I64]),
    "cpae_slice_map": (_S, [_H, _I64, _PD, _I64, _PD, _I64]),
    "cpae_model_raster": (_S, [_H, _I32, _PF, _PF, _PF, _I64, _D, _D, _D, _D,
                               _I64, _I64, _PI32, _I64, _PU8, _I64, _PI64]),
    # persistence
    "cpae_model_save": (_S, [_H, c_char_p]),
    "cpae_model_save_size": (_S, [_H, _PI64]),
    "cpae_model_save_to_buffer": (_S, [_H, _PU8, _I64, _PI64]),
    "cpae_model_save_to_callback": (_S, [_H, WRITE_FN, c_void_p]),
    "cpae_model_load": (_S, [c_char_p, _PH]),
    "cpae_model_load_from_buffer": (_S, [_PU8, _I64, _PH]),
    "cpae_model_save_lie": (_S, [_H, _H, c_char_p]),
    "cpae_model_save_lie_size": (_S, [_H, _H, _PI64]),
    "cpae_model_save_lie_to_buffer": (_S, [_H, _H, _PU8, _I64, _PI64]),
    "cpae_model_load_lie": (_S, [c_char_p, _PH, _PH]),
    "cpae_model_load_lie_from_buffer": (_S, [_PU8, _I64, _PH, _PH]),
    # Lie generators
    "cpae_lie_create": (_S, [_I64, _I64, _I32, _U64, _PH]),
    "cpae_lie_destroy": (None, [_H]),
    "cpae_lie_clone": (_S, [_H, _PH]),
    "cpae_lie_info": (_S, [_H, _PI64, _PI64, _PI32]),
    "cpae_lie_set_trainable": (_S, [_H, _I32]),
    "cpae_lie_trainable": (_S, [_H, _PI32]),
    "cpae_lie_set": (_S, [_H, _PF, _I64]),
    "cpae_lie_get": (_S, [_H, _PF, _I64]),
    "cpae_lie_expm": (_S, [_H, _PD, _I64, _PF, _I64]),
    "cpae_lie_orbit": (_S, [_H, _I64, _PF, _I64, _PD, _I64, _PF, _I64]),
    "cpae_lie_cosine": (_S, [_H, _I64, _PF, _I64, _PF, _I64, _PD, _PD]),
    "cpae_shift_generator": (_S, [_I64, _PF, _I64]),
    # training
    "cpae_n_loss_terms": (_I64, []),
    "cpae_loss_term_name": (c_char_p, [_I32]),
    "cpae_param_bounds": (_S, [_I32, _PD, _PD, _PD]),
    "cpae_trainer_create": (_S, [_H, _H, _I32, _PH]),
    "cpae_trainer_destroy": (None, [_H]),
    "cpae_trainer_set_param": (_S, [_H, _I32, _D]),
    "cpae_trainer_get_param": (_S, [_H, _I32, _PD]),
    "cpae_trainer_set_data": (_S, [_H, _PF, _I64, _I64]),
    "cpae_trainer_set_validation": (_S, [_H, _PF, _I64, _I64]),
    "cpae_trainer_set_callback": (_S, [_H, PROGRESS_FN, c_void_p]),
    "cpae_trainer_fit": (_S, [_H]),
    "cpae_trainer_fit_info": (_S, [_H, _PI64, _PI64, _PD]),
    "cpae_trainer_set_epoch_callback": (_S, [_H, EPOCH_FN, c_void_p]),
    "cpae_trainer_history": (_S, [_H, _PD, _I64, _PI64, _PI64]),
    "cpae_trainer_best_epoch": (_S, [_H, _PI64, _PI64, _PD]),
    "cpae_trainer_fit_state": (_S, [_H, _PI32, _PI64, _PI64]),
    "cpae_trainer_resume": (_S, [_H]),
    "cpae_trainer_save_checkpoint": (_S, [_H, c_char_p]),
    "cpae_trainer_checkpoint_size": (_S, [_H, _PI64]),
    "cpae_trainer_save_checkpoint_to_buffer": (_S, [_H, _PU8, _I64, _PI64]),
    "cpae_trainer_load_checkpoint": (_S, [_H, c_char_p]),
    "cpae_trainer_load_checkpoint_from_buffer": (_S, [_H, _PU8, _I64]),
    "cpae_trainer_n_params": (_S, [_H, _PI64]),
    "cpae_trainer_workspace_size": (_S, [_H, _PI64]),
    "cpae_trainer_get_params": (_S, [_H, _PF, _I64]),
    "cpae_trainer_set_params": (_S, [_H, _PF, _I64]),
    "cpae_trainer_gradient": (_S, [_H, _PF, _I64, _I64, _PD, _I64, _PF, _I64]),
    "cpae_trainer_apply_gradient": (_S, [_H, _PF, _I64]),
    "cpae_trainer_step": (_S, [_H, _PF, _I64, _I64, _PD, _I64]),
    # data sets and evaluation
    "cpae_dataset_load": (_S, [c_char_p, _I32, _PH]),
    "cpae_dataset_load_idx": (_S, [c_char_p, c_char_p, _PH]),
    "cpae_dataset_load_limit": (_S, [c_char_p, _I32, _I64, _PH]),
    "cpae_dataset_load_idx_limit": (_S, [c_char_p, c_char_p, _I64, _PH]),
    "cpae_dataset_wrap": (_S, [_PF, _I64, _I64, _PI32, _PH]),
    "cpae_dataset_destroy": (None, [_H]),
    "cpae_dataset_info": (_S, [_H, _PI64, _PI64, _PI32]),
    "cpae_dataset_data": (_S, [_H, POINTER(_PF)]),
    "cpae_dataset_labels": (_S, [_H, _PI32, _I64]),
    "cpae_dataset_split": (_S, [_H, _D, _U64, _PH, _PH]),
    "cpae_normalizer_fit": (_S, [_H, _I32, _PH]),
    "cpae_normalizer_destroy": (None, [_H]),
    "cpae_normalizer_apply": (_S, [_H, _H]),
    "cpae_model_evaluate": (_S, [_H, _PF, _I64, _I64, _PD, _PD]),
    # linear baselines
    "cpae_pca_fit": (_S, [_PF, _I64, _I64, _I64, _PH]),
    "cpae_pca_destroy": (None, [_H]),
    "cpae_pca_info": (_S, [_H, _PI64, _PI64, _PD]),
    "cpae_pca_mean": (_S, [_H, _PF, _I64]),
    "cpae_pca_components": (_S, [_H, _PF, _I64]),
    "cpae_pca_variances": (_S, [_H, _PF, _I64]),
    "cpae_model_from_pca": (_S, [_H, _PH]),
    "cpae_model_init_pca": (_S, [_H, _H, _PF, _I64, _I64, _D]),
    # model selection
    "cpae_selection_create": (_S, [_I32, _PI64, _I64, _PH]),
    "cpae_selection_destroy": (None, [_H]),
    "cpae_selection_set_option": (_S, [_H, _I32, _D]),
    "cpae_selection_get_option": (_S, [_H, _I32, _PD]),
    "cpae_selection_set_param": (_S, [_H, _I32, _D]),
    "cpae_selection_set_grid": (_S, [_H, _I32, _PD, _I64]),
    "cpae_selection_set_callback": (_S, [_H, SELECTION_FN, c_void_p]),
    "cpae_selection_n_candidates": (_S, [_H, _PI64]),
    "cpae_selection_grid_keys": (_S, [_H, _PI32, _I64, _PI64]),
    "cpae_selection_fit": (_S, [_H, _PF, _I64, _I64, _PH, _PH]),
    "cpae_selection_candidate": (_S, [_H, _I64, _PD, _I64, _PD, _PI64]),
    "cpae_selection_best": (_S, [_H, _PI64]),
}

BOUND_FUNCTIONS = tuple(sorted(_SIGNATURES))

# Statuses these return are information, not failures (and reading the
# last error from inside them would be circular).
_NO_ERRCHECK = {"cpae_last_error_copy"}


# -------------------------------------------------------------- the library
def default_library_path():
    """$CPAE_LIB, else lib/libcpae.so of the repository holding this file."""
    env = os.environ.get("CPAE_LIB")
    if env:
        return env
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    return os.path.join(repo, "lib", "libcpae.so")


class _Lib:
    """The loaded library; one attribute per bound C function."""

    def __init__(self, path):
        self.path = path
        self.dll = ctypes.CDLL(path)
        self.missing = []
        for name, (restype, argtypes) in _SIGNATURES.items():
            try:
                fn = getattr(self.dll, name)
            except AttributeError:
                self.missing.append(name)
                continue
            fn.restype = restype
            fn.argtypes = argtypes
            if restype is _S and name not in _NO_ERRCHECK:
                fn.errcheck = self._errcheck
            setattr(self, name, fn)

    def _errcheck(self, result, func, args):
        if result != OK:
            # Read the thread's detail first: it is valid until the next call.
            detail = self.dll.cpae_last_error()
            detail = detail.decode("utf-8", "replace") if detail else ""
            text = self.dll.cpae_status_string(result)
            text = text.decode("utf-8", "replace") if text else ""
            raise CpaeError(result, func.__name__, text, detail)
        return result

    def __getattr__(self, name):
        if name.startswith("cpae_"):
            raise AttributeError("%s: %s is not exported by the library or "
                                 "not bound here" % (self.path, name))
        raise AttributeError(name)


_lib = None


def lib():
    """The loaded library (loaded on first use from default_library_path())."""
    global _lib
    if _lib is None:
        _lib = _Lib(default_library_path())
    return _lib


def load(path=None):
    """(Re)load the library from path (default: default_library_path())."""
    global _lib
    _lib = _Lib(path or default_library_path())
    return _lib


# ---------------------------------------------------------------- helpers
def _f32(a, ndim=None):
    """a as a float32 C-contiguous array (copied only when needed)."""
    arr = np.ascontiguousarray(a, dtype=np.float32)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError("expected a %d-D array, got shape %s" % (ndim, arr.shape))
    return arr


def _fp(arr):
    return arr.ctypes.data_as(_PF) if arr is not None else None


def _dp(arr):
    return arr.ctypes.data_as(_PD) if arr is not None else None


def _u8p(arr):
    return arr.ctypes.data_as(_PU8) if arr is not None else None


def _i64():
    return c_int64(0)


def _s(p):
    return p.decode("utf-8", "replace") if p else ""


def version_number():
    return int(lib().cpae_version_number())


def version_string():
    return _s(lib().cpae_version_string())


def build_info():
    return _s(lib().cpae_build_info())


def status_string(status):
    return _s(lib().cpae_status_string(int(status)))


def last_error():
    return _s(lib().cpae_last_error())


class _Handle:
    """Owns one libcpae handle; destroyed by close(), `with` or the GC."""

    _destroy_name = None

    def __init__(self, handle):
        if not handle:
            raise ValueError("NULL handle")
        self._h = c_void_p(handle)

    @property
    def handle(self):
        if not self._h:
            raise ValueError("%s is closed" % type(self).__name__)
        return self._h

    def close(self):
        h, self._h = getattr(self, "_h", None), None
        if h and _lib is not None:
            getattr(_lib, self._destroy_name)(h)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # interpreter shutdown
            pass


class Affine(_Handle):
    """A per-region affine map y = A p + B (held in double by the library)."""

    _destroy_name = "cpae_affine_destroy"

    @classmethod
    def for_model(cls, model, stack):
        out = c_void_p()
        lib().cpae_affine_create(model.handle, stack, ctypes.byref(out))
        return cls(out.value)

    def dims(self):
        n_out, n_in = _i64(), _i64()
        lib().cpae_affine_dims(self.handle, ctypes.byref(n_in), ctypes.byref(n_out))
        return n_out.value, n_in.value

    def slope(self):
        n_out, n_in = self.dims()
        a = np.empty((n_out, n_in), np.float32)
        lib().cpae_affine_get_slope(self.handle, _fp(a), a.size)
        return a

    def offset(self):
        b = np.empty(self.dims()[0], np.float32)
        lib().cpae_affine_get_offset(self.handle, _fp(b), b.size)
        return b

    def slope64(self):
        n_out, n_in = self.dims()
        a = np.empty((n_out, n_in), np.float64)
        lib().cpae_affine_get_slope_f64(self.handle, _dp(a), a.size)
        return a

    def offset64(self):
        b = np.empty(self.dims()[0], np.float64)
        lib().cpae_affine_get_offset_f64(self.handle, _dp(b), b.size)
        return b

    def apply(self, p):
        p = _f32(p)
        pts = p.reshape(1, -1) if p.ndim == 1 else p
        n_out, _ = self.dims()
        y = np.empty((pts.shape[0], n_out), np.float32)
        lib().cpae_affine_apply(self.handle, _fp(pts), pts.shape[0],
                                pts.shape[1], _fp(y), y.size)
        return y[0] if p.ndim == 1 else y


class Code(_Handle):
    """A region code of one stack of one model shape."""

    _destroy_name = "cpae_code_destroy"

    @classmethod
    def for_model(cls, model, stack):
        out = c_void_p()
        lib().cpae_code_create(model.handle, stack, ctypes.byref(out))
        return cls(out.value)

    def n_bits(self):
        n = _i64()
        lib().cpae_code_info(self.handle, ctypes.byref(n), None)
        return n.value

    def bit(self, k):
        b = c_int32()
        lib().cpae_code_bit(self.handle, k, ctypes.byref(b))
        return b.value

    def bits(self):
        return np.array([self.bit(k) for k in range(self.n_bits())], np.uint8)

    def to_bytes(self):
        buf = np.zeros((self.n_bits() + 7) // 8, np.uint8)
        written = _i64()
        lib().cpae_code_to_bytes(self.handle, _u8p(buf), buf.size,
                                 ctypes.byref(written))
        return bytes(buf[:written.value])

    def hash(self):
        h = c_uint64()
        lib().cpae_code_hash(self.handle, ctypes.byref(h))
        return h.value

    def __eq__(self, other):
        eq = c_int32()
        lib().cpae_code_equal(self.handle, other.handle, ctypes.byref(eq))
        return bool(eq.value)

    __hash__ = None


class Model(_Handle):
    """An autoencoder: encoder R^d -> R^h, decoder R^h -> R^d."""

    _destroy_name = "cpae_model_destroy"

    @classmethod
    def mirrored(cls, widths, hidden_act=ACT_RELU, seed=0):
        w = np.ascontiguousarray(widths, dtype=np.int64)
        out = c_void_p()
        lib().cpae_model_create_mirrored(w.ctypes.data_as(_PI64), w.size,
                                         hidden_act, seed, ctypes.byref(out))
        return cls(out.value)

    @classmethod
    def from_bytes(cls, data):
        buf = np.frombuffer(bytes(data), dtype=np.uint8)
        out = c_void_p()
        lib().cpae_model_load_from_buffer(_u8p(buf), buf.size, ctypes.byref(out))
        return cls(out.value)

    @classmethod
    def load(cls, path):
        out = c_void_p()
        lib().cpae_model_load(os.fsencode(path), ctypes.byref(out))
        return cls(out.value)

    def dims(self):
        d, h = _i64(), _i64()
        lib().cpae_model_dims(self.handle, ctypes.byref(d), ctypes.byref(h))
        return d.value, h.value

    def n_layers(self, stack):
        n = _i64()
        lib().cpae_model_n_layers(self.handle, stack, ctypes.byref(n))
        return n.value

    def layer_info(self, stack, index):
        n_in, n_out, act, alpha = _i64(), _i64(), c_int32(), c_double()
        lib().cpae_model_layer_info(self.handle, stack, index, ctypes.byref(n_in),
                                    ctypes.byref(n_out), ctypes.byref(act),
                                    ctypes.byref(alpha))
        return n_in.value, n_out.value, act.value, alpha.value

    def layer_params(self, stack, index):
        n_in, n_out, _, _ = self.layer_info(stack, index)
        w = np.empty((n_out, n_in), np.float32)
        b = np.empty(n_out, np.float32)
        lib().cpae_model_get_layer_params(self.handle, stack, index, _fp(w),
                                          w.size, _fp(b), b.size)
        return w, b

    def _batch(self, fn, x, out_dim):
        """Run a batch function on x (dim,) or (n, dim); dim is passed as given
        so that size errors come from the library."""
        x = _f32(x)
        pts = x.reshape(1, -1) if x.ndim == 1 else x
        y = np.empty((pts.shape[0], out_dim), np.float32)
        fn(self.handle, _fp(pts), pts.shape[0], pts.shape[1], _fp(y), y.size)
        return y[0] if x.ndim == 1 else y

    def encode(self, x):
        d, h = self.dims()
        return self._batch(lib().cpae_model_encode, x, h)

    def decode(self, z):
        d, h = self.dims()
        return self._batch(lib().cpae_model_decode, z, d)

    def reconstruct(self, x):
        d, _ = self.dims()
        return self._batch(lib().cpae_model_reconstruct, x, d)

    def code(self, point, stack=AUTOENCODER):
        p = _f32(point, 1)
        c = Code.for_model(self, stack)
        lib().cpae_model_code(self.handle, stack, _fp(p), p.size, c.handle)
        return c

    def code_bytes(self, stack=AUTOENCODER):
        n = _i64()
        lib().cpae_model_code_bytes(self.handle, stack, ctypes.byref(n))
        return n.value

    def codes(self, points, stack=AUTOENCODER):
        pts = _f32(points, 2)
        nb = self.code_bytes(stack)
        out = np.zeros((pts.shape[0], nb), np.uint8)
        lib().cpae_model_codes(self.handle, stack, _fp(pts), pts.shape[0],
                               pts.shape[1], _u8p(out), out.size)
        return out

    def affine(self, point, stack=AUTOENCODER):
        p = _f32(point, 1)
        m = Affine.for_model(self, stack)
        lib().cpae_model_affine(self.handle, stack, _fp(p), p.size, m.handle)
        return m

    def region_maps(self, x):
        """(enc, dec, ae) Affine maps of the autoencoder region of x."""
        p = _f32(x, 1)
        enc = Affine.for_model(self, ENCODER)
        dec = Affine.for_model(self, DECODER)
        ae = Affine.for_model(self, AUTOENCODER)
        lib().cpae_model_region_maps(self.handle, _fp(p), p.size, enc.handle,
                                     dec.handle, ae.handle)
        return enc, dec, ae

    def boundary_distance(self, point, stack=AUTOENCODER):
        """(r, unit, normal) for one point."""
        p = _f32(point, 1)
        r, unit = c_double(), _i64()
        normal = np.empty(p.size, np.float32)
        lib().cpae_model_boundary_distance(self.handle, stack, _fp(p), p.size,
                                           ctypes.byref(r), ctypes.byref(unit),
                                           _fp(normal), normal.size)
        return r.value, unit.value, normal

    def count_regions(self, points, stack=AUTOENCODER):
        """Distinct regions of `stack` among the rows of points."""
        p = _f32(points, 2)
        n = _i64()
        lib().cpae_model_count_regions(self.handle, stack, _fp(p), p.shape[0],
                                       p.shape[1], ctypes.byref(n))
        return n.value

    def count_regions_in_ball(self, center, rho, n_samples, seed=0,
                              stack=AUTOENCODER):
        c = _f32(center, 1)
        n = _i64()
        lib().cpae_model_count_regions_in_ball(self.handle, stack, _fp(c), c.size,
                                               float(rho), n_samples, seed,
                                               ctypes.byref(n))
        return n.value

    def slice(self, origin, e1, e2, rect, stack=ENCODER, max_polygons=1 << 22):
        """Exact 2-D slice over rect = (u0, u1, v0, v1): a list of
        (vertices (k x 2, float64), packed code, a (out x 2), b (out))."""
        o, a1, a2 = _f32(origin, 1), _f32(e1, 1), _f32(e2, 1)
        out = c_void_p()
        L = lib()
        L.cpae_model_slice(self.handle, stack, _fp(o), _fp(a1), _fp(a2), o.size,
                           *[float(r) for r in rect], max_polygons, ctypes.byref(out))
        sl = out.value
        try:
            n = _i64()
            L.cpae_slice_n_polygons(sl, ctypes.byref(n))
            cb = self.code_bytes(stack)
            codes = np.zeros((n.value, cb), np.uint8)
            L.cpae_slice_codes(sl, _u8p(codes), codes.size)
            width = self.dims()[1] if stack == ENCODER else self.dims()[0]
            polys = []
            for k in range(n.value):
                nv = _i64()
                L.cpae_slice_polygon_size(sl, k, ctypes.byref(nv))
                uv = np.empty((nv.value, 2), np.float64)
                L.cpae_slice_polygon(sl, k, _dp(uv), uv.size)
                a = np.empty((width, 2), np.float64)
                b = np.empty(width, np.float64)
                L.cpae_slice_map(sl, k, _dp(a), a.size, _dp(b), b.size)
                polys.append((uv, codes[k], a, b))
        finally:
            L.cpae_slice_destroy(sl)
        return polys

    def raster(self, origin, e1, e2, rect, width, height, stack=ENCODER):
        """(labels (height x width, int32, row 0 at v0), codes of the labels)."""
        o, a1, a2 = _f32(origin, 1), _f32(e1, 1), _f32(e2, 1)
        labels = np.empty((height, width), np.int32)
        n = _i64()
        L = lib()
        args = [self.handle, stack, _fp(o), _fp(a1), _fp(a2), o.size,
                *[float(r) for r in rect], width, height,
                labels.ctypes.data_as(_PI32), labels.size]
        L.cpae_model_raster(*args, None, 0, ctypes.byref(n))
        codes = np.zeros((n.value, self.code_bytes(stack)), np.uint8)
        L.cpae_model_raster(*args, _u8p(codes), codes.size, ctypes.byref(n))
        return labels, codes

    def report_json(self, x, lie=None):
        """The generalization report (docs/math.md section 5) as a dict."""
        import json
        x = _f32(x, 2)
        out = c_void_p()
        L = lib()
        L.cpae_report_create(self.handle, lie.handle if lie is not None else None,
                             _fp(x), x.shape[0], x.shape[1], ctypes.byref(out))
        try:
            n = _i64()
            L.cpae_report_json(out.value, None, 0, ctypes.byref(n))
            buf = ctypes.create_string_buffer(n.value)
            L.cpae_report_json(out.value, buf, n.value, ctypes.byref(n))
        finally:
            L.cpae_report_destroy(out.value)
        return json.loads(buf.value.decode("utf-8"))

    def segment(self, p, q, stack=AUTOENCODER, max_regions=1 << 20):
        """(t, codes): start parameters and packed codes of the regions of
        the segment p -> q."""
        p, q = _f32(p, 1), _f32(q, 1)
        out = c_void_p()
        L = lib()
        L.cpae_model_segment(self.handle, stack, _fp(p), _fp(q), p.size,
                             max_regions, ctypes.byref(out))
        path = out.value
        try:
            n = _i64()
            L.cpae_path_n_regions(path, ctypes.byref(n))
            t = np.empty(n.value, np.float64)
            L.cpae_path_params(path, _dp(t), t.size)
            codes = np.zeros((n.value, self.code_bytes(stack)), np.uint8)
            L.cpae_path_codes(path, _u8p(codes), codes.size)
        finally:
            L.cpae_path_destroy(path)
        return t, codes

    def to_bytes(self):
        n = _i64()
        L = lib()
        L.cpae_model_save_size(self.handle, ctypes.byref(n))
        buf = np.empty(n.value, np.uint8)
        written = _i64()
        L.cpae_model_save_to_buffer(self.handle, _u8p(buf), buf.size,
                                    ctypes.byref(written))
        return bytes(buf[:written.value])

    def save(self, path):
        lib().cpae_model_save(self.handle, os.fsencode(path))
