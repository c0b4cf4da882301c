# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""Region codes, per-region affine maps and the geometry result objects:
Code, Affine, Path (regions along a segment), Slice (exact 2-D slice),
Report (the generalization report)."""

import collections
import ctypes
import json
from ctypes import c_double, c_int32, c_int64, c_uint64, c_void_p

import numpy as np

from ._lib import lib
from ._util import (Handle, dp, f32, fp, points, ref, stack_of, text, u8p,
                    unpack_bits)
from .enums import ReportKey, Stack, to_enum

__all__ = ["Code", "Affine", "Path", "Slice", "SlicePolygon", "Report"]


class Code(Handle):
    """The region code of one stack of one model shape.

    Each non-identity unit contributes one bit: 1 when its pre-activation
    z > 0, 0 when z <= 0. Bits run layer by layer, unit by unit; an
    autoencoder code is the encoder code at x followed by the decoder code
    at E(x). Packed (:meth:`to_bytes`, :meth:`Model.codes`), bit k is in byte
    k // 8 at position k % 8 (least significant bit first); unused high bits
    of the last byte are zero.

    ``Code(model, stack="autoencoder", data=None)`` makes an all-zero code
    sized for ``stack`` of ``model`` (or one holding the packed bytes
    ``data``); :meth:`Model.code` fills one for a point. Codes compare with
    ``==`` (same length and bits) and hash by content (``cpae_code_hash``,
    FNV-1a, equal on every platform), so they work as dict keys and in sets.
    """

    _destroy_name = "cpae_code_destroy"

    def __init__(self, model, stack=Stack.AUTOENCODER, data=None):
        out = c_void_p()
        lib.cpae_code_create(model.handle, int(stack_of(stack)), ref(out))
        super().__init__(out.value)
        if data is not None:
            self.set_bytes(data)

    def _info(self):
        n, s = c_int64(), c_int32()
        lib.cpae_code_info(self.handle, ref(n), ref(s))
        return n.value, Stack(s.value)

    @property
    def n_bits(self):
        """Number of bits (non-identity units)."""
        return self._info()[0]

    @property
    def stack(self):
        """The :class:`Stack` the code is for."""
        return self._info()[1]

    def __len__(self):
        return self.n_bits

    def bit(self, k):
        """Bit k (0 or 1)."""
        b = c_int32()
        lib.cpae_code_bit(self.handle, int(k), ref(b))
        return b.value

    @property
    def bits(self):
        """All bits as an (n_bits,) bool array (True: the unit is active)."""
        return unpack_bits(np.frombuffer(self.to_bytes(), np.uint8), self.n_bits)

    def popcount(self):
        """Number of bits set (active units)."""
        n = c_int64()
        lib.cpae_code_popcount(self.handle, ref(n))
        return n.value

    def hamming(self, other):
        """Number of differing bits (MismatchError if the lengths differ)."""
        n = c_int64()
        lib.cpae_code_hamming(self.handle, other.handle, ref(n))
        return n.value

    def to_bytes(self):
        """The packed bits, ceil(n_bits / 8) bytes."""
        buf = np.zeros((self.n_bits + 7) // 8, np.uint8)
        written = c_int64()
        lib.cpae_code_to_bytes(self.handle, u8p(buf), buf.size, ref(written))
        return buf[:written.value].tobytes()

    __bytes__ = to_bytes

    def set_bytes(self, data):
        """Set the bits from packed bytes (exactly ceil(n_bits / 8); unused
        high bits must be zero, else FormatError). Changes the hash."""
        buf = np.frombuffer(bytes(data), np.uint8).copy()
        lib.cpae_code_from_bytes(self.handle, u8p(buf), buf.size)

    def clone(self):
        """A deep copy."""
        out = c_void_p()
        lib.cpae_code_clone(self.handle, ref(out))
        return Code._adopt(out.value)

    __copy__ = clone

    def __deepcopy__(self, memo):
        return self.clone()

    def __eq__(self, other):
        if not isinstance(other, Code):
            return NotImplemented
        eq = c_int32()
        lib.cpae_code_equal(self.handle, other.handle, ref(eq))
        return bool(eq.value)

    def __hash__(self):
        h = c_uint64()
        lib.cpae_code_hash(self.handle, ref(h))
        return hash(h.value)

    @property
    def hash64(self):
        """The 64-bit cpae_code_hash (the same on every platform)."""
        h = c_uint64()
        lib.cpae_code_hash(self.handle, ref(h))
        return h.value

    def __repr__(self):
        if self.closed:
            return self._closed_repr()
        bits = "".join("1" if b else "0" for b in self.bits)
        if len(bits) > 64:
            bits = bits[:60] + "..."
        return "Code(%s, %d bits: %s)" % (self.stack.name.lower(), self.n_bits, bits)


class Affine(Handle):
    """A per-region affine map ``y = A p + B``, held in double by the library.

    ``Affine(model, stack="autoencoder")`` makes a zero map sized for a
    stack (encoder (h, d), decoder (d, h), autoencoder (d, d));
    :meth:`Model.affine` and :meth:`Model.region_maps` fill them. Inside the
    region of the point it was taken at, the stack equals its map exactly.

    ``shape`` is (n_out, n_in), the shape of A as a NumPy matrix. ``slope()``
    and ``offset()`` copy A and B out as float32 (``dtype=np.float64`` gives
    the exact double values; the properties ``A`` and ``B`` too).
    ``m(p)`` applies the map, ``outer @ inner`` composes two maps.
    """

    _destroy_name = "cpae_affine_destroy"

    def __init__(self, model, stack=Stack.AUTOENCODER):
        out = c_void_p()
        lib.cpae_affine_create(model.handle, int(stack_of(stack)), ref(out))
        super().__init__(out.value)
        self._model = model

    @property
    def shape(self):
        """(n_out, n_in): A is n_out x n_in (cpae_affine_dims gives n_in first)."""
        n_in, n_out = c_int64(), c_int64()
        lib.cpae_affine_dims(self.handle, ref(n_in), ref(n_out))
        return n_out.value, n_in.value

    @property
    def n_in(self):
        return self.shape[1]

    @property
    def n_out(self):
        return self.shape[0]

    def slope(self, dtype=np.float32):
        """A, (n_out, n_in), as float32 (default) or float64 (exact)."""
        a = np.empty(self.shape, dtype)
        if a.dtype == np.float64:
            lib.cpae_affine_get_slope_f64(self.handle, dp(a), a.size)
        elif a.dtype == np.float32:
            lib.cpae_affine_get_slope(self.handle, fp(a), a.size)
        else:
            raise ValueError("Affine.slope: dtype must be float32 or float64")
        return a

    def offset(self, dtype=np.float32):
        """B, (n_out,), as float32 (default) or float64 (exact)."""
        b = np.empty(self.n_out, dtype)
        if b.dtype == np.float64:
            lib.cpae_affine_get_offset_f64(self.handle, dp(b), b.size)
        elif b.dtype == np.float32:
            lib.cpae_affine_get_offset(self.handle, fp(b), b.size)
        else:
            raise ValueError("Affine.offset: dtype must be float32 or float64")
        return b

    @property
    def A(self):
        """The slope in float64."""
        return self.slope(np.float64)

    @property
    def B(self):
        """The offset in float64."""
        return self.offset(np.float64)

    def apply(self, p):
        """A p + B for one point (n_in,) or a batch (n, n_in), float32."""
        pts, single = points(p, "p")
        y = np.empty((pts.shape[0], self.n_out), np.float32)
        lib.cpae_affine_apply(self.handle, fp(pts), pts.shape[0], pts.shape[1], fp(y), y.size)
        return y[0] if single else y

    __call__ = apply

    def compose(self, inner):
        """The map ``self o inner``: A = A_self A_inner, B = A_self B_inner +
        B_self (SizeError if the shapes do not chain). The result is created
        for this map's model (the C API makes maps only for a model's
        stacks), so its shape (n_out, inner.n_in) must be that of one of
        them, as for a decoder map composed with an encoder map."""
        d, h = self._model.dims
        want = (self.n_out, inner.n_in)
        stack = {(h, d): Stack.ENCODER, (d, h): Stack.DECODER}.get(want, Stack.AUTOENCODER)
        out = Affine(self._model, stack)
        try:
            lib.cpae_affine_compose(self.handle, inner.handle, out.handle)
        except BaseException:
            out.close()
            raise
        return out

    def __matmul__(self, inner):
        if not isinstance(inner, Affine):
            return NotImplemented
        return self.compose(inner)

    def __repr__(self):
        if self.closed:
            return self._closed_repr()
        return "Affine(%d x %d)" % self.shape


def _packed(get, n, n_bytes):
    codes = np.zeros((n, n_bytes), np.uint8)
    get(u8p(codes), codes.size)
    return codes


class Path(Handle):
    """The exact, ordered regions of a stack crossed by the segment
    p(t) = p + t (q - p), t in [0, 1] (from :meth:`Model.segment`).

    Region k covers [t_k, t_{k+1}) with t_0 = 0; consecutive regions differ
    and, regions being convex, all are distinct, so ``len(path)`` is the
    exact number of regions along the segment.
    """

    _destroy_name = "cpae_path_destroy"

    def __init__(self, *a, **k):
        raise TypeError("a Path comes from Model.segment(p, q)")

    @classmethod
    def _make(cls, ptr, model, stack, p, q):
        obj = cls._adopt(ptr)
        obj._model, obj.stack, obj.p, obj.q = model, stack, p, q
        return obj

    @property
    def n_regions(self):
        n = c_int64()
        lib.cpae_path_n_regions(self.handle, ref(n))
        return n.value

    def __len__(self):
        return self.n_regions

    @property
    def params(self):
        """Start parameters t_k of the regions, (n_regions,) float64,
        t_0 = 0, increasing, all < 1."""
        t = np.empty(self.n_regions, np.float64)
        lib.cpae_path_params(self.handle, dp(t), t.size)
        return t

    @property
    def intervals(self):
        """(n_regions, 2) float64: [t_k, t_{k+1}) of every region (the last
        ends at 1)."""
        t = self.params
        return np.stack([t, np.append(t[1:], 1.0)], axis=1)

    @property
    def points(self):
        """(n_regions, dim) float64: the start point p(t_k) of each region."""
        t = self.params[:, None]
        p, q = self.p.astype(np.float64), self.q.astype(np.float64)
        return p + t * (q - p)

    def codes(self, bits=False):
        """All region codes, packed (n_regions, n_bytes) uint8, or with
        bits=True unpacked (n_regions, n_bits) bool."""
        nb = self._model.code_bytes(self.stack)
        codes = _packed(lambda buf, cap: lib.cpae_path_codes(self.handle, buf, cap),
                        self.n_regions, nb)
        return unpack_bits(codes, self._model.n_bits(self.stack)) if bits else codes

    def code(self, k):
        """The code of region k as a :class:`Code`."""
        c = Code(self._model, self.stack)
        try:
            lib.cpae_path_code(self.handle, int(k), c.handle)
        except BaseException:
            c.close()
            raise
        return c

    def __repr__(self):
        if self.closed:
            return self._closed_repr()
        return "Path(%s, %d regions)" % (self.stack.name.lower(), self.n_regions)


#: One polygon of a Slice: vertices (nv, 2) float64 (u, v) counter-clockwise,
#: area, packed code (n_bytes,) uint8, and the stack's map on it,
#: f(x(u, v)) = a @ [u, v] + b with a (out, 2) and b (out,) float64.
SlicePolygon = collections.namedtuple("SlicePolygon", "vertices area code a b")


class Slice(Handle):
    """The exact partition of a rectangle of a plane into the regions of a
    stack (from :meth:`Model.slice`): convex polygons, each one region
    intersected with the rectangle, with its code and the stack's affine map
    restricted to the plane. Areas sum to the rectangle's.
    """

    _destroy_name = "cpae_slice_destroy"

    def __init__(self, *a, **k):
        raise TypeError("a Slice comes from Model.slice(origin, e1, e2, rect)")

    @classmethod
    def _make(cls, ptr, model, stack, out_width):
        obj = cls._adopt(ptr)
        obj._model, obj.stack, obj._out = model, stack, out_width
        return obj

    @property
    def n_polygons(self):
        n = c_int64()
        lib.cpae_slice_n_polygons(self.handle, ref(n))
        return n.value

    def __len__(self):
        return self.n_polygons

    def polygon(self, k):
        """Vertices of polygon k, (nv, 2) float64 (u, v), counter-clockwise."""
        nv = c_int64()
        lib.cpae_slice_polygon_size(self.handle, int(k), ref(nv))
        uv = np.empty((nv.value, 2), np.float64)
        lib.cpae_slice_polygon(self.handle, int(k), dp(uv), uv.size)
        return uv

    def area(self, k):
        """Area of polygon k in (u, v) units."""
        a = c_double()
        lib.cpae_slice_area(self.handle, int(k), ref(a))
        return a.value

    @property
    def areas(self):
        """(n_polygons,) float64."""
        return np.array([self.area(k) for k in range(self.n_polygons)])

    def code(self, k):
        """The code of polygon k's region as a :class:`Code`."""
        c = Code(self._model, self.stack)
        try:
            lib.cpae_slice_code(self.handle, int(k), c.handle)
        except BaseException:
            c.close()
            raise
        return c

    def codes(self, bits=False):
        """All polygon codes, packed (n_polygons, n_bytes) uint8 or, with
        bits=True, (n_polygons, n_bits) bool."""
        nb = self._model.code_bytes(self.stack)
        codes = _packed(lambda buf, cap: lib.cpae_slice_codes(self.handle, buf, cap),
                        self.n_polygons, nb)
        return unpack_bits(codes, self._model.n_bits(self.stack)) if bits else codes

    def map(self, k):
        """(a, b): the stack's map on polygon k in plane coordinates,
        f(x(u, v)) = a @ [u, v] + b; a (out, 2), b (out,), float64."""
        a = np.empty((self._out, 2), np.float64)
        b = np.empty(self._out, np.float64)
        lib.cpae_slice_map(self.handle, int(k), dp(a), a.size, dp(b), b.size)
        return a, b

    def polygons(self):
        """Every polygon as a :class:`SlicePolygon`."""
        codes = self.codes()
        out = []
        for k in range(self.n_polygons):
            a, b = self.map(k)
            out.append(SlicePolygon(self.polygon(k), self.area(k), codes[k], a, b))
        return out

    def __iter__(self):
        return iter(self.polygons())

    def __repr__(self):
        if self.closed:
            return self._closed_repr()
        return "Slice(%s, %d polygons)" % (self.stack.name.lower(), self.n_polygons)


class Report(Handle):
    """The generalization report of a model on data (docs/math.md section 5;
    experimental in the C API): decoder and input regions occupied by the
    data, boundary distances in latent and input space, and over
    nearest-neighbour pairs in different decoder regions the Lie residual
    (NaN without generators) and tangent alignment.

    ``Report(model, x, lie=None)`` or :meth:`Model.report`. Read a quantity
    with ``report["distance_median"]`` or ``report.get(ReportKey...)``,
    all of them with :meth:`as_dict`, the per-sample distances with
    :meth:`distances`, and the library's JSON with :meth:`json` /
    :meth:`to_dict`.
    """

    _destroy_name = "cpae_report_destroy"

    def __init__(self, model, x, lie=None):
        x = f32(x, 2, "x")
        out = c_void_p()
        lib.cpae_report_create(model.handle, lie.handle if lie is not None else None,
                               fp(x), x.shape[0], x.shape[1], ref(out))
        super().__init__(out.value)
        self.n = x.shape[0]

    @staticmethod
    def keys():
        """The quantity names (lower-case ReportKey names)."""
        return [k.name.lower() for k in ReportKey]

    def get(self, key):
        """One quantity (a ReportKey or its name) as a float (NaN where it
        does not apply)."""
        k = to_enum(ReportKey, key, "report key")
        v = c_double()
        lib.cpae_report_get(self.handle, int(k), ref(v))
        return v.value

    def __getitem__(self, key):
        try:
            return self.get(key)
        except ValueError as e:
            raise KeyError(key) from e

    def as_dict(self):
        """{name: value} for every ReportKey (counts as int)."""
        out = {}
        for k in ReportKey:
            v = self.get(k)
            if k in (ReportKey.N_SAMPLES, ReportKey.DECODER_REGIONS, ReportKey.INPUT_REGIONS,
                     ReportKey.N_PAIRS) and np.isfinite(v):
                v = int(v)
            out[k.name.lower()] = v
        return out

    def distances(self, stack=Stack.DECODER):
        """Per-sample boundary distances, (n,) float64: stack "decoder" for
        latent r(E(x)), "autoencoder" for input-space r(x)."""
        r = np.empty(self.n, np.float64)
        lib.cpae_report_distances(self.handle, int(stack_of(stack)), dp(r), r.size)
        return r

    def json(self):
        """The report as the library's JSON text (non-finite values null)."""
        n = c_int64()
        lib.cpae_report_json(self.handle, None, 0, ref(n))
        buf = ctypes.create_string_buffer(n.value)
        lib.cpae_report_json(self.handle, buf, n.value, ref(n))
        return text(buf.value)

    def to_dict(self):
        """json() parsed into a dict (nested as the library writes it)."""
        return json.loads(self.json())

    def __repr__(self):
        if self.closed:
            return self._closed_repr()
        return "Report(n_samples=%d, decoder_regions=%d)" % (
            self.get("n_samples"), self.get("decoder_regions"))
