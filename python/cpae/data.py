# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""Data sets and normalisation: cpae_dataset_*, cpae_normalizer_*."""

import os
from ctypes import POINTER, c_float, c_int32, c_int64, c_void_p

import numpy as np

from ._lib import lib
from ._util import Handle, f32, fp, i32p, ref
from .enums import Format, Norm, to_enum

__all__ = ["Dataset", "Normalizer"]


class Dataset(Handle):
    """n samples of dimension d (float32) with optional int32 labels.

    ``Dataset(x, labels=None)`` wraps a NumPy array (converted to a
    float32 C-contiguous copy when needed; the object keeps it alive);
    :meth:`load` reads UCR, CSV or IDX files, gzip-compressed or plain
    (docs/data.md), refusing malformed input with FormatError naming the
    file, line and column. A Dataset is accepted wherever the package takes
    points (``np.asarray(ds)`` is its data), e.g. ``trainer.fit(train)``.
    """

    _destroy_name = "cpae_dataset_destroy"

    def __init__(self, x, labels=None):
        arr = f32(x, 2, "x")
        lab = None
        if labels is not None:
            lab = np.ascontiguousarray(labels, dtype=np.int32).reshape(-1)
        out = c_void_p()
        lib.cpae_dataset_wrap(fp(arr), arr.shape[0], arr.shape[1], i32p(lab), ref(out))
        super().__init__(out.value)
        self._borrowed = (arr, lab)  # the C data set points into these

    @classmethod
    def load(cls, path, format=Format.AUTO, max_bytes=None):
        """Load a file (format a :class:`Format` or its name; "auto" decides
        from the name: idx -> IDX, .csv -> CSV, anything else UCR). Loads stop
        with LimitError past max_bytes decompressed bytes (default 1 GiB)."""
        f = to_enum(Format, format, "format")
        out = c_void_p()
        if max_bytes is None:
            lib.cpae_dataset_load(os.fsencode(path), int(f), ref(out))
        else:
            lib.cpae_dataset_load_limit(os.fsencode(path), int(f), int(max_bytes), ref(out))
        return cls._adopt(out.value)

    @classmethod
    def load_idx(cls, images, labels=None, max_bytes=None):
        """IDX images (each flattened to a row; values 0..255 as stored) and
        optional IDX labels (MNIST, Fashion-MNIST)."""
        lp = os.fsencode(labels) if labels is not None else None
        out = c_void_p()
        if max_bytes is None:
            lib.cpae_dataset_load_idx(os.fsencode(images), lp, ref(out))
        else:
            lib.cpae_dataset_load_idx_limit(os.fsencode(images), lp, int(max_bytes), ref(out))
        return cls._adopt(out.value)

    def _info(self):
        n, d, has = c_int64(), c_int64(), c_int32()
        lib.cpae_dataset_info(self.handle, ref(n), ref(d), ref(has))
        return n.value, d.value, bool(has.value)

    @property
    def n(self):
        """Number of samples."""
        return self._info()[0]

    @property
    def d(self):
        """Dimension of a sample."""
        return self._info()[1]

    @property
    def shape(self):
        """(n, d)."""
        n, d, _ = self._info()
        return n, d

    def __len__(self):
        return self.n

    @property
    def has_labels(self):
        return self._info()[2]

    @property
    def x(self):
        """The samples as a new (n, d) float32 array (a copy)."""
        n, d, _ = self._info()
        p = POINTER(c_float)()
        lib.cpae_dataset_data(self.handle, ref(p))
        return np.ctypeslib.as_array(p, shape=(n, d)).copy()

    def __array__(self, dtype=None, copy=None):
        x = self.x
        return x if dtype is None else x.astype(dtype)

    @property
    def labels(self):
        """The labels as a new (n,) int32 array, or None without labels."""
        n, _, has = self._info()
        if not has:
            return None
        lab = np.empty(n, np.int32)
        lib.cpae_dataset_labels(self.handle, i32p(lab), lab.size)
        return lab

    def split(self, valid=0.2, seed=0):
        """(train, validation): a fraction ``valid`` of the samples (at least
        1, at most n - 1), chosen by a seeded shuffle, goes to validation;
        both keep the original order and the labels."""
        tr, va = c_void_p(), c_void_p()
        lib.cpae_dataset_split(self.handle, float(valid), int(seed), ref(tr), ref(va))
        return Dataset._adopt(tr.value), Dataset._adopt(va.value)

    def normalize(self, kind):
        """Fit a :class:`Normalizer` of ``kind`` on this data set, apply it in
        place and return it (to apply the same statistics to other data)."""
        norm = Normalizer(self, kind)
        norm.apply(self)
        return norm

    def __repr__(self):
        if self.closed:
            return self._closed_repr()
        n, d, has = self._info()
        return "Dataset(n=%d, d=%d%s)" % (n, d, ", labelled" if has else "")


class Normalizer(Handle):
    """Normalisation statistics fitted on one data set (the training split)
    and applied unchanged to others.

    ``Normalizer(data, kind)``: data a :class:`Dataset` or an (n, d) array;
    kind a :class:`Norm` or its name: "series_z" (each sample to mean 0,
    std 1), "feature_z" (each feature by the fitted mean and std),
    "minmax" (each feature to the fitted [min, max]) or "none".
    """

    _destroy_name = "cpae_normalizer_destroy"

    def __init__(self, data, kind):
        k = to_enum(Norm, kind, "kind")
        ds = data if isinstance(data, Dataset) else Dataset(data)
        try:
            out = c_void_p()
            lib.cpae_normalizer_fit(ds.handle, int(k), ref(out))
        finally:
            if ds is not data:
                ds.close()
        super().__init__(out.value)
        self.kind = k

    def apply(self, data):
        """Normalise: a :class:`Dataset` in place (returns it), or an array
        (returns a new float32 array; the input is not changed)."""
        if isinstance(data, Dataset):
            lib.cpae_normalizer_apply(self.handle, data.handle)
            return data
        with Dataset(data) as ds:
            lib.cpae_normalizer_apply(self.handle, ds.handle)
            return ds.x

    __call__ = apply

    def __repr__(self):
        if self.closed:
            return self._closed_repr()
        return "Normalizer(%s)" % self.kind.name.lower()
