# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""Exceptions: one class per libcpae status code.

Every libcpae call that returns a status other than ``CPAE_OK`` raises a
subclass of :class:`Error`. The exception carries

* ``status``: the status code, as a :class:`cpae.Status` (an ``int``);
* ``name``: ``cpae_status_string(status)``, the library's English text;
* ``message``: the detail of the failure, copied with
  ``cpae_last_error_copy`` on the calling thread right after the call
  (for example ``"cpae_model_encode: dim is 3, the stack takes 8"``);
* ``function``: the C function that failed.

Classes also derive from the built-in exception a Python user would expect
(``ValueError`` for bad arguments and bad data, ``OSError`` for files,
``MemoryError`` for allocation failures), so ``except ValueError`` works.
"""

from .enums import Status

__all__ = [
    "Error", "NullError", "InvalidError", "SizeError", "BufferTooSmallError",
    "NonFiniteError", "NoMemoryError", "FileError", "FormatError", "VersionError",
    "NumericError", "MismatchError", "LimitError", "CallbackError", "InternalError",
    "CancelledError", "DivergedError", "RemoteError", "ClosedError", "LibraryNotFoundError",
    "error_for_status",
]


class Error(Exception):
    """A libcpae call returned a status other than CPAE_OK.

    Attributes: ``status`` (:class:`cpae.Status`, an int), ``name``
    (``cpae_status_string(status)``), ``message`` (the thread's detail from
    ``cpae_last_error_copy``), ``function`` (the C function).
    """

    #: The status this class stands for (None: the base class).
    STATUS = None

    def __init__(self, status, name="", message="", function=""):
        try:
            status = Status(int(status))
        except ValueError:
            status = int(status)
        self.status = status
        self.name = name
        self.message = message
        self.function = function
        symbol = ("CPAE_" + status.name) if isinstance(status, Status) else "status %d" % status
        if message:
            text = "%s [%s: %s]" % (message, symbol, name)
        else:
            text = "%s failed: %s (%s)" % (function or "libcpae", symbol, name)
        super().__init__(text)

    def __reduce__(self):
        return (type(self), (int(self.status), self.name, self.message, self.function))


class NullError(Error, ValueError):
    """CPAE_E_NULL: a required argument was missing (NULL)."""
    STATUS = Status.E_NULL


class InvalidError(Error, ValueError):
    """CPAE_E_INVALID: an argument value is out of range."""
    STATUS = Status.E_INVALID


class SizeError(Error, ValueError):
    """CPAE_E_SIZE: zero, negative or mismatched sizes (e.g. a wrong dimension)."""
    STATUS = Status.E_SIZE


class BufferTooSmallError(Error, ValueError):
    """CPAE_E_BUFFER_TOO_SMALL: an output capacity was too small."""
    STATUS = Status.E_BUFFER_TOO_SMALL


class NonFiniteError(Error, ValueError):
    """CPAE_E_NONFINITE: NaN or infinity in the input (or an overflowing output)."""
    STATUS = Status.E_NONFINITE


class NoMemoryError(Error, MemoryError):
    """CPAE_E_NOMEM: memory allocation failed."""
    STATUS = Status.E_NOMEM


class FileError(Error, OSError):
    """CPAE_E_IO: a file could not be read or written."""
    STATUS = Status.E_IO


class FormatError(Error, ValueError):
    """CPAE_E_FORMAT: malformed, truncated or corrupted data."""
    STATUS = Status.E_FORMAT


class VersionError(FormatError):
    """CPAE_E_VERSION: unsupported file format version (a FormatError)."""
    STATUS = Status.E_VERSION


class NumericError(Error, ArithmeticError):
    """CPAE_E_NUMERIC: a numerical routine failed (SVD, QR, expm...)."""
    STATUS = Status.E_NUMERIC


class MismatchError(Error, ValueError):
    """CPAE_E_MISMATCH: handles that do not belong together."""
    STATUS = Status.E_MISMATCH


class LimitError(Error, ValueError):
    """CPAE_E_LIMIT: a size exceeds a library limit."""
    STATUS = Status.E_LIMIT


class CallbackError(Error):
    """CPAE_E_CALLBACK: a user callback reported failure."""
    STATUS = Status.E_CALLBACK


class InternalError(Error, RuntimeError):
    """CPAE_E_INTERNAL: an internal error (please report it)."""
    STATUS = Status.E_INTERNAL


class CancelledError(Error):
    """CPAE_E_CANCELLED: a progress callback stopped training."""
    STATUS = Status.E_CANCELLED


class DivergedError(Error, ArithmeticError):
    """CPAE_E_DIVERGED: training produced NaN or infinity, or its loss grew
    without bound (see Trainer.fit for which weights are kept)."""
    STATUS = Status.E_DIVERGED


class RemoteError(Error):
    """CPAE_E_REMOTE: another process of a data-parallel fit failed."""
    STATUS = Status.E_REMOTE


class ClosedError(ValueError):
    """An object was used after close() (like I/O on a closed file)."""


class LibraryNotFoundError(ImportError):
    """libcpae.so.0 could not be loaded, or has another major version."""


_BY_STATUS = {cls.STATUS: cls for cls in (
    NullError, InvalidError, SizeError, BufferTooSmallError, NonFiniteError,
    NoMemoryError, FileError, FormatError, VersionError, NumericError,
    MismatchError, LimitError, CallbackError, InternalError, CancelledError,
    DivergedError, RemoteError)}


def error_for_status(status):
    """The exception class for a status code (Error for unknown codes)."""
    try:
        return _BY_STATUS.get(Status(int(status)), Error)
    except ValueError:
        return Error
