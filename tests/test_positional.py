"""lmkit.positional against the formula written element by element, hand-computed values and properties."""
import math

import pytest
import torch

from lmkit import check
from lmkit.attention import MultiHeadAttention
from lmkit.model import GPT, GPTConfig
from lmkit.positional import PositionalEncoding, frequencies, sinusoidal_encoding, wavelengths


def reference(T, C, base=10000.0):
    """PE[t, 2i] = sin(t / base^(2i/C)), PE[t, 2i+1] = cos(t / base^(2i/C)), one element at a time."""
    return torch.tensor([[math.sin(t / base ** (j / C)) if j % 2 == 0 else math.cos(t / base ** ((j - 1) / C))
                          for j in range(C)] for t in range(T)], dtype=torch.float64)


@pytest.mark.parametrize("T,C,base", [(1, 2, 10000.0), (5, 6, 10000.0), (50, 64, 10000.0), (9, 8, 100.0)])
def test_matches_elementwise_formula(T, C, base):
    pe = sinusoidal_encoding(T, C, base, dtype=torch.float64)
    assert pe.shape == (T, C) and pe.dtype == torch.float64
    assert torch.allclose(pe, reference(T, C, base), atol=1e-12)
    assert torch.allclose(sinusoidal_encoding(T, C, base), reference(T, C, base).float(), atol=1e-6)


def test_hand_computed_values():
    pe = sinusoidal_encoding(3, 4, dtype=torch.float64)
    # C = 4: pairs turn at 1 and 1/100 radians per position
    assert pe[0].tolist() == [0.0, 1.0, 0.0, 1.0]
    assert pe[1].tolist() == pytest.approx([math.sin(1), math.cos(1), math.sin(0.01), math.cos(0.01)])
    assert pe[2].tolist() == pytest.approx([math.sin(2), math.cos(2), math.sin(0.02), math.cos(0.02)])


def test_properties():
    pe = sinusoidal_encoding(300, 128, dtype=torch.float64)
    assert pe.abs().max() <= 1.0
    assert torch.equal(pe[0], torch.tensor([0.0, 1.0] * 64, dtype=torch.float64))
    # each (sin, cos) pair lies on the unit circle, so every row has squared norm C/2
    assert torch.allclose((pe ** 2).sum(1), torch.full((300,), 64.0, dtype=torch.float64))
    # the dot product of two rows depends only on their offset: sum_i cos((t - s) ω_i)
    dots = pe @ pe.T
    assert torch.allclose(torch.diagonal(dots, 7), torch.full((293,), float(dots[0, 7]), dtype=torch.float64))
    assert float(dots[0, 7]) == pytest.approx(float(torch.cos(7 * frequencies(128)).sum()))
    # all rows are distinct
    assert torch.cdist(pe, pe).add(torch.eye(300, dtype=torch.float64)).min() > 1e-3


def test_frequencies_and_wavelengths():
    w = wavelengths(128)
    assert w.shape == (64,)
    assert float(w[0]) == pytest.approx(2 * math.pi)
    assert float(w[-1]) == pytest.approx(2 * math.pi * 10000 ** (126 / 128))
    assert torch.allclose(w[1:] / w[:-1], torch.full((63,), 10000 ** (2 / 128), dtype=torch.float64))
    # the sin column of pair i repeats after one wavelength (checked on a pair with an integer-ish period)
    assert frequencies(4, 100.0).tolist() == pytest.approx([1.0, 0.1])
    assert wavelengths(4, 100.0).tolist() == pytest.approx([2 * math.pi, 20 * math.pi])


@pytest.mark.parametrize("args,match", [
    ((0, 8), "T must be a positive integer"), ((4, 7), "C must be even"), ((4, 0), "C must be a positive"),
    ((2.0, 8), "T must be"), ((True, 8), "T must be"), ((4, 8, 1.0), "base must be"),
    ((4, 8, float("inf")), "base must be"), ((4, 8, "10000"), "base must be"),
])
def test_bad_input_raises_value_error(args, match):
    with pytest.raises(ValueError, match=match):
        sinusoidal_encoding(*args)
    with pytest.raises(ValueError, match="dtype"):
        sinusoidal_encoding(4, 8, dtype=torch.int64)
    with pytest.raises(ValueError, match="must be even"):
        wavelengths(5)


def test_module_sinusoidal_adds_the_table():
    pos = PositionalEncoding(16, 8)
    x = torch.randn(2, 5, 8)
    assert torch.allclose(pos(x), x + sinusoidal_encoding(16, 8)[:5])
    assert torch.allclose(pos(x, start=3), x + sinusoidal_encoding(16, 8)[3:8])
    assert len(list(pos.parameters())) == 0 and "pe" not in pos.state_dict()  # fixed, not trained
    assert "sinusoidal" in repr(pos)


def test_module_learned_is_trainable_and_matches_gpt_wpe():
    torch.manual_seed(0)
    pos = PositionalEncoding(16, 8, kind="learned")
    assert pos.table.shape == (16, 8) and pos.table.requires_grad
    assert 0.01 < float(pos.table.detach().std()) < 0.03  # GPT-2's initialisation, N(0, 0.02)
    x = torch.zeros(1, 4, 8)
    pos(x).sum().backward()
    assert torch.equal(pos.wpe.weight.grad[:4], torch.ones(4, 8)) and pos.wpe.weight.grad[4:].abs().sum() == 0
    # the same operation as the first line of GPT.forward: wte(idx) + wpe(arange(T))
    model = GPT(GPTConfig(vocab_size=10, block_size=16, n_layer=1, n_head=2, n_embd=8))
    pos.wpe.weight.data.copy_(model.transformer.wpe.weight.data)
    idx = torch.tensor([[1, 2, 3, 4]])
    want = model.transformer.wte(idx) + model.transformer.wpe(torch.arange(4))
    assert torch.equal(pos(model.transformer.wte(idx)), want)


def test_module_bad_input():
    pos = PositionalEncoding(4, 8)
    with pytest.raises(ValueError, match="exceed"):
        pos(torch.zeros(1, 5, 8))
    with pytest.raises(ValueError, match="exceed"):
        pos(torch.zeros(1, 3, 8), start=2)
    with pytest.raises(ValueError, match="channels"):
        pos(torch.zeros(1, 3, 6))
    with pytest.raises(ValueError, match=r"\(B, T, C\)"):
        pos(torch.zeros(3, 8))
    with pytest.raises(ValueError, match="start"):
        pos(torch.zeros(1, 3, 8), start=-1)
    with pytest.raises(ValueError, match="kind"):
        PositionalEncoding(4, 8, kind="rotary")
    with pytest.raises(ValueError, match="must be even"):
        PositionalEncoding(4, 7)
    assert PositionalEncoding(4, 7, kind="learned").table.shape == (4, 7)  # a learned table has no parity rule


def test_attention_is_permutation_equivariant_only_without_positions():
    torch.manual_seed(0)
    attn = MultiHeadAttention(8, 2, causal=False).double().eval()
    x = torch.randn(1, 6, 8, dtype=torch.float64)
    perm = torch.tensor([3, 0, 5, 1, 4, 2])
    assert torch.allclose(attn(x[:, perm]), attn(x)[:, perm], atol=1e-12)
    pos = PositionalEncoding(6, 8).double()
    assert not torch.allclose(attn(pos(x[:, perm])), attn(pos(x))[:, perm], atol=1e-3)


def test_check_agrees_with_module():
    assert check.sinusoidal_encoding(lambda T, d: sinusoidal_encoding(T, d))
