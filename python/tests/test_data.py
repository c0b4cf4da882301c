# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""Data sets and normalisers."""

import gzip
import os
import struct

import numpy as np
import pytest

import cpae


@pytest.fixture
def cbf(repo):
    return os.path.join(repo, "examples", "data", "ucr", "CBF")


def test_load_ucr_gzip(cbf):
    with cpae.Dataset.load(os.path.join(cbf, "CBF_TRAIN.tsv.gz")) as ds:
        assert ds.shape == (30, 128) and len(ds) == 30 and ds.has_labels
        x = ds.x
        assert x.shape == (30, 128) and x.dtype == np.float32
        assert np.array_equal(np.asarray(ds), x)
        lab = ds.labels
        assert lab.dtype == np.int32 and sorted(np.unique(lab)) == [1, 2, 3]
        assert list(np.bincount(lab)[1:]) == [10, 12, 8]
        with gzip.open(os.path.join(cbf, "CBF_TRAIN.tsv.gz"), "rt") as f:
            first = [float(v) for v in f.readline().split("\t")]
        assert lab[0] == int(first[0]) and np.allclose(x[0], first[1:])
        assert repr(ds) == "Dataset(n=30, d=128, labelled)"


def test_wrap_split_and_labels(rng):
    x = rng.standard_normal((10, 3))
    ds = cpae.Dataset(x, labels=np.arange(10))
    assert ds.shape == (10, 3) and np.array_equal(ds.labels, np.arange(10))
    assert np.array_equal(ds.x, x.astype(np.float32))
    tr, va = ds.split(0.3, seed=2)
    assert (len(tr), len(va)) == (7, 3)
    both = np.concatenate([tr.labels, va.labels])
    assert sorted(both) == list(range(10))
    assert list(tr.labels) == sorted(tr.labels) and list(va.labels) == sorted(va.labels)
    assert np.array_equal(tr.x, x.astype(np.float32)[tr.labels])
    tr2, va2 = ds.split(0.3, seed=2)
    assert np.array_equal(va2.labels, va.labels)          # seeded
    assert cpae.Dataset(x).labels is None
    with pytest.raises(cpae.InvalidError):
        ds.split(1.5)
    bad = x.copy()
    bad[1, 1] = np.nan
    with pytest.raises(cpae.NonFiniteError):
        cpae.Dataset(bad)


def test_normalizers(rng):
    x = (rng.standard_normal((20, 5)) * [1, 2, 3, 4, 5] + [5, 4, 3, 2, 1]).astype(np.float32)
    ds = cpae.Dataset(x)
    norm = ds.normalize("feature_z")
    z = ds.x
    assert np.allclose(z.mean(0), 0, atol=1e-5) and np.allclose(z.std(0), 1, atol=1e-5)
    assert np.array_equal(x, x.copy())                    # the wrapped array is not written
    other = x[:3] * 2
    assert np.allclose(norm(other), cpae.Normalizer(x, "feature_z").apply(other))
    series = cpae.Normalizer(x, "series_z").apply(x)
    assert np.allclose(series.mean(1), 0, atol=1e-5)
    mm = cpae.Normalizer(x, cpae.Norm.MINMAX).apply(x)
    assert np.allclose(mm.min(0), 0, atol=1e-6) and np.allclose(mm.max(0), 1, atol=1e-6)
    with pytest.raises(cpae.SizeError):
        norm.apply(np.zeros((2, 4)))
    with pytest.raises(ValueError):
        cpae.Normalizer(x, "zscore")


def test_loader_errors_name_file_line_and_column(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("1,2,3\n4,x,6\n")
    with pytest.raises(cpae.FormatError) as info:
        cpae.Dataset.load(str(p))
    msg = info.value.message
    assert msg.endswith("bad.csv:2:3: not a number: 'x' (field 2)")
    with pytest.raises(cpae.FileError):
        cpae.Dataset.load(str(tmp_path / "missing.tsv"))
    good = tmp_path / "good.csv"
    good.write_text("a,b\n1,2\n3,4\n")
    ds = cpae.Dataset.load(str(good), format="csv_header")
    assert ds.shape == (2, 2) and not ds.has_labels
    with pytest.raises(cpae.LimitError):
        cpae.Dataset.load(str(good), format="csv_header", max_bytes=4)


def test_idx(tmp_path):
    images = np.arange(2 * 3 * 2, dtype=np.uint8).reshape(2, 3, 2)
    (tmp_path / "img.idx3").write_bytes(struct.pack(">I", 0x0803) + struct.pack(">3I", 2, 3, 2)
                                        + images.tobytes())
    (tmp_path / "lab.idx1").write_bytes(struct.pack(">I", 0x0801) + struct.pack(">I", 2)
                                        + bytes([7, 9]))
    ds = cpae.Dataset.load_idx(str(tmp_path / "img.idx3"), str(tmp_path / "lab.idx1"))
    assert ds.shape == (2, 6) and np.array_equal(ds.x, images.reshape(2, 6))
    assert list(ds.labels) == [7, 9]
    assert cpae.Dataset.load(str(tmp_path / "img.idx3")).shape == (2, 6)


def test_datasets_are_accepted_as_points(cbf):
    ds = cpae.Dataset.load(os.path.join(cbf, "CBF_TRAIN.tsv.gz"))
    m = cpae.Model.create_mirrored([128, 8], seed=1)
    assert m.count_regions(ds) == m.count_regions(ds.x)
    t = cpae.Trainer(m, epochs=1, batch_size=10)
    t.fit(ds, progress=False)
    assert t.fit_info().steps == 3
