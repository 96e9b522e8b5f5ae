"""Checks for the exercises of chapters/part7/scaling.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np

from ..model import GPT, GPTConfig
from ._grader import _report

__all__: list[str] = ["count_params_gpt", "fit_power_law", "chinchilla_optimal"]

#: The graduated hints of each check: the k-th failure shows the k-th hint; none gives the code away.
HINTS: dict[str, list[str]] = {
    "count_params_gpt": [
        "count the weights of every layer of one block (two LayerNorms, the attention's query/key/value "
        "and output projections, the two layers of the feed-forward network), then multiply by n_layer; "
        "add what sits outside the blocks.",
        "outside the blocks there are the token table (V rows), the position table (block_size rows) and "
        "the final LayerNorm; the output layer shares the token table, so it adds nothing.",
        "each nn.Linear(a, b) has a·b weights and b biases, each LayerNorm(C) has C gains and C biases; "
        "the feed-forward network's hidden width is 4·C. The number of heads changes nothing.",
    ],
    "fit_power_law": [
        "a power law y = a·x^(-alpha) is a straight line in log-log coordinates: "
        "log y = log a - alpha·log x.",
        "fit that straight line by least squares (np.polyfit with degree 1 on the logs); the slope is "
        "-alpha, not alpha, and the intercept is log a, not a.",
        "return the pair (alpha, a) in that order, both positive numbers for a falling curve; use the "
        "natural logarithm and exponentiate the intercept with the same base.",
    ],
    "chinchilla_optimal": [
        "two equations fix the two unknowns: the compute C = 6·N·D, and the ratio D = r·N "
        "(r tokens per parameter).",
        "substitute D = r·N into C = 6·N·D: C = 6·r·N², so N grows as the square root of C.",
        "return (N, D) as numbers in that order: the parameters first, then the tokens; do not round.",
    ],
}

_CONFIGS = [
    dict(vocab_size=65, block_size=64, n_layer=1, n_head=2, n_embd=16),
    dict(vocab_size=65, block_size=64, n_layer=2, n_head=4, n_embd=64),
    dict(vocab_size=65, block_size=128, n_layer=3, n_head=4, n_embd=128),
    dict(vocab_size=50257, block_size=1024, n_layer=12, n_head=12, n_embd=768),  # GPT-2 small
    dict(vocab_size=100, block_size=32, n_layer=5, n_head=1, n_embd=24),
]


def _gpt_params(c: dict) -> int:
    """The reference: build the model (GPT-2 small only on the meta device, no memory) and count."""
    import torch

    with torch.device("meta"):
        return GPT(GPTConfig(**c)).num_params()


def count_params_gpt(fn: Callable) -> bool:
    """``fn(config)`` returns the number of parameters of ``lmkit.GPT(config)`` for a
    :class:`~lmkit.GPTConfig` with the default switches (GPT-2 layout, tied output layer)."""

    def case(c):
        got = fn(GPTConfig(**c))
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        want = _gpt_params(c)
        if not isinstance(got, (int, float, np.integer, np.floating)):
            return False, f"expected a number, got {type(got).__name__}"
        return float(got) == want, f"got {got!r}, expected {want:,} (off by {float(got) - want:+,.0f})"

    cases = [(f"L={c['n_layer']}, C={c['n_embd']}, V={c['vocab_size']}, T={c['block_size']}",
              lambda c=c: case(c)) for c in _CONFIGS]
    return _report("count_params_gpt", fn, cases, HINTS["count_params_gpt"])


def fit_power_law(fn: Callable) -> bool:
    """``fn(x, y)`` fits y = a·x^(-alpha) by least squares on log y against log x and returns
    ``(alpha, a)``."""
    rng = np.random.default_rng(0)
    x1 = np.array([1e3, 1e4, 1e5, 1e6])
    x2 = np.geomspace(2e4, 3e7, 9)
    data = [
        ("an exact power law, alpha=0.5, a=10", x1, 10.0 * x1 ** -0.5),
        ("an exact power law, alpha=0.076, a=7.3", x2, 7.3 * x2 ** -0.076),
        ("noisy points", x2, 3.0 * x2 ** -0.3 * np.exp(rng.normal(0, 0.05, len(x2)))),
        ("a rising curve (alpha < 0)", x1, 0.2 * x1 ** 0.25),
    ]

    def case(x, y):
        got = fn(x.copy(), y.copy())
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        try:
            alpha, a = (float(v) for v in got)
        except (TypeError, ValueError):
            return False, f"return a pair (alpha, a), got {got!r}"
        slope, intercept = np.polyfit(np.log(x), np.log(y), 1)
        want_alpha, want_a = -slope, math.exp(intercept)
        ok = math.isclose(alpha, want_alpha, rel_tol=1e-6, abs_tol=1e-9) and math.isclose(a, want_a, rel_tol=1e-6)
        return ok, f"got alpha={alpha:.6g}, a={a:.6g}; expected alpha={want_alpha:.6g}, a={want_a:.6g}"

    cases = [(desc, lambda x=x, y=y: case(x, y)) for desc, x, y in data]
    return _report("fit_power_law", fn, cases, HINTS["fit_power_law"])


def chinchilla_optimal(fn: Callable) -> bool:
    """``fn(C, tokens_per_param=20)`` returns ``(N, D)`` with 6·N·D = C and D = tokens_per_param·N."""
    inputs = [(5.76e23, 20), (1e18, 20), (1e21, 20), (3.0e15, 10), (1e25, 100)]

    def case(C, r):
        got = fn(C, r) if r != 20 else fn(C)
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        try:
            N, D = (float(v) for v in got)
        except (TypeError, ValueError):
            return False, f"return a pair (N, D), got {got!r}"
        want_N = math.sqrt(C / (6 * r))
        want_D = r * want_N
        ok = math.isclose(N, want_N, rel_tol=1e-6) and math.isclose(D, want_D, rel_tol=1e-6)
        return ok, f"got N={N:.4g}, D={D:.4g}; expected N={want_N:.4g}, D={want_D:.4g}"

    cases = [(f"C={C:.3g} FLOPs, {r} tokens per parameter", lambda C=C, r=r: case(C, r)) for C, r in inputs]
    return _report("chinchilla_optimal", fn, cases, HINTS["chinchilla_optimal"])
