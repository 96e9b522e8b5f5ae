"""Checks for the exercises of chapters/part3/scaled_dot_product_attention.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`.
"""
from __future__ import annotations

from typing import Callable

import torch

from .. import attention as _attention
from ._grader import _close, _report

__all__: list[str] = ["softmax_jacobian", "attention_entropy", "masked_softmax"]

#: The graduated hints of each check: the k-th failure shows the k-th; none gives the code away.
HINTS: dict[str, list[str]] = {
    "softmax_jacobian": [
        "entry (i, j) is the derivative of the weight p_i with respect to the score s_j, so the result is "
        "a (V, V) matrix. Differentiate p_i = e^(s_i) / sum_k e^(s_k) twice: once for j = i, once for j != i.",
        "the two cases combine into p_i times (1 - p_j) on the diagonal and minus p_i times p_j off it: a "
        "diagonal matrix built from p, minus the outer product of p with itself. The off-diagonal entries "
        "are not zero.",
        "a diagonal matrix from a vector is one torch call (look up torch.diag), and so is the outer "
        "product of two vectors (torch.outer). The result is symmetric and each of its rows sums to 0.",
    ],
    "attention_entropy": [
        "the entropy of one row of weights is minus the sum, over the keys, of each weight times its "
        "logarithm. The result has one number per row: the last dimension disappears.",
        "use the natural logarithm (nats, not bits). A weight of exactly 0 (a masked key) gives "
        "0 * log 0 = 0 * (-inf) = nan in floating point, but the term's limit, and its value by "
        "convention, is 0: make the zero weights contribute nothing.",
        "torch.special.xlogy(x, y) computes x * log(y) and returns 0 where x is 0; or replace the zero "
        "weights before taking the logarithm (torch.where), so that their terms vanish.",
    ],
    "masked_softmax": [
        "the masked keys (mask False) must get weight exactly 0, and every row with at least one allowed "
        "key must still sum to 1: mask the scores before the softmax, not the weights after it.",
        "give the masked scores the value -inf, which every floating-point dtype can hold, rather than a "
        "large negative number: -1e9 does not fit in float16, and any finite value turns a row with no "
        "allowed key into uniform weights instead of zeros.",
        "a row with no allowed key is all -inf and its softmax is 0 / 0 = nan. Find those rows (no True "
        "along the mask's last dimension, keepdim=True so it broadcasts) and set their weights to 0 after "
        "the softmax.",
    ],
}


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def softmax_jacobian(fn: Callable) -> bool:
    """``fn(p)`` returns the (V, V) Jacobian of the softmax at weights ``p`` (V,): diag(p) - p pᵀ.

    The reference is autograd's Jacobian of ``torch.softmax`` at the scores that give ``p``.
    """
    def case(s):
        s = s.double()
        want = torch.autograd.functional.jacobian(lambda t: torch.softmax(t, dim=-1), s)
        p = torch.softmax(s, dim=-1)
        return _close(fn(p.clone()), want, atol=1e-9)

    cases = [("uniform weights, V = 4", lambda: case(torch.zeros(4))),
             ("random weights, V = 6", lambda: case(torch.randn(6, generator=_gen(0)))),
             ("a saturated row, V = 5", lambda: case(torch.tensor([12.0, 0.0, 1.0, 0.0, -1.0]))),
             ("V = 2", lambda: case(torch.tensor([0.3, -0.4])))]
    return _report("softmax_jacobian", fn, cases, HINTS["softmax_jacobian"])


def _entropy(w: torch.Tensor) -> torch.Tensor:
    return -torch.special.xlogy(w, w).sum(-1)


def attention_entropy(fn: Callable) -> bool:
    """``fn(weights)`` returns the entropy in nats of each row (...,) of ``weights`` (..., T), 0·log 0 = 0."""
    q, k = torch.randn(2, 3, 5, 8, generator=_gen(1)), torch.randn(2, 3, 5, 8, generator=_gen(2))
    causal = _attention.scaled_dot_product_attention(q, k, torch.zeros(2, 3, 5, 1), causal=True)[1]

    def case(w):
        return _close(fn(w.clone()), _entropy(w), atol=1e-5)

    cases = [("uniform weights over 4 keys (entropy log 4)", lambda: case(torch.full((4,), 0.25))),
             ("random weights, shape (3, 7)", lambda: case(torch.softmax(torch.randn(3, 7, generator=_gen(3)), -1))),
             ("a one-hot row, with exact zeros (entropy 0)", lambda: case(torch.tensor([0.0, 1.0, 0.0, 0.0]))),
             ("causal weights (B, H, T, T), zeros above the diagonal", lambda: case(causal))]
    return _report("attention_entropy", fn, cases, HINTS["attention_entropy"])


def _masked_softmax(scores: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    w = torch.softmax(scores.masked_fill(~mask, float("-inf")), dim=-1)
    return w.masked_fill(~mask.any(dim=-1, keepdim=True), 0.0)


def masked_softmax(fn: Callable) -> bool:
    """``fn(scores, mask)``: softmax over the last dimension, 0 where ``mask`` is False, zeros for a fully masked row.

    ``mask`` is boolean and broadcasts to ``scores``; a row with no allowed key gives zeros, not nan.
    """
    s1 = 3 * torch.randn(5, 5, generator=_gen(4))
    causal = _attention.causal_mask(5)
    s2 = torch.randn(2, 3, 4, 4, generator=_gen(5))
    pad = torch.tensor([[True, True, True, True], [True, True, False, False]])[:, None, None, :]  # (B, 1, 1, T)
    empty = torch.tensor([[True, False, True], [False, False, False], [False, True, True]])
    s3 = torch.randn(3, 3, generator=_gen(6))

    def got(s, m):
        out = fn(s.clone(), m.clone())
        return None if out is None else torch.as_tensor(out)

    def exact_zeros():
        w = got(s1, causal)
        if w is None:
            return False, "your function returned None (did you forget `return`?)"
        if w.shape != s1.shape:
            return False, f"shape {tuple(w.shape)}, expected {tuple(s1.shape)}"
        left = w[~causal]
        ok = bool((left == 0).all())
        return ok, "" if ok else (f"the masked weights should be exactly 0, the largest is "
                                  f"{float(left.abs().max()):.3g}")

    def empty_row():
        w = got(s3, empty)
        if w is None:
            return False, "your function returned None (did you forget `return`?)"
        if w.shape != s3.shape:
            return False, f"shape {tuple(w.shape)}, expected {tuple(s3.shape)}"
        if torch.isnan(w[1]).any():
            return False, "the row with no allowed key came out as nan; it should be all zeros"
        if not bool((w[1] == 0).all()):
            return False, f"the row with no allowed key should be all zeros, got {w[1].tolist()}"
        return _close(w, _masked_softmax(s3, empty), atol=1e-6)

    def half():
        s = s1.half()
        w = got(s, causal)
        if w is not None and w.dtype != torch.float16:
            return False, f"float16 scores should give float16 weights, got {w.dtype}"
        return _close(w, _masked_softmax(s, causal), atol=2e-3)

    cases = [("(T, T) scores with a causal mask", lambda: _close(got(s1, causal), _masked_softmax(s1, causal))),
             ("the masked weights", exact_zeros),
             ("(B, H, T, T) scores with a (B, 1, 1, T) padding mask",
              lambda: _close(got(s2, pad), _masked_softmax(s2, pad))),
             ("a row with no allowed key", empty_row),
             ("float16 scores", half)]
    return _report("masked_softmax", fn, cases, HINTS["masked_softmax"])

