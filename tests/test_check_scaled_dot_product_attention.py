"""lmkit.check.scaled_dot_product_attention: right answers pass, typical wrong ones fail, a check never raises."""
import math

import torch

from lmkit import check


def test_softmax_jacobian(capsys):
    def formula(p):
        return torch.diag(p) - torch.outer(p, p)

    def by_entries(p):  # written entry by entry, independently of the matrix form
        V = p.shape[0]
        return torch.stack([torch.stack([p[i] * (float(i == j) - p[j]) for j in range(V)]) for i in range(V)])

    def autograd(p):  # autograd's Jacobian at scores log p (softmax(log p) = p)
        return torch.autograd.functional.jacobian(lambda s: torch.softmax(s, -1), p.log())

    assert check.softmax_jacobian(formula) and check.softmax_jacobian(by_entries)
    assert check.softmax_jacobian(autograd)
    assert not check.softmax_jacobian(lambda p: torch.diag(p))  # forgot the outer product
    assert not check.softmax_jacobian(lambda p: torch.diag(p * (1 - p)))  # the diagonal only
    assert not check.softmax_jacobian(lambda p: -torch.outer(p, p))
    assert not check.softmax_jacobian(lambda p: torch.diag(p) + torch.outer(p, p))  # sign
    out = capsys.readouterr().out
    assert out.count("✅") == 3 and out.count("❌") == 4


def test_attention_entropy(capsys):
    def xlogy(w):
        return -torch.special.xlogy(w, w).sum(-1)

    def where(w):
        logw = torch.where(w > 0, w.log(), torch.zeros_like(w))
        return -(w * logw).sum(-1)

    def categorical(w):
        return torch.distributions.Categorical(probs=w).entropy()

    assert check.attention_entropy(xlogy) and check.attention_entropy(where)
    assert check.attention_entropy(categorical)
    assert not check.attention_entropy(lambda w: -(w * w.log()).sum(-1))  # nan at the zeros
    assert not check.attention_entropy(lambda w: xlogy(w) / math.log(2))  # bits
    assert not check.attention_entropy(lambda w: (w * w.clamp_min(1e-12).log()).sum(-1))  # sign
    assert not check.attention_entropy(lambda w: -torch.special.xlogy(w, w).sum(0))  # wrong dimension
    out = capsys.readouterr().out
    assert out.count("✅") == 3 and out.count("❌") == 4


def test_masked_softmax(capsys):
    def right(s, m):
        w = torch.softmax(s.masked_fill(~m, float("-inf")), dim=-1)
        return torch.nan_to_num(w, nan=0.0)

    def renormalized(s, m):  # exp of the allowed scores only, each row over its own total
        e = torch.where(m, (s - s.max(-1, keepdim=True).values).exp(), torch.zeros_like(s))
        total = e.sum(-1, keepdim=True)
        return torch.where(total > 0, e / total.clamp_min(1e-30), torch.zeros_like(e))

    def minus_inf_only(s, m):  # nan in a row with no allowed key
        return torch.softmax(s.masked_fill(~m, float("-inf")), dim=-1)

    def big_negative(s, m):  # -1e9 does not fit in float16; a fully masked row comes out uniform
        return torch.softmax(s.masked_fill(~m, -1e9), dim=-1)

    def after(s, m):  # masks the weights after the softmax: rows no longer sum to 1
        return torch.softmax(s, dim=-1) * m

    def finite(s, m):  # a finite fill that fits float16
        w = torch.softmax(s.masked_fill(~m, torch.finfo(s.dtype).min), dim=-1)
        return w

    assert check.masked_softmax(right) and check.masked_softmax(renormalized)
    for wrong in (minus_inf_only, big_negative, after, finite, lambda s, m: right(s, ~m)):
        assert not check.masked_softmax(wrong)
    out = capsys.readouterr().out
    assert out.count("✅") == 2 and out.count("❌") == 5
    assert "came out as nan" in out


def test_hints_are_graduated_and_give_no_code(hints_give_no_code, capsys):
    from lmkit.check import scaled_dot_product_attention as module

    solution_code = ["torch.diag(p)", "outer(p, p)", "xlogy(w, w)", "masked_fill(", "nan_to_num",
                     "torch.softmax(", ".any(-1", "- torch.outer"]
    hints_give_no_code(module, solution_code)
