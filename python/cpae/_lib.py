# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""Loading libcpae and the ctypes prototypes of its whole public API.

The library is found in this order:

1. the path in the environment variable ``CPAE_LIB``, if it is set (and
   nothing else: a set but unloadable ``CPAE_LIB`` is an error);
2. the installed soname ``libcpae.so.0`` through ``ctypes.CDLL``, i.e. the
   platform's search (``LD_LIBRARY_PATH``, the ld.so cache, the default
   directories);
3. ``lib/libcpae.so.0`` two levels above this package, i.e. the build tree
   when the package runs from a checkout (``python/cpae`` -> ``lib``).

If none loads, importing :mod:`cpae` raises
:class:`cpae.LibraryNotFoundError` (an ``ImportError``) listing what was
tried and how to fix it. The library's major version must equal the
package's (``cpae.__version__``, kept equal to ``CPAE_VERSION_STRING``).

Every function has explicit ``argtypes`` and ``restype`` (statuses are
int32, sizes int64, handles ``c_void_p``); a function returning a status
raises the :class:`cpae.Error` subclass of that status when it is not 0.
"""

import ctypes
import os
import warnings
from ctypes import (CFUNCTYPE, POINTER, c_char, c_char_p, c_double, c_float,
                    c_int32, c_int64, c_uint8, c_uint32, c_uint64, c_void_p)

from ._version import __version__
from .errors import LibraryNotFoundError, error_for_status

SONAME = "libcpae.so.%s" % __version__.split(".")[0]

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
#: typedef int32_t (*cpae_progress_fn)(void *user_data, int64_t epoch,
#:     int64_t step, const double *terms, double validation, double seconds)
PROGRESS_FN = CFUNCTYPE(c_int32, c_void_p, c_int64, c_int64, _PD, c_double, c_double)
EPOCH_FN = CFUNCTYPE(c_int32, c_void_p, c_int64, _PD, c_int64)
REDUCE_FN = CFUNCTYPE(c_int32, c_void_p, _PD, c_int64)
#: typedef int32_t (*cpae_selection_fn)(void *user_data, int64_t candidate,
#:     int64_t n_candidates, double validation, int64_t best_step)
SELECTION_FN = CFUNCTYPE(c_int32, c_void_p, c_int64, c_int64, c_double, c_int64)
# A ctypes callback object must stay referenced from Python for as long as
# libcpae may call it (ctypes frees the trampoline with the object); the
# classes that install callbacks keep them on the instance and remove them
# (with a NULL callback, FN()) when done.

# name: (restype, argtypes). _S as restype means "raise on != 0" (except the
# functions in _NO_ERRCHECK). The table covers the whole public API
# (python/tests/test_loading.py checks it against test/abi/libcpae.symbols).
_SIGNATURES = {
    # status and version
    "cpae_version_number": (c_uint32, []),
    "cpae_version_string": (c_char_p, []),
    "cpae_build_info": (c_char_p, []),
    "cpae_status_string": (c_char_p, [_I32]),
    "cpae_last_error": (c_char_p, []),
    "cpae_set_last_error": (_I32, [_I32, c_char_p]),
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
    "cpae_trainer_set_parallel": (_S, [_H, _I64, _I64, _PI64, _PU8, REDUCE_FN, c_void_p]),
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


def last_error_message(dll):
    """This thread's cpae_last_error, copied with cpae_last_error_copy
    (size query, then a caller-owned buffer)."""
    needed = c_int64(0)
    dll.cpae_last_error_copy(None, 0, ctypes.byref(needed))
    buf = ctypes.create_string_buffer(max(int(needed.value), 1))
    dll.cpae_last_error_copy(buf, len(buf), ctypes.byref(needed))
    return buf.value.decode("utf-8", "replace")


class Library:
    """The loaded library: one attribute per bound C function.

    ``path`` is what was loaded, ``how`` how it was found, ``missing`` the
    bound functions the library does not export (an older library); calling
    one raises AttributeError naming it.
    """

    def __init__(self, dll, path, how):
        self.dll = dll
        self.path = path
        self.how = how
        self.missing = []
        for name, (restype, argtypes) in _SIGNATURES.items():
            try:
                fn = getattr(dll, name)
            except AttributeError:
                self.missing.append(name)
                continue
            fn.restype = restype
            fn.argtypes = argtypes
            if restype is _S and name not in _NO_ERRCHECK:
                fn.errcheck = self._errcheck
            setattr(self, name, fn)

    def _errcheck(self, result, func, args):
        if result != 0:
            # The detail first: it is valid until the next libcpae call.
            message = last_error_message(self.dll)
            name = self.dll.cpae_status_string(result)
            name = name.decode("utf-8", "replace") if name else ""
            raise error_for_status(result)(result, name, message, func.__name__)
        return result

    def __getattr__(self, name):
        if name.startswith("cpae_"):
            raise AttributeError(
                "%s is not exported by %s (libcpae %s; the package is %s): update the "
                "library" % (name, self.path, self.version_string(), __version__))
        raise AttributeError(name)

    def version_string(self):
        s = self.dll.cpae_version_string()
        return s.decode("ascii", "replace") if s else "?"

    def __repr__(self):
        return "<libcpae %s at %s (%s)>" % (self.version_string(), self.path, self.how)


def _checkout_library():
    here = os.path.dirname(os.path.abspath(__file__))
    return os.path.join(os.path.dirname(os.path.dirname(here)), "lib", SONAME)


def load(path=None):
    """Load libcpae (see the module docstring for the search order) and
    check its major version; returns a :class:`Library`."""
    tried = []
    dll = None
    if path is None:
        path = os.environ.get("CPAE_LIB") or None
        how = "CPAE_LIB"
    else:
        how = "explicit path"
    if path is not None:
        try:
            dll = ctypes.CDLL(path)
        except OSError as e:
            tried.append("%s=%s: %s" % (how, path, e))
    else:
        tried.append("CPAE_LIB: not set")
        try:
            dll = ctypes.CDLL(SONAME)
            path, how = SONAME, "installed soname (ld.so search)"
        except OSError as e:
            tried.append("ctypes.CDLL(%r), the installed library (LD_LIBRARY_PATH, the ld.so "
                         "cache, /lib, /usr/lib): %s" % (SONAME, e))
        if dll is None:
            local = _checkout_library()
            if os.path.exists(local):
                try:
                    dll = ctypes.CDLL(local)
                    path, how = local, "the checkout's build tree"
                except OSError as e:
                    tried.append("%s (the checkout's build tree): %s" % (local, e))
            else:
                tried.append("%s (the checkout's build tree): no such file" % local)
    if dll is None:
        raise LibraryNotFoundError(
            "cpae: cannot load libcpae (%s). Tried:\n  - %s\n"
            "Fix one of:\n"
            "  - build it in the checkout: make   (then the package finds ../lib from python/)\n"
            "  - install it: sudo make install PREFIX=/usr/local && sudo ldconfig\n"
            "  - name it: CPAE_LIB=/path/to/lib/%s python3 ...\n"
            "  - or add its directory to LD_LIBRARY_PATH"
            % (SONAME, "\n  - ".join(tried), SONAME))
    # Version first, with the two prototypes it needs, before binding.
    dll.cpae_version_string.restype = c_char_p
    dll.cpae_version_string.argtypes = []
    lib_version = (dll.cpae_version_string() or b"?").decode("ascii", "replace")
    lib_major = lib_version.split(".")[0]
    pkg_major = __version__.split(".")[0]
    if lib_major != pkg_major:
        raise LibraryNotFoundError(
            "cpae: %s (found via %s) is libcpae %s, but this package (cpae %s) needs "
            "libcpae %s.x: rebuild or reinstall the library from the same checkout, or "
            "point CPAE_LIB at a matching one" % (path, how, lib_version, __version__,
                                                   pkg_major))
    lib = Library(dll, path, how)
    if pkg_major == "0" and lib_version.split(".")[:2] != __version__.split(".")[:2]:
        warnings.warn("cpae %s runs with libcpae %s (%s): before 1.0 a minor release may "
                      "change an interface" % (__version__, lib_version, path),
                      RuntimeWarning, stacklevel=2)
    return lib


lib = load()
