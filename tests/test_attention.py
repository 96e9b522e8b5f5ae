"""lmkit.attention against PyTorch's scaled_dot_product_attention and against hand-computed values."""
import math

import pytest
import torch
import torch.nn.functional as F

from lmkit.attention import KVCache, MultiHeadAttention, capture_attention, causal_mask, scaled_dot_product_attention


def test_causal_mask_is_lower_triangular():
    m = causal_mask(4)
    assert m.dtype == torch.bool
    assert m.tolist() == [[True, False, False, False], [True, True, False, False],
                          [True, True, True, False], [True, True, True, True]]


def test_hand_computed_two_tokens():
    # one query, two keys: scores 0 and 1/√2 after scaling (d_k = 2)
    q = torch.tensor([[[1.0, 0.0]]])
    k = torch.tensor([[[0.0, 1.0], [1.0, 0.0]]])
    v = torch.tensor([[[10.0, 0.0], [0.0, 10.0]]])
    out, w = scaled_dot_product_attention(q, k, v)
    e = math.exp(1 / math.sqrt(2))
    assert w[0, 0].tolist() == pytest.approx([1 / (1 + e), e / (1 + e)])
    assert out[0, 0].tolist() == pytest.approx([10 / (1 + e), 10 * e / (1 + e)])


@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-12), (torch.float32, 1e-6)])
@pytest.mark.parametrize("mode", ["none", "causal", "bool-mask"])
def test_matches_torch_sdpa(dtype, tol, mode):
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 3, 7, 16, generator=g, dtype=dtype) for _ in range(3))
    if mode == "none":
        ours, w = scaled_dot_product_attention(q, k, v)
        ref = F.scaled_dot_product_attention(q, k, v)
    elif mode == "causal":
        ours, w = scaled_dot_product_attention(q, k, v, causal=True)
        ref = F.scaled_dot_product_attention(q, k, v, is_causal=True)
        assert torch.all(w.masked_select(~causal_mask(7)) == 0)  # no weight on the future
    else:
        mask = torch.rand(7, 7, generator=g) > 0.3
        mask |= torch.eye(7, dtype=torch.bool)  # every query sees at least itself
        ours, w = scaled_dot_product_attention(q, k, v, mask)
        ref = F.scaled_dot_product_attention(q, k, v, attn_mask=mask)
    assert torch.allclose(w.sum(-1), torch.ones((), dtype=dtype), atol=tol)
    assert (ours - ref).abs().max().item() <= tol


@pytest.mark.parametrize("causal", [True, False])
def test_multihead_fast_and_captured_paths_agree(causal):
    torch.manual_seed(0)
    mha = MultiHeadAttention(32, 4, causal=causal)
    x = torch.randn(2, 9, 32)
    fast = mha(x)
    with capture_attention(mha) as weights:
        slow = mha(x)
    assert (fast - slow).abs().max().item() < 1e-6
    assert len(weights) == 1 and weights[0].shape == (2, 4, 9, 9)
    assert torch.allclose(weights[0].sum(-1), torch.ones(2, 4, 9))
    assert not mha.keep_weights and mha.weights is None  # back to the fast path


def test_multihead_with_cache_matches_full_pass():
    torch.manual_seed(0)
    mha = MultiHeadAttention(16, 2).eval()
    x = torch.randn(1, 6, 16)
    full = mha(x)
    cache = KVCache(1)
    first = mha(x[:, :4], kv_cache=cache)  # a prompt of 4
    rest = [mha(x[:, t:t + 1], kv_cache=cache) for t in range(4, 6)]  # then one token at a time
    assert len(cache) == 6
    assert torch.allclose(torch.cat([first, *rest], 1), full, atol=1e-6)
    cache2 = KVCache(1)
    mha(x[:, :2], kv_cache=cache2)
    chunk = mha(x[:, 2:], kv_cache=cache2)  # several new queries after a cached prefix
    assert torch.allclose(chunk, full[:, 2:], atol=1e-6)


@pytest.mark.parametrize("kwargs,match", [
    (dict(q=[1.0]), "q must be a torch.Tensor"),
    (dict(q=torch.ones(3, 4, dtype=torch.long)), "floating-point"),
    (dict(k=torch.ones(3, 5)), "last dimension"),
    (dict(v=torch.ones(2, 4)), "same number of positions"),
    (dict(mask=torch.ones(3, 3)), "mask must be boolean"),
    (dict(mask=torch.ones(2, 2, dtype=torch.bool)), "does not broadcast"),
])
def test_bad_input_is_a_clear_error(kwargs, match):
    args = dict(q=torch.ones(3, 4), k=torch.ones(3, 4), v=torch.ones(3, 4))
    args.update(kwargs)
    with pytest.raises(ValueError, match=match):
        scaled_dot_product_attention(**args)
    with pytest.raises(ValueError, match="positive integer"):
        causal_mask(0)
    with pytest.raises(ValueError, match="divisible"):
        MultiHeadAttention(10, 3)
