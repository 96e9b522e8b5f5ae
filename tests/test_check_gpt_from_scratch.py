"""The checks of gpt_from_scratch's exercises accept the reference and reject typical wrong answers; their hints
are graduated."""
import torch

from lmkit import attention, check
from lmkit.model import GPT


def test_attention_and_parameter_count():
    assert check.attention(lambda q, k, v, causal: attention.scaled_dot_product_attention(q, k, v, causal=causal)[0])
    assert not check.attention(lambda q, k, v, causal: torch.softmax(q @ k.transpose(-2, -1), -1) @ v)
    assert check.gpt_param_count(lambda c: GPT(c).num_params())
    assert not check.gpt_param_count(lambda c: GPT(c).num_params() + c.vocab_size * c.n_embd)  # untied


def test_rms_norm():
    def good(x, w, eps):
        return x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w

    assert check.rms_norm(good)
    assert not check.rms_norm(lambda x, w, eps: torch.nn.functional.layer_norm(x, x.shape[-1:]) * w)  # centres
    assert not check.rms_norm(lambda x, w, eps: x / (x.pow(2).mean(-1, keepdim=True).sqrt() + eps) * w)  # eps outside


def test_kv_cache_bytes():
    def good(c, T, b):
        return 2 * c.n_layer * (c.n_kv_head or c.n_head) * (c.n_embd // c.n_head) * T * b

    assert check.kv_cache_bytes(good)
    assert not check.kv_cache_bytes(lambda c, T, b: 2 * c.n_layer * c.n_embd * T * b)  # every head stored
    assert not check.kv_cache_bytes(lambda c, T, b: good(c, T, b) // 2)  # keys only


def test_hints_are_graduated_and_reset_on_a_pass(capsys):
    def stub(*args):
        raise NotImplementedError

    for n in (1, 2, 3, 3):
        assert not check.attention(stub)
        assert f"Hint {n} of 3" in capsys.readouterr().out
    assert check.attention(lambda q, k, v, causal: attention.scaled_dot_product_attention(q, k, v, causal=causal)[0])
    capsys.readouterr()
    assert not check.attention(stub)
    assert "Hint 1 of 3" in capsys.readouterr().out
    with check.quiet():
        assert not check.attention(stub)
    assert capsys.readouterr().out == ""
    assert not check.attention(stub)
    assert "Hint 2 of 3" in capsys.readouterr().out  # a quiet run does not move the hints on
