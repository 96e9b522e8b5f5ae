"""Checks for the exercises of chapters/part3/position_math.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`.
"""
from __future__ import annotations

from typing import Callable

import torch

from .. import positional as _positional
from ._grader import _close, _report

__all__: list[str] = ["shift_matrix_concat", "rope_pairs", "relative_score", "rope_score_bound"]

#: The graduated hints of each check: the k-th failure shows the k-th hint; none gives the code away.
HINTS: dict[str, list[str]] = {
    "shift_matrix_concat": [
        "in this layout dimension i holds sin(pos·ω_i) and dimension i + d/2 holds cos(pos·ω_i), "
        "i = 0 .. d/2 - 1, ω_i = base^(-2i/d). M_k still turns each (sin, cos) pair by the angle k·ω_i, but the "
        "two members of a pair are d/2 apart, so M_k is no longer block-diagonal.",
        "the four entries that act on pair i sit at rows and columns i and i + d/2; they are the same four "
        "numbers as block i of the interleaved M_k. Mind which member holds the sine: a (sin, cos) pair is "
        "not an (x, y) pair.",
        "test it yourself: the concatenated table is the interleaved one "
        "(lmkit.positional.sinusoidal_encoding, float64) with its columns reordered, all even columns first; "
        "row pos + k must equal M_k times row pos. If you get row pos - k instead, your blocks turn the wrong way.",
    ],
    "rope_pairs": [
        "RoPE turns each pair of neighbouring dimensions (2i, 2i + 1) of the row at position pos[t] by the "
        "angle pos[t]·θ_i, θ_i = base^(-2i/D); it mixes no two pairs and changes no lengths.",
        "read pair i as the complex number a + ib (dimension 2i is the real part, 2i + 1 the imaginary part) "
        "and multiply it by the unit complex number of angle pos[t]·θ_i: a counter-clockwise turn, as in the "
        "paper. Compute the (T, D/2) angles from pos and θ once, then convert back to T rows of D reals.",
        "position 0 must leave a row unchanged and every row must keep its norm. If your output equals "
        "lmkit.positional.apply_rope's, you paired i with i + D/2 (Hugging Face's layout) instead of 2i "
        "with 2i + 1.",
    ],
    "relative_score": [
        "q_m · k_n depends on the positions only through r = m - n: you may place the key at position 0 and "
        "the query at position r, or turn just one of the two vectors by the right angles. Use the pairs "
        "(2i, 2i + 1) and θ_i = base^(-2i/D).",
        "for one pair, (R(mθ) q) · (R(nθ) k) = q · (R(mθ)^T R(nθ) k), and a rotation's transpose turns back by "
        "the same angle; sum over the D/2 pairs.",
        "if you pass at r = 0 but not at other offsets, check the sign of your angle: the score at offset r "
        "and at offset -r differ in general.",
    ],
    "rope_score_bound": [
        "the bound is the product of two factors: the largest |h_(j+1) - h_j| over j = 0 .. D/2 - 1, which "
        "depends only on q and k, and the sum of |S_j| over j = 1 .. D/2, which depends only on the "
        "distance r.",
        "h_j is complex: pair j of q read as a + ib, times the complex conjugate of pair j of k read the same "
        "way; S_j is the sum of e^(i·r·θ_k) over the pairs k < j. Take moduli only at the end of each factor.",
        "append h_(D/2) = 0 before taking the differences, so the last difference is |h_(D/2 - 1)| itself: for "
        "all-ones q and k every h_j equals 2, and only that last difference is not 0.",
    ],
}


def _shift_matrix(k: int, d: int, base: float) -> torch.Tensor:
    """The reference M_k (float64): PE[pos + k] = M_k @ PE[pos] for the sinusoidal encoding."""
    a = k * _positional.frequencies(d, base)  # (d/2,) angles k·ω_i
    M = torch.zeros(d, d, dtype=torch.float64)
    i = torch.arange(0, d, 2)
    M[i, i], M[i, i + 1] = a.cos(), a.sin()  # sin((pos + k)ω) = cos(kω)·sin(pos ω) + sin(kω)·cos(pos ω)
    M[i + 1, i], M[i + 1, i + 1] = -a.sin(), a.cos()  # cos((pos + k)ω) = -sin(kω)·sin(pos ω) + cos(kω)·cos(pos ω)
    return M


def _rope_pairs(x: torch.Tensor, pos: torch.Tensor, base: float) -> torch.Tensor:
    """The reference RoPE on pairs (2i, 2i + 1), float64: x (T, D), pos (T,)."""
    x = x.double()
    angle = pos.double()[:, None] * _positional.frequencies(x.shape[-1], base)  # (T, D/2)
    c, s = angle.cos(), angle.sin()
    x0, x1 = x[..., 0::2], x[..., 1::2]
    out = torch.empty_like(x)
    out[..., 0::2], out[..., 1::2] = x0 * c - x1 * s, x0 * s + x1 * c
    return out


def _rope_half(x: torch.Tensor, pos: torch.Tensor, base: float) -> torch.Tensor:
    """lmkit's layout, pairs (i, i + D/2), at the given positions (float64)."""
    angle = pos.double()[:, None] * _positional.frequencies(x.shape[-1], base)  # (T, D/2)
    angle = torch.cat((angle, angle), dim=-1)
    return x.double() * angle.cos() + _positional.rotate_half(x.double()) * angle.sin()


def _decay_bound(D: int, base: float, max_dist: int) -> torch.Tensor:
    """The reference relative upper bound (1/(D/2)) Σ_{j=1}^{D/2} |S_j| for r = 0 .. max_dist (float64)."""
    r = torch.arange(max_dist + 1, dtype=torch.float64)[:, None]
    angle = r * _positional.frequencies(D, base)  # (R, D/2)
    S_re, S_im = angle.cos().cumsum(-1), angle.sin().cumsum(-1)  # S_1 .. S_{D/2}
    return (S_re ** 2 + S_im ** 2).sqrt().mean(-1)  # (R,)


def _score_bound(q: torch.Tensor, k: torch.Tensor, r: int, base: float, last: bool = True) -> float:
    """The reference bound (max_j |h_(j+1) - h_j|) · Σ_{j=1}^{D/2} |S_j|, with h_(D/2) = 0 when ``last``."""
    zq = torch.complex(q[0::2].double(), q[1::2].double())
    zk = torch.complex(k[0::2].double(), k[1::2].double())
    h = zq * zk.conj()  # (D/2,)
    if last:
        h = torch.cat([h, torch.zeros(1, dtype=h.dtype)])
    D = q.shape[-1]
    return float((h[1:] - h[:-1]).abs().max()) * float(_decay_bound(D, base, abs(r))[abs(r)] * (D // 2))


def _scalar(got) -> tuple[float | None, str]:
    if got is None:
        return None, "your function returned None (did you forget `return`?)"
    t = torch.as_tensor(got)
    if t.numel() != 1 or t.is_complex():
        return None, f"return one real number, got shape {tuple(t.shape)}, dtype {t.dtype}"
    return float(t), ""


def shift_matrix_concat(fn: Callable) -> bool:
    """``fn(k, d, base)`` returns the (d, d) M_k with PE'[pos + k] = M_k PE'[pos], sines first, then cosines.

    PE' is the sinusoidal table with its d/2 sine columns first and its d/2 cosine columns last: dimension i
    holds sin(pos·ω_i) and dimension i + d/2 holds cos(pos·ω_i).
    """
    cases_in = [(1, 8, 10000.0), (0, 4, 10000.0), (5, 16, 100.0), (-3, 8, 10000.0), (100, 64, 10000.0)]

    def case(k, d, base):
        got = fn(k, d, base)
        order = torch.cat([torch.arange(0, d, 2), torch.arange(1, d, 2)])  # interleaved -> concatenated
        want = _shift_matrix(k, d, base)[order][:, order]
        ok, detail = _close(got, want, atol=1e-6)
        if not ok and got is not None and torch.as_tensor(got).shape == want.shape:
            if _close(got, want.T, atol=1e-6)[0]:
                detail = "your matrix maps PE'[pos] to PE'[pos - k], not PE'[pos + k]"
            elif _close(got, _shift_matrix(k, d, base), atol=1e-6)[0]:
                detail = "that is M_k of the interleaved layout (sin, cos, sin, cos, ...), not of [sines | cosines]"
        return ok, detail

    cases = [(f"k={k}, d={d}, base={b:g}", lambda a=(k, d, b): case(*a)) for k, d, b in cases_in]
    return _report("shift_matrix_concat", fn, cases, HINTS["shift_matrix_concat"])


def rope_pairs(fn: Callable) -> bool:
    """``fn(x, pos, base)`` rotates pair (2i, 2i + 1) of row t of ``x`` (T, D) by pos[t]·base^(-2i/D)."""
    g = torch.Generator().manual_seed(10)
    cases_in = [
        ("T=5, D=8, positions 0..4", torch.randn(5, 8, generator=g), torch.arange(5), 10000.0),
        ("T=6, D=16, positions 10..15, base 100", torch.randn(6, 16, generator=g), torch.arange(10, 16), 100.0),
        ("T=4, D=32, positions 0, 7, 3, 100", torch.randn(4, 32, generator=g), torch.tensor([0, 7, 3, 100]),
         10000.0),
    ]

    def case(x, pos, base):
        got = fn(x.clone(), pos.clone(), base)
        want = _rope_pairs(x, pos, base)
        if got is not None and torch.as_tensor(got).is_complex():
            return False, "return T rows of D real numbers, not complex numbers"
        ok, detail = _close(got, want)
        if not ok and got is not None and torch.as_tensor(got).shape == want.shape:
            if _close(got, _rope_half(x, pos, base))[0]:
                detail = "you rotated the pairs (i, i + D/2), lmkit's layout; this exercise pairs (2i, 2i + 1)"
            elif _close(got, _rope_pairs(x, -pos, base))[0]:
                detail = "every pair turns the wrong way (by -pos·θ_i)"
        return ok, detail

    cases = [(desc, lambda a=(x, p, b): case(*a)) for desc, x, p, b in cases_in]
    return _report("rope_pairs", fn, cases, HINTS["rope_pairs"])


def relative_score(fn: Callable) -> bool:
    """``fn(q, k, r, base)`` returns q_m · k_n for r = m - n, with RoPE on pairs (2i, 2i + 1)."""
    g = torch.Generator().manual_seed(12)
    cases_in = [(8, 3, 10000.0), (8, -3, 10000.0), (32, 0, 10000.0), (64, 1000, 10000.0), (16, 17, 100.0)]

    def score(q, k, m, n, base):
        return float(_rope_pairs(q[None], torch.tensor([m]), base)[0] @ _rope_pairs(k[None], torch.tensor([n]),
                                                                                  base)[0])

    def case(D, r, base):
        q, k = torch.randn(D, generator=g, dtype=torch.float64), torch.randn(D, generator=g, dtype=torch.float64)
        got, detail = _scalar(fn(q.clone(), k.clone(), r, base))
        if got is None:
            return False, detail
        want = score(q, k, r, 0, base)
        ok = abs(got - want) <= 1e-6 * max(1.0, abs(want))
        if not ok and r != 0 and abs(got - score(q, k, -r, 0, base)) <= 1e-6 * max(1.0, abs(want)):
            return False, f"r={r}: you computed the score at offset {-r}, not {r}"
        return ok, f"got {got:.6g}, expected {want:.6g}"

    cases = [(f"D={D}, r={r}, base={b:g}", lambda a=(D, r, b): case(*a)) for D, r, b in cases_in]
    return _report("relative_score", fn, cases, HINTS["relative_score"])


def rope_score_bound(fn: Callable) -> bool:
    """``fn(q, k, r, base)`` returns Su et al.'s bound ``(max_j |h_(j+1) - h_j|) · Σ_j |S_j|`` at distance r.

    h_j is pair j of q times the conjugate of pair j of k (as complex numbers), h_(D/2) = 0, and
    S_j = Σ_(l<j) e^(i·r·θ_l) for j = 1 .. D/2: the bound on ``|Σ_j h_j e^(i·r·θ_j)|``, whose real part is the score.
    """
    g = torch.Generator().manual_seed(13)
    cases_in = [
        ("random q, k, D=8, r=5", torch.randn(8, generator=g), torch.randn(8, generator=g), 5, 10000.0),
        ("random q, k, D=16, r=0, base 100", torch.randn(16, generator=g), torch.randn(16, generator=g), 0, 100.0),
        ("all-ones q, k, D=8, r=10", torch.ones(8), torch.ones(8), 10, 10000.0),
        ("random q, k, D=64, r=-7", torch.randn(64, generator=g), torch.randn(64, generator=g), -7, 10000.0),
    ]

    def case(q, k, r, base):
        got, detail = _scalar(fn(q.clone(), k.clone(), r, base))
        if got is None:
            return False, detail
        want = _score_bound(q, k, r, base)
        ok = abs(got - want) <= 1e-6 * max(1.0, abs(want))
        if not ok and abs(got - _score_bound(q, k, r, base, last=False)) <= 1e-6 * max(1.0, abs(want)):
            return False, f"got {got:.6g}, expected {want:.6g}: the difference h_(D/2) - h_(D/2 - 1) is missing"
        return ok, f"got {got:.6g}, expected {want:.6g}"

    cases = [(desc, lambda a=(q, k, r, b): case(*a)) for desc, q, k, r, b in cases_in]
    return _report("rope_score_bound", fn, cases, HINTS["rope_score_bound"])
