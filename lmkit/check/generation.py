"""Checks for the exercises of chapters/part4/generation.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`.
"""
from __future__ import annotations

from typing import Callable

import torch

from .. import generation as _generation
from ..model import GPT, GPTConfig
from ._grader import _close, _report


__all__: list[str] = ['top_k_filter', 'top_p_filter', 'greedy_decode']


def top_k_filter(fn: Callable) -> bool:
    """``fn(logits, k)`` keeps the k largest logits, the rest -inf."""
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(3, 10, generator=g)
    cases = [(f"k={k}", lambda k=k: _close(fn(logits, k), _generation.top_k_filter(logits, k))) for k in (1, 3, 10)]
    return _report("top_k_filter", fn, cases, "torch.topk(logits, k).values[..., -1:] is the threshold; "
                                              "masked_fill what is below it with float('-inf').")


def top_p_filter(fn: Callable) -> bool:
    """``fn(logits, p)`` keeps the smallest nucleus of mass ≥ p."""
    logits = torch.log(torch.tensor([[0.5, 0.2, 0.15, 0.1, 0.05], [0.05, 0.1, 0.15, 0.2, 0.5]]))
    cases = [(f"p={p}", lambda p=p: _close(fn(logits, p), _generation.top_p_filter(logits, p)))
             for p in (0.4, 0.6, 0.8, 1.0)]
    return _report("top_p_filter", fn, cases, "sort descending, cumulative softmax; drop a token when the mass "
                                              "BEFORE it already reaches p (the top token is always kept).")


def greedy_decode(fn: Callable) -> bool:
    """``fn(model, idx, n)`` appends n arg-max tokens to idx (B, T)."""
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=16)).eval()
    idx = torch.tensor([[1, 2, 3]])

    def case(n):
        want = _generation.generate(model, idx, n, greedy=True)
        return _close(fn(model, idx, n), want, atol=0)

    return _report("greedy_decode", fn, [("3 tokens", lambda: case(3)), ("past the context", lambda: case(12))],
                   "loop: logits, _ = model(idx[:, -block_size:]); take argmax of the last position; torch.cat.")
