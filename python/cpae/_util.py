# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""Internal helpers: array conversion, pointers, the handle base class."""

import ctypes
import weakref
from ctypes import c_void_p

import numpy as np

from ._lib import _PD, _PF, _PI32, _PI64, _PU8, lib
from .enums import Stack, to_enum
from .errors import ClosedError

__all__ = []


def f32(a, ndim=None, what="array"):
    """a as a float32 C-contiguous array (copied only when needed). Values
    are not checked: NaN and infinity reach the library, which refuses them
    with NonFiniteError."""
    arr = np.ascontiguousarray(a, dtype=np.float32)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError("%s: expected a %d-D array, got shape %s" % (what, ndim, arr.shape))
    return arr


def f64(a, ndim=None, what="array"):
    arr = np.ascontiguousarray(a, dtype=np.float64)
    if ndim is not None and arr.ndim != ndim:
        raise ValueError("%s: expected a %d-D array, got shape %s" % (what, ndim, arr.shape))
    return arr


def points(x, what="x"):
    """(pts, single): x as an (n, dim) float32 array; single is True when x
    was one point (1-D), so results can be returned 1-D too."""
    arr = f32(x)
    if arr.ndim == 1:
        return arr.reshape(1, -1), True
    if arr.ndim != 2:
        raise ValueError("%s: expected one point (dim,) or a batch (n, dim), got shape %s"
                         % (what, arr.shape))
    return arr, False


def fp(arr):
    return arr.ctypes.data_as(_PF) if arr is not None else None


def dp(arr):
    return arr.ctypes.data_as(_PD) if arr is not None else None


def u8p(arr):
    return arr.ctypes.data_as(_PU8) if arr is not None else None


def i32p(arr):
    return arr.ctypes.data_as(_PI32) if arr is not None else None


def i64p(arr):
    return arr.ctypes.data_as(_PI64) if arr is not None else None


def ref(c):
    return ctypes.byref(c)


def text(p):
    return p.decode("utf-8", "replace") if p else ""


def stack_of(s):
    return to_enum(Stack, s, "stack")


def unpack_bits(packed, n_bits):
    """Packed codes (..., n_bytes) uint8 -> (..., n_bits) bool, bit k of a
    code in byte k // 8 at position k % 8 (least significant first)."""
    packed = np.asarray(packed, np.uint8)
    return np.unpackbits(packed, axis=-1, bitorder="little")[..., :n_bits].astype(bool)


class Handle:
    """Owns one libcpae handle.

    The handle is destroyed exactly once: by :meth:`close`, by leaving a
    ``with`` block, or by a finalizer (``weakref.finalize``) when the object
    is garbage-collected or the interpreter exits. Using the object after
    ``close()`` raises :class:`cpae.ClosedError`; closing twice is fine.
    Objects that borrow this one (a Trainer borrows its Model and Lie) are
    registered as dependents and closed first.
    """

    _destroy_name = None
    #: True while a long C call (a fit) runs on the handle: closing it, or
    #: what it borrows, is refused until the call returns.
    _busy = False

    def __init__(self, ptr):
        if not ptr:
            raise ValueError("%s: NULL handle" % type(self).__name__)
        self._ptr = c_void_p(ptr)
        self._dependents = weakref.WeakSet()
        self._finalizer = weakref.finalize(self, getattr(lib, self._destroy_name), self._ptr)

    @classmethod
    def _adopt(cls, ptr):
        """An instance owning ptr, without running a subclass __init__."""
        obj = cls.__new__(cls)
        Handle.__init__(obj, ptr)
        return obj

    @property
    def handle(self):
        """The raw handle (ctypes.c_void_p); ClosedError after close()."""
        ptr = getattr(self, "_ptr", None)
        if ptr is None:
            raise ClosedError("operation on a closed %s" % type(self).__name__)
        return ptr

    @property
    def closed(self):
        """True after close()."""
        return getattr(self, "_ptr", None) is None

    def _add_dependent(self, obj):
        self._dependents.add(obj)

    def close(self):
        """Free the handle now (objects borrowing it are closed first). Safe
        to call more than once."""
        if getattr(self, "_ptr", None) is None:
            return
        if self._busy:
            raise RuntimeError("cannot close a %s while it is training (from a callback of "
                               "its own fit); stop the fit first" % type(self).__name__)
        for dep in list(self._dependents):
            dep.close()
        self._ptr = None
        self._finalizer()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _closed_repr(self):
        return "<cpae.%s (closed)>" % type(self).__name__
