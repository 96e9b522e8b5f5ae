"""Checks for the exercises of chapters/part2/self_attention.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`.
"""
from __future__ import annotations

from typing import Callable

import torch

from .. import attention as _attention
from ._grader import _close, _report

__all__: list[str] = ["attention_weights", "split_heads", "merge_heads", "mask_future"]


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
    return _report("attention_weights", fn, cases,
                   "scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1]); when causal, masked_fill the "
                   "positions above the diagonal with float('-inf'); then torch.softmax(scores, dim=-1).")


def _split(x: torch.Tensor, n_head: int) -> torch.Tensor:  # (B, T, C) -> (B, H, T, D)
    B, T, C = x.shape
    return x.view(B, T, n_head, C // n_head).transpose(1, 2)


def split_heads(fn: Callable) -> bool:
    """``fn(x, n_head)`` turns (B, T, C) into (B, H, T, D) with D = C / H."""
    x = _randn(2, 5, 12)
    cases = [(f"H={h}", lambda h=h: _close(fn(x, h), _split(x, h))) for h in (1, 3, 4)]
    return _report("split_heads", fn, cases,
                   "head h owns channels h*D..(h+1)*D-1 of every token: x.view(B, T, H, D).transpose(1, 2). "
                   "x.view(B, H, T, D) has the right shape but mixes tokens and channels.")


def merge_heads(fn: Callable) -> bool:
    """``fn(y)`` turns (B, H, T, D) back into (B, T, C), heads side by side."""
    x = _randn(2, 5, 12)

    def case(h):
        got = fn(_split(x, h))
        return _close(got, x)  # merging undoes splitting

    return _report("merge_heads", fn, [(f"H={h}", lambda h=h: case(h)) for h in (1, 3, 4)],
                   "undo split_heads: y.transpose(1, 2) gives (B, T, H, D); then .reshape(B, T, H * D).")


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
    return _report("mask_future", fn, cases,
                   "position t may see 0..t: scores.masked_fill(~torch.ones(T, T, dtype=torch.bool).tril(), "
                   "float('-inf')); the diagonal (a token seeing itself) stays.")
