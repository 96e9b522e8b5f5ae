"""Positional encodings: the sinusoidal formula of the original Transformer, a learned table, and
rotary embeddings (RoPE).

Taught in chapters/part2/positional_encoding, where attention without positions is shown to be blind
to word order and ``P = E + p`` adds a position vector to every token embedding. :class:`lmkit.model.GPT`
keeps its own learned table ``transformer.wpe``, laid out as GPT-2's, or, with ``pos="rope"``, rotates
queries and keys with :class:`Rotary` (Su et al. 2021) as Llama does; :class:`PositionalEncoding` is the
additive idea as a stand-alone layer for encoder models. Input checks live in :mod:`lmkit._validate`.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
from torch import Tensor

from . import _validate as _v

__all__ = ["PositionalEncoding", "Rotary", "apply_rope", "frequencies", "rope_cos_sin", "rotate_half",
           "sinusoidal_encoding", "wavelengths"]


def frequencies(C: int, base: float = 10000.0) -> Tensor:
    """The C/2 angular frequencies ω_i = base^(-2i/C), i = 0 .. C/2 - 1 (radians per position). Chapter 6.

    Dimension pair (2i, 2i+1) of :func:`sinusoidal_encoding` turns at ω_i: the first pair once
    every 2π positions, the last one about ``base`` times more slowly. Returned in float64.
    """
    _v.pe_dims("frequencies", C, base)
    return float(base) ** (-torch.arange(0, C, 2, dtype=torch.float64) / C)  # (C/2,)


def wavelengths(C: int, base: float = 10000.0) -> Tensor:
    """The wavelength 2π·base^(2i/C) of each dimension pair i (in positions), float64. Chapter 6.

    A geometric progression from 2π (pair 0) to 2π·base^((C-2)/C) (the last pair).
    """
    return 2 * math.pi / frequencies(C, base)  # (C/2,)


def sinusoidal_encoding(T: int, C: int, base: float = 10000.0, *, dtype: torch.dtype = torch.float32,
                        device: torch.device | str | None = None) -> Tensor:
    """The (T, C) sinusoidal positional encoding of Vaswani et al. (2017). Chapter 6.

    Row t is the position vector of position t:
    ``PE[t, 2i] = sin(t / base^(2i/C))`` and ``PE[t, 2i+1] = cos(t / base^(2i/C))``. Every value
    lies in [-1, 1]; row 0 is ``[0, 1, 0, 1, ...]``. Computed in float64, returned as ``dtype``.
    """
    _v.positive_int("sinusoidal_encoding", "T", T)
    _v.pe_dims("sinusoidal_encoding", C, base)
    _v.float_dtype("sinusoidal_encoding", dtype)
    angle = torch.arange(T, dtype=torch.float64)[:, None] * frequencies(C, base)[None, :]  # (T, C/2)
    pe = torch.empty(T, C, dtype=torch.float64)
    pe[:, 0::2] = torch.sin(angle)  # even columns
    pe[:, 1::2] = torch.cos(angle)  # odd columns
    return pe.to(dtype=dtype, device=device)


class PositionalEncoding(nn.Module):
    """Adds a position vector to each token embedding: ``x + p[start : start + T]``. Chapter 6.

    ``kind="sinusoidal"`` uses the fixed table of :func:`sinusoidal_encoding` (a buffer, not
    trained); ``kind="learned"`` a trained table ``nn.Embedding(block_size, n_embd)`` initialised
    like GPT-2's (normal, standard deviation 0.02), the same as :class:`lmkit.model.GPT`'s
    ``wpe``. Input and output are (B, T, C) with C = ``n_embd``; ``start`` shifts the positions
    (for decoding with a cache). ``table`` is the (block_size, C) matrix of position vectors.
    """

    def __init__(self, block_size: int, n_embd: int, kind: str = "sinusoidal", base: float = 10000.0):
        super().__init__()
        _v.positive_int("PositionalEncoding", "block_size", block_size)
        _v.one_of("PositionalEncoding", "kind", kind, ("sinusoidal", "learned"))
        _v.pe_dims("PositionalEncoding", n_embd, base, name="n_embd", even=kind == "sinusoidal")
        self.block_size, self.n_embd, self.kind = block_size, n_embd, kind
        if kind == "sinusoidal":
            self.register_buffer("pe", sinusoidal_encoding(block_size, n_embd, base), persistent=False)
        else:
            self.wpe = nn.Embedding(block_size, n_embd)
            nn.init.normal_(self.wpe.weight, mean=0.0, std=0.02)

    @property
    def table(self) -> Tensor:
        """The (block_size, C) position vectors, one row per position."""
        return self.pe if self.kind == "sinusoidal" else self.wpe.weight

    def forward(self, x: Tensor, start: int = 0) -> Tensor:
        _v.positional_input("PositionalEncoding", x, start, self.n_embd, self.block_size)
        T = x.shape[1]
        return x + self.table[start:start + T].to(x.dtype)  # (B, T, C) + (T, C) broadcasts over B

    def extra_repr(self) -> str:
        return f"block_size={self.block_size}, n_embd={self.n_embd}, kind={self.kind!r}"


# ----------------------------------------------------------------------------------------------------- RoPE


def rotate_half(x: Tensor) -> Tensor:
    """(x1, x2) -> (-x2, x1) on the two halves of the last dimension: a quarter turn of every pair (i, i + D/2)."""
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


def rope_cos_sin(T: int, D: int, base: float = 10000.0, start: int = 0) -> tuple[Tensor, Tensor]:
    """The (T, D) cosines and sines that rotate positions start .. start + T - 1 (float32).

    Pair (i, i + D/2) of a query or key at position m turns by the angle m·θ_i, θ_i = base^(-2i/D):
    the same frequencies as :func:`sinusoidal_encoding`. Computed in float64, returned in float32.
    """
    _v.pe_dims("rope_cos_sin", D, base, name="D")
    angle = torch.arange(start, start + T, dtype=torch.float64)[:, None] * frequencies(D, base)  # (T, D/2)
    angle = torch.cat((angle, angle), dim=-1)  # (T, D): both members of a pair turn by the same angle
    return angle.cos().float(), angle.sin().float()


def apply_rope(x: Tensor, cos: Tensor, sin: Tensor) -> Tensor:
    """Rotate every pair of ``x`` (..., T, D) by its position's angle: x·cos + rotate_half(x)·sin."""
    return x * cos + rotate_half(x) * sin


class Rotary(nn.Module):
    """Rotary position embedding for heads of ``head_dim`` D over ``block_size`` positions.

    ``rotary(x, start)`` rotates queries or keys (B, H, T, D) at positions start .. start + T - 1.
    The pairs are (i, i + D/2), Hugging Face's and Llama's layout; Su et al. pair (2i, 2i + 1), which is
    the same rotation applied to a permutation of the dimensions. Nothing is learned.
    """

    def __init__(self, head_dim: int, block_size: int, base: float = 10000.0):
        super().__init__()
        _v.positive_int("Rotary", "block_size", block_size)
        cos, sin = rope_cos_sin(block_size, head_dim, base)
        self.register_buffer("cos", cos, persistent=False)  # (block_size, D)
        self.register_buffer("sin", sin, persistent=False)

    def forward(self, x: Tensor, start: int = 0) -> Tensor:
        T = x.shape[-2]
        cos, sin = self.cos[start:start + T], self.sin[start:start + T]  # (T, D)
        return apply_rope(x, cos.to(x.dtype), sin.to(x.dtype))
