"""Checks for the exercises of chapters/part4/gpt_from_scratch.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`.
"""
from __future__ import annotations

from typing import Callable

import torch

from .. import attention as _attention
from ..model import GPT, GPTConfig, RMSNorm
from ._grader import _close, _report

__all__: list[str] = ["attention", "gpt_param_count", "rms_norm", "kv_cache_bytes"]


def attention(fn: Callable) -> bool:
    """``fn(q, k, v, causal)`` returns softmax(q kᵀ/√d_k) v, with the future masked when ``causal``."""
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 5, 8, generator=g) for _ in range(3))

    def case(causal):
        return _close(fn(q, k, v, causal), _attention.scaled_dot_product_attention(q, k, v, causal=causal)[0])

    return _report("attention", fn, [("no mask", lambda: case(False)), ("causal", lambda: case(True))], [
        "Compare every query with every key (a matrix product over the last dimension), scale, softmax over "
        "the keys, then take the weighted sum of the values. Check the shape of your scores: (..., T, T).",
        "The scale is the square root of the size of the last dimension of q and k. The softmax runs over "
        "the last dimension of the scores, so that each row sums to 1.",
        "For the causal case, set the scores of the future (above the diagonal) to -inf before the softmax, "
        "not the weights after it.",
    ])


def _count_formula(cfg: GPTConfig) -> int:
    C, V, T, L = cfg.n_embd, cfg.vocab_size, cfg.block_size, cfg.n_layer
    block = 2 * 2 * C + (3 * C * C + 3 * C) + (C * C + C) + (4 * C * C + 4 * C) + (4 * C * C + C)
    return V * C + T * C + L * block + 2 * C


def gpt_param_count(fn: Callable[[GPTConfig], int]) -> bool:
    """``fn(config)`` returns the number of parameters of ``GPT(config)`` without building it."""
    configs = [GPTConfig(vocab_size=65, block_size=64, n_layer=4, n_head=4, n_embd=128),
               GPTConfig(vocab_size=100, block_size=16, n_layer=1, n_head=2, n_embd=8),
               GPTConfig(vocab_size=50257, block_size=1024, n_layer=12, n_head=12, n_embd=768)]

    def case(cfg):
        want = _count_formula(cfg)
        got = fn(cfg)
        return got == want, f"got {got}, expected {want}"

    return _report("gpt_param_count", fn, [(f"config {i}", lambda c=c: case(c)) for i, c in enumerate(configs)], [
        "Count module by module: the two embedding tables, then one block (two LayerNorms, attention, MLP) "
        "times n_layer, then the final LayerNorm. A linear map from n to m numbers has n·m weights and m biases.",
        "In a block, c_attn maps C to 3C and c_proj C to C; the MLP maps C to 4C and back. A LayerNorm has "
        "a scale and a shift of C numbers each.",
        "The output layer shares the token embedding's matrix: it adds no parameters. The number of heads "
        "does not appear anywhere.",
    ])


def rms_norm(fn: Callable) -> bool:
    """``fn(x, weight, eps)`` normalises the last dimension of ``x`` by its root mean square, times ``weight``."""
    g = torch.Generator().manual_seed(3)
    cases = []
    for shape, eps in [((4, 16), 1e-5), ((2, 3, 32), 1e-6), ((1, 8), 0.5)]:
        x = 3 * torch.randn(*shape, generator=g) + 1  # not centred: RMSNorm must not subtract the mean
        weight = torch.rand(shape[-1], generator=g) + 0.5
        ref = RMSNorm(shape[-1], eps)
        ref.weight.data.copy_(weight)
        cases.append((f"shape {shape}, eps={eps}", lambda x=x, w=weight, e=eps, r=ref: _close(fn(x, w, e),
                                                                                              r(x).detach())))
    return _report("rms_norm", fn, cases, [
        "Divide each vector (the last dimension) by its root mean square, then multiply by weight. Unlike "
        "LayerNorm, nothing is subtracted and there is no bias.",
        "The root mean square is the square root of the mean of the squares over the last dimension, kept "
        "with keepdim=True so that it broadcasts; eps goes inside the square root.",
    ])


def kv_cache_bytes(fn: Callable) -> bool:
    """``fn(config, T, bytes_per_number)`` returns the size of the KV cache of one sequence of T tokens."""
    configs = [GPTConfig(vocab_size=65, block_size=256, n_layer=3, n_head=4, n_embd=128),
               GPTConfig(vocab_size=65, block_size=256, n_layer=3, n_head=4, n_embd=128, n_kv_head=2),
               GPTConfig(vocab_size=65, block_size=256, n_layer=2, n_head=8, n_embd=64, n_kv_head=1)]

    def measured(cfg, T, nbytes):
        torch.manual_seed(0)
        model = GPT(cfg).eval()
        cache = model.new_cache()
        with torch.no_grad():
            model(torch.zeros(1, T, dtype=torch.long), kv_cache=cache)
        return sum(t.numel() for t in cache.keys + cache.values) * nbytes

    def case(cfg, T, nbytes):
        got, want = fn(cfg, T, nbytes), measured(cfg, T, nbytes)
        return got == want, f"got {got}, expected {want} bytes"

    cases = [(f"config {i}, T={T}, {b} bytes", lambda c=c, T=T, b=b: case(c, T, b))
             for i, (c, T, b) in enumerate([(configs[0], 100, 4), (configs[1], 256, 2), (configs[2], 7, 4)])]
    return _report("kv_cache_bytes", fn, cases, [
        "The cache holds, for every layer, a key and a value for every position of every key/value head; each "
        "is a vector of the head size. Count the numbers, then multiply by the bytes per number.",
        "The head size is n_embd // n_head; the number of key/value heads is n_kv_head, or n_head when "
        "n_kv_head is None. Do not forget the factor for keys AND values.",
    ])
