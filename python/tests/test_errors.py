# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""Status codes as exceptions: classes, messages, built-in bases."""

import ctypes
import struct
import zlib

import numpy as np
import pytest

import cpae
from cpae import _lib
from cpae._util import fp

from conftest import WIDTHS


def test_wrong_dimension_is_a_size_error_with_the_library_message(model):
    bad = np.zeros((3, WIDTHS[0] - 1), np.float32)
    with pytest.raises(cpae.SizeError) as info:
        model.reconstruct(bad)
    e = info.value
    assert isinstance(e, cpae.Error) and isinstance(e, ValueError)
    assert e.status == cpae.Status.E_SIZE == 3
    assert e.name == cpae.status_string(3) == "zero, negative or mismatched sizes"
    assert e.function == "cpae_model_reconstruct"
    assert e.message == "cpae_model_reconstruct: dim is 7, the stack takes 8"
    assert e.message in str(e) and "CPAE_E_SIZE" in str(e)


def test_nan_is_refused_by_the_library(model, X):
    x = X[0].copy()
    x[3] = np.nan
    with pytest.raises(cpae.NonFiniteError, match=r"\[3\] is NaN"):
        model.encode(x)
    with pytest.raises(cpae.NonFiniteError, match="infinite"):
        model.encode(np.full(WIDTHS[0], np.inf))
    # float64 and integer inputs are converted, not refused
    assert model.encode(X[0].astype(np.float64)).dtype == np.float32
    assert np.array_equal(model.encode(np.arange(8)), model.encode(np.arange(8.0)))


def test_small_output_buffer_raises_buffer_too_small(model, X):
    y = np.empty(WIDTHS[0], np.float32)  # room for one point, two asked
    with pytest.raises(cpae.BufferTooSmallError) as info:
        _lib.lib.cpae_model_reconstruct(model.handle, fp(X[:2]), 2, WIDTHS[0], fp(y), y.size)
    assert info.value.status == cpae.Status.E_BUFFER_TOO_SMALL
    assert "capacity" in info.value.message


def test_last_error_copy_and_unknown_status(model):
    with pytest.raises(cpae.SizeError) as info:
        model.reconstruct(np.zeros((1, WIDTHS[0] + 1), np.float32))
    needed = ctypes.c_int64()
    buf = ctypes.create_string_buffer(1024)
    assert _lib.lib.cpae_last_error_copy(buf, len(buf), ctypes.byref(needed)) == 0
    assert buf.value.decode() == info.value.message
    assert needed.value == len(info.value.message) + 1
    assert cpae.status_string(9999) == "unknown status"


def test_every_status_has_its_class():
    expected = {
        1: (cpae.NullError, ValueError), 2: (cpae.InvalidError, ValueError),
        3: (cpae.SizeError, ValueError), 4: (cpae.BufferTooSmallError, ValueError),
        5: (cpae.NonFiniteError, ValueError), 6: (cpae.NoMemoryError, MemoryError),
        7: (cpae.FileError, OSError), 8: (cpae.FormatError, ValueError),
        9: (cpae.VersionError, cpae.FormatError), 10: (cpae.NumericError, ArithmeticError),
        11: (cpae.MismatchError, ValueError), 12: (cpae.LimitError, ValueError),
        13: (cpae.CallbackError, cpae.Error), 14: (cpae.InternalError, RuntimeError),
        15: (cpae.CancelledError, cpae.Error), 16: (cpae.DivergedError, ArithmeticError),
    }
    from cpae.errors import error_for_status
    for status, (cls, base) in expected.items():
        assert error_for_status(status) is cls
        e = cls(status, cpae.status_string(status), "detail", "cpae_f")
        assert isinstance(e, base) and isinstance(e, cpae.Error)
        assert e.status == status and e.message == "detail"
        assert str(e) == "detail [CPAE_%s: %s]" % (cpae.Status(status).name,
                                                   cpae.status_string(status))
    assert error_for_status(77) is cpae.Error
    e = cpae.Error(77, "unknown status", "", "cpae_g")
    assert e.status == 77 and "cpae_g failed" in str(e)


def test_null_argument_is_a_null_error():
    with pytest.raises(cpae.NullError, match="'model' is NULL"):
        _lib.lib.cpae_model_dims(None, None, None)


def test_files_and_formats(model, tmp_path):
    with pytest.raises(cpae.FileError) as info:
        cpae.Model.load(str(tmp_path / "missing.cpae"))
    assert isinstance(info.value, OSError) and "missing.cpae" in info.value.message
    blob = bytearray(model.to_bytes())
    corrupt = bytes(blob[:-1]) + bytes([blob[-1] ^ 1])   # CRC mismatch
    with pytest.raises(cpae.FormatError, match="CRC|checksum"):
        cpae.Model.from_bytes(corrupt)
    with pytest.raises(cpae.FormatError):
        cpae.Model.from_bytes(bytes(blob[:40]))           # truncated
    future = bytearray(blob)
    future[8:12] = struct.pack("<I", 99)                  # a format version from the future
    future[-4:] = struct.pack("<I", zlib.crc32(bytes(future[:-4])))
    with pytest.raises(cpae.VersionError) as info:
        cpae.Model.from_bytes(bytes(future))
    assert isinstance(info.value, cpae.FormatError)
    with pytest.raises(cpae.SizeError):
        cpae.Model.from_bytes(b"")


def test_invalid_enum_names_are_value_errors():
    with pytest.raises(ValueError, match="relu, leaky_relu, abs"):
        cpae.Model.create_mirrored([4, 2], "tanh")
    with pytest.raises(ValueError, match="stack"):
        cpae.Model.create_mirrored([4, 2]).codes(np.zeros((1, 4)), stack="middle")


def test_invalid_sizes_come_from_the_library():
    with pytest.raises(cpae.SizeError):
        cpae.Model.create_mirrored([4])
    with pytest.raises(cpae.InvalidError):
        cpae.Model.create_mirrored([4, 2], 7)
