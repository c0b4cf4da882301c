# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""Models: shapes, forward pass, codes, maps, geometry, persistence.
(The checks of the former test/test_ctypes.py, on the package.)"""

import copy
import io
import json
import os
import pickle

import numpy as np
import pytest

import cpae

from conftest import WIDTHS, make_model, np_stack, rel_err

D, H = WIDTHS[0], WIDTHS[-1]


def test_mirrored_model_shape(model):
    assert model.dims == (D, H) and model.d == D and model.h == H
    assert model.n_layers("encoder") == 2 and model.n_layers("decoder") == 2
    assert model.n_layers() == 4
    assert model.layer_info("encoder", 0)[:3] == (8, 16, cpae.Activation.RELU)
    assert model.layer_info("encoder", 1)[:3] == (16, 4, cpae.Activation.IDENTITY)
    assert model.layer_info(cpae.DECODER, 0)[:3] == (4, 16, cpae.Activation.RELU)
    assert model.layer_info(cpae.DECODER, 1)[:3] == (16, 8, cpae.Activation.IDENTITY)
    assert model.n_params == 8 * 16 + 16 + 16 * 4 + 4 + 4 * 16 + 16 + 16 * 8 + 8
    assert model.nbytes > 8 * model.n_params
    assert repr(model) == ("Model(d=8, h=4, encoder=[8->16 relu, 16->4 identity], "
                           "decoder=[4->16 relu, 16->8 identity])")


def test_forward_pass_matches_numpy(model, X):
    worst = 0.0
    for x in X:
        z_np, _ = np_stack(model, "encoder", x)
        y_np, _ = np_stack(model, "decoder", z_np)
        worst = max(worst, rel_err(model.encode(x), z_np), rel_err(model.reconstruct(x), y_np),
                    rel_err(model.decode(z_np), y_np))
    batch = model.reconstruct(X)
    assert batch.shape == (len(X), D) and batch.dtype == np.float32
    assert model.encode(X).shape == (len(X), H) and model.encode(X[0]).shape == (H,)
    assert np.array_equal(model(X), batch)
    assert worst < 1e-5, worst


def test_region_maps_reproduce_the_autoencoder(model, X):
    worst = 0.0
    for x in X:
        enc, dec, ae = model.region_maps(x)
        assert enc.shape == (H, D) and dec.shape == (D, H) and ae.shape == (D, D)
        AE, BE, AD, BD = enc.A, enc.B, dec.A, dec.B
        assert AE.dtype == np.float64 and enc.slope().dtype == np.float32
        xd = x.astype(np.float64)
        worst = max(worst, rel_err(AD @ (AE @ xd) + AD @ BE + BD, model.reconstruct(x)))
        assert rel_err(AE @ xd + BE, model.encode(x)) < 1e-4
        assert rel_err(enc.slope(), AE) < 1e-6 and rel_err(dec.offset(), BD) < 1e-6
    assert worst < 1e-4, worst


def test_composite_map_and_compose(model, X):
    worst = 0.0
    for x in X:
        enc, dec, ae = model.region_maps(x)
        worst = max(worst, rel_err(ae.A, dec.A @ enc.A), rel_err(ae.B, dec.A @ enc.B + dec.B))
        single = model.affine(x, "autoencoder")
        assert rel_err(single.A, ae.A) < 1e-12 and rel_err(single.B, ae.B) < 1e-12
        assert rel_err(ae.apply(x), model.reconstruct(x)) < 1e-4
        assert rel_err(ae(X[:3]), (ae.A @ X[:3].T).T + ae.B) < 1e-5
        comp = dec @ enc
        assert comp.shape == (D, D)
        assert rel_err(comp.A, ae.A) < 1e-12 and rel_err(comp.B, ae.B) < 1e-12
    assert worst < 1e-10, worst
    enc, _, _ = model.region_maps(X[0])
    with pytest.raises(cpae.SizeError):
        enc.compose(enc)  # (4 x 8) o (4 x 8) does not chain


def test_region_code_bits_z_positive_layer_by_layer_lsb_first(model, X):
    nb = model.code_bytes()
    n_bits = 16 + 16
    assert nb == (n_bits + 7) // 8 and model.n_bits() == n_bits
    assert model.n_bits("encoder") == 16 and model.n_bits("decoder") == 16
    packed = model.codes(X)
    assert packed.shape == (len(X), nb) and packed.dtype == np.uint8
    unpacked = model.codes(X, bits=True)
    assert unpacked.shape == (len(X), n_bits) and unpacked.dtype == bool
    compared = 0
    for i, x in enumerate(X):
        z_lat, z_enc = np_stack(model, "encoder", x)
        _, z_dec = np_stack(model, "decoder", z_lat)
        z_all = np.concatenate(z_enc + z_dec)
        if np.min(np.abs(z_all)) < 1e-5:
            continue  # too close to a tie to compare float64 NumPy with the library
        bits = z_all > 0
        expect = np.packbits(bits, bitorder="little")
        code = model.code(x)
        assert code.n_bits == len(code) == n_bits and code.stack == cpae.AUTOENCODER
        assert np.array_equal(code.bits, bits)
        assert [code.bit(k) for k in range(n_bits)] == list(bits.astype(int))
        assert code.to_bytes() == bytes(code) == expect.tobytes()
        assert np.array_equal(packed[i], expect) and np.array_equal(unpacked[i], bits)
        assert code.popcount() == bits.sum()
        compared += 1
    assert compared >= len(X) // 2


def test_codes_compare_hash_and_measure(model, X):
    a, b = model.code(X[0]), model.code(X[0])
    c = model.code(X[1])
    assert a == b and hash(a) == hash(b) and a.hash64 == b.hash64
    assert len({a, b, c}) == (1 if a == c else 2)
    assert a.hamming(c) == int(np.sum(a.bits != c.bits))
    enc_code = model.code(X[0], "encoder")
    assert enc_code.n_bits != a.n_bits
    with pytest.raises(cpae.MismatchError):
        a.hamming(enc_code)
    d = a.clone()
    assert d == a and d is not a
    e = cpae.Code(model, "autoencoder", c.to_bytes())
    assert e == c
    with pytest.raises(cpae.SizeError):
        e.set_bytes(b"\x00")
    assert np.array_equal(model.codes(X[0]), np.frombuffer(a.to_bytes(), np.uint8))
    assert a != "not a code"
    assert model.count_regions(X) == len({model.code(x) for x in X})
    assert model.count_regions(model.encode(X), "decoder") == len(
        {bytes(r) for r in model.codes(model.encode(X), "decoder")})


def test_boundary_distance_keeps_the_code_inside_the_ball(model, X, rng):
    for x in X[:8]:
        r, unit, normal = model.boundary_distance(x)
        assert r > 0 and np.isfinite(r)
        assert 0 <= unit < 32
        assert abs(np.linalg.norm(normal) - 1.0) < 1e-5
        c0 = model.code(x).to_bytes()
        for _ in range(4):
            u = rng.standard_normal(D)
            u /= np.linalg.norm(u)
            if r * 0.5 > 1e-4:
                assert model.code((x + 0.5 * r * u).astype(np.float32)).to_bytes() == c0
        # just past the closest constraint the code changes
        past = (x + (r * 1.01 + 1e-6) * normal).astype(np.float32)
        assert model.code(past).to_bytes() != c0
    rs = model.boundary_distances(X[:8])
    assert rs.shape == (8,) and np.allclose(rs, [model.boundary_distance(x).r for x in X[:8]])


def test_segment_walk_starts_at_p_and_ends_at_q(model, X):
    p, q = X[0], X[1]
    path = model.segment(p, q)
    t = path.params
    assert t[0] == 0.0 and np.all(np.diff(t) > 0) and t[-1] < 1.0
    assert len(path) == path.n_regions == len(t)
    codes = path.codes()
    assert codes.shape == (len(t), model.code_bytes())
    assert codes[0].tobytes() == model.code(p).to_bytes()
    assert codes[-1].tobytes() == model.code(q).to_bytes()
    assert path.code(0) == model.code(p)
    # the midpoint of every region has that region's code
    iv = path.intervals
    assert iv.shape == (len(t), 2) and iv[-1, 1] == 1.0
    for k, (t0, t1) in enumerate(iv):
        mid = (p + 0.5 * (t0 + t1) * (q - p)).astype(np.float32)
        if model.boundary_distance(mid).r > 1e-6:
            assert model.code(mid).to_bytes() == codes[k].tobytes()
    assert np.array_equal(path.codes(bits=True)[0], model.code(p).bits)
    assert len(path) > 1
    with pytest.raises(cpae.LimitError):
        model.segment(p, q, max_regions=1)
    n_ball = model.count_regions_in_ball(p, 1.0, 256, seed=1)
    assert n_ball >= 1 and n_ball == model.count_regions_in_ball(p, 1.0, 256, seed=1)


def test_exact_slice_tiles_the_rectangle_and_agrees_with_the_raster(model, X):
    rng = np.random.default_rng(5)
    o = X[0]
    e1, e2 = rng.standard_normal(D), rng.standard_normal(D)
    sl = model.slice(o, e1, e2, (-1, 1, -1, 1), "encoder")
    polys = sl.polygons()
    assert len(polys) == len(sl) == sl.n_polygons
    shoelace = sum(0.5 * np.sum(p.vertices[:, 0] * np.roll(p.vertices[:, 1], -1)
                                - np.roll(p.vertices[:, 0], -1) * p.vertices[:, 1])
                   for p in polys)
    assert abs(shoelace - 4.0) < 1e-9
    assert abs(sl.areas.sum() - 4.0) < 1e-9
    k = max(range(len(polys)), key=lambda i: len(polys[i].vertices))
    poly = polys[k]
    c = poly.vertices.mean(axis=0)
    x = (o + c[0] * e1 + c[1] * e2).astype(np.float32)
    assert poly.code.tobytes() == model.code(x, "encoder").to_bytes()
    assert np.allclose(poly.a @ c + poly.b, model.encode(x), rtol=1e-4, atol=1e-4)
    assert sl.code(k) == model.code(x, "encoder")
    assert sl.codes(bits=True).shape == (len(sl), model.n_bits("encoder"))
    labels, codes = model.raster(o, e1, e2, (-1, 1, -1, 1), 64, 48, "encoder")
    assert labels.shape == (48, 64) and labels.dtype == np.int32
    assert labels.max() + 1 == len(codes) <= len(polys)
    # every raster code is one of the slice's codes
    assert {bytes(r) for r in codes} <= {bytes(r) for r in sl.codes()}


def test_report_agrees_with_the_core_api(model, X):
    rep = model.report(X)
    d = rep.to_dict()
    z = model.encode(X)
    assert d["n_samples"] == len(X) == rep["n_samples"]
    assert d["decoder_regions"] == model.count_regions(z, "decoder") == rep["decoder_regions"]
    assert d["input_regions"] == model.count_regions(X)
    assert d["neighbours"]["residual_sum"] is None  # no generators given
    assert np.isnan(rep.get(cpae.ReportKey.LIE_RESIDUAL))
    lo = d["boundary_distance_latent"]
    assert 0 <= lo["min"] <= lo["median"] <= lo["max"]
    r = rep.distances("decoder")
    assert np.allclose(r, model.boundary_distances(z, "decoder"))
    assert np.isclose(rep["distance_sum"], r.sum()) and np.isclose(rep["distance_min"], r.min())
    assert np.allclose(rep.distances("autoencoder"), model.boundary_distances(X))
    all_ = rep.as_dict()
    assert set(all_) == set(cpae.Report.keys()) and isinstance(all_["n_samples"], int)
    assert json.loads(rep.json()) == d
    with pytest.raises(KeyError):
        rep["no_such_key"]
    with cpae.Lie(D, 1, "skew", seed=3) as lie:
        assert np.isfinite(model.report(X, lie)["lie_residual"])


def test_save_load_round_trips_are_bit_exact(model, X, tmp_path):
    blob = model.to_bytes()
    assert blob[:8] == b"CPAEMODL" and bytes(model) == blob
    other = cpae.Model.from_bytes(blob)
    assert other.to_bytes() == blob
    assert np.array_equal(other.reconstruct(X), model.reconstruct(X))
    path = str(tmp_path / "m.cpae")
    model.save(path)
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o600)
    assert cpae.Model.load(path).to_bytes() == blob
    buf = io.BytesIO()
    model.save(buf)
    assert buf.getvalue() == blob
    buf.seek(0)
    assert cpae.Model.load(buf).to_bytes() == blob
    assert pickle.loads(pickle.dumps(model)).to_bytes() == blob
    assert copy.deepcopy(model).to_bytes() == blob and model.clone().to_bytes() == blob


def test_save_to_a_failing_file_object_reraises_its_exception(model):
    class Broken(io.RawIOBase):
        def write(self, b):
            raise RuntimeError("disk on fire")
    with pytest.raises(RuntimeError, match="disk on fire"):
        model.save(Broken())
    assert model.reconstruct(np.zeros(D)).shape == (D,)  # still usable


def test_weights_round_trip_through_numpy(model, X):
    enc, dec = model.weights()
    assert [w.W.shape for w in enc] == [(16, 8), (4, 16)]
    assert enc[0].activation == cpae.Activation.RELU
    assert dec[-1].activation == cpae.Activation.IDENTITY
    rebuilt = cpae.Model.from_weights(enc, dec)
    assert rebuilt.to_bytes() == model.to_bytes()
    # tuples with names and ("leaky_relu", alpha)
    r = np.random.default_rng(1)
    w1, b1 = r.standard_normal((6, 5)), r.standard_normal(6)
    w2, b2 = r.standard_normal((5, 6)), r.standard_normal(5)
    m = cpae.Model.from_weights([(w1, b1, ("leaky_relu", 0.25))], [(w2, b2, "identity")])
    assert m.layer_info("encoder", 0) == (5, 6, cpae.Activation.LEAKY_RELU, 0.25)
    got = m.weights("encoder")[0]
    assert np.array_equal(got.W, w1.astype(np.float32)) and got.alpha == 0.25
    x = r.standard_normal(5)
    z = w1.astype(np.float32).astype(np.float64) @ x.astype(np.float32) + b1.astype(np.float32)
    z = np.where(z > 0, z, 0.25 * z)
    y = w2.astype(np.float32).astype(np.float64) @ z + b2.astype(np.float32)
    assert rel_err(m.reconstruct(x), y) < 1e-6
    with pytest.raises(ValueError, match="expected"):
        cpae.Model.from_weights([(w1,)], [(w2, b2, "identity")])
    with pytest.raises(cpae.SizeError):
        cpae.Model.from_weights([(w1, b1, "relu")], [(w1, b1, "identity")])  # 6 -> 5 does not chain


def test_layers_and_create(model, X):
    enc = model.layers("encoder")
    assert [repr(l) for l in enc] == ["Layer(8 -> 16, relu)", "Layer(16 -> 4, identity)"]
    assert np.allclose(enc[1].forward(enc[0].forward(X)), model.encode(X), rtol=1e-5, atol=1e-6)
    enc[0].weights = np.zeros((16, 8))          # a copy: the model is unchanged
    assert not np.all(model.get_layer_params("encoder", 0)[0] == 0)
    with pytest.raises(ValueError):
        enc[0].weights = np.zeros((8, 16))
    dec = model.layers("decoder")
    again = cpae.Model.from_layers(model.layers("encoder"), dec)
    assert again.to_bytes() == model.to_bytes()
    layer = cpae.Layer(3, 2, "abs", weights=[[1, -1, 0], [0, 2, 1]], bias=[0.5, -3])
    assert layer.shape == (2, 3) and layer.activation == cpae.Activation.ABS
    assert np.array_equal(layer([1.0, 2.0, 3.0]), [0.5, 4.0])
    m = cpae.Model.create([8, 6, 3], ["abs", "identity"], [3, 6, 8], ["leaky_relu", "identity"],
                          dec_alphas=[0.3, 0.01], seed=4)
    assert m.layer_info("decoder", 0) == (3, 6, cpae.Activation.LEAKY_RELU, 0.3)
    assert m.layer_info("encoder", 0).activation == cpae.Activation.ABS
    m2 = cpae.Model.create([8, 6, 3], ["abs", "identity"], [3, 6, 8], ["leaky_relu", "identity"],
                           dec_alphas=[0.3, 0.01], seed=4)
    assert m2.to_bytes() == m.to_bytes()  # deterministic from the seed
    with pytest.raises(cpae.SizeError):
        cpae.Model.create([8, 6, 3], "relu", [4, 8], "identity")  # dec_widths[0] != h
    with pytest.raises(TypeError, match="create_mirrored"):
        cpae.Model()


def test_set_layer_params_checks(model):
    w, b = model.get_layer_params("encoder", 0)
    model.set_layer_params("encoder", 0, b=b * 2)
    assert np.array_equal(model.get_layer_params("encoder", 0)[1], b * 2)
    bad = w.copy()
    bad[0, 0] = np.nan
    with pytest.raises(cpae.NonFiniteError):
        model.set_layer_params("encoder", 0, bad)
    assert np.array_equal(model.get_layer_params("encoder", 0)[0], w)  # unchanged
    with pytest.raises(cpae.InvalidError):
        model.layer_info("encoder", 5)


def test_evaluate_matches_numpy(model, X):
    ev = model.evaluate(X)
    y = model.reconstruct(X).astype(np.float64)
    x = X.astype(np.float64)
    assert np.isclose(ev.mse, np.mean((y - x) ** 2), rtol=1e-5)
    assert np.isclose(ev.rel, np.mean(np.linalg.norm(y - x, axis=1) / np.linalg.norm(x, axis=1)),
                      rtol=1e-5)


def test_orbit_regions_and_ball_profile(model, X):
    with cpae.Lie(D, 1, "skew", seed=2) as lie:
        o = model.orbit_regions(lie, X[0], 0.0, 2.0, n_samples=64, refine=4)
        assert 1 <= o.n_distinct <= o.n_changes + 1
        orbit = lie.orbit(X[0], np.linspace(0, 2, 64))
        assert o.n_distinct >= model.count_regions(orbit)
    prof = model.ball_profile(X, X[0], [0.0, 0.5, 1.0, 100.0], n_samples=128, seed=1)
    assert list(prof.points) == [int(np.sum(np.linalg.norm(X - X[0], axis=1) <= r))
                                 for r in (0.0, 0.5, 1.0, 100.0)]
    assert prof.regions[0] == 1 and np.all(prof.regions >= 1)
    assert prof.regions[2] == model.count_regions_in_ball(X[0], 1.0, 128, seed=1)
    with pytest.raises(cpae.InvalidError):
        model.ball_profile(X, X[0], [-1.0])


def test_leaky_and_abs_models_match_numpy(X):
    for act in ("leaky_relu", "abs"):
        m = make_model(activation=act)
        for x in X[:8]:
            z, _ = np_stack(m, "encoder", x)
            y, _ = np_stack(m, "decoder", z)
            assert rel_err(m.reconstruct(x), y) < 1e-5


def test_from_weights_one_list_split_at_the_bottleneck(model, X):
    enc, dec = model.weights()
    flat = enc + dec
    assert cpae.Model.from_weights(flat).to_bytes() == model.to_bytes()   # 16, 4, 16, 8 -> 2
    other = cpae.Model.from_weights(flat, split=1)
    assert other.dims == (8, 16) and other.n_layers("encoder") == 1
    assert np.array_equal(other.reconstruct(X), model.reconstruct(X))
    with pytest.raises(ValueError, match="split=4"):
        cpae.Model.from_weights(flat, split=4)
    with pytest.raises(TypeError):
        cpae.Model.from_weights(enc, dec, split=1)
