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
    return _report("add_positions", fn, cases,
                   "E = wte[idx] is (B, T, C); the positions are 0..T-1, so p = wpe[:T] (or wpe[torch.arange(T)]), "
                   "(T, C); E + p broadcasts over the batch. Index wpe by position, not by token id.")


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

    return _report("pair_wavelength", fn, [(f"i={i}, C={C}, base={b:g}", lambda a=(i, C, b): case(*a))
                                           for i, C, b in cases_in],
                   "pair i turns at the angular frequency 1 / base**(2*i/C) radians per position; one full turn "
                   "(2π radians) takes 2π·base**(2*i/C) positions. Pair 0 has wavelength 2π.")


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

    return _report("permutation_test", fn, [(desc, lambda f=f, w=w: case(f, w)) for desc, f, w in functions],
                   "draw a few random permutations perm = torch.randperm(T); compare f(x[:, perm]) with "
                   "f(x)[:, perm] (equivariance: the output rows move with the input rows), "
                   "using torch.allclose with a small tolerance.")
