"""Checks for the exercises of chapters/part2/self_attention.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`.
"""
from __future__ import annotations

from typing import Callable

import torch

from .. import attention as _attention
from ._grader import _close, _report

__all__: list[str] = ["attention_weights", "split_heads", "merge_heads", "mask_future"]

#: The graduated hints of each check: the k-th failure shows the k-th hint; none gives the code away.
HINTS: dict[str, list[str]] = {
    "attention_weights": [
        "the result has one row per query and one column per key, shape (..., T, T), and each row is a "
        "softmax over the keys, so it sums to 1. Check the shape, and the dimension your softmax normalizes.",
        "the scores are the dot products of every query with every key (one matrix product, with k "
        "transposed in its last two dimensions), divided by the square root of d_k, the size of the last "
        "dimension. Without that division large scores saturate the softmax.",
        "when causal is true, every score above the diagonal (a key later than its query) must be -inf "
        "before the softmax, so that its weight is exactly 0; the diagonal and everything below it stay.",
    ],
    "split_heads": [
        "the result is (B, H, T, D) with D = C / H, and head h must hold channels h*D to (h+1)*D - 1 of "
        "every token: a head never mixes different tokens.",
        "viewing x directly as (B, H, T, D) has the right shape but cuts the memory in the wrong places. "
        "First view each token's C channels as (H, D), keeping B and T where they are.",
        "that view gives (B, T, H, D); the heads must come before the positions, so swap those two axes.",
    ],
    "merge_heads": [
        "merge_heads must undo split_heads exactly: merging split heads gives x back, (B, T, C) with "
        "C = H * D, the heads' channels side by side for every token.",
        "undo split_heads' two steps in reverse order: first bring the T axis back in front of the H axis, "
        "then join the last two axes into C channels.",
        "after swapping two axes a tensor is no longer contiguous in memory: .view cannot join axes then, "
        ".reshape can.",
    ],
    "mask_future": [
        "position t may attend to positions 0..t: the scores above the diagonal (later keys) must become "
        "-inf, and the diagonal and everything below it keep their values.",
        "a score of 0 is not a mask: e^0 = 1, so the future would still get weight. Only -inf has an "
        "exponential of exactly 0; masked_fill writes a value wherever a boolean mask is True.",
        "build a (T, T) boolean mask that is True strictly above the diagonal (torch.triu with diagonal=1 "
        "does it); it broadcasts over any leading (B, H) dimensions of the scores.",
    ],
}



def _randn(*shape, seed=0):
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def attention_weights(fn: Callable) -> bool:
    """``fn(q, k, causal)`` returns softmax(q kᵀ / √d_k), masked when ``causal``."""
    q, k = _randn(2, 3, 5, 8, seed=0), _randn(2, 3, 5, 8, seed=1)
    q_long, k_long = 4 * _randn(7, 16, seed=2), _randn(7, 16, seed=3)  # large scores: the scale matters

    def case(q, k, causal):
        want = _attention.scaled_dot_product_attention(q, k, torch.zeros(*k.shape[:-1], 1), causal=causal)[1]
        return _close(fn(q, k, causal), want)

    cases = [("(B, H, T, D) inputs", lambda: case(q, k, False)),
             ("with the causal mask", lambda: case(q, k, True)),
             ("one (T, D) sequence, d_k = 16", lambda: case(q_long, k_long, False))]
    return _report("attention_weights", fn, cases, HINTS["attention_weights"])


def _split(x: torch.Tensor, n_head: int) -> torch.Tensor:  # (B, T, C) -> (B, H, T, D)
    B, T, C = x.shape
    return x.view(B, T, n_head, C // n_head).transpose(1, 2)


def split_heads(fn: Callable) -> bool:
    """``fn(x, n_head)`` turns (B, T, C) into (B, H, T, D) with D = C / H."""
    x = _randn(2, 5, 12)
    cases = [(f"H={h}", lambda h=h: _close(fn(x, h), _split(x, h))) for h in (1, 3, 4)]
    return _report("split_heads", fn, cases, HINTS["split_heads"])


def merge_heads(fn: Callable) -> bool:
    """``fn(y)`` turns (B, H, T, D) back into (B, T, C), heads side by side."""
    x = _randn(2, 5, 12)

    def case(h):
        got = fn(_split(x, h))
        return _close(got, x)  # merging undoes splitting

    cases = [(f"H={h}", lambda h=h: case(h)) for h in (1, 3, 4)]
    return _report("merge_heads", fn, cases, HINTS["merge_heads"])


def mask_future(fn: Callable) -> bool:
    """``fn(scores)`` sets the scores above the diagonal (the future) to -inf."""
    def want(s):
        T = s.shape[-1]
        return s.masked_fill(~_attention.causal_mask(T), float("-inf"))

    s1, s2 = _randn(4, 4, seed=5), _randn(2, 3, 6, 6, seed=6)

    def future_is_minus_inf():
        got = fn(s1)
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        future = torch.as_tensor(got)[~_attention.causal_mask(4)]
        ok = bool(torch.all(future == float("-inf")))
        shown = [round(float(x), 2) + 0.0 for x in future]
        return ok, "" if ok else f"the entries above the diagonal should all be -inf, got {shown}"

    def past_kept():
        got = torch.as_tensor(fn(s1))
        kept = got[_attention.causal_mask(4)]
        ok = bool(torch.isfinite(kept).all())
        return ok, "" if ok else "the diagonal and the entries below it must keep their scores (a token sees itself)"

    def softmax_rows():
        got = fn(s2)
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        w = torch.softmax(torch.as_tensor(got), dim=-1)
        return _close(w, torch.softmax(want(s2), dim=-1))

    cases = [("the future", future_is_minus_inf), ("the present and the past", past_kept),
             ("(T, T) scores", lambda: _close(fn(s1), want(s1))),
             ("(B, H, T, T) scores", lambda: _close(fn(s2), want(s2))),
             ("softmax of the result", softmax_rows)]
    return _report("mask_future", fn, cases, HINTS["mask_future"])
