"""The exercises' autograder: ``lmkit.check.<name>(your_function)`` prints pass or fail with a hint.

Each check compares your function with lmkit's tested reference on a few cases, prints
``✅ ...`` or ``❌ ...`` and a hint, and returns ``True`` or ``False``. It never raises because
of your code: an exception in your function is reported as a failure. Used by the exercises
at the end of every chapter (the teachers' pages list them).
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from .. import attention as _attention
from .. import generate as _generate
from .. import train as _train
from ..model import GPT, GPTConfig
from ._grader import _close, _report


def causal_mask(fn: Callable[[int], torch.Tensor]) -> bool:
    """Exercise (chapter 12): ``fn(T)`` returns a (T, T) boolean mask, True where attention is allowed."""
    cases = [(f"T={T}", lambda T=T: _close(fn(T), _attention.causal_mask(T))) for T in (1, 2, 5)]
    return _report("causal_mask", fn, cases, "position t may attend to positions 0..t: torch.tril of ones, as bool.")


def attention(fn: Callable) -> bool:
    """Exercise (chapters 5 and 13): ``fn(q, k, v, causal)`` returns softmax(q kᵀ/√d_k) v."""
    g = torch.Generator().manual_seed(0)
    q, k, v = (torch.randn(2, 5, 8, generator=g) for _ in range(3))

    def case(causal):
        return _close(fn(q, k, v, causal), _attention.scaled_dot_product_attention(q, k, v, causal=causal)[0])

    return _report("attention", fn, [("no mask", lambda: case(False)), ("causal", lambda: case(True))],
                   "scores = q @ k.transpose(-2, -1) / sqrt(d_k); masked scores get -inf before the softmax.")


def gpt_param_count(fn: Callable[[GPTConfig], int]) -> bool:
    """Exercise (chapter 13): ``fn(config)`` returns the number of parameters of ``GPT(config)``."""
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


def lr_schedule(fn: Callable[[int], float]) -> bool:
    """Exercise (chapter 14): ``fn(it)`` with lr=1e-3, min_lr=1e-4, warmup 100, 2,000 steps."""
    kw = dict(lr=1e-3, min_lr=1e-4, warmup_iters=100, max_iters=2000)
    its = [0, 50, 99, 100, 500, 1050, 1999, 2000, 2500]

    def case(it):
        got, want = fn(it), _train.lr_schedule(it, **kw)
        if got is None:
            return False, "your function returned None"
        return math.isclose(float(got), want, rel_tol=1e-6), f"at step {it}: got {got:.6g}, expected {want:.6g}"

    return _report("lr_schedule", fn, [(f"step {it}", lambda it=it: case(it)) for it in its],
                   "warmup: lr*(it+1)/warmup_iters; then min_lr + 0.5*(lr-min_lr)*(1+cos(pi*progress)), "
                   "progress = (it-warmup)/(max_iters-warmup); min_lr after max_iters.")


def get_batch(fn: Callable) -> bool:
    """Exercise (chapter 14): ``fn(data, batch_size, block_size, generator)`` returns (x, y) blocks."""
    data = torch.arange(1000)

    def case():
        x, y = fn(data, 4, 8, torch.Generator().manual_seed(0))
        x, y = torch.as_tensor(x), torch.as_tensor(y)
        if x.shape != (4, 8) or y.shape != (4, 8):
            return False, f"shapes {tuple(x.shape)}, {tuple(y.shape)}; expected (4, 8) each"
        if not torch.equal(x[:, 1:] - x[:, :-1], torch.ones(4, 7, dtype=x.dtype)):
            return False, "each row of x should be a contiguous slice of data"
        if not torch.equal(y, x + 1):
            return False, "y should be x shifted by one position (the next token of each input)"
        return True, ""

    def in_range():
        for s in range(20):
            x, y = fn(torch.arange(10), 2, 9, torch.Generator().manual_seed(s))
            if int(torch.as_tensor(y).max()) > 9:
                return False, "a block runs past the end of data: start indices must be < len(data) - block_size"
        return True, ""

    return _report("get_batch", fn, [("blocks and targets", case), ("stays inside the data", in_range)],
                   "ix = torch.randint(len(data) - block_size, (batch_size,)); stack data[i:i+T] and data[i+1:i+T+1].")


def top_k_filter(fn: Callable) -> bool:
    """Exercise (chapter 15): ``fn(logits, k)`` keeps the k largest logits, the rest -inf."""
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(3, 10, generator=g)
    cases = [(f"k={k}", lambda k=k: _close(fn(logits, k), _generate.top_k_filter(logits, k))) for k in (1, 3, 10)]
    return _report("top_k_filter", fn, cases, "torch.topk(logits, k).values[..., -1:] is the threshold; "
                                              "masked_fill what is below it with float('-inf').")


def top_p_filter(fn: Callable) -> bool:
    """Exercise (chapter 15): ``fn(logits, p)`` keeps the smallest nucleus of mass ≥ p."""
    logits = torch.log(torch.tensor([[0.5, 0.2, 0.15, 0.1, 0.05], [0.05, 0.1, 0.15, 0.2, 0.5]]))
    cases = [(f"p={p}", lambda p=p: _close(fn(logits, p), _generate.top_p_filter(logits, p)))
             for p in (0.4, 0.6, 0.8, 1.0)]
    return _report("top_p_filter", fn, cases, "sort descending, cumulative softmax; drop a token when the mass "
                                              "BEFORE it already reaches p (the top token is always kept).")


def greedy_decode(fn: Callable) -> bool:
    """Exercise (chapter 15): ``fn(model, idx, n)`` appends n arg-max tokens to idx (B, T)."""
    torch.manual_seed(0)
    model = GPT(GPTConfig(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=16)).eval()
    idx = torch.tensor([[1, 2, 3]])

    def case(n):
        want = _generate.generate(model, idx, n, greedy=True)
        return _close(fn(model, idx, n), want, atol=0)

    return _report("greedy_decode", fn, [("3 tokens", lambda: case(3)), ("past the context", lambda: case(12))],
                   "loop: logits, _ = model(idx[:, -block_size:]); take argmax of the last position; torch.cat.")


def sinusoidal_encoding(fn: Callable[[int, int], torch.Tensor]) -> bool:
    """Exercise (chapter 12; derived in chapter 10): ``fn(T, d)`` returns the (T, d) sinusoidal encoding.

    PE[t, 2i] = sin(t / 10000^(2i/d)) and PE[t, 2i+1] = cos(t / 10000^(2i/d)) (Vaswani et al., 2017).
    """
    def want(T, d):  # element by element, straight from the formula
        return torch.tensor([[math.sin(t / 10000 ** (j / d)) if j % 2 == 0 else math.cos(t / 10000 ** ((j - 1) / d))
                              for j in range(d)] for t in range(T)])

    cases = [(f"T={T}, d={d}", lambda T=T, d=d: _close(fn(T, d), want(T, d))) for T, d in [(4, 6), (32, 64)]]
    return _report("sinusoidal_encoding", fn, cases,
                   "angle = t / 10000 ** (2i / d) for i = 0..d/2-1; even columns sin(angle), odd columns cos(angle).")


# One file per chapter for the checks of Parts I-III, so that chapters can be written side by side.
from .ch01 import *  # noqa: E402,F403
from .ch02 import *  # noqa: E402,F403
from .ch03 import *  # noqa: E402,F403
from .ch04 import *  # noqa: E402,F403
from .ch05 import *  # noqa: E402,F403
from .ch06 import *  # noqa: E402,F403
from .ch07 import *  # noqa: E402,F403
from . import ch01, ch02, ch03, ch04, ch05, ch06, ch07  # noqa: E402

__all__ = ["causal_mask", "attention", "gpt_param_count", "lr_schedule", "get_batch", "top_k_filter",
           "top_p_filter", "greedy_decode", "sinusoidal_encoding",
           *ch01.__all__, *ch02.__all__, *ch03.__all__, *ch04.__all__, *ch05.__all__, *ch06.__all__, *ch07.__all__]
