"""lmkit.check.self_attention: right answers pass, typical wrong ones fail, and a check never raises."""
import math

import torch

from lmkit import check
from lmkit.attention import causal_mask, scaled_dot_product_attention


def test_attention_weights(capsys):
    def right(q, k, causal):
        return scaled_dot_product_attention(q, k, torch.zeros(*k.shape[:-1], 1), causal=causal)[1]

    def by_hand(q, k, causal):  # written independently of lmkit
        s = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])
        if causal:
            s = s + torch.full(s.shape[-2:], float("-inf")).triu(1)
        return torch.softmax(s, dim=-1)

    assert check.attention_weights(right) and check.attention_weights(by_hand)
    assert not check.attention_weights(lambda q, k, c: torch.softmax(q @ k.transpose(-2, -1), -1))  # no 1/sqrt(d)
    assert not check.attention_weights(lambda q, k, c: by_hand(q, k, False))  # ignores the mask
    assert not check.attention_weights(lambda q, k, c: torch.softmax(q @ k.transpose(-2, -1) / 8, -2))  # columns
    out = capsys.readouterr().out
    assert out.count("✅") == 2 and out.count("❌") == 3 and "Hint" in out


def test_split_and_merge_heads(capsys):
    def split(x, h):
        B, T, C = x.shape
        return torch.stack(x.chunk(h, dim=-1), dim=1)  # (B, H, T, D), an independent formulation

    def merge(y):
        return torch.cat(y.unbind(1), dim=-1)

    assert check.split_heads(split) and check.merge_heads(merge)
    assert not check.split_heads(lambda x, h: x.view(x.shape[0], h, x.shape[1], -1))  # mixes tokens and channels
    assert not check.merge_heads(lambda y: y.reshape(y.shape[0], y.shape[2], -1))  # forgot the transpose
    assert not check.split_heads(lambda x, h: None)
    out = capsys.readouterr().out
    assert out.count("✅") == 2 and "returned None" in out


def test_mask_future(capsys):
    def right(s):
        T = s.shape[-1]
        return s + torch.zeros(T, T).masked_fill(~causal_mask(T), float("-inf"))

    assert check.mask_future(right)
    assert not check.mask_future(lambda s: s.masked_fill(torch.ones_like(s, dtype=torch.bool).triu(), -math.inf))
    assert not check.mask_future(lambda s: s.masked_fill(torch.ones_like(s, dtype=torch.bool).tril(-1), -math.inf))
    assert not check.mask_future(lambda s: s * torch.ones(s.shape[-1], s.shape[-1]).tril())  # zero is not -inf

    def stub(s):
        raise NotImplementedError

    assert not check.mask_future(stub)
    assert not check.mask_future("not a function")
    out = capsys.readouterr().out
    assert "not implemented yet" in out and "expected a function" in out


def test_hints_are_graduated_and_give_no_code(hints_give_no_code, capsys):
    from lmkit.check import self_attention as module

    solution_code = ["transpose(1, 2)", "view(B, T", "reshape(B, T", "masked_fill(", "math.sqrt(",
                     "torch.softmax(", "tril()", "@ k"]
    hints_give_no_code(module, solution_code)
