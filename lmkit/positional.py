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


def _check_positive_int(value: object, fn: str, name: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{fn}: {name} must be a positive integer, got {value!r}")


def _check_dims(fn: str, C: object, base: object) -> None:
    _check_positive_int(C, fn, "C")
    if C % 2:
        raise ValueError(f"{fn}: C must be even (sin and cos come in pairs of columns), got C={C}")
    if isinstance(base, bool) or not isinstance(base, (int, float)) or not math.isfinite(base) or base <= 1:
        raise ValueError(f"{fn}: base must be a finite number greater than 1, got {base!r}")


def frequencies(C: int, base: float = 10000.0) -> Tensor:
    """The C/2 angular frequencies ω_i = base^(-2i/C), i = 0 .. C/2 - 1 (radians per position). Chapter 6.

    Dimension pair (2i, 2i+1) of :func:`sinusoidal_encoding` turns at ω_i: the first pair once
    every 2π positions, the last one about ``base`` times more slowly. Returned in float64.
    """
    _check_dims("frequencies", C, base)
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
    _check_positive_int(T, "sinusoidal_encoding", "T")
    _check_dims("sinusoidal_encoding", C, base)
    if not isinstance(dtype, torch.dtype) or not dtype.is_floating_point:
        raise ValueError(f"sinusoidal_encoding: dtype must be a floating-point torch.dtype, got {dtype!r}")
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
        _check_positive_int(block_size, "PositionalEncoding", "block_size")
        _check_positive_int(n_embd, "PositionalEncoding", "n_embd")
        if kind not in ("sinusoidal", "learned"):
            raise ValueError(f"PositionalEncoding: kind must be 'sinusoidal' or 'learned', got {kind!r}")
        self.block_size, self.n_embd, self.kind = block_size, n_embd, kind
        if kind == "sinusoidal":
            _check_dims("PositionalEncoding", n_embd, base)
            self.register_buffer("pe", sinusoidal_encoding(block_size, n_embd, base), persistent=False)
        else:
            self.wpe = nn.Embedding(block_size, n_embd)
            nn.init.normal_(self.wpe.weight, mean=0.0, std=0.02)

    @property
    def table(self) -> Tensor:
        """The (block_size, C) position vectors, one row per position."""
        return self.pe if self.kind == "sinusoidal" else self.wpe.weight

    def forward(self, x: Tensor, start: int = 0) -> Tensor:
        if not isinstance(x, Tensor) or x.dim() != 3:
            shape = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"PositionalEncoding: x must be a (B, T, C) tensor of embeddings, got {shape}")
        B, T, C = x.shape
        if C != self.n_embd:
            raise ValueError(f"PositionalEncoding: x has C={C} channels, the encoding has n_embd={self.n_embd}")
        if isinstance(start, bool) or not isinstance(start, int) or start < 0:
            raise ValueError(f"PositionalEncoding: start must be a non-negative integer, got {start!r}")
        if start + T > self.block_size:
            raise ValueError(f"PositionalEncoding: positions {start}..{start + T - 1} exceed the table's "
                             f"block_size={self.block_size}; crop the input or build a longer table")
        return x + self.table[start:start + T].to(x.dtype)  # (B, T, C) + (T, C) broadcasts over B

    def extra_repr(self) -> str:
        return f"block_size={self.block_size}, n_embd={self.n_embd}, kind={self.kind!r}"
