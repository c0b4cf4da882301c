# Copyright (c) 2026 The libcpae authors. SPDX-License-Identifier: MIT
"""PyTorch interop: from_torch / to_torch, exact to float rounding, the same
region codes as the torch model's activation pattern, bit-identical weight
round trips, refusal of what libcpae cannot represent."""

import copy
import pickle

import numpy as np
import pytest

torch = pytest.importorskip("torch")
nn = torch.nn

import cpae  # noqa: E402
from cpae.torch_interop import Abs, UnsupportedModuleError  # noqa: E402


def activation(kind, gen):
    if kind == "relu":
        return nn.ReLU()
    if kind == "leaky":
        return nn.LeakyReLU(float(torch.empty(1).uniform_(0.01, 0.5, generator=gen)))
    return Abs()


def random_stack(widths, kinds, last_identity, gen):
    mods = []
    for i, (a, b) in enumerate(zip(widths, widths[1:])):
        mods.append(nn.Linear(a, b))
        last = i == len(widths) - 2
        if not (last and last_identity):
            mods.append(activation(kinds[int(torch.randint(len(kinds), (1,), generator=gen))],
                                   gen))
    return nn.Sequential(*mods)


def random_pair(seed, kinds=("relu", "leaky", "abs")):
    gen = torch.Generator().manual_seed(seed)
    torch.manual_seed(seed)
    d = int(torch.randint(3, 12, (1,), generator=gen))
    h = int(torch.randint(1, d, (1,), generator=gen))
    depth_e = int(torch.randint(1, 4, (1,), generator=gen))
    depth_d = int(torch.randint(1, 4, (1,), generator=gen))
    hidden = [int(torch.randint(2, 24, (1,), generator=gen)) for _ in range(6)]
    enc_w = [d] + hidden[:depth_e - 1] + [h]
    dec_w = [h] + hidden[3:3 + depth_d - 1] + [d]
    enc = random_stack(enc_w, kinds, bool(torch.randint(2, (1,), generator=gen)), gen)
    dec = random_stack(dec_w, kinds, True, gen)      # identity output
    return enc, dec


def torch_pattern(seq, a):
    """Output and pre-activations of a flat Sequential: z of every Linear
    followed by an activation (libcpae's code bit of a unit is z > 0)."""
    pre = []
    for m in seq:
        if not isinstance(m, nn.Linear):
            pre.append(a)           # a is the pre-activation here
        a = m(a)
    return a, pre


SEEDS = list(range(12))


@pytest.mark.parametrize("seed", SEEDS)
def test_random_models_same_outputs_and_codes(seed):
    enc, dec = random_pair(seed)
    model = cpae.Model.from_torch((enc, dec))
    n_lin_e = sum(isinstance(m, nn.Linear) for m in enc)
    assert model.n_layers("encoder") == n_lin_e
    assert model.n_layers("decoder") == sum(isinstance(m, nn.Linear) for m in dec)
    d = enc[0].in_features
    x = torch.randn(200, d, generator=torch.Generator().manual_seed(100 + seed))
    with torch.no_grad():
        y32 = dec(enc(x)).numpy()
        e64, d64 = copy.deepcopy(enc).double(), copy.deepcopy(dec).double()
        z64, pre_e = torch_pattern(e64, x.double())
        y64, pre_d = torch_pattern(d64, z64)
    y = model.reconstruct(x.numpy())
    scale = float(np.abs(y64.numpy()).max())
    np.testing.assert_allclose(y, y32, rtol=1e-5, atol=1e-5 * scale)
    np.testing.assert_allclose(y, y64.numpy(), rtol=1e-6, atol=1e-7 * scale)
    np.testing.assert_allclose(model.encode(x.numpy()), z64.numpy(), rtol=1e-6,
                               atol=1e-7 * max(1.0, float(z64.abs().max())))
    # codes: encoder bits at x, then decoder bits at E(x), LSB first
    pre = torch.cat(pre_e + pre_d, dim=1).numpy() if pre_e + pre_d else np.ones((len(x), 0))
    bits = pre > 0
    assert bits.shape[1] == model.n_bits() == sum(p.shape[1] for p in pre_e + pre_d)
    keep = np.abs(pre).min(axis=1, initial=np.inf) > 1e-9   # rows not within rounding of a tie
    assert keep.mean() > 0.9
    got = model.codes(x.numpy(), bits=True)
    assert np.array_equal(got[keep], bits[keep])
    packed = np.packbits(bits, axis=1, bitorder="little")
    assert np.array_equal(model.codes(x.numpy())[keep], packed[keep])
    assert np.array_equal(model.codes(x.numpy(), "encoder", bits=True)[keep],
                          bits[keep, :model.n_bits("encoder")])


@pytest.mark.parametrize("seed", SEEDS[:6])
def test_weights_round_trip_bit_identical(seed):
    enc, dec = random_pair(seed)
    model = cpae.Model.from_torch(encoder=enc, decoder=dec)
    enc2, dec2 = model.to_torch()
    for a, b in ((enc, enc2), (dec, dec2)):
        assert [type(m) for m in a] == [type(m) for m in b]
        sa, sb = a.state_dict(), b.state_dict()
        assert list(sa) == list(sb)
        for k in sa:
            assert sb[k].dtype == torch.float32 and torch.equal(sa[k], sb[k]), k
        for ma, mb in zip(a, b):
            if isinstance(ma, nn.LeakyReLU):
                assert ma.negative_slope == mb.negative_slope
    again = cpae.Model.from_torch((enc2, dec2))
    assert again.to_bytes() == model.to_bytes()


def test_cpae_model_round_trip_through_torch():
    m0 = cpae.Model.create([7, 12, 5, 3], ["abs", "leaky_relu", "relu"], [3, 9, 7],
                           ["leaky_relu", "identity"], enc_alphas=[0.01, 0.2, 0.01],
                           dec_alphas=[0.3, 0.01], seed=11)
    state = torch.get_rng_state()
    enc, dec = m0.to_torch()
    assert torch.equal(state, torch.get_rng_state())     # to_torch draws no random numbers
    assert isinstance(enc[1], Abs) and enc[3].negative_slope == 0.2 and isinstance(enc[5], nn.ReLU)
    m1 = cpae.Model.from_torch((enc, dec))
    # libcpae's weights are double; one pass through float32 rounds them ...
    for a, b in zip(m0.weights("encoder") + m0.weights("decoder"),
                    m1.weights("encoder") + m1.weights("decoder")):
        assert np.array_equal(a.W, b.W) and np.array_equal(a.b, b.b)
        assert a.activation == b.activation and a.alpha == b.alpha
    # ... after which the round trip is exact
    m2 = cpae.Model.from_torch(m1.to_torch(combined=True))
    assert m2.to_bytes() == m1.to_bytes()
    x = np.random.default_rng(0).standard_normal((50, 7)).astype(np.float32)
    with torch.no_grad():
        y = dec(enc(torch.from_numpy(x))).numpy()
    np.testing.assert_allclose(m0.reconstruct(x), y, rtol=1e-5, atol=1e-5)


def test_one_sequential_split_at_the_bottleneck():
    torch.manual_seed(0)
    seq = nn.Sequential(nn.Linear(6, 10), nn.ReLU(), nn.Linear(10, 3), nn.LeakyReLU(0.1),
                        nn.Linear(3, 10), nn.ReLU(), nn.Linear(10, 6))
    m = cpae.Model.from_torch(seq)
    assert m.dims == (6, 3) and m.n_layers("encoder") == 2
    assert m.layer_info("encoder", 1).activation == cpae.Activation.LEAKY_RELU
    m2 = cpae.Model.from_torch(seq, split=1)
    assert m2.dims == (6, 10) and m2.n_layers("encoder") == 1
    assert m2.reconstruct(np.ones(6)) == pytest.approx(m.reconstruct(np.ones(6)), rel=1e-6)
    combined = m.to_torch(combined=True)
    assert isinstance(combined, nn.Sequential) and len(combined) == 2
    assert cpae.Model.from_torch(combined).dims == (6, 3)
    nested = nn.Sequential(nn.Sequential(nn.Linear(6, 10), nn.ReLU()), nn.Identity(),
                           nn.Sequential(nn.Linear(10, 3)), nn.Linear(3, 6))
    assert cpae.Model.from_torch(nested).n_layers() == 3   # flattened, Identity skipped
    with pytest.raises(ValueError, match="split"):
        cpae.Model.from_torch(seq, split=4)


def test_other_inputs_converted():
    torch.manual_seed(1)
    enc = nn.Sequential(nn.Linear(5, 3, bias=False), nn.ReLU()).double()
    dec = nn.Sequential(nn.Linear(3, 5))
    m = cpae.Model.from_torch((enc, dec))
    assert np.array_equal(m.get_layer_params("encoder", 0)[1], np.zeros(3, np.float32))
    assert np.array_equal(m.get_layer_params("encoder", 0)[0],
                          enc[0].weight.detach().float().numpy())
    x = torch.randn(4, 5)
    with torch.no_grad():
        y = dec(enc(x.double()).float()).numpy()
    np.testing.assert_allclose(m.reconstruct(x.numpy()), y, rtol=1e-5, atol=1e-6)


class TorchAbs(nn.Module):
    def forward(self, x):
        return torch.abs(x)


class MethodAbs(nn.Module):
    def forward(self, input):
        return input.abs()


class NotAbs(nn.Module):
    def forward(self, x):
        return torch.abs(x) + 0.0


class Relu6(nn.ReLU):
    def forward(self, x):
        return torch.clamp(x, 0, 6)


class ScaledLinear(nn.Linear):
    def forward(self, x):
        return 2 * super().forward(x)


def test_abs_modules_recognised():
    for cls in (TorchAbs, MethodAbs, Abs):
        m = cpae.Model.from_torch((nn.Sequential(nn.Linear(4, 2), cls()),
                                   nn.Sequential(nn.Linear(2, 4))))
        assert m.layer_info("encoder", 0).activation == cpae.Activation.ABS
    assert isinstance(pickle.loads(pickle.dumps(Abs())), Abs)
    assert torch.equal(Abs()(torch.tensor([-2.0, 0.0, 3.0])), torch.tensor([2.0, 0.0, 3.0]))


@pytest.mark.parametrize("bad, pattern", [
    (nn.Conv1d(1, 1, 3), "Conv1d, is not supported"),
    (nn.BatchNorm1d(4), "BatchNorm1d.*fold it"),
    (nn.Dropout(0.1), "Dropout.*identity in eval mode"),
    (nn.Tanh(), "Tanh, is not supported"),
    (NotAbs(), "NotAbs, is not supported"),
    (Relu6(), "Relu6, is not supported"),
])
def test_unsupported_modules_refused(bad, pattern):
    seq = nn.Sequential(nn.Linear(4, 4), bad, nn.Linear(4, 2), nn.ReLU(), nn.Linear(2, 4))
    with pytest.raises(UnsupportedModuleError, match=pattern):
        cpae.Model.from_torch(seq)


def test_layer_patterns_refused():
    with pytest.raises(UnsupportedModuleError, match=r"module\[0\], ReLU.*not preceded"):
        cpae.Model.from_torch(nn.Sequential(nn.ReLU(), nn.Linear(4, 2), nn.Linear(2, 4)))
    with pytest.raises(UnsupportedModuleError, match=r"module\[2\], ReLU.*not preceded"):
        cpae.Model.from_torch(nn.Sequential(nn.Linear(4, 2), nn.ReLU(), nn.ReLU(),
                                            nn.Linear(2, 4)))
    with pytest.raises(UnsupportedModuleError, match="ScaledLinear.*own forward"):
        cpae.Model.from_torch(nn.Sequential(ScaledLinear(4, 2), nn.Linear(2, 4)))
    hooked = nn.Linear(4, 2)
    hooked.register_forward_hook(lambda mod, inp, out: out * 2)
    with pytest.raises(UnsupportedModuleError, match="hooks"):
        cpae.Model.from_torch(nn.Sequential(hooked, nn.Linear(2, 4)))
    with pytest.raises(ValueError, match="output width 3 differs from the encoder's input "
                                         "width 4"):
        cpae.Model.from_torch((nn.Sequential(nn.Linear(4, 2)), nn.Sequential(nn.Linear(2, 3))))
    with pytest.raises(UnsupportedModuleError, match="no Linear"):
        cpae.Model.from_torch((nn.Sequential(), nn.Sequential(nn.Linear(2, 3))))
    with pytest.raises(UnsupportedModuleError, match="not a torch module"):
        cpae.Model.from_torch(("encoder", nn.Sequential(nn.Linear(2, 3))))
    with pytest.raises(TypeError):
        cpae.Model.from_torch(encoder=nn.Sequential(nn.Linear(2, 3)))
