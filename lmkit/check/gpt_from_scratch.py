"""Checks for the exercises of chapters/part4/gpt_from_scratch.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`.
"""
from __future__ import annotations

from typing import Callable

import torch

from .. import attention as _attention
from ..model import GPTConfig
from ._grader import _close, _report


__all__: list[str] = ['attention', 'gpt_param_count']


def attention(fn: Callable) -> bool:
    """``fn(q, k, v, causal)`` returns softmax(q kᵀ/√d_k) v."""
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 5, 8, generator=g) for _ in range(3))

    def case(causal):
        return _close(fn(q, k, v, causal), _attention.scaled_dot_product_attention(q, k, v, causal=causal)[0])

    return _report("attention", fn, [("no mask", lambda: case(False)), ("causal", lambda: case(True))],
                   "scores = q @ k.transpose(-2, -1) / sqrt(d_k); masked scores get -inf before the softmax.")


def gpt_param_count(fn: Callable[[GPTConfig], int]) -> bool:
    """``fn(config)`` returns the number of parameters of ``GPT(config)``."""
    configs = [GPTConfig(vocab_size=65, block_size=64, n_layer=4, n_head=4, n_embd=128),
               GPTConfig(vocab_size=100, block_size=16, n_layer=1, n_head=2, n_embd=8),
               GPTConfig(vocab_size=50257, block_size=1024, n_layer=12, n_head=12, n_embd=768)]

    def case(cfg):
        want = _count_formula(cfg)
        got = fn(cfg)
        return got == want, f"got {got}, expected {want}"

    return _report("gpt_param_count", fn, [(f"config {i}", lambda c=c: case(c)) for i, c in enumerate(configs)],
                   "per block: 2 LayerNorms (2C each), attention (C·3C + 3C + C·C + C), MLP (C·4C + 4C + 4C·C + C); "
                   "plus V·C + T·C embeddings and the final LayerNorm; the output layer is tied (free).")


def _count_formula(cfg: GPTConfig) -> int:
    C, V, T, L = cfg.n_embd, cfg.vocab_size, cfg.block_size, cfg.n_layer
    block = 2 * 2 * C + (3 * C * C + 3 * C) + (C * C + C) + (4 * C * C + 4 * C) + (4 * C * C + C)
    return V * C + T * C + L * block + 2 * C
