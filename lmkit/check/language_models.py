"""Checks for the exercises of chapters/part1/language_models.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`.
"""
from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F

from ._grader import _close, _report

__all__: list[str] = ["softmax_temperature", "kl_divergence", "add_k_bigram", "perplexity_from_logits"]

#: The graduated hints of each check: the k-th failure shows the k-th (see :mod:`lmkit.check`).
HINTS: dict[str, list[str]] = {
    "softmax_temperature": [
        "divide the logits by tau first, then exponentiate and normalize over the last dimension "
        "(dim=-1), so that every row sums to 1 whatever the shape of the input.",
        "for logits in the hundreds exp overflows to inf, and inf / inf is nan. Softmax does not change "
        "when the same constant is subtracted from every logit of a row: which constant makes the "
        "largest exponent exactly 0?",
        "take that maximum over the last dimension with keepdim=True, so that it broadcasts against "
        "the logits, for 1-D and 2-D inputs alike.",
    ],
    "kl_divergence": [
        "KL(p || q) is the average, weighted by p, of log(p / q) with the natural logarithm: one term "
        "per entry, summed.",
        "where p is 0 the term is 0 by convention, but computed directly it is 0 * (-inf) = nan: keep "
        "only the entries where p > 0 (a boolean mask works on both tensors).",
        "KL is not symmetric: the weights and the numerator are p's, the denominator is q's. Return the "
        "value in nats, as a float.",
    ],
    "add_k_bigram": [
        "row a is the distribution of the id that follows a: count the pairs (a, b) of consecutive ids "
        "into a (V, V) table whose rows are indexed by the first id of the pair.",
        "add k to every count, zeros included, and divide each row by its own new total: the row's "
        "count plus k for each of the V possible next ids.",
        "every row must sum to 1, including the row of an id that never occurs as a context (it comes "
        "out uniform). Work in float64 to match the reference to 1e-6.",
    ],
    "perplexity_from_logits": [
        "perplexity is the exponential of the mean cross-entropy in nats: turn the logits into "
        "log-probabilities, take the one of each target, and average.",
        "use a stable log-softmax over the last dimension (not the log of a softmax), pick entry "
        "targets[i] of row i, and remember the minus sign: cross-entropy is the mean of -log p.",
        "exponentiate with base e, not 2 (the cross-entropy is in nats), and return one number. All-zero "
        "logits must give exactly V.",
    ],
}


def softmax_temperature(fn: Callable[[torch.Tensor, float], torch.Tensor]) -> bool:
    """``fn(logits, tau)`` returns softmax(logits / tau) over the last dimension.

    The cases include logits in the hundreds, where exp overflows unless the maximum is subtracted first.
    """
    g = torch.Generator().manual_seed(0)
    z = torch.randn(4, 7, generator=g, dtype=torch.float64)
    big = torch.tensor([1000.0, 999.0, 990.0], dtype=torch.float64)
    cases = []
    for desc, logits, tau in [("tau=1", z, 1.0), ("tau=0.5", z, 0.5), ("tau=3", z, 3.0),
                              ("1-D logits", z[0], 0.7), ("logits in the hundreds", big, 1.0),
                              ("large logits, tau=0.1", big, 0.1)]:
        def case(logits=logits, tau=tau):
            return _close(fn(logits.clone(), tau), torch.softmax(logits / tau, dim=-1), atol=1e-6)
        cases.append((desc, case))
    return _report("softmax_temperature", fn, cases, HINTS["softmax_temperature"])


def _kl(p: torch.Tensor, q: torch.Tensor) -> float:
    mask = p > 0
    return float((p[mask] * (p[mask] / q[mask]).log()).sum())


def kl_divergence(fn: Callable[[torch.Tensor, torch.Tensor], float]) -> bool:
    """``fn(p, q)`` returns KL(p || q) = Σ p log(p / q) in nats, with 0 log 0 = 0."""
    p1 = torch.tensor([0.5, 0.25, 0.25], dtype=torch.float64)
    q1 = torch.tensor([0.25, 0.5, 0.25], dtype=torch.float64)
    p2 = torch.tensor([0.7, 0.3, 0.0, 0.0], dtype=torch.float64)  # zeros in p: contribute nothing
    q2 = torch.tensor([0.1, 0.2, 0.3, 0.4], dtype=torch.float64)
    g = torch.Generator().manual_seed(1)
    p3 = torch.softmax(torch.randn(10, generator=g, dtype=torch.float64), 0)
    q3 = torch.softmax(torch.randn(10, generator=g, dtype=torch.float64), 0)
    cases = []
    for desc, p, q in [("p = (1/2, 1/4, 1/4), q = (1/4, 1/2, 1/4)", p1, q1), ("p = q", p1, p1),
                       ("p with zeros", p2, q2), ("random p, q", p3, q3), ("random q, p (not symmetric)", q3, p3)]:
        def case(p=p, q=q):
            got = fn(p.clone(), q.clone())
            if got is None:
                return False, "your function returned None (did you forget `return`?)"
            got, want = float(got), _kl(p, q)
            return math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-9), f"got {got:.6f}, expected {want:.6f} nats"
        cases.append((desc, case))
    return _report("kl_divergence", fn, cases, HINTS["kl_divergence"])


def _add_k_bigram(ids: list[int], V: int, k: float) -> torch.Tensor:
    counts = torch.zeros(V, V, dtype=torch.float64)
    for a, b in zip(ids, ids[1:]):
        counts[a, b] += 1
    return (counts + k) / (counts.sum(1, keepdim=True) + k * V)


def add_k_bigram(fn: Callable[[list[int], int, float], torch.Tensor]) -> bool:
    """``fn(ids, V, k)`` returns the (V, V) add-k bigram matrix, row a = P(· | a)."""
    g = torch.Generator().manual_seed(2)
    rand = torch.randint(0, 6, (200,), generator=g).tolist()
    cases = []
    for desc, ids, V, k in [("ids [0, 1, 0, 1, 1], V=2, k=1", [0, 1, 0, 1, 1], 2, 1.0),
                            ("an id that is never a context, V=3, k=0.5", [0, 1, 2], 3, 0.5),
                            ("random ids, V=6, k=0.1", rand, 6, 0.1),
                            ("random ids, V=8 (two unused), k=2", rand, 8, 2.0)]:
        def case(ids=ids, V=V, k=k):
            return _close(fn(list(ids), V, k), _add_k_bigram(ids, V, k), atol=1e-6)
        cases.append((desc, case))
    return _report("add_k_bigram", fn, cases, HINTS["add_k_bigram"])


def perplexity_from_logits(fn: Callable[[torch.Tensor, torch.Tensor], float]) -> bool:
    """``fn(logits, targets)`` returns exp(mean cross-entropy) for logits (N, V), targets (N,)."""
    g = torch.Generator().manual_seed(3)
    cases = []
    for desc, N, V, scale in [("N=5, V=4", 5, 4, 1.0), ("N=100, V=65", 100, 65, 2.0),
                              ("uniform logits (perplexity = V)", 10, 65, 0.0), ("sharp logits", 20, 10, 30.0)]:
        logits = torch.randn(N, V, generator=g, dtype=torch.float64) * scale
        targets = torch.randint(0, V, (N,), generator=g)

        def case(logits=logits, targets=targets):
            got = fn(logits.clone(), targets.clone())
            if got is None:
                return False, "your function returned None (did you forget `return`?)"
            got, want = float(got), math.exp(float(F.cross_entropy(logits, targets)))
            return math.isclose(got, want, rel_tol=1e-5), f"got {got:.6g}, expected {want:.6g}"
        cases.append((desc, case))
    return _report("perplexity_from_logits", fn, cases, HINTS["perplexity_from_logits"])
