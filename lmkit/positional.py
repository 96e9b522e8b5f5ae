"""Positional encodings: the sinusoidal formula of the original Transformer and a learned table.

Introduced in chapter 6 (Positional encoding), where attention without positions is shown to be
blind to word order and ``P = E + p`` adds a position vector to every token embedding; the
mathematics (relative positions as rotations, RoPE) is in chapter 10. :class:`lmkit.model.GPT`
keeps its own learned table ``transformer.wpe``, laid out as GPT-2's; :class:`PositionalEncoding`
is the same idea as a stand-alone layer for the encoder models of chapters 16 and 17.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
from torch import Tensor

from . import _validate as _v


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
