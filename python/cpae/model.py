# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""Autoencoders: cpae_model_* (creation, forward passes, codes, maps,
geometry, region statistics, persistence, evaluation)."""

import collections
import ctypes
import os
from ctypes import c_double, c_int32, c_int64, c_void_p

import numpy as np

from ._lib import WRITE_FN, lib
from ._util import (Handle, dp, f32, f64, fp, i32p, i64p, points, ref, stack_of,
                    u8p, unpack_bits)
from .enums import Activation, Stack, to_enum
from .geometry import Affine, Code, Path, Report, Slice
from .layer import DEFAULT_LEAKY_ALPHA, Layer

__all__ = ["Model", "LayerWeights", "LayerInfo", "BoundaryDistance", "Evaluation",
           "Raster", "OrbitRegions", "BallProfile"]

#: One layer's parameters as NumPy arrays: W (n_out, n_in) and b (n_out,)
#: float32, the Activation and the leaky slope alpha.
LayerWeights = collections.namedtuple("LayerWeights", "W b activation alpha")
LayerWeights.__new__.__defaults__ = (DEFAULT_LEAKY_ALPHA,)
#: Shape and activation of a layer of a model.
LayerInfo = collections.namedtuple("LayerInfo", "n_in n_out activation alpha")
#: Distance r from a point to the boundary of its region, the code-bit index
#: of the closest constraint (-1 if none) and its unit normal (float32,
#: pointing out of the region).
BoundaryDistance = collections.namedtuple("BoundaryDistance", "r unit normal")
#: Reconstruction error: mse per element (1/(n d)) sum ||D(E(x)) - x||^2 and
#: the mean relative error (1/n) sum ||D(E(x)) - x|| / ||x||.
Evaluation = collections.namedtuple("Evaluation", "mse rel")
#: A label image (height, width) int32 of the regions at pixel centres (row 0
#: at v0) and the labels' packed codes (n_labels, n_bytes) uint8.
Raster = collections.namedtuple("Raster", "labels codes")
#: Lower bounds on the distinct regions met along an orbit and on the code
#: changes between consecutive samples.
OrbitRegions = collections.namedtuple("OrbitRegions", "n_distinct n_changes")
#: For each radius: regions found in the ball (a lower bound) and data points in it.
BallProfile = collections.namedtuple("BallProfile", "radii regions points")


def bottleneck_split(out_widths):
    """Layers in the encoder when one list of layers with these output
    widths is split at the bottleneck: after the first layer of smallest
    output width, the last layer excluded (at least 1)."""
    if len(out_widths) < 2:
        return 1
    return int(np.argmin(out_widths[:-1])) + 1


def _acts(values, n, what):
    if isinstance(values, (str, int, Activation)):
        values = [values] * n
    acts = [to_enum(Activation, a, what) for a in values]
    if len(acts) != n:
        raise ValueError("%s: %d activations for %d layers" % (what, len(acts), n))
    return np.array([int(a) for a in acts], np.int32)


def _layer_spec(item, what):
    """(W, b, activation[, alpha]) -> LayerWeights; activation may also be
    ("leaky_relu", alpha)."""
    if len(item) not in (3, 4):
        raise ValueError("%s: expected (W, b, activation[, alpha]), got %d items"
                         % (what, len(item)))
    w, b, act = item[0], item[1], item[2]
    alpha = item[3] if len(item) == 4 else DEFAULT_LEAKY_ALPHA
    if isinstance(act, tuple):
        act, alpha = act
    return LayerWeights(f32(w, 2, what + " W"), f32(b, 1, what + " b"),
                        to_enum(Activation, act, what + " activation"), float(alpha))


class Model(Handle):
    """An autoencoder: an encoder stack E: R^d -> R^h followed by a decoder
    stack D: R^h -> R^d, each a sequence of dense layers with identity,
    ReLU, leaky ReLU or absolute-value activations, i.e. a continuous
    piecewise-affine map.

    Create one with :meth:`create_mirrored`, :meth:`create`,
    :meth:`from_layers`, :meth:`from_weights`, :meth:`from_torch`,
    :meth:`load`, :meth:`from_bytes` or :meth:`cpae.PCA.to_model`.

    Points are NumPy arrays (any real dtype; converted to float32, the API's
    type): one point (dim,) or a batch (n, dim); results follow the input's
    form. Stacks are :class:`Stack` values or the names "encoder",
    "decoder", "autoencoder" (or "ae"); the default is the autoencoder.
    NaN or infinity in an input raises :class:`cpae.NonFiniteError`, a wrong
    dimension :class:`cpae.SizeError`.

    Internally the weights are double; the API reads and writes them as
    float32. A model can be used by many threads at once for reading
    (encode, codes, maps, geometry); training needs it alone.
    """

    _destroy_name = "cpae_model_destroy"

    def __init__(self, *a, **k):
        raise TypeError("create a Model with Model.create_mirrored(widths, ...), "
                        "Model.create(...), Model.from_layers(...), Model.from_weights(...), "
                        "Model.from_torch(...) or Model.load(path)")

    # ------------------------------------------------------------ creation
    @classmethod
    def create_mirrored(cls, widths, activation=Activation.RELU, seed=0):
        """A mirrored autoencoder d -> h1 -> ... -> h -> ... -> h1 -> d from
        widths [d, h1, ..., h]: hidden layers use ``activation`` (leaky slope
        0.01), the last layer of each stack is the identity. Weights are
        He-uniform from libcpae's generator seeded by ``seed`` (the same seed
        gives the same weights on every platform), biases zero."""
        w = np.ascontiguousarray(widths, dtype=np.int64)
        act = to_enum(Activation, activation, "activation")
        out = c_void_p()
        lib.cpae_model_create_mirrored(i64p(w), w.size, int(act), int(seed), ref(out))
        return cls._adopt(out.value)

    mirrored = create_mirrored

    @classmethod
    def create(cls, enc_widths, enc_activations, dec_widths, dec_activations, *,
               enc_alphas=None, dec_alphas=None, seed=0):
        """An autoencoder with the given stacks: encoder layer i maps
        enc_widths[i] -> enc_widths[i+1] with enc_activations[i] (one
        activation for all layers may be given); likewise the decoder, with
        dec_widths[0] == h and dec_widths[-1] == d. ``*_alphas`` are the
        per-layer leaky slopes (default 0.01). Initialised as
        :meth:`create_mirrored`."""
        ew = np.ascontiguousarray(enc_widths, dtype=np.int64)
        dw = np.ascontiguousarray(dec_widths, dtype=np.int64)
        ne, nd = max(ew.size - 1, 0), max(dw.size - 1, 0)
        ea = _acts(enc_activations, ne, "enc_activations")
        da = _acts(dec_activations, nd, "dec_activations")
        eal = f64(enc_alphas, 1) if enc_alphas is not None else None
        dal = f64(dec_alphas, 1) if dec_alphas is not None else None
        for name, al, n in (("enc_alphas", eal, ne), ("dec_alphas", dal, nd)):
            if al is not None and al.size != n:
                raise ValueError("%s: %d values for %d layers" % (name, al.size, n))
        out = c_void_p()
        lib.cpae_model_create(i64p(ew), i32p(ea), dp(eal), ne, i64p(dw), i32p(da), dp(dal), nd,
                              int(seed), ref(out))
        return cls._adopt(out.value)

    @classmethod
    def from_layers(cls, encoder, decoder):
        """A model from copies of :class:`Layer` objects (you keep yours)."""
        enc = (c_void_p * max(len(encoder), 1))(*[l.handle for l in encoder])
        dec = (c_void_p * max(len(decoder), 1))(*[l.handle for l in decoder])
        out = c_void_p()
        lib.cpae_model_from_layers(enc, len(encoder), dec, len(decoder), ref(out))
        return cls._adopt(out.value)

    @classmethod
    def from_weights(cls, encoder, decoder=None, split=None):
        """A model from NumPy weights: ``encoder`` and ``decoder`` are lists
        of ``(W, b, activation)`` or ``(W, b, activation, alpha)`` with W
        (n_out, n_in) and b (n_out,); activation an :class:`Activation` or
        its name ("relu", "leaky_relu", "abs", "identity"; also
        ``("leaky_relu", alpha)``). The inverse of :meth:`weights`:
        ``Model.from_weights(*m.weights())``. With ``decoder`` None,
        ``encoder`` is the whole autoencoder's list, split after layer
        ``split`` (counted from 1), by default after the layer with the
        smallest output width (the bottleneck; the first on ties; never the
        last layer). float32 weights are stored exactly (float64 ones are
        rounded to float32)."""
        if decoder is None:
            layers = list(encoder)
            if split is None:
                split = bottleneck_split([np.shape(t[0])[0] for t in layers])
            if not 1 <= split < len(layers):
                raise ValueError("from_weights: split=%s, %d layers" % (split, len(layers)))
            encoder, decoder = layers[:split], layers[split:]
        elif split is not None:
            raise TypeError("from_weights: split applies to one list, not to two")
        specs = ([_layer_spec(t, "encoder[%d]" % i) for i, t in enumerate(encoder)],
                 [_layer_spec(t, "decoder[%d]" % i) for i, t in enumerate(decoder)])
        layers = []
        try:
            stacks = []
            for spec in specs:
                stack = []
                for s in spec:
                    n_out, n_in = s.W.shape
                    layer = Layer(n_in, n_out, s.activation, s.alpha)
                    layers.append(layer)
                    layer.weights = s.W
                    layer.bias = s.b
                    stack.append(layer)
                stacks.append(stack)
            return cls.from_layers(*stacks)
        finally:
            for layer in layers:
                layer.close()

    @classmethod
    def from_torch(cls, module=None, *, encoder=None, decoder=None, split=None):
        """A model from PyTorch modules; see :func:`cpae.torch_interop.from_torch`."""
        from .torch_interop import from_torch
        return from_torch(module, encoder=encoder, decoder=decoder, split=split)

    def to_torch(self, combined=False):
        """(encoder, decoder) torch.nn.Sequential modules computing this
        model in float32; see :func:`cpae.torch_interop.to_torch`."""
        from .torch_interop import to_torch
        return to_torch(self, combined)

    def clone(self):
        """A deep copy."""
        out = c_void_p()
        lib.cpae_model_clone(self.handle, ref(out))
        return Model._adopt(out.value)

    __copy__ = clone

    def __deepcopy__(self, memo):
        return self.clone()

    def __reduce__(self):
        return (Model.from_bytes, (self.to_bytes(),))

    # --------------------------------------------------------------- shape
    @property
    def dims(self):
        """(d, h): input and bottleneck widths."""
        d, h = c_int64(), c_int64()
        lib.cpae_model_dims(self.handle, ref(d), ref(h))
        return d.value, h.value

    @property
    def d(self):
        """Input width."""
        return self.dims[0]

    @property
    def h(self):
        """Bottleneck (latent) width."""
        return self.dims[1]

    def _in_out(self, stack):
        d, h = self.dims
        return {Stack.ENCODER: (d, h), Stack.DECODER: (h, d), Stack.AUTOENCODER: (d, d)}[stack]

    @property
    def n_params(self):
        """Number of trainable values (weights and biases)."""
        n = c_int64()
        lib.cpae_model_n_params(self.handle, ref(n))
        return n.value

    @property
    def nbytes(self):
        """Bytes of memory the model handle holds."""
        n = c_int64()
        lib.cpae_model_sizeof(self.handle, ref(n))
        return n.value

    def n_layers(self, stack=Stack.AUTOENCODER):
        """Layers in a stack (the autoencoder: both)."""
        n = c_int64()
        lib.cpae_model_n_layers(self.handle, int(stack_of(stack)), ref(n))
        return n.value

    def layer_info(self, stack, index):
        """:class:`LayerInfo` (n_in, n_out, activation, alpha) of layer
        ``index`` of "encoder" or "decoder"."""
        n_in, n_out, act, alpha = c_int64(), c_int64(), c_int32(), c_double()
        lib.cpae_model_layer_info(self.handle, int(stack_of(stack)), int(index), ref(n_in),
                                  ref(n_out), ref(act), ref(alpha))
        return LayerInfo(n_in.value, n_out.value, Activation(act.value), alpha.value)

    def layers(self, stack=Stack.ENCODER):
        """Copies of the layers of "encoder" or "decoder" as :class:`Layer`
        objects (changing them does not change the model)."""
        s = stack_of(stack)
        out = []
        for i in range(self.n_layers(s)):
            p = c_void_p()
            lib.cpae_model_get_layer(self.handle, int(s), i, ref(p))
            out.append(Layer._adopt(p.value))
        return out

    def get_layer_params(self, stack, index):
        """(W, b) of one layer as float32 arrays (n_out, n_in) and (n_out,)."""
        info = self.layer_info(stack, index)
        w = np.empty((info.n_out, info.n_in), np.float32)
        b = np.empty(info.n_out, np.float32)
        lib.cpae_model_get_layer_params(self.handle, int(stack_of(stack)), int(index),
                                        fp(w), w.size, fp(b), b.size)
        return w, b

    def set_layer_params(self, stack, index, W=None, b=None):
        """Set W and/or b of one layer (None leaves it). Nothing changes if a
        check fails (SizeError, NonFiniteError)."""
        s = stack_of(stack)
        w = f32(W) if W is not None else None
        if w is not None:
            info = self.layer_info(s, index)
            if w.ndim != 2 or w.shape != (info.n_out, info.n_in):
                raise ValueError("set_layer_params: W has shape %s, layer %d of the %s is %s"
                                 % (w.shape, index, s.name.lower(), (info.n_out, info.n_in)))
        bb = f32(b).reshape(-1) if b is not None else None
        lib.cpae_model_set_layer_params(self.handle, int(s), int(index), fp(w),
                                        w.size if w is not None else 0, fp(bb),
                                        bb.size if bb is not None else 0)

    def weights(self, stack=None):
        """The weights as NumPy lists: with stack None, (encoder, decoder),
        each a list of :class:`LayerWeights` (W, b, activation, alpha);
        with a stack, that stack's list. ``Model.from_weights(*m.weights())``
        rebuilds the model."""
        if stack is None:
            return self.weights(Stack.ENCODER), self.weights(Stack.DECODER)
        s = stack_of(stack)
        if s == Stack.AUTOENCODER:
            raise ValueError("weights: stack must be 'encoder' or 'decoder' (or None for both)")
        out = []
        for i in range(self.n_layers(s)):
            info = self.layer_info(s, i)
            w, b = self.get_layer_params(s, i)
            out.append(LayerWeights(w, b, info.activation, info.alpha))
        return out

    # -------------------------------------------------------- forward pass
    def _batch(self, fn, x, out_dim, what):
        pts, single = points(x, what)
        y = np.empty((pts.shape[0], out_dim), np.float32)
        fn(self.handle, fp(pts), pts.shape[0], pts.shape[1], fp(y), y.size)
        return y[0] if single else y

    def encode(self, x):
        """z = E(x): (d,) -> (h,) or (n, d) -> (n, h), float32."""
        return self._batch(lib.cpae_model_encode, x, self.h, "x")

    def decode(self, z):
        """D(z): (h,) -> (d,) or (n, h) -> (n, d), float32."""
        return self._batch(lib.cpae_model_decode, z, self.d, "z")

    def reconstruct(self, x):
        """D(E(x)), computed in double without rounding the latent code."""
        return self._batch(lib.cpae_model_reconstruct, x, self.d, "x")

    __call__ = reconstruct

    def evaluate(self, x):
        """:class:`Evaluation` (mse, rel) of the reconstruction of x (n, d):
        mse per element (1/(n d)) sum ||D(E(x)) - x||^2 (the training loss's
        reconstruction term is per sample, d times larger), rel the mean
        relative error (samples with x = 0 left out)."""
        pts, _ = points(x)
        mse, rel = c_double(), c_double()
        lib.cpae_model_evaluate(self.handle, fp(pts), pts.shape[0], pts.shape[1], ref(mse),
                                ref(rel))
        return Evaluation(mse.value, rel.value)

    # --------------------------------------------------------------- codes
    def code(self, point, stack=Stack.AUTOENCODER):
        """The :class:`Code` of one point under a stack (x for the encoder
        and autoencoder, a latent z for the decoder)."""
        s = stack_of(stack)
        p = f32(point, 1, "point")
        c = Code(self, s)
        try:
            lib.cpae_model_code(self.handle, int(s), fp(p), p.size, c.handle)
        except BaseException:
            c.close()
            raise
        return c

    def code_bytes(self, stack=Stack.AUTOENCODER):
        """Bytes of one packed code of a stack (ceil(bits / 8))."""
        n = c_int64()
        lib.cpae_model_code_bytes(self.handle, int(stack_of(stack)), ref(n))
        return n.value

    def n_bits(self, stack=Stack.AUTOENCODER):
        """Code bits of a stack (its non-identity units)."""
        with Code(self, stack) as c:
            return c.n_bits

    def codes(self, x, stack=Stack.AUTOENCODER, bits=False):
        """Codes of n points (n, dim): packed, an (n, n_bytes) uint8 array
        (bit k of a code in byte k // 8 at position k % 8, least significant
        first); with bits=True unpacked, an (n, n_bits) bool array (column k
        is bit k). One point (dim,) gives one row, 1-D."""
        s = stack_of(stack)
        pts, single = points(x)
        nb = self.code_bytes(s)
        out = np.zeros((pts.shape[0], nb), np.uint8)
        lib.cpae_model_codes(self.handle, int(s), fp(pts), pts.shape[0], pts.shape[1],
                             u8p(out), out.size)
        if bits:
            out = unpack_bits(out, self.n_bits(s))
        return out[0] if single else out

    def count_regions(self, x, stack=Stack.AUTOENCODER):
        """Number of distinct regions (codes) of a stack among the rows of x."""
        pts, _ = points(x)
        n = c_int64()
        lib.cpae_model_count_regions(self.handle, int(stack_of(stack)), fp(pts), pts.shape[0],
                                     pts.shape[1], ref(n))
        return n.value

    # ---------------------------------------------------------------- maps
    def affine(self, point, stack=Stack.AUTOENCODER):
        """The :class:`Affine` map of the region of ``point``: encoder
        (A^E, B^E) at x, decoder (A^D, B^D) at a latent z, autoencoder
        (A^D A^E, A^D B^E + B^D) with the decoder's region taken at E(x)."""
        s = stack_of(stack)
        p = f32(point, 1, "point")
        m = Affine(self, s)
        try:
            lib.cpae_model_affine(self.handle, int(s), fp(p), p.size, m.handle)
        except BaseException:
            m.close()
            raise
        return m

    def region_maps(self, x):
        """(encoder, decoder, autoencoder) :class:`Affine` maps of the
        autoencoder region of x (the decoder's at E(x))."""
        p = f32(x, 1, "x")
        maps = [Affine(self, s) for s in (Stack.ENCODER, Stack.DECODER, Stack.AUTOENCODER)]
        try:
            lib.cpae_model_region_maps(self.handle, fp(p), p.size, *[m.handle for m in maps])
        except BaseException:
            for m in maps:
                m.close()
            raise
        return tuple(maps)

    # ------------------------------------------------------------ geometry
    def boundary_distance(self, point, stack=Stack.AUTOENCODER):
        """:class:`BoundaryDistance` (r, unit, normal) of one point: moving it
        by less than r keeps its code; r is inf (unit -1) when no unit
        depends on the point."""
        s = stack_of(stack)
        p = f32(point, 1, "point")
        r, unit = c_double(), c_int64()
        normal = np.empty(p.size, np.float32)
        lib.cpae_model_boundary_distance(self.handle, int(s), fp(p), p.size, ref(r), ref(unit),
                                         fp(normal), normal.size)
        return BoundaryDistance(r.value, unit.value, normal)

    def boundary_distances(self, x, stack=Stack.AUTOENCODER):
        """Boundary distances of n points (n, dim) as (n,) float64."""
        pts, single = points(x)
        r = np.empty(pts.shape[0], np.float64)
        lib.cpae_model_boundary_distances(self.handle, int(stack_of(stack)), fp(pts),
                                          pts.shape[0], pts.shape[1], dp(r), r.size)
        return r[0] if single else r

    def segment(self, p, q, stack=Stack.AUTOENCODER, max_regions=1 << 20):
        """The exact regions crossed by the segment p -> q, as a
        :class:`Path` (LimitError past max_regions)."""
        s = stack_of(stack)
        pp, qq = f32(p, 1, "p"), f32(q, 1, "q")
        if pp.size != qq.size:
            raise ValueError("segment: p has %d values, q %d" % (pp.size, qq.size))
        out = c_void_p()
        lib.cpae_model_segment(self.handle, int(s), fp(pp), fp(qq), pp.size, int(max_regions),
                               ref(out))
        return Path._make(out.value, self, s, pp, qq)

    def count_regions_in_ball(self, center, rho, n_samples=1024, seed=0,
                              stack=Stack.AUTOENCODER):
        """Distinct regions among n_samples points drawn uniformly in the ball
        B(center, rho) (a lower bound on the true count)."""
        c = f32(center, 1, "center")
        n = c_int64()
        lib.cpae_model_count_regions_in_ball(self.handle, int(stack_of(stack)), fp(c), c.size,
                                             float(rho), int(n_samples), int(seed), ref(n))
        return n.value

    def slice(self, origin, e1, e2, rect=(-1.0, 1.0, -1.0, 1.0), stack=Stack.AUTOENCODER,
              max_polygons=1 << 20):
        """The exact 2-D slice of the regions on the plane x(u, v) = origin +
        u e1 + v e2 over rect = (u0, u1, v0, v1), as a :class:`Slice` of
        convex polygons with codes and the restricted maps."""
        s = stack_of(stack)
        o, a1, a2 = f32(origin, 1, "origin"), f32(e1, 1, "e1"), f32(e2, 1, "e2")
        if not (o.size == a1.size == a2.size):
            raise ValueError("slice: origin, e1 and e2 have %d, %d and %d values"
                             % (o.size, a1.size, a2.size))
        u0, u1, v0, v1 = (float(r) for r in rect)
        out = c_void_p()
        lib.cpae_model_slice(self.handle, int(s), fp(o), fp(a1), fp(a2), o.size, u0, u1, v0, v1,
                             int(max_polygons), ref(out))
        return Slice._make(out.value, self, s, self._in_out(s)[1])

    def raster(self, origin, e1, e2, rect=(-1.0, 1.0, -1.0, 1.0), width=256, height=256,
               stack=Stack.AUTOENCODER):
        """The cheap form of :meth:`slice`: a :class:`Raster` (labels (height,
        width) int32 at pixel centres, row 0 at v0, numbered in order of
        first appearance; codes (n_labels, n_bytes) uint8)."""
        s = stack_of(stack)
        o, a1, a2 = f32(origin, 1, "origin"), f32(e1, 1, "e1"), f32(e2, 1, "e2")
        u0, u1, v0, v1 = (float(r) for r in rect)
        labels = np.empty((int(height), int(width)), np.int32)
        n = c_int64()
        args = [self.handle, int(s), fp(o), fp(a1), fp(a2), o.size, u0, u1, v0, v1, int(width),
                int(height), i32p(labels), labels.size]
        lib.cpae_model_raster(*args, None, 0, ref(n))
        codes = np.zeros((n.value, self.code_bytes(s)), np.uint8)
        lib.cpae_model_raster(*args, u8p(codes), codes.size, ref(n))
        return Raster(labels, codes)

    # ------------------------------------------------------ region statistics
    def orbit_regions(self, lie, x0, theta0, theta1, j=0, n_samples=256, refine=8,
                      stack=Stack.AUTOENCODER):
        """:class:`OrbitRegions` (n_distinct, n_changes), lower bounds on the
        regions met along exp(theta G_j) x0 for theta in [theta0, theta1]
        (n_samples equally spaced thetas, then ``refine`` bisections of every
        gap whose end codes differ). Experimental in the C API."""
        x = f32(x0, 1, "x0")
        nd, nc = c_int64(), c_int64()
        lib.cpae_model_orbit_regions(self.handle, int(stack_of(stack)), lie.handle, int(j),
                                     fp(x), x.size, float(theta0), float(theta1),
                                     int(n_samples), int(refine), ref(nd), ref(nc))
        return OrbitRegions(nd.value, nc.value)

    def ball_profile(self, data, center, radii, n_samples=1024, seed=0,
                     stack=Stack.AUTOENCODER):
        """:class:`BallProfile`: for each radius, the regions found among
        n_samples points drawn in the ball around center and the rows of data
        inside it. Experimental in the C API."""
        x, _ = points(data, "data")
        c = f32(center, 1, "center")
        r = f64(radii, 1, "radii")
        regions = np.zeros(r.size, np.int64)
        pts = np.zeros(r.size, np.int64)
        lib.cpae_model_ball_profile(self.handle, int(stack_of(stack)), fp(x), x.shape[0],
                                    x.shape[1], fp(c), dp(r), r.size, int(n_samples), int(seed),
                                    i64p(regions), i64p(pts), r.size)
        return BallProfile(r, regions, pts)

    def report(self, x, lie=None):
        """The generalization :class:`Report` of the model on x (n, d)."""
        return Report(self, x, lie)

    # --------------------------------------------------------- persistence
    def save(self, file, lie=None):
        """Save to a path (atomically: temporary file, fsync, rename; a new
        file gets mode 0600) or to a binary file object (written through the
        library's write callback). Round trips are bit-exact. With ``lie``
        (a :class:`Lie` of size d) the learned generators are saved with the
        model (format version 2; :meth:`load` with ``with_lie=True`` gives
        them back; the model part stays readable by every loader)."""
        if lie is not None:
            if hasattr(file, "write"):
                file.write(self.to_bytes(lie))
            else:
                lib.cpae_model_save_lie(self.handle, lie.handle, os.fsencode(file))
            return
        if hasattr(file, "write"):
            errors = []

            def write(user, data, n):
                try:
                    file.write(ctypes.string_at(data, n))
                    return 0
                except BaseException as e:  # never unwind through C
                    errors.append(e)
                    return 1

            fn = WRITE_FN(write)
            try:
                lib.cpae_model_save_to_callback(self.handle, fn, None)
            except BaseException:
                if errors:
                    raise errors[0] from None
                raise
            return
        lib.cpae_model_save(self.handle, os.fsencode(file))

    def to_bytes(self, lie=None):
        """The serialized model (the file format of docs/format.md), with
        the generators of ``lie`` when given (format version 2)."""
        n = c_int64()
        h = lie.handle if lie is not None else None
        lib.cpae_model_save_lie_size(self.handle, h, ref(n))
        buf = np.empty(n.value, np.uint8)
        written = c_int64()
        lib.cpae_model_save_lie_to_buffer(self.handle, h, u8p(buf), buf.size, ref(written))
        return buf[:written.value].tobytes()

    def __bytes__(self):
        return self.to_bytes()

    @classmethod
    def _from_buffer(cls, data, with_lie):
        buf = np.frombuffer(bytes(data), dtype=np.uint8)
        out, lie = c_void_p(), c_void_p()
        if not with_lie:
            lib.cpae_model_load_from_buffer(u8p(buf), buf.size, ref(out))
            return cls._adopt(out.value)
        lib.cpae_model_load_lie_from_buffer(u8p(buf), buf.size, ref(out), ref(lie))
        return cls._adopt_pair(out.value, lie.value)

    @classmethod
    def _adopt_pair(cls, model, lie):
        from .lie import Lie
        return cls._adopt(model), (Lie._adopt(lie) if lie else None)

    @classmethod
    def from_bytes(cls, data, with_lie=False):
        """Load a model from bytes (FormatError / VersionError / LimitError
        for malformed input). ``with_lie=True`` returns (model, lie), lie
        None when the bytes hold no generators."""
        return cls._from_buffer(data, with_lie)

    @classmethod
    def load(cls, file, with_lie=False):
        """Load a model from a path (FileError if unreadable) or from a
        binary file object. ``with_lie=True`` returns (model, lie): the
        generators saved with :meth:`save` (``lie=...``), or None."""
        if hasattr(file, "read"):
            return cls._from_buffer(file.read(), with_lie)
        out, lie = c_void_p(), c_void_p()
        if not with_lie:
            lib.cpae_model_load(os.fsencode(file), ref(out))
            return cls._adopt(out.value)
        lib.cpae_model_load_lie(os.fsencode(file), ref(out), ref(lie))
        return cls._adopt_pair(out.value, lie.value)

    # --------------------------------------------------------------- PCA
    def init_pca(self, pca, x, margin=0.5):
        """Rewrite the weights so that D(E(x)) is the PCA reconstruction of
        ``pca`` on x and around it (cpae_model_init_pca; margin as the
        selection protocol's default 0.5). Nothing changes on failure."""
        pts, _ = points(x)
        lib.cpae_model_init_pca(self.handle, pca.handle, fp(pts), pts.shape[0], pts.shape[1],
                                float(margin))

    def __repr__(self):
        if self.closed:
            return self._closed_repr()

        def stack_repr(s):
            parts = []
            for i in range(self.n_layers(s)):
                info = self.layer_info(s, i)
                act = info.activation.name.lower()
                if info.activation == Activation.LEAKY_RELU:
                    act += "(%g)" % info.alpha
                parts.append("%d->%d %s" % (info.n_in, info.n_out, act))
            return "[" + ", ".join(parts) + "]"

        d, h = self.dims
        return "Model(d=%d, h=%d, encoder=%s, decoder=%s)" % (
            d, h, stack_repr(Stack.ENCODER), stack_repr(Stack.DECODER))
