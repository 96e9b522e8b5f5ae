"""Checks for the exercises of chapters/part4/design_document_code.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from .. import attention as _attention
from ._grader import _close, _report


__all__: list[str] = ['causal_mask', 'sinusoidal_encoding']

#: The graduated hints of each check: the k-th failure shows the k-th (see :mod:`lmkit.check`).
HINTS: dict[str, list[str]] = {
    "causal_mask": [
        "row t of the mask is the query at position t, column s a position it might attend to. "
        "A language model's position t may see itself and the past (s <= t), never the future "
        "(s > t). Check which side of the diagonal your True entries are on.",
        "the allowed entries form the lower triangle of a (T, T) matrix, the diagonal included: a "
        "position always attends to itself, so entry (0, 0) is True even when T = 1. You can build "
        "it by comparing a column of positions with a row of positions (broadcasting), or with "
        "torch's lower-triangle function.",
        "the result must be a torch.bool tensor of shape (T, T) with True meaning 'allowed', the "
        "opposite of PyTorch's attn_mask convention; do not invert it and do not return floats "
        "with -inf.",
    ],
    "sinusoidal_encoding": [
        "row t is the encoding of position t, and the columns come in pairs (2i, 2i + 1) that "
        "share one frequency, 1 / 10000^(2i/d). Compare your output with the formula by hand on a "
        "small case such as T = 4, d = 6.",
        "the even columns hold the sine and the odd columns the cosine of the same angle. In the "
        "exponent, 2i is the even column's index (0, 2, 4, ...), so it runs over d/2 values, "
        "divided by d; it is not the column index of the odd column.",
        "a (T, 1) column of positions divided by a row of d/2 scales broadcasts to a (T, d/2) "
        "table of angles; fill the even and odd columns of a (T, d) tensor from it with slices "
        "of step 2, and use floating-point positions.",
    ],
}


def causal_mask(fn: Callable[[int], torch.Tensor]) -> bool:
    """``fn(T)`` returns a (T, T) boolean mask, True where attention is allowed."""
    cases = [(f"T={T}", lambda T=T: _close(fn(T), _attention.causal_mask(T))) for T in (1, 2, 5)]
    return _report("causal_mask", fn, cases, HINTS["causal_mask"])


def sinusoidal_encoding(fn: Callable[[int, int], torch.Tensor]) -> bool:
    """``fn(T, d)`` returns the (T, d) sinusoidal encoding.

    PE[t, 2i] = sin(t / 10000^(2i/d)) and PE[t, 2i+1] = cos(t / 10000^(2i/d)) (Vaswani et al., 2017).
    """
    def want(T, d):  # element by element, straight from the formula
        return torch.tensor([[math.sin(t / 10000 ** (j / d)) if j % 2 == 0
                              else math.cos(t / 10000 ** ((j - 1) / d))
                              for j in range(d)] for t in range(T)])

    cases = [(f"T={T}, d={d}", lambda T=T, d=d: _close(fn(T, d), want(T, d)))
             for T, d in [(4, 6), (32, 64)]]
    return _report("sinusoidal_encoding", fn, cases, HINTS["sinusoidal_encoding"])
