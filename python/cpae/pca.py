# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""Linear baselines: cpae_pca_* (PCA and the training mean)."""

from ctypes import c_double, c_int64, c_void_p

import numpy as np

from ._lib import lib
from ._util import Handle, fp, points, ref

__all__ = ["PCA"]


class PCA(Handle):
    """PCA with k components fitted on training data (n, d), centred on the
    training mean: the optimum of a linear autoencoder with bottleneck k
    (LAPACK dgesvd in double). k = 0 fits the mean only (the training-mean
    predictor).

    ``PCA(x, k)``. Components are the rows of :attr:`components` (k, d),
    orthonormal, by decreasing variance, each with its largest-magnitude
    entry positive. :meth:`to_model` turns the fit into an ordinary
    :class:`Model` (identity activations, one region) so every model call
    works on the baseline; :meth:`init_model` starts a nonlinear autoencoder
    at the PCA solution.
    """

    _destroy_name = "cpae_pca_destroy"

    def __init__(self, x, k):
        pts, _ = points(x)
        out = c_void_p()
        lib.cpae_pca_fit(fp(pts), pts.shape[0], pts.shape[1], int(k), ref(out))
        super().__init__(out.value)

    def _info(self):
        d, k, tot = c_int64(), c_int64(), c_double()
        lib.cpae_pca_info(self.handle, ref(d), ref(k), ref(tot))
        return d.value, k.value, tot.value

    @property
    def d(self):
        return self._info()[0]

    @property
    def k(self):
        return self._info()[1]

    @property
    def total_variance(self):
        """Sum of the d features' unbiased variances of the fitted data."""
        return self._info()[2]

    @property
    def mean(self):
        """The training mean, (d,) float32."""
        m = np.empty(self.d, np.float32)
        lib.cpae_pca_mean(self.handle, fp(m), m.size)
        return m

    @property
    def components(self):
        """(k, d) float32, orthonormal rows."""
        d, k, _ = self._info()
        c = np.empty((k, d), np.float32)
        if k:
            lib.cpae_pca_components(self.handle, fp(c), c.size)
        return c

    @property
    def variances(self):
        """Explained variances s_j^2 / (n - 1), (k,) float32, decreasing."""
        v = np.empty(self.k, np.float32)
        if v.size:
            lib.cpae_pca_variances(self.handle, fp(v), v.size)
        return v

    @property
    def explained_variance_ratio(self):
        """variances / total_variance, (k,) float64."""
        return self.variances.astype(np.float64) / self.total_variance

    def to_model(self):
        """A :class:`Model` holding the PCA map: z = V (x - mu), x^ = V^T z +
        mu (for k = 0 one latent unit with zero weights: x^ = mu)."""
        from .model import Model
        out = c_void_p()
        lib.cpae_model_from_pca(self.handle, ref(out))
        return Model._adopt(out.value)

    def init_model(self, model, x, margin=0.5):
        """Rewrite ``model``'s weights so that it starts exactly at this PCA
        solution on x (see :meth:`Model.init_pca`); returns the model."""
        model.init_pca(self, x, margin)
        return model

    def __repr__(self):
        if self.closed:
            return self._closed_repr()
        d, k, tot = self._info()
        return "PCA(d=%d, k=%d, explained=%.3g)" % (
            d, k, float(self.variances.sum() / tot) if k and tot > 0 else 0.0)
