"""Checks for the exercises of chapters/part6/word_embeddings.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from ._grader import _close, _report

__all__: list[str] = ["sgns_grad", "glove_weight", "analogy", "spearman"]

#: The graduated hints of each check: the k-th failure shows the k-th hint; none gives the code away.
HINTS: dict[str, list[str]] = {
    "sgns_grad": [
        "the loss is -log σ(u_pos·v) - Σ_k log σ(-u_k·v): differentiate each term with respect to v and "
        "add them; the result has the shape of v, (C,).",
        "use d/dx log σ(x) = 1 - σ(x) and the chain rule: the score u·v has gradient u with respect to v. "
        "Mind the minus sign inside σ(-u_k·v) for the noise words.",
        "the true context pulls v towards u_pos with weight (1 - σ(u_pos·v)); each noise word pushes v away "
        "from u_k with weight σ(u_k·v). A gradient points uphill, so check the signs of both terms.",
    ],
    "glove_weight": [
        "f(x) rises as a power of x below x_max and is exactly 1 from x_max on; it is applied to every "
        "element of the tensor x and returns a tensor of the same shape.",
        "divide by x_max before raising to the power alpha, and make sure that counts above x_max get 1, "
        "not a number larger than 1.",
        "f(0) must be 0 and f(x_max) must be 1; torch.where or torch.clamp can express the cap.",
    ],
    "analogy": [
        "return one integer, the row index of the answer d to a : b :: c : ?, chosen by cosine similarity "
        "to b - a + c.",
        "3CosAdd works on unit vectors: normalise every row of E (and so a, b, c) before adding and "
        "comparing, or long vectors of frequent words win.",
        "the nearest row to b - a + c is often b or c itself: exclude the three query rows before taking "
        "the argmax.",
    ],
    "spearman": [
        "Spearman's rho is the Pearson correlation of the ranks of x and of y, not of the values "
        "themselves; return one float.",
        "rank each list separately (1 for the smallest); np.argsort(np.argsort(z)) gives ranks but breaks "
        "ties by position.",
        "tied values must share the mean of the ranks they occupy: two values tied for ranks 3 and 4 both "
        "get 3.5.",
    ],
}


def sgns_grad(fn: Callable) -> bool:
    """``fn(v, u_pos, u_neg)`` returns d loss / d v for one pair: v (C,), u_pos (C,), u_neg (K, C)."""
    g = torch.Generator().manual_seed(22)

    def case(C, K, scale=1.0):
        v = torch.randn(C, generator=g, dtype=torch.float64) * scale
        u_pos = torch.randn(C, generator=g, dtype=torch.float64) * scale
        u_neg = torch.randn(K, C, generator=g, dtype=torch.float64) * scale
        vv = v.clone().requires_grad_(True)
        loss = -(F.logsigmoid(u_pos @ vv) + F.logsigmoid(-(u_neg @ vv)).sum())
        loss.backward()
        got = fn(v.clone(), u_pos.clone(), u_neg.clone())
        if got is not None and not isinstance(got, torch.Tensor):
            got = torch.as_tensor(np.asarray(got, dtype=np.float64))
        return _close(got, vv.grad, atol=1e-6)

    cases = [("C=4, K=1", lambda: case(4, 1)), ("C=8, K=5", lambda: case(8, 5)),
             ("C=3, K=15, large vectors", lambda: case(3, 15, scale=3.0)),
             ("C=50, K=5", lambda: case(50, 5, scale=0.3))]
    return _report("sgns_grad", fn, cases, HINTS["sgns_grad"])


def glove_weight(fn: Callable) -> bool:
    """``fn(x, x_max, alpha)`` returns GloVe's f(x) = min(1, x / x_max) ** alpha elementwise."""
    x = torch.tensor([0.0, 0.5, 1.0, 10.0, 50.0, 99.0, 100.0, 101.0, 1e4], dtype=torch.float64)

    def case(x_max, alpha):
        want = torch.clamp(x / x_max, max=1.0) ** alpha
        got = fn(x.clone(), x_max, alpha)
        if got is not None and not isinstance(got, torch.Tensor):
            got = torch.as_tensor(np.asarray(got, dtype=np.float64))
        return _close(got, want, atol=1e-6)

    cases = [(f"x_max={m:g}, alpha={a:g}", lambda m=m, a=a: case(m, a))
             for m, a in [(100.0, 0.75), (10.0, 0.75), (100.0, 0.5), (50.0, 1.0)]]
    return _report("glove_weight", fn, cases, HINTS["glove_weight"])


def _table() -> tuple[torch.Tensor, list[tuple[int, int, int, int]]]:
    """A small table where 3CosAdd must normalise and must exclude the query rows."""
    g = torch.Generator().manual_seed(3)
    E = torch.randn(40, 6, generator=g, dtype=torch.float64)
    E[5] = E[1] - E[0] + E[2] + 0.05 * torch.randn(6, generator=g, dtype=torch.float64)  # answer of (0,1,2)
    E[6] = 40 * (E[1] - E[0] + E[2] + 0.9 * torch.randn(6, generator=g, dtype=torch.float64))  # long, off
    E[13] = E[12] + 0.01 * torch.randn(6, generator=g, dtype=torch.float64)  # c ≈ a: b itself is nearest
    out = []
    En = F.normalize(E, dim=1)
    for a, b, c in [(0, 1, 2), (8, 10, 9), (3, 4, 7), (12, 11, 13), (20, 21, 22)]:
        s = En @ (En[b] - En[a] + En[c])
        s[[a, b, c]] = -math.inf
        out.append((a, b, c, int(s.argmax())))
    return E, out


def analogy(fn: Callable) -> bool:
    """``fn(E, a, b, c)`` returns the row index of the 3CosAdd answer, a, b and c excluded."""
    E, questions = _table()

    def case(a, b, c, d):
        got = fn(E.clone(), a, b, c)
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        try:
            got = int(got)
        except (TypeError, ValueError):
            return False, f"return one row index (an int), got {type(got).__name__}"
        return got == d, f"a={a}, b={b}, c={c}: returned row {got}, expected row {d}"

    cases = [(f"question a={q[0]}, b={q[1]}, c={q[2]}", lambda q=q: case(*q)) for q in questions]
    return _report("analogy", fn, cases, HINTS["analogy"])


def _spearman(x, y) -> float:
    from scipy.stats import spearmanr

    return float(spearmanr(x, y).statistic)


def spearman(fn: Callable) -> bool:
    """``fn(x, y)`` returns Spearman's rank correlation, tied values sharing their mean rank."""
    rng = np.random.default_rng(5)
    data = [
        ("no ties", [1.0, 2.5, 0.3, 4.0, 3.3], [2.0, 1.0, 0.5, 3.0, 4.5]),
        ("perfectly monotone, not linear", [1.0, 2.0, 3.0, 4.0], [1.0, 8.0, 27.0, 64.0]),
        ("ties in x", [1.0, 2.0, 2.0, 3.0, 5.0, 5.0, 5.0], [0.1, 0.4, 0.2, 0.9, 0.5, 0.7, 0.6]),
        ("ties in both, 353 scores like WordSim-353", list(np.round(rng.uniform(0, 10, 353), 1)),
         list(np.round(rng.uniform(-1, 1, 353), 2))),
    ]
    d = data[3]
    data[3] = (d[0], d[1], [a / 10 + b for a, b in zip(d[1], d[2])])  # correlated, with ties

    def case(x, y):
        got = fn(list(x), list(y))
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        want = _spearman(x, y)
        got = float(got)
        return math.isclose(got, want, abs_tol=1e-6), f"got {got:.6f}, expected {want:.6f}"

    cases = [(desc, lambda x=x, y=y: case(x, y)) for desc, x, y in data]
    return _report("spearman", fn, cases, HINTS["spearman"])
