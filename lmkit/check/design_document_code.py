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


def causal_mask(fn: Callable[[int], torch.Tensor]) -> bool:
    """``fn(T)`` returns a (T, T) boolean mask, True where attention is allowed."""
    cases = [(f"T={T}", lambda T=T: _close(fn(T), _attention.causal_mask(T))) for T in (1, 2, 5)]
    return _report("causal_mask", fn, cases, "position t may attend to positions 0..t: torch.tril of ones, as bool.")


def sinusoidal_encoding(fn: Callable[[int, int], torch.Tensor]) -> bool:
    """``fn(T, d)`` returns the (T, d) sinusoidal encoding.

    PE[t, 2i] = sin(t / 10000^(2i/d)) and PE[t, 2i+1] = cos(t / 10000^(2i/d)) (Vaswani et al., 2017).
    """
    def want(T, d):  # element by element, straight from the formula
        return torch.tensor([[math.sin(t / 10000 ** (j / d)) if j % 2 == 0 else math.cos(t / 10000 ** ((j - 1) / d))
                              for j in range(d)] for t in range(T)])

    cases = [(f"T={T}, d={d}", lambda T=T, d=d: _close(fn(T, d), want(T, d))) for T, d in [(4, 6), (32, 64)]]
    return _report("sinusoidal_encoding", fn, cases,
                   "angle = t / 10000 ** (2i / d) for i = 0..d/2-1; even columns sin(angle), odd columns cos(angle).")
