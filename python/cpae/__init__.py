# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""cpae -- Python interface to libcpae, exact geometry of piecewise-affine
autoencoders.

libcpae treats a ReLU / leaky-ReLU / absolute-value autoencoder as a
continuous piecewise-affine map: for every input it gives the region code
and the exact affine map of the region, measures the regions (boundary
distances, regions along a segment, exact 2-D slices, regions along an
orbit and in balls, a generalization report), trains autoencoders (also
with Lie-group regularizers), and saves and loads models. This package
binds the whole C API through ctypes with NumPy arrays in and out:

=================  ==========================================================
:class:`Model`     an autoencoder: create, encode/decode, codes, maps,
                   geometry, save/load, evaluate, PyTorch interop
:class:`Layer`     a dense layer
:class:`Code`      a region code (bits, Hamming distance, hash, bytes)
:class:`Affine`    a per-region affine map y = A p + B
:class:`Path`      the exact regions along a segment
:class:`Slice`     the exact partition of a 2-D slice into polygons
:class:`Report`    the generalization report
:class:`Lie`       Lie-group generators (expm, orbits, cosine)
:class:`Trainer`   training with Ctrl-C, progress bar and loss history
:class:`Dataset`   data files (UCR, CSV, IDX) or NumPy arrays; splits
:class:`Normalizer` normalisation statistics
:class:`PCA`       the linear baseline (and PCA initialisation)
:class:`Selection` the library's hyperparameter-selection protocol
=================  ==========================================================

Failures raise :class:`Error` subclasses carrying the status and the
library's message. The library is found through ``CPAE_LIB``, the installed
``libcpae.so.0``, or a checkout's ``lib/`` (see :mod:`cpae._lib`).
Documentation: docs/python.md of the source tree.
"""

from ._version import __version__
from ._lib import lib as _library
from .enums import (Activation, Format, Init, LieForm, LieParam, LieSampler, LossTerm,
                    Method, Norm, Optimizer, Param, ReportKey, SelectionOption, Stack, Status)
from .errors import (BufferTooSmallError, CallbackError, CancelledError, ClosedError,
                     DivergedError, Error, FileError, FormatError, InternalError, InvalidError,
                     LibraryNotFoundError, LimitError, MismatchError, NoMemoryError,
                     NonFiniteError, NullError, NumericError, RemoteError, SizeError,
                     VersionError)
from .layer import DEFAULT_LEAKY_ALPHA, Layer
from .geometry import Affine, Code, Path, Report, Slice, SlicePolygon
from .model import (BallProfile, BoundaryDistance, Evaluation, LayerInfo, LayerWeights, Model,
                    OrbitRegions, Raster)
from .lie import Cosine, Lie, shift_generator
from .train import FitInfo, ParamBounds, StepInfo, Trainer, loss_term_names, param_bounds
from .data import Dataset, Normalizer
from .pca import PCA
from .selection import Candidate, Selection
from . import torch_interop

ENCODER = Stack.ENCODER
DECODER = Stack.DECODER
AUTOENCODER = Stack.AUTOENCODER


def version():
    """The loaded library's version string ("MAJOR.MINOR.PATCH")."""
    return _library.version_string()


def version_number():
    """The loaded library's MAJOR*10000 + MINOR*100 + PATCH."""
    return int(_library.dll.cpae_version_number())


def build_info():
    """The library's build description (version, BLAS, LAPACKE, compiler)."""
    return _library.dll.cpae_build_info().decode("utf-8", "replace")


def library_path():
    """The path (or soname) of the loaded libcpae."""
    return _library.path


def status_string(status):
    """cpae_status_string: the library's text for a status code."""
    return _library.dll.cpae_status_string(int(status)).decode("utf-8", "replace")


def limits():
    """{"max_layers", "max_width", "max_params"}: the library's limits."""
    return {"max_layers": int(_library.cpae_max_layers()),
            "max_width": int(_library.cpae_max_width()),
            "max_params": int(_library.cpae_max_params())}


__all__ = [
    "__version__", "version", "version_number", "build_info", "library_path",
    "status_string", "limits",
    "Model", "Layer", "Code", "Affine", "Path", "Slice", "SlicePolygon", "Report", "Lie",
    "shift_generator", "Trainer", "param_bounds", "loss_term_names", "Dataset", "Normalizer",
    "PCA", "Selection", "Candidate", "LayerWeights", "LayerInfo", "BoundaryDistance",
    "Evaluation", "Raster", "OrbitRegions", "BallProfile", "Cosine", "FitInfo", "ParamBounds",
    "StepInfo", "DEFAULT_LEAKY_ALPHA", "ENCODER", "DECODER", "AUTOENCODER",
    "Activation", "Stack", "Method", "Param", "Optimizer", "LieSampler", "LieForm", "LieParam",
    "LossTerm", "Format", "Norm", "ReportKey", "Init", "SelectionOption", "Status",
    "Error", "NullError", "InvalidError", "SizeError", "BufferTooSmallError", "NonFiniteError",
    "NoMemoryError", "FileError", "FormatError", "VersionError", "NumericError",
    "MismatchError", "LimitError", "CallbackError", "InternalError", "CancelledError",
    "DivergedError", "RemoteError", "ClosedError", "LibraryNotFoundError", "torch_interop",
]
