"""Checks for the exercises of chapters/part3/embeddings.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from ._grader import _close, _report

__all__: list[str] = ["embedding_grad", "adam_stale_step", "cosine_neighbours", "pca_2d"]

#: The graduated hints of each check: the k-th failure shows the k-th (see :mod:`lmkit.check`); never
#: the answer.
HINTS: dict[str, list[str]] = {
    "embedding_grad": [
        "the forward pass copies row idx[b, t] of the table to position (b, t); the backward pass sends "
        "the gradient of each position, grad_out[b, t], back to the row it was copied from. The result "
        "has the shape of the table, (V, C), with V given as an argument.",
        "an id that occurs at several positions was copied several times, so its row collects the SUM "
        "of their gradients: an assignment keeps only one of them. Rows of ids that do not occur in "
        "idx stay exactly zero.",
        "flatten the positions first (B*T ids, and a (B*T, C) matrix of gradients), start from a (V, C) "
        "table of zeros, and accumulate each gradient row into the row of its id; the chapter's formula, "
        "the transposed one-hot matrix times the gradients, gives the same table.",
    ],
    "adam_stale_step": [
        "follow Adam's two running means after the last gradient: at every step without a gradient, m is "
        "multiplied by beta1 and v by beta2, starting from their values after step 1, (1 - beta1) g and "
        "(1 - beta2) g squared.",
        "do not forget the bias correction at step t = 1 + n: m is divided by 1 minus beta1 to the power "
        "t, and v by 1 minus beta2 to the power t. The update is the corrected m over the square root of "
        "the corrected v (eps ignored).",
        "the first update has size lr exactly (its corrected m and v are g and g squared), so the ratio is "
        "the later update divided by lr: g cancels, and for n = 0 the answer is 1. Check the exponents: "
        "after n steps without a gradient, m holds n factors of beta1.",
    ],
    "cosine_neighbours": [
        "cosine similarity compares directions, not lengths: each row is divided by its Euclidean norm "
        "before the dot products are taken. A plain dot product favours the longest rows.",
        "row i is always the most similar to itself (cosine 1): leave it out, then keep the k largest "
        "similarities and return the INDICES of their rows (not the similarities).",
        "the order matters: the most similar row first, then decreasing; the result holds exactly k "
        "distinct indices, none of them i. Sorting in increasing order gives the least similar rows.",
    ],
    "pca_2d": [
        "principal components are the directions of largest variance around the MEAN: subtract the "
        "mean row (one mean per column, over the N rows) before anything else.",
        "the singular value decomposition of the centred (N, C) matrix gives the directions as its "
        "right singular vectors, sorted by singular value; the first two are the top-2 components.",
        "return coordinates, one row for each row of W, shape (N, 2): the centred rows projected onto "
        "the two directions (equivalently, the first two left singular vectors scaled by their "
        "singular values). The sign of each column is free; the order is not.",
    ],
}


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _as_tensor(got) -> tuple[torch.Tensor | None, str]:
    if got is None:
        return None, "your function returned None (did you forget `return`?)"
    try:
        return torch.as_tensor(got), ""
    except Exception as e:  # a type torch cannot read
        return None, f"could not read your result as a tensor ({e.__class__.__name__}: {e})"


def embedding_grad(fn: Callable) -> bool:
    """``fn(idx, grad_out, V)`` is the gradient of the loss with respect to a (V, C) embedding table.

    ``idx`` (B, T) are the ids that were looked up, ``grad_out`` (B, T, C) the gradient of the loss with
    respect to the looked-up rows; the result (V, C) must equal what autograd gives the table.
    """
    def want(idx, grad_out, V):
        W = torch.zeros(V, grad_out.shape[-1], dtype=torch.float64, requires_grad=True)
        F.embedding(idx, W).backward(grad_out.double())
        return W.grad

    def case(idx, grad_out, V):
        return _close(fn(idx.clone(), grad_out.clone(), V), want(idx, grad_out, V), atol=1e-5)

    g = _gen(8)
    cases = [
        ("distinct ids (1, 4), V = 6",
         lambda: case(torch.tensor([[4, 0, 2, 5]]), torch.randn(1, 4, 3, generator=g), 6)),
        ("repeated ids (2, 5), V = 7",
         lambda: case(torch.tensor([[3, 1, 3, 3, 0], [1, 6, 3, 2, 1]]), torch.randn(2, 5, 4, generator=g), 7)),
        ("a batch (4, 16) that leaves most of V = 50 unused",
         lambda: case(torch.randint(0, 12, (4, 16), generator=g), torch.randn(4, 16, 8, generator=g), 50)),
    ]
    return _report("embedding_grad", fn, cases, HINTS["embedding_grad"])


def _adam_ratio(beta1: float, beta2: float, n: int) -> float:
    """|update at step 1 + n| / |update at step 1| of torch.optim.Adam, gradient only at step 1."""
    p = torch.zeros(1, dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([p], lr=1.0, betas=(beta1, beta2), eps=0.0)
    sizes = []
    for t in range(n + 1):
        before = p.detach().clone()
        p.grad = torch.full_like(p, 0.5 if t == 0 else 0.0)
        opt.step()
        sizes.append(float((p.detach() - before).abs()))
    return sizes[-1] / sizes[0]


def adam_stale_step(fn: Callable) -> bool:
    """``fn(beta1, beta2, n)``: how far Adam moves a weight n steps after its only gradient.

    A weight gets a nonzero gradient at step 1 and none after; the result is the size of its update at
    step 1 + n divided by the size of its update at step 1, with eps ignored (compared with
    ``torch.optim.Adam`` run with ``eps=0``).
    """
    def case(beta1, beta2, n):
        got = fn(beta1, beta2, n)
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        try:
            got = float(got)
        except Exception as e:  # not a number
            return False, f"expected a number, got {type(got).__name__} ({e.__class__.__name__})"
        want = _adam_ratio(beta1, beta2, n)
        ok = abs(got - want) <= 1e-6 + 1e-4 * abs(want)
        return ok, f"got {got:.6g}, expected {want:.6g}"

    cases = [(f"beta1 = {b1}, beta2 = {b2}, n = {n}", lambda b1=b1, b2=b2, n=n: case(b1, b2, n))
             for b1, b2, n in [(0.9, 0.999, 1), (0.9, 0.999, 10), (0.9, 0.99, 50), (0.5, 0.9, 3),
                               (0.9, 0.999, 0)]]
    return _report("adam_stale_step", fn, cases, HINTS["adam_stale_step"])


def cosine_neighbours(fn: Callable) -> bool:
    """``fn(W, i, k)`` returns the indices of the k rows of ``W`` (N, C) most cosine-similar to row i.

    Row i itself is left out; the most similar row comes first. Rows whose similarity ties are
    interchangeable.
    """
    def sims(W, i):
        Wn = F.normalize(W.double(), dim=1)
        return Wn @ Wn[i]

    def case(W, i, k):
        got, why = _as_tensor(fn(W.clone(), i, k))
        if got is None:
            return False, why
        got = [int(j) for j in got.flatten().tolist()]
        s = sims(W, i)
        s_ex = s.clone()
        s_ex[i] = -float("inf")
        want = s_ex.topk(k).indices.tolist()
        if len(got) != k:
            return False, f"{len(got)} indices, expected k = {k}"
        if i in got:
            return False, f"your result contains row i = {i} itself"
        if any(not 0 <= j < len(W) for j in got):
            return False, f"an index out of range 0 .. {len(W) - 1}: {got}"
        if len(set(got)) != k:
            return False, f"an index is repeated: {got}"
        same = torch.allclose(s[got], s[want], atol=1e-6)  # ties may come in either order
        return same, f"got rows {got}, expected {want} (cosine {[round(float(s[j]), 3) for j in want]})"

    g = _gen(5)
    # row 1 points the way row 0 does but is short; rows 2 and 3 are long and further off: a dot
    # product ranks them first, the cosine ranks row 1 first
    W1 = torch.tensor([[1.0, 0.0, 0.0], [0.1, 0.01, 0.0], [5.0, 4.0, 0.0], [4.0, 0.0, 4.0],
                       [-1.0, 0.2, 0.1], [0.0, 1.0, 0.0]])
    W2 = torch.randn(40, 16, generator=g) * torch.rand(40, 1, generator=g).mul(5).add(0.1)
    cases = [("a table of 6 rows, i = 0, k = 3", lambda: case(W1, 0, 3)),
             ("40 rows of different lengths, i = 7, k = 5", lambda: case(W2, 7, 5)),
             ("40 rows, i = 39, k = 1", lambda: case(W2, 39, 1)),
             ("6 rows, i = 2, k = 5 (every other row)", lambda: case(W1, 2, 5))]
    return _report("cosine_neighbours", fn, cases, HINTS["cosine_neighbours"])


def _pca_reference(W: torch.Tensor) -> torch.Tensor:
    X = W.double() - W.double().mean(0)
    U, S, _ = torch.linalg.svd(X, full_matrices=False)
    return U[:, :2] * S[:2]


def pca_2d(fn: Callable) -> bool:
    """``fn(W)`` projects the rows of ``W`` (N, C) onto their top-2 principal components: (N, 2).

    Each column may come with either sign.
    """
    def case(W):
        got, why = _as_tensor(fn(W.clone()))
        if got is None:
            return False, why
        want = _pca_reference(W)
        if got.shape != want.shape:
            return False, f"shape {tuple(got.shape)}, expected {tuple(want.shape)} (one 2-D point per row of W)"
        got = got.double()
        signs = torch.where((got * want).sum(0) < 0, -1.0, 1.0).double()  # align each column's sign
        return _close(got * signs, want, atol=1e-3 * float(want.abs().max()))

    def table(N, C, seed, offset):
        g = _gen(seed)
        scales = torch.linspace(4.0, 0.2, C)  # distinct variances: a unique top-2
        Q, _ = torch.linalg.qr(torch.randn(C, C, generator=g))  # a random rotation
        return (torch.randn(N, C, generator=g) * scales) @ Q.T + offset * torch.randn(C, generator=g)

    cases = [("8 rows of 3 numbers", lambda: case(table(8, 3, 1, 0.0))),
             ("30 rows of 10 numbers, far from the origin", lambda: case(table(30, 10, 2, 20.0))),
             ("65 rows of 64 numbers, far from the origin", lambda: case(table(65, 64, 3, 10.0)))]
    return _report("pca_2d", fn, cases, HINTS["pca_2d"])
