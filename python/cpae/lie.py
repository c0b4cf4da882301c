# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""Lie-group generators: cpae_lie_* and cpae_shift_generator."""

import collections
from ctypes import c_double, c_int32, c_int64, c_void_p

import numpy as np

from ._lib import lib
from ._util import Handle, dp, f32, f64, fp, ref
from .enums import LieParam, to_enum

__all__ = ["Lie", "shift_generator", "Cosine"]

#: |<G_j, g_ref>| / (||G_j|| ||g_ref||) over the whole matrices ("full") and
#: restricted to the span of given points (NaN without points).
Cosine = collections.namedtuple("Cosine", "full restricted")


def shift_generator(d):
    """The generator of cyclic shifts of periodic signals of length d (the
    skew-symmetric circulant spectral derivative, unnormalised), (d, d)
    float32: exp(theta G) x shifts a band-limited x by theta samples."""
    g = np.empty((int(d), int(d)), np.float32)
    lib.cpae_shift_generator(int(d), fp(g), g.size)
    return g


class Lie(Handle):
    """k Lie-group generators G_1..G_k, each (d, d), learned by the Lie
    training methods (docs/math.md section 3). Each has unit Frobenius norm
    and for k > 1 they are kept orthonormal, so theta carries the scale.

    ``Lie(d, k=1, kind="skew", seed=0)`` draws random generators (standard
    normal; skew: S - S^T) with libcpae's generator. ``kind`` is a
    :class:`LieParam`: "general" (any matrix), "skew" (rotations, cyclic
    shifts) or "fixed" (user-supplied, never learned).
    :meth:`from_generators` starts from given matrices, for example
    ``Lie.from_generators(shift_generator(d), "skew")``.
    """

    _destroy_name = "cpae_lie_destroy"

    def __init__(self, d, k=1, kind=LieParam.SKEW, seed=0):
        p = to_enum(LieParam, kind, "kind")
        out = c_void_p()
        lib.cpae_lie_create(int(d), int(k), int(p), int(seed), ref(out))
        super().__init__(out.value)

    @classmethod
    def from_generators(cls, g, kind=LieParam.GENERAL, trainable=None):
        """Generators from an array (d, d) or (k, d, d) (normalised, and
        orthonormalised for k > 1; skew ones must be skew-symmetric).
        ``trainable`` False keeps them fixed during training while keeping
        the kind's fast paths (see :attr:`trainable`)."""
        g = f32(g)
        if g.ndim == 2:
            g = g[None]
        if g.ndim != 3 or g.shape[1] != g.shape[2]:
            raise ValueError("Lie.from_generators: expected (d, d) or (k, d, d), got %s"
                             % (g.shape,))
        lie = cls(g.shape[1], g.shape[0], kind)
        try:
            lie.set(g)
            if trainable is not None:
                lie.trainable = trainable
        except BaseException:
            lie.close()
            raise
        return lie

    def _info(self):
        d, k, p = c_int64(), c_int64(), c_int32()
        lib.cpae_lie_info(self.handle, ref(d), ref(k), ref(p))
        return d.value, k.value, LieParam(p.value)

    @property
    def d(self):
        """Size of each generator (d x d)."""
        return self._info()[0]

    @property
    def k(self):
        """Number of generators."""
        return self._info()[1]

    @property
    def kind(self):
        """The :class:`LieParam` (general, skew or fixed)."""
        return self._info()[2]

    @staticmethod
    def kinds():
        """The available kinds (LieParam members)."""
        return list(LieParam)

    @property
    def trainable(self):
        """Whether trainers learn the generators (True by default, never for
        "fixed"). Set it before creating a Trainer."""
        t = c_int32()
        lib.cpae_lie_trainable(self.handle, ref(t))
        return bool(t.value)

    @trainable.setter
    def trainable(self, value):
        lib.cpae_lie_set_trainable(self.handle, 1 if value else 0)

    @property
    def generators(self):
        """The generators as a (k, d, d) float32 array (a copy); assign a
        (k, d, d) or (d, d) array to set them (see :meth:`set`)."""
        d, k, _ = self._info()
        g = np.empty((k, d, d), np.float32)
        lib.cpae_lie_get(self.handle, fp(g), g.size)
        return g

    @generators.setter
    def generators(self, g):
        self.set(g)

    def get(self, j=None):
        """All generators (k, d, d), or generator j (d, d)."""
        g = self.generators
        return g if j is None else g[int(j)]

    def set(self, g):
        """Set the generators from (k, d, d) (or (d, d) when k = 1); they are
        normalised. InvalidError for non-skew matrices of a skew Lie or
        dependent ones; nothing changes on failure."""
        g = f32(g)
        lib.cpae_lie_set(self.handle, fp(g), g.size)

    def expm(self, theta):
        """exp(sum_j theta_j G_j) as a (d, d) float32 array (theta: a scalar
        for k = 1, or k values)."""
        th = f64(np.atleast_1d(theta), 1, "theta")
        d = self.d
        e = np.empty((d, d), np.float32)
        lib.cpae_lie_expm(self.handle, dp(th), th.size, fp(e), e.size)
        return e

    def orbit(self, x0, thetas, j=0):
        """The orbit exp(theta G_j) x0 at each theta: (n_theta, d) float32."""
        x = f32(x0, 1, "x0")
        th = f64(np.atleast_1d(thetas), 1, "thetas")
        out = np.empty((th.size, x.size), np.float32)
        lib.cpae_lie_orbit(self.handle, int(j), fp(x), x.size, dp(th), th.size, fp(out), out.size)
        return out

    def cosine(self, g_ref, j=0, points=None):
        """:class:`Cosine` between generator j and a reference (d, d): full
        |<G_j, g_ref>| / norms, and the same restricted to the span of
        ``points`` (n, d) (NaN without points)."""
        pts = points
        g = f32(g_ref)
        p = None
        n = 0
        if pts is not None:
            p = f32(pts)
            if p.ndim == 1:
                p = p.reshape(1, -1)
            n = p.shape[0]
        full, restricted = c_double(), c_double()
        lib.cpae_lie_cosine(self.handle, int(j), fp(g), g.size, fp(p), n, ref(full),
                            ref(restricted))
        return Cosine(full.value, restricted.value)

    shift_generator = staticmethod(shift_generator)

    def clone(self):
        """A deep copy (trainability included)."""
        out = c_void_p()
        lib.cpae_lie_clone(self.handle, ref(out))
        return Lie._adopt(out.value)

    __copy__ = clone

    def __deepcopy__(self, memo):
        return self.clone()

    def __repr__(self):
        if self.closed:
            return self._closed_repr()
        d, k, p = self._info()
        return "Lie(d=%d, k=%d, kind=%s%s)" % (d, k, p.name.lower(),
                                               "" if self.trainable else ", not trainable")
