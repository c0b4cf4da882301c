# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""PyTorch interop: models to and from ``torch.nn.Sequential`` stacks.

torch is imported only inside these functions (and on first use of
:class:`Abs`), so ``import cpae`` never needs it.

Supported stacks are ``nn.Sequential`` (nested ones are flattened) of
``nn.Linear`` layers, each optionally followed by one activation:
``nn.ReLU``, ``nn.LeakyReLU(negative_slope)`` (libcpae's leaky ReLU with
alpha = negative_slope) or an absolute value: :class:`Abs` of this module,
or any parameter-free module whose ``forward`` is literally
``return torch.abs(x)``, ``return x.abs()`` or ``return abs(x)`` (detected
from its bytecode). A Linear with no activation after it is an identity
layer (no code bits). ``nn.Identity`` is skipped. Anything else (Conv,
BatchNorm, Dropout, a subclass of Linear or ReLU overriding ``forward``, a
module with forward hooks, an activation not preceded by a Linear) is
refused with :class:`UnsupportedModuleError`.

Conversions are exact: libcpae stores weights in double and its API is
float32, so torch float32 weights -> cpae -> torch are bit-identical
(float64 or half weights are converted to float32 first). A model created
by libcpae has double weights; the float32 API rounds them once, after
which round trips are exact too. Outputs agree to float rounding (libcpae
computes in double, torch in float32), and libcpae's region code bits are
the signs (z > 0) of the pre-activations of every Linear followed by an
activation, encoder then decoder (see :class:`cpae.Code`).
"""

import builtins

import numpy as np

from .enums import Activation, Stack
from .layer import DEFAULT_LEAKY_ALPHA

__all__ = ["from_torch", "to_torch", "Abs", "UnsupportedModuleError"]


class UnsupportedModuleError(TypeError, ValueError):
    """A torch module that libcpae cannot represent."""


_ABS = None


def _abs_class():
    global _ABS
    if _ABS is None:
        import torch

        class Abs(torch.nn.Module):
            """Elementwise absolute value |x|: libcpae's "abs" activation as
            a torch module (``cpae.torch_interop.Abs()``)."""

            def forward(self, x):
                return torch.abs(x)

        Abs.__module__ = __name__
        Abs.__qualname__ = "Abs"
        _ABS = Abs
    return _ABS


def __getattr__(name):
    if name == "Abs":
        return _abs_class()
    raise AttributeError("module %r has no attribute %r" % (__name__, name))


# Reference bodies for recognising an abs module from its bytecode (never
# called; `torch` here is only a name, as in a user's module).
def _ref_torch_abs(self, x):
    return torch.abs(x)  # noqa: F821


def _ref_method_abs(self, x):
    return x.abs()


def _ref_builtin_abs(self, x):
    return abs(x)


def _same_code(a, b):
    return (a.co_code == b.co_code and a.co_names == b.co_names
            and a.co_consts == b.co_consts and a.co_argcount == b.co_argcount
            and a.co_kwonlyargcount == b.co_kwonlyargcount)


def _hooks(module):
    names = ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks")
    return any(getattr(module, n, None) for n in names)


def _is_abs(module, torch):
    if _hooks(module):
        return False
    cls = type(module)
    if isinstance(module, _abs_class()) and cls.forward is _abs_class().forward:
        return True
    if (list(module.parameters(recurse=False)) or list(module.buffers(recurse=False))
            or list(module.children())):
        return False
    fwd = getattr(cls, "forward", None)
    code = getattr(fwd, "__code__", None)
    if code is None:
        return False
    g = getattr(fwd, "__globals__", {})
    if _same_code(code, _ref_torch_abs.__code__):
        return g.get("torch") is torch
    if _same_code(code, _ref_method_abs.__code__):
        return True
    if _same_code(code, _ref_builtin_abs.__code__):
        return g.get("abs", builtins.abs) is builtins.abs
    return False


def _activation(module, torch):
    """(Activation, alpha) if module is a supported activation, else None."""
    nn = torch.nn
    if _hooks(module):
        return None
    if isinstance(module, nn.ReLU) and type(module).forward is nn.ReLU.forward:
        return Activation.RELU, DEFAULT_LEAKY_ALPHA
    if isinstance(module, nn.LeakyReLU) and type(module).forward is nn.LeakyReLU.forward:
        return Activation.LEAKY_RELU, float(module.negative_slope)
    if _is_abs(module, torch):
        return Activation.ABS, DEFAULT_LEAKY_ALPHA
    return None


def _flatten(module, torch, where):
    nn = torch.nn
    if isinstance(module, nn.Sequential) and type(module).forward is nn.Sequential.forward \
            and not _hooks(module):
        out = []
        for i, child in enumerate(module):
            out.extend(_flatten(child, torch, "%s[%d]" % (where, i)))
        return out
    if isinstance(module, nn.Identity) and not _hooks(module):
        return []
    return [(where, module)]


_HINTS = {
    "Dropout": "Dropout is the identity in eval mode: build the Sequential without it",
    "BatchNorm": "fold it into the neighbouring Linear (an affine map) first",
    "Conv": "only dense (Linear) layers are piecewise-affine maps libcpae handles",
    "Flatten": "flatten the input yourself; libcpae takes flat vectors",
}


def _refuse(where, module, why):
    name = type(module).__name__
    hint = next((h for k, h in _HINTS.items() if name.startswith(k)), None)
    raise UnsupportedModuleError(
        "cpae.Model.from_torch: %s, %s, %s; supported: nn.Linear layers, each optionally "
        "followed by nn.ReLU, nn.LeakyReLU or an abs module (cpae.torch_interop.Abs)%s"
        % (where, name, why, " (%s)" % hint if hint else ""))


def _layers(module, torch, what):
    """The (W, b, activation, alpha) list of one Sequential."""
    nn = torch.nn
    if not isinstance(module, nn.Module):
        raise UnsupportedModuleError("cpae.Model.from_torch: the %s is a %s, not a torch module"
                                     % (what, type(module).__name__))
    mods = _flatten(module, torch, what)
    out = []
    i = 0
    while i < len(mods):
        where, m = mods[i]
        if isinstance(m, nn.Linear):
            if type(m).forward is not nn.Linear.forward or _hooks(m):
                _refuse(where, m, "a Linear with its own forward or hooks, is not supported")
            w = m.weight.detach().to("cpu", torch.float32).contiguous().numpy().copy()
            if m.bias is not None:
                b = m.bias.detach().to("cpu", torch.float32).contiguous().numpy().copy()
            else:
                b = np.zeros(w.shape[0], np.float32)
            act, alpha = Activation.IDENTITY, DEFAULT_LEAKY_ALPHA
            if i + 1 < len(mods):
                found = _activation(mods[i + 1][1], torch)
                if found is not None:
                    act, alpha = found
                    i += 1
            out.append((w, b, act, alpha))
        elif _activation(m, torch) is not None:
            _refuse(where, m, "an activation not preceded by a Linear (each Linear takes at "
                    "most one activation), is not supported")
        else:
            _refuse(where, m, "is not supported")
        i += 1
    if not out:
        raise UnsupportedModuleError("cpae.Model.from_torch: the %s has no Linear layer" % what)
    return out


def _is_pair_sequential(module, torch):
    nn = torch.nn
    return (isinstance(module, nn.Sequential) and len(module) == 2
            and all(isinstance(c, nn.Sequential) for c in module))


def from_torch(module=None, *, encoder=None, decoder=None, split=None):
    """A :class:`cpae.Model` computing the same function as torch modules.

    Forms:

    * ``from_torch((encoder, decoder))`` or ``from_torch(encoder=...,
      decoder=...)``: two Sequentials; the split is kept;
    * ``from_torch(nn.Sequential(encoder, decoder))`` (two Sequential
      children, as :func:`to_torch` with ``combined=True`` returns): the same;
    * ``from_torch(sequential)``: one flat autoencoder Sequential; the
      encoder ends after Linear number ``split`` (counted from 1, its
      activation included), by default after the Linear with the smallest
      output width (the bottleneck; the first one on ties; the last Linear
      is never chosen).

    The stacks must make an autoencoder R^d -> R^h -> R^d. Raises
    :class:`UnsupportedModuleError` (a TypeError and ValueError) naming the
    first module it cannot represent.
    """
    import torch

    from .model import Model, bottleneck_split

    if module is not None and (encoder is not None or decoder is not None):
        raise TypeError("from_torch: give a module, or encoder= and decoder=, not both")
    if module is None:
        if encoder is None or decoder is None:
            raise TypeError("from_torch: give a module, or both encoder= and decoder=")
        module = (encoder, decoder)
    if not isinstance(module, (tuple, list)) and _is_pair_sequential(module, torch) \
            and split is None:
        module = (module[0], module[1])
    if isinstance(module, (tuple, list)):
        if len(module) != 2:
            raise TypeError("from_torch: expected (encoder, decoder), got %d modules"
                            % len(module))
        if split is not None:
            raise TypeError("from_torch: split applies to one Sequential, not to a pair")
        enc = _layers(module[0], torch, "encoder")
        dec = _layers(module[1], torch, "decoder")
    else:
        layers = _layers(module, torch, "module")
        if len(layers) < 2:
            raise UnsupportedModuleError("cpae.Model.from_torch: an autoencoder needs at least "
                                         "two Linear layers (encoder and decoder)")
        if split is None:
            split = bottleneck_split([w.shape[0] for w, _, _, _ in layers])
        if not 1 <= split < len(layers):
            raise ValueError("from_torch: split=%d, the module has %d Linear layers"
                             % (split, len(layers)))
        enc, dec = layers[:split], layers[split:]
    d_in = enc[0][0].shape[1]
    h = enc[-1][0].shape[0]
    for a, b in zip(enc + dec, (enc + dec)[1:]):
        if a[0].shape[0] != b[0].shape[1]:
            raise ValueError("from_torch: a Linear with %d outputs feeds one with %d inputs"
                             % (a[0].shape[0], b[0].shape[1]))
    d_out = dec[-1][0].shape[0]
    if d_out != d_in:
        raise ValueError("from_torch: the decoder's output width %d differs from the encoder's "
                         "input width %d; a cpae model is an autoencoder R^d -> R^h -> R^d "
                         "(here h = %d)" % (d_out, d_in, h))
    return Model.from_weights(enc, dec)


def to_torch(model, combined=False):
    """(encoder, decoder): ``torch.nn.Sequential`` modules with float32
    weights equal to the model's (as the float32 API reads them): a
    ``nn.Linear`` per layer followed by ``nn.ReLU``, ``nn.LeakyReLU(alpha)``
    or :class:`Abs` (nothing for identity layers). With ``combined=True``,
    one ``nn.Sequential(encoder, decoder)`` computing D(E(x)) whose children
    0 and 1 are the encoder and decoder (:func:`from_torch` keeps that
    split). torch's random number generator is not used.
    """
    import torch
    nn = torch.nn

    def build(stack):
        mods = []
        for lw in model.weights(stack):
            n_out, n_in = lw.W.shape
            skip_init = getattr(nn.utils, "skip_init", None)  # torch >= 1.10
            lin = (skip_init(nn.Linear, n_in, n_out, bias=True) if skip_init is not None
                   else nn.Linear(n_in, n_out, bias=True))
            lin.weight = nn.Parameter(torch.from_numpy(lw.W.copy()))
            lin.bias = nn.Parameter(torch.from_numpy(lw.b.copy()))
            mods.append(lin)
            if lw.activation == Activation.RELU:
                mods.append(nn.ReLU())
            elif lw.activation == Activation.LEAKY_RELU:
                mods.append(nn.LeakyReLU(lw.alpha))
            elif lw.activation == Activation.ABS:
                mods.append(_abs_class()())
        return nn.Sequential(*mods)

    enc, dec = build(Stack.ENCODER), build(Stack.DECODER)
    return nn.Sequential(enc, dec) if combined else (enc, dec)
