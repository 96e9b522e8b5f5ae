"""Checks for the exercises of chapters/part2/positional_encoding.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from .. import attention as _attention
from .. import positional as _positional
from ._grader import _close, _report

__all__: list[str] = ["add_positions", "pair_wavelength", "permutation_test"]

#: The graduated hints of each check: the k-th failure shows the k-th hint; none gives the code away.
HINTS: dict[str, list[str]] = {
    "add_positions": [
        "P has one row per token, shape (B, T, C): the embedding of the token at position t plus the "
        "vector of position t itself (0, 1, ..., T - 1), whatever the token is.",
        "look the token embeddings up by the ids in idx, but the position vectors by position, not by "
        "token id: position t uses row t of wpe.",
        "only the first T rows of wpe are used (T = idx.shape[1]); a (T, C) tensor added to a (B, T, C) "
        "tensor is broadcast over the batch.",
    ],
    "pair_wavelength": [
        "the wavelength is the number of positions after which pair i's sine and cosine repeat, that is, "
        "one full turn of 2π radians.",
        "pair i turns by ω_i = base^(-2i/C) radians per position; count how many positions one full turn "
        "takes at that rate.",
        "test pair 0: it turns 1 radian per position, so it repeats after 2π ≈ 6.28 positions, and the "
        "later pairs turn more slowly, so their wavelengths are longer.",
    ],
    "permutation_test": [
        "equivariant means that permuting the input's positions permutes the output's rows the same way: "
        "compare f of the permuted input with the permuted output of f, not with f(x) itself.",
        "draw a random order of the T positions (torch.randperm), index the positions axis of x (dimension "
        "1) with it, apply the same indexing to f(x), and compare the two with torch.allclose and a small "
        "tolerance; return a Python bool.",
        "one permutation can be fooled: a function that is not equivariant may still agree on a lucky "
        "permutation. Try several random permutations and return True only if every one agrees.",
    ],
}



def add_positions(fn: Callable) -> bool:
    """``fn(idx, wte, wpe)`` returns P = E + p, shape (B, T, C).

    ``idx`` (B, T) holds token ids, ``wte`` (V, C) is the token-embedding table and ``wpe``
    (block_size, C) the position table; row t of sequence b is ``wte[idx[b, t]] + wpe[t]``.
    """
    g = torch.Generator().manual_seed(6)
    wte, wpe = torch.randn(11, 8, generator=g), torch.randn(16, 8, generator=g)

    def case(idx):
        want = torch.stack([torch.stack([wte[int(i)] + wpe[t] for t, i in enumerate(row)]) for row in idx])
        return _close(fn(idx, wte, wpe), want)

    cases = [("one sequence, T=5", lambda: case(torch.tensor([[3, 1, 4, 1, 5]]))),
             ("a batch, T=16 (the whole table)", lambda: case(torch.randint(0, 11, (3, 16), generator=g))),
             ("repeated token", lambda: case(torch.tensor([[7, 7, 7]])))]
    return _report("add_positions", fn, cases, HINTS["add_positions"])


def pair_wavelength(fn: Callable) -> bool:
    """``fn(i, C, base)`` returns the wavelength 2π·base^(2i/C) of dimension pair i."""
    cases_in = [(0, 128, 10000.0), (1, 128, 10000.0), (31, 64, 10000.0), (10, 64, 100.0), (63, 128, 10000.0)]

    def case(i, C, base):
        got = fn(i, C, base)
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        want = float(_positional.wavelengths(C, base)[i])
        return math.isclose(float(got), want, rel_tol=1e-6), f"i={i}, C={C}, base={base:g}: got {float(got):.6g}, " \
                                                            f"expected {want:.6g}"

    cases = [(f"i={i}, C={C}, base={b:g}", lambda a=(i, C, b): case(*a)) for i, C, b in cases_in]
    return _report("pair_wavelength", fn, cases, HINTS["pair_wavelength"])


def _attend(causal: bool, positions: bool = False) -> Callable[[torch.Tensor], torch.Tensor]:
    """A fixed single-head self-attention layer (B, T, C) -> (B, T, C), optionally with positions."""
    g = torch.Generator().manual_seed(0)
    Wq, Wk, Wv = (torch.randn(8, 8, generator=g, dtype=torch.float64) / math.sqrt(8) for _ in range(3))

    def f(x):
        x = x.double()
        if positions:
            x = x + _positional.sinusoidal_encoding(x.shape[1], x.shape[2], dtype=torch.float64)
        return _attention.scaled_dot_product_attention(x @ Wq, x @ Wk, x @ Wv, causal=causal)[0]

    return f


def permutation_test(fn: Callable) -> bool:
    """``fn(f, x)`` says whether ``f`` is permutation-equivariant on ``x``.

    ``f`` maps (B, T, C) to (B, T, C); it is equivariant if shuffling the T positions of the input
    shuffles the output rows the same way: f(x[:, perm]) == f(x)[:, perm] for every permutation.
    ``fn`` returns True or False.
    """
    g = torch.Generator().manual_seed(1)
    x = torch.randn(2, 7, 8, generator=g, dtype=torch.float64)
    functions = [
        ("attention, no mask (equivariant)", _attend(causal=False), True),
        ("a position-wise layer, tanh (equivariant)", torch.tanh, True),
        ("attention after adding positions (not equivariant)", _attend(causal=False, positions=True), False),
        ("causal attention (not equivariant)", _attend(causal=True), False),
        ("mean over positions, broadcast back (equivariant)", lambda x: x.mean(1, keepdim=True).expand_as(x), True),
        ("running sum along T (not equivariant)", lambda x: x.cumsum(1), False),
        ("reversing the order of positions (not equivariant)", lambda x: x.flip(1), False),
    ]

    def case(f, want):
        got = fn(f, x.clone())
        if not isinstance(got, (bool, torch.Tensor)) or (isinstance(got, torch.Tensor) and got.numel() != 1):
            return False, f"return True or False, got {type(got).__name__}"
        return bool(got) == want, f"returned {bool(got)}, expected {want}"

    cases = [(desc, lambda f=f, w=w: case(f, w)) for desc, f, w in functions]
    return _report("permutation_test", fn, cases, HINTS["permutation_test"])
