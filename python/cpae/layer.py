# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""Dense layers: cpae_layer_*."""

from ctypes import c_double, c_int32, c_int64, c_void_p

import numpy as np

from ._lib import lib
from ._util import Handle, f32, fp, points, ref
from .enums import Activation, to_enum

__all__ = ["Layer", "DEFAULT_LEAKY_ALPHA"]

#: Slope of the leaky ReLU for z <= 0 when none is given (CPAE_DEFAULT_LEAKY_ALPHA).
DEFAULT_LEAKY_ALPHA = float(lib.cpae_default_leaky_alpha())


class Layer(Handle):
    """A dense layer ``a = s(W a_prev + b)``: W is (n_out, n_in), b is (n_out,).

    ``Layer(n_in, n_out, activation="relu", alpha=0.01, weights=None,
    bias=None)`` creates one with zero weights and biases (then sets the
    given ones). ``activation`` is an :class:`Activation` (or its name);
    ``alpha`` is the leaky ReLU's slope for z <= 0 (ignored otherwise).
    Layers are the building blocks of :meth:`Model.from_layers`; the layers
    :meth:`Model.layers` returns are copies (changing them does not change
    the model).
    """

    _destroy_name = "cpae_layer_destroy"

    def __init__(self, n_in, n_out, activation=Activation.RELU, alpha=DEFAULT_LEAKY_ALPHA,
                 weights=None, bias=None):
        act = to_enum(Activation, activation, "activation")
        out = c_void_p()
        lib.cpae_layer_create(int(n_in), int(n_out), int(act), float(alpha), ref(out))
        super().__init__(out.value)
        if weights is not None:
            self.weights = weights
        if bias is not None:
            self.bias = bias

    @property
    def n_in(self):
        """Input width."""
        return self.shape[1]

    @property
    def n_out(self):
        """Output width (units)."""
        return self.shape[0]

    @property
    def shape(self):
        """(n_out, n_in), the shape of W."""
        n_in, n_out = c_int64(), c_int64()
        lib.cpae_layer_dims(self.handle, ref(n_in), ref(n_out))
        return n_out.value, n_in.value

    @property
    def activation(self):
        """The :class:`Activation`."""
        act = c_int32()
        lib.cpae_layer_activation(self.handle, ref(act), None)
        return Activation(act.value)

    @property
    def alpha(self):
        """The leaky ReLU slope for z <= 0 (stored for every activation)."""
        a = c_double()
        lib.cpae_layer_activation(self.handle, None, ref(a))
        return a.value

    @property
    def weights(self):
        """W as a new (n_out, n_in) float32 array; assign an array of that
        shape (any real dtype) to set it."""
        w = np.empty(self.shape, np.float32)
        lib.cpae_layer_get_weights(self.handle, fp(w), w.size)
        return w

    @weights.setter
    def weights(self, w):
        w = f32(w)
        if w.shape != self.shape:
            raise ValueError("Layer.weights: shape %s, the layer's W is %s" % (w.shape, self.shape))
        lib.cpae_layer_set_weights(self.handle, fp(w), w.size)

    @property
    def bias(self):
        """b as a new (n_out,) float32 array; assignable."""
        b = np.empty(self.n_out, np.float32)
        lib.cpae_layer_get_bias(self.handle, fp(b), b.size)
        return b

    @bias.setter
    def bias(self, b):
        b = f32(b).reshape(-1)
        lib.cpae_layer_set_bias(self.handle, fp(b), b.size)

    def forward(self, x):
        """s(W x + b) for one input (n_in,) or a batch (n, n_in), float32."""
        pts, single = points(x)
        y = np.empty((pts.shape[0], self.n_out), np.float32)
        lib.cpae_layer_forward(self.handle, fp(pts), pts.shape[0], pts.shape[1], fp(y), y.size)
        return y[0] if single else y

    __call__ = forward

    def __repr__(self):
        if self.closed:
            return self._closed_repr()
        act = self.activation
        extra = ", alpha=%g" % self.alpha if act == Activation.LEAKY_RELU else ""
        return "Layer(%d -> %d, %s%s)" % (self.n_in, self.n_out, act.name.lower(), extra)
