#!/usr/bin/python3
# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""test_ctypes.py -- FFI smoke test: libcpae through ctypes and NumPy.

Run with Debian's /usr/bin/python3 (python3-numpy); `make check` runs it via
test/run.sh. The library is lib/libcpae.so, or $CPAE_LIB. Prints one "ok"
line per check; exits non-zero if any check fails.
"""

import ctypes
import os
import re
import sys
import traceback

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)

import cpae_ctypes as cp  # noqa: E402

WIDTHS = [8, 16, 4]
SEED = 20261124
N_POINTS = 32

failures = []


def check(name):
    """Decorator: run the check now, print ok / FAIL."""
    def run(fn):
        try:
            msg = fn()
            print("ok %s%s" % (name, " -- " + msg if msg else ""))
        except Exception:
            failures.append(name)
            print("FAIL %s" % name)
            traceback.print_exc(file=sys.stdout)
        return fn
    return run


def rel_err(a, b):
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    return float(np.linalg.norm(a - b) / max(1.0, np.linalg.norm(b)))


def header_version():
    path = os.path.join(REPO, "include", "cpae.h")
    if not os.path.exists(path):
        return None
    text = open(path).read()
    parts = [int(re.search(r"^#define CPAE_VERSION_%s (\d+)" % k, text, re.M).group(1))
             for k in ("MAJOR", "MINOR", "PATCH")]
    return tuple(parts)


L = cp.lib()
rng = np.random.default_rng(SEED)


@check("binding covers the whole exported API")
def _():
    assert not L.missing, "not exported by %s: %s" % (L.path, L.missing)
    sym = os.path.join(HERE, "abi", "libcpae.symbols")
    if os.path.exists(sym):
        expected = set(open(sym).read().split())
        bound = set(cp.BOUND_FUNCTIONS)
        assert expected == bound, ("unbound: %s; bound but not in the ABI list: %s"
                                   % (sorted(expected - bound), sorted(bound - expected)))
    for name in cp.BOUND_FUNCTIONS:
        fn = getattr(L, name)
        assert fn.argtypes is not None, name
    return "%d functions with argtypes and restype" % len(cp.BOUND_FUNCTIONS)


@check("version numbers match")
def _():
    num = cp.version_number()
    s = cp.version_string()
    major, minor, patch = (int(v) for v in s.split("."))
    assert num == major * 10000 + minor * 100 + patch, (num, s)
    hv = header_version()
    if hv is not None:
        assert hv == (major, minor, patch), ("header %s, library %s" % (hv, s))
    assert s in cp.build_info(), cp.build_info()
    return "%s (%d)" % (s, num)


model = cp.Model.mirrored(WIDTHS, cp.ACT_RELU, seed=SEED)
D, H = model.dims()

# Round the initial weights to float and write them back, so that the
# library's double parameters equal the float32 values NumPy sees.
for stack in (cp.ENCODER, cp.DECODER):
    for i in range(model.n_layers(stack)):
        w, b = model.layer_params(stack, i)
        b = (rng.standard_normal(b.shape) * 0.1).astype(np.float32)  # non-zero biases
        L.cpae_model_set_layer_params(model.handle, stack, i, cp._fp(w), w.size,
                                      cp._fp(b), b.size)

X = rng.standard_normal((N_POINTS, D)).astype(np.float32)


@check("mirrored model shape")
def _():
    assert (D, H) == (WIDTHS[0], WIDTHS[-1]), (D, H)
    assert model.n_layers(cp.ENCODER) == 2 and model.n_layers(cp.DECODER) == 2
    assert model.layer_info(cp.ENCODER, 0)[:3] == (8, 16, cp.ACT_RELU)
    assert model.layer_info(cp.ENCODER, 1)[:3] == (16, 4, cp.ACT_IDENTITY)
    assert model.layer_info(cp.DECODER, 0)[:3] == (4, 16, cp.ACT_RELU)
    assert model.layer_info(cp.DECODER, 1)[:3] == (16, 8, cp.ACT_IDENTITY)
    return "d=%d h=%d, widths %s, ReLU" % (D, H, WIDTHS)


def np_stack(stack, p):
    """Forward pass of one stack in float64 NumPy: (output, list of z)."""
    a = np.asarray(p, np.float64)
    zs = []
    for i in range(model.n_layers(stack)):
        w, b = model.layer_params(stack, i)
        act = model.layer_info(stack, i)[2]
        z = w.astype(np.float64) @ a + b
        if act != cp.ACT_IDENTITY:
            zs.append(z)
        a = np.maximum(z, 0.0) if act == cp.ACT_RELU else z
    return a, zs


@check("forward pass matches NumPy")
def _():
    worst = 0.0
    for x in X:
        z_np, _ = np_stack(cp.ENCODER, x)
        y_np, _ = np_stack(cp.DECODER, z_np)
        worst = max(worst, rel_err(model.encode(x), z_np),
                    rel_err(model.reconstruct(x), y_np))
    batch = model.reconstruct(X)
    assert batch.shape == (N_POINTS, D) and batch.dtype == np.float32
    assert worst < 1e-5, worst
    return "max rel err %.2e" % worst


@check("D(E(x)) == A^D A^E x + A^D B^E + B^D (region maps)")
def _():
    worst = 0.0
    for x in X:
        enc, dec, ae = model.region_maps(x)
        assert enc.dims() == (H, D) and dec.dims() == (D, H) and ae.dims() == (D, D)
        AE, BE = enc.slope64(), enc.offset64()
        AD, BD = dec.slope64(), dec.offset64()
        xd = x.astype(np.float64)
        y = AD @ (AE @ xd) + AD @ BE + BD
        worst = max(worst, rel_err(y, model.reconstruct(x)))
        # encoder map reproduces E(x); decoder map reproduces D at E(x)
        assert rel_err(AE @ xd + BE, model.encode(x)) < 1e-4
        # the float getters agree with the double ones
        assert rel_err(enc.slope(), AE) < 1e-6 and rel_err(dec.offset(), BD) < 1e-6
    assert worst < 1e-4, worst
    return "%d points, max rel err %.2e" % (N_POINTS, worst)


@check("composite AE map == dec_slope @ enc_slope")
def _():
    worst = 0.0
    for x in X:
        enc, dec, ae = model.region_maps(x)
        AE, BE, AD, BD = enc.slope64(), enc.offset64(), dec.slope64(), dec.offset64()
        worst = max(worst, rel_err(ae.slope64(), AD @ AE),
                    rel_err(ae.offset64(), AD @ BE + BD))
        # cpae_model_affine(AUTOENCODER) gives the same map
        single = model.affine(x, cp.AUTOENCODER)
        assert rel_err(single.slope64(), ae.slope64()) < 1e-12
        assert rel_err(single.offset64(), ae.offset64()) < 1e-12
        # applying the map is the reconstruction
        assert rel_err(ae.apply(x), model.reconstruct(x)) < 1e-4
    assert worst < 1e-10, worst
    return "max rel err %.2e (double)" % worst


@check("region code bits: z > 0, layer by layer, LSB first")
def _():
    nb = model.code_bytes(cp.AUTOENCODER)
    n_bits = 16 + 16
    assert nb == (n_bits + 7) // 8, nb
    packed = model.codes(X, cp.AUTOENCODER)
    assert packed.shape == (N_POINTS, nb)
    for i, x in enumerate(X):
        z_lat, z_enc = np_stack(cp.ENCODER, x)
        _, z_dec = np_stack(cp.DECODER, z_lat)
        z_all = np.concatenate(z_enc + z_dec)
        if np.min(np.abs(z_all)) < 1e-5:
            continue  # too close to a tie to compare float64 NumPy with the library
        bits = (z_all > 0).astype(np.uint8)
        expect = np.packbits(bits, bitorder="little")
        code = model.code(x, cp.AUTOENCODER)
        assert code.n_bits() == n_bits
        assert np.array_equal(code.bits(), bits), (code.bits(), bits)
        assert code.to_bytes() == expect.tobytes()
        assert np.array_equal(packed[i], expect)
    return "%d bits, %d bytes" % (n_bits, nb)


@check("boundary distance keeps the code inside the ball")
def _():
    for x in X[:8]:
        r, unit, normal = model.boundary_distance(x, cp.AUTOENCODER)
        assert r > 0 and np.isfinite(r), r
        assert 0 <= unit < 32, unit
        assert abs(np.linalg.norm(normal) - 1.0) < 1e-5
        c0 = model.code(x).to_bytes()
        for _ in range(4):
            u = rng.standard_normal(D)
            u /= np.linalg.norm(u)
            if r * 0.5 > 1e-4:
                assert model.code((x + 0.5 * r * u).astype(np.float32)).to_bytes() == c0


@check("segment walk starts at p's region and ends at q's")
def _():
    p, q = X[0], X[1]
    t, codes = model.segment(p, q, cp.AUTOENCODER)
    assert t[0] == 0.0 and np.all(np.diff(t) > 0) and t[-1] < 1.0, t
    assert codes[0].tobytes() == model.code(p).to_bytes()
    assert codes[-1].tobytes() == model.code(q).to_bytes()
    n_ball = model.count_regions_in_ball(p, 1.0, 256, seed=1)
    assert n_ball >= 1
    return "%d regions on the segment, %d in a ball (256 samples)" % (len(t), n_ball)


@check("exact 2-D slice tiles the rectangle and agrees with the raster")
def _():
    rng = np.random.default_rng(5)
    o = X[0]
    e1, e2 = rng.standard_normal(D), rng.standard_normal(D)
    polys = model.slice(o, e1, e2, (-1, 1, -1, 1), cp.ENCODER)
    area = sum(0.5 * np.sum(uv[:, 0] * np.roll(uv[:, 1], -1) - np.roll(uv[:, 0], -1) * uv[:, 1])
               for uv, _, _, _ in polys)
    assert abs(area - 4.0) < 1e-9, area
    uv, code, a, b = max(polys, key=lambda p: len(p[0]))
    c = uv.mean(axis=0)
    x = (o + c[0] * e1 + c[1] * e2).astype(np.float32)
    assert code.tobytes() == model.code(x, cp.ENCODER).to_bytes()
    z = model.encode(x[None, :])[0]
    assert np.allclose(a @ c + b, z, rtol=1e-4, atol=1e-4), (a @ c + b, z)
    labels, codes = model.raster(o, e1, e2, (-1, 1, -1, 1), 64, 48, cp.ENCODER)
    assert labels.shape == (48, 64) and labels.max() + 1 == len(codes) <= len(polys)
    return "%d polygons, %d raster labels" % (len(polys), len(codes))


@check("generalization report as JSON agrees with the core API")
def _():
    rep = model.report_json(X)
    z = model.encode(X)
    assert rep["n_samples"] == len(X)
    assert rep["decoder_regions"] == model.count_regions(z, cp.DECODER)
    assert rep["neighbours"]["residual_sum"] is None  # no generators given
    lo = rep["boundary_distance_latent"]
    assert 0 <= lo["min"] <= lo["median"] <= lo["max"]
    return "%d decoder regions, latent distance median %.3g" % (
        rep["decoder_regions"], lo["median"])


@check("save/load round trip through a buffer is bit-exact")
def _():
    blob = model.to_bytes()
    assert blob[:8] == b"CPAEMODL", blob[:8]
    other = cp.Model.from_bytes(blob)
    assert other.to_bytes() == blob
    assert np.array_equal(other.reconstruct(X), model.reconstruct(X))
    other.close()
    return "%d bytes" % len(blob)


@check("wrong dimension raises CpaeError(CPAE_E_SIZE) with a message")
def _():
    bad = np.zeros((3, D - 1), np.float32)
    try:
        model.reconstruct(bad)
    except cp.CpaeError as e:
        assert e.status == cp.E_SIZE, e
        assert e.name == "CPAE_E_SIZE"
        assert e.detail.strip(), "empty cpae_last_error"
        assert e.status_text == cp.status_string(cp.E_SIZE) != ""
        assert e.function == "cpae_model_reconstruct"
        return repr(e.detail)
    raise AssertionError("no CpaeError for dim %d (model d=%d)" % (D - 1, D))


@check("NaN input raises CpaeError(CPAE_E_NONFINITE)")
def _():
    x = X[0].copy()
    x[3] = np.nan
    try:
        model.encode(x)
    except cp.CpaeError as e:
        assert e.status == cp.E_NONFINITE, e
        assert e.detail
        return repr(e.detail)
    raise AssertionError("NaN accepted")


@check("small output buffer raises CpaeError(CPAE_E_BUFFER_TOO_SMALL)")
def _():
    x = X[:2]
    y = np.empty(D, np.float32)  # room for one point, two asked
    try:
        L.cpae_model_reconstruct(model.handle, cp._fp(x), 2, D, cp._fp(y), y.size)
    except cp.CpaeError as e:
        assert e.status == cp.E_BUFFER_TOO_SMALL, e
        assert e.detail
        return repr(e.detail)
    raise AssertionError("short buffer accepted")


@check("cpae_last_error_copy and unknown status text")
def _():
    try:
        model.reconstruct(np.zeros((1, D + 1), np.float32))
    except cp.CpaeError as e:
        msg = e.detail
    needed = ctypes.c_int64()
    buf = ctypes.create_string_buffer(1024)
    st = L.cpae_last_error_copy(buf, len(buf), ctypes.byref(needed))
    assert st == cp.OK, st
    assert buf.value.decode() == msg and needed.value == len(msg) + 1
    assert cp.status_string(9999) == "unknown status"


@check("trainer through ctypes: keyed params, progress callback, step")
def _():
    lo, hi, dflt = ctypes.c_double(), ctypes.c_double(), ctypes.c_double()
    L.cpae_param_bounds(cp.P_LEARNING_RATE, ctypes.byref(lo), ctypes.byref(hi),
                        ctypes.byref(dflt))
    assert lo.value <= dflt.value <= hi.value
    assert L.cpae_n_loss_terms() == cp.N_LOSS_TERMS
    assert cp._s(L.cpae_loss_term_name(cp.TERM_TOTAL))
    m = cp.Model.mirrored(WIDTHS, cp.ACT_RELU, seed=3)
    tr = ctypes.c_void_p()
    L.cpae_trainer_create(m.handle, None, cp.METHOD_AE, ctypes.byref(tr))
    try:
        data = rng.standard_normal((64, D)).astype(np.float32)
        L.cpae_trainer_set_data(tr, cp._fp(data), 64, D)
        L.cpae_trainer_set_param(tr, cp.P_EPOCHS, 2.0)
        L.cpae_trainer_set_param(tr, cp.P_BATCH_SIZE, 16.0)
        calls = []

        def progress(user, epoch, step, terms, validation, seconds):
            calls.append((epoch, step, terms[cp.TERM_TOTAL]))
            return 0

        fn = cp.PROGRESS_FN(progress)  # keep a reference while C may call it
        L.cpae_trainer_set_callback(tr, fn, None)
        L.cpae_trainer_fit(tr)
        assert len(calls) == 2 * (64 // 16), calls
        assert calls[-1][:2] == (1, 8) and all(np.isfinite(c[2]) for c in calls)
        terms = np.zeros(cp.N_LOSS_TERMS)
        L.cpae_trainer_step(tr, cp._fp(data), 16, D, cp._dp(terms), terms.size)
        assert np.isfinite(terms[cp.TERM_TOTAL]) and terms[cp.TERM_TOTAL] > 0
        try:  # a callback asking to stop gives CPAE_E_CANCELLED
            stop = cp.PROGRESS_FN(lambda *a: 1)  # referenced until removed
            L.cpae_trainer_set_callback(tr, stop, None)
            L.cpae_trainer_fit(tr)
            raise AssertionError("fit not cancelled")
        except cp.CpaeError as e:
            assert e.status == cp.E_CANCELLED, e
        L.cpae_trainer_set_callback(tr, cp.PROGRESS_FN(), None)  # NULL: remove
    finally:
        L.cpae_trainer_destroy(tr)
        m.close()
    return "%d progress calls, loss %.4g -> %.4g" % (len(calls), calls[0][2], calls[-1][2])


@check("PCA matches NumPy's SVD and evaluates like a model")
def _():
    from ctypes import c_void_p, byref, c_double
    n, d, k = 30, 9, 3
    data = (rng.standard_normal((n, 4)) @ rng.standard_normal((4, d))
            + 0.01 * rng.standard_normal((n, d)) + 2.0).astype(np.float32)
    p, m = c_void_p(), c_void_p()
    L.cpae_pca_fit(cp._fp(data), n, d, k, byref(p))
    try:
        comp = np.zeros((k, d), np.float32)
        var = np.zeros(k, np.float32)
        L.cpae_pca_components(p, cp._fp(comp), comp.size)
        L.cpae_pca_variances(p, cp._fp(var), k)
        x64 = data.astype(np.float64)
        mu = x64.mean(0)
        _, sv, vt = np.linalg.svd(x64 - mu, full_matrices=False)
        assert np.allclose(var, sv[:k] ** 2 / (n - 1), rtol=1e-4), (var, sv[:k] ** 2 / (n - 1))
        assert np.allclose(np.abs(np.sum(comp * vt[:k], 1)), 1.0, atol=1e-5)
        L.cpae_model_from_pca(p, byref(m))
        mse, rel = c_double(), c_double()
        L.cpae_model_evaluate(m, cp._fp(data), n, d, byref(mse), byref(rel))
        rec = (x64 - mu) @ vt[:k].T @ vt[:k] + mu
        ref = np.mean((rec - x64) ** 2)
        assert abs(mse.value - ref) <= 1e-4 * ref + 1e-9, (mse.value, ref)
    finally:
        L.cpae_model_destroy(m)
        L.cpae_pca_destroy(p)
    return "variances %s, MSE %.3g" % (np.array2string(var, precision=3), mse.value)


model.close()

if failures:
    print("test_ctypes.py: %d check(s) failed: %s" % (len(failures), ", ".join(failures)))
    sys.exit(1)
print("test_ctypes.py: all checks passed (%s)" % L.path)
