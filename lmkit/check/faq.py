"""Checks for the exercises of chapters/part8/faq.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from ._grader import _close, _report

__all__: list[str] = ["crossover_point", "max_trainable_params", "repetition_penalty"]

#: The graduated hints of each check: the k-th failure shows the k-th hint; none gives the code away.
HINTS: dict[str, list[str]] = {
    "crossover_point": [
        "work with the gap d = b - a at every size: the answer depends on where d is positive, and on "
        "the last size, not the first, where it is not.",
        "three cases: d > 0 at every size (return the smallest size), d <= 0 at the largest size "
        "(return None), and otherwise a crossing between the last size with d <= 0 and the size after it.",
        "between those two sizes, d changes linearly with log(size): find the fraction t of the way at "
        "which it reaches zero, from the two values of d, and take exp of the log-size that far along.",
    ],
    "max_trainable_params": [
        "training with Adam keeps four numbers per parameter (weight, gradient and two moving "
        "averages), 16 bytes in all; the activations take their share of the memory first.",
        "subtract the activations from the memory, then see how many whole parameters of 16 bytes fit "
        "in what is left; round down, never up.",
        "when the activations alone do not fit, no parameter does: the answer is 0, not a negative "
        "number. Return a Python int.",
    ],
    "repetition_penalty": [
        "only the tokens that occur in history change; each of them changes once, however often it "
        "occurs, and the tensor you were given must stay as it was (work on a copy).",
        "the penalty must make a token less likely whatever the sign of its logit: dividing a negative "
        "logit by theta > 1 moves it towards zero, which makes the token more likely.",
        "a positive logit is divided by theta, a negative one multiplied by theta; compare the logit "
        "with zero, one token at a time or with torch.where.",
    ],
}


def _crossover_ref(sizes, a, b):
    d = [bi - ai for ai, bi in zip(a, b)]
    if d[-1] <= 0:
        return None
    last = max((i for i, di in enumerate(d) if di <= 0), default=None)
    if last is None:
        return sizes[0]
    t = d[last] / (d[last] - d[last + 1])
    lo, hi = math.log(sizes[last]), math.log(sizes[last + 1])
    return math.exp(lo + t * (hi - lo))


def crossover_point(fn: Callable) -> bool:
    """``fn(sizes, a, b)``: the size from which curve ``b`` stays above curve ``a``.

    ``sizes`` increase; ``a`` and ``b`` are accuracies at those sizes. Returns ``sizes[0]`` if b > a
    everywhere, ``None`` if b <= a at the last size, and otherwise the zero of b - a between the last
    size where b <= a and the next one, interpolated linearly in log(size).
    """
    sizes = [250, 500, 1000, 2000, 4000, 8000]
    base = [0.58, 0.62, 0.65, 0.68, 0.72, 0.75]
    inputs = [
        ("b above a everywhere", sizes, base, [0.70, 0.72, 0.74, 0.75, 0.76, 0.77]),
        ("b below a everywhere", sizes, base, [0.55, 0.58, 0.62, 0.66, 0.70, 0.73]),
        ("one crossing between 1000 and 2000", sizes, base, [0.55, 0.60, 0.64, 0.70, 0.74, 0.78]),
        ("above, then below, then above again (the last crossing counts)", sizes, base,
         [0.60, 0.61, 0.64, 0.69, 0.73, 0.76]),
        ("above at first, below at the end", sizes, base, [0.66, 0.67, 0.68, 0.69, 0.70, 0.71]),
        ("equal at one size, above after it", [100, 1000, 10000], [0.6, 0.7, 0.8], [0.5, 0.7, 0.9]),
        ("three sizes, a crossing near the start", [10, 100, 1000], [0.6, 0.7, 0.8], [0.5, 0.75, 0.85]),
    ]

    def case(sizes, a, b):
        got = fn(list(sizes), list(a), list(b))
        want = _crossover_ref(sizes, a, b)
        if want is None:
            return got is None, f"got {got!r}, expected None (b does not end above a)"
        if got is None:
            return False, f"got None, expected a size near {want:,.0f}"
        try:
            ok = math.isclose(float(got), want, rel_tol=1e-6)
        except (TypeError, ValueError):
            return False, f"got {got!r}, expected a number"
        return ok, f"got {float(got):,.1f}, expected {want:,.1f}"

    cases = [(desc, lambda args=(s, a, b): case(*args)) for desc, s, a, b in inputs]
    return _report("crossover_point", fn, cases, HINTS["crossover_point"])


def max_trainable_params(fn: Callable) -> bool:
    """``fn(memory_bytes, activation_bytes)``: the most parameters trainable with Adam (16 bytes each)."""
    inputs = [(16e9, 0), (15e9, 3e9), (80e9, 10e9), (1000, 1000), (100, 200), (1_000_003, 2)]

    def case(m, a):
        got = fn(m, a)
        want = max(0, int(m - a) // 16)
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        if isinstance(got, float) and not got.is_integer():
            return False, f"memory {m:g} B, activations {a:g} B: got {got}, expected a whole number"
        try:
            ok = int(got) == want
        except (TypeError, ValueError):
            return False, f"got {got!r}, expected a number"
        return ok, f"memory {m:g} B, activations {a:g} B: got {int(got):,}, expected {want:,}"

    cases = [(f"memory {m:g} B, activations {a:g} B", lambda args=(m, a): case(*args)) for m, a in inputs]
    return _report("max_trainable_params", fn, cases, HINTS["max_trainable_params"])


def _penalty_ref(logits, history, theta):
    out = logits.clone()
    if history:
        seen = torch.tensor(sorted(set(history)), dtype=torch.long)
        out[seen] = torch.where(out[seen] > 0, out[seen] / theta, out[seen] * theta)
    return out


def repetition_penalty(fn: Callable) -> bool:
    """``fn(logits, history, theta)``: CTRL's penalty on the logits (V,) of the ids in ``history``."""
    g = torch.Generator().manual_seed(3)
    inputs = [
        ("positive logits, no repeats", torch.tensor([2.0, 1.0, 0.5, 3.0]), [0, 3], 1.3),
        ("a negative logit among the seen tokens", torch.tensor([2.0, -1.0, 0.5, -3.0]), [1, 0], 2.0),
        ("a token seen three times is penalised once", torch.tensor([1.5, 0.2, -0.7]), [0, 0, 0, 2], 1.5),
        ("nothing generated yet", torch.tensor([0.3, -0.3]), [], 1.2),
        ("a random vocabulary of 50", torch.randn(50, generator=g), [3, 7, 7, 11, 49, 0], 1.2),
    ]

    def case(logits, history, theta):
        before = logits.clone()
        got = fn(logits, list(history), theta)
        if not torch.equal(logits, before):
            return False, "your function changed the logits it was given: work on a copy (clone)"
        return _close(got, _penalty_ref(before, history, theta), atol=1e-6)

    cases = [(desc, lambda a=(lg, h, t): case(a[0].clone(), a[1], a[2])) for desc, lg, h, t in inputs]
    return _report("repetition_penalty", fn, cases, HINTS["repetition_penalty"])
