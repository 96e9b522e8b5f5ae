"""Attention, written from the formula, and the multi-head layer the GPT uses.

Introduced in chapter 5 (Self-attention and the weighted sum); the formula is derived in
chapter 9 (Scaled dot-product attention). The from-scratch function teaches; the layer runs on
``torch.nn.functional.scaled_dot_product_attention`` and is tested against it.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor


def causal_mask(T: int, device: torch.device | str | None = None) -> Tensor:
    """A (T, T) boolean mask that is True where position t may look (at itself and the past).

    Introduced in chapter 5, Self-attention: row t has ``True`` in columns 0..t.
    """
    if not isinstance(T, int) or T < 1:
        raise ValueError(f"causal_mask: T must be a positive integer, got {T!r}")
    return torch.ones(T, T, dtype=torch.bool, device=device).tril()


def scaled_dot_product_attention(
    q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None, *, causal: bool = False
) -> tuple[Tensor, Tensor]:
    """softmax(q kᵀ / √d_k + mask) v, returning the output and the attention weights.

    Introduced in chapter 5, Self-attention (derived in chapter 9). Shapes: ``q`` is
    (..., T_q, d_k), ``k`` is (..., T_k, d_k), ``v`` is (..., T_k, d_v); the result is
    (..., T_q, d_v) and the weights (..., T_q, T_k). ``mask`` is boolean and broadcastable to
    the weights, ``True`` where attention is allowed. ``causal=True`` adds the causal mask
    (the last T_q keys line up with the queries, as when decoding with a KV cache).
    """
    for name, t in (("q", q), ("k", k), ("v", v)):
        if not isinstance(t, Tensor):
            raise ValueError(f"scaled_dot_product_attention: {name} must be a torch.Tensor, got {type(t).__name__}")
        if t.dim() < 2:
            raise ValueError(f"scaled_dot_product_attention: {name} must have at least 2 dimensions, "
                             f"got {tuple(t.shape)}")
        if not t.is_floating_point():
            raise ValueError(f"scaled_dot_product_attention: {name} must be a floating-point tensor, got {t.dtype}")
    if q.shape[-1] != k.shape[-1]:
        raise ValueError(f"scaled_dot_product_attention: q and k must share their last dimension d_k, "
                         f"got {q.shape[-1]} and {k.shape[-1]}")
    if k.shape[-2] != v.shape[-2]:
        raise ValueError(f"scaled_dot_product_attention: k and v must have the same number of positions, "
                         f"got {k.shape[-2]} and {v.shape[-2]}")
    T_q, T_k = q.shape[-2], k.shape[-2]
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (..., T_q, T_k)
    if causal:
        if T_q > T_k:
            raise ValueError(f"scaled_dot_product_attention: causal attention needs at least as many keys "
                             f"as queries, got T_q={T_q}, T_k={T_k}")
        allowed = torch.ones(T_q, T_k, dtype=torch.bool, device=q.device).tril(diagonal=T_k - T_q)
        mask = allowed if mask is None else mask & allowed
    if mask is not None:
        if mask.dtype != torch.bool:
            raise ValueError(f"scaled_dot_product_attention: mask must be boolean (True = attend), got {mask.dtype}")
        try:
            scores = scores.masked_fill(~mask, float("-inf"))
        except RuntimeError as e:
            raise ValueError(f"scaled_dot_product_attention: mask of shape {tuple(mask.shape)} does not "
                             f"broadcast to the scores' shape {tuple(scores.shape)}") from e
    weights = torch.softmax(scores, dim=-1)  # each row sums to 1
    return weights @ v, weights


class KVCache:
    """Keys and values of the tokens seen so far, one (B, H, T, D) pair per layer.

    Introduced in chapter 15, Generation: with the cache, each new token costs one position's
    work instead of re-running the whole prefix.
    """

    def __init__(self, n_layer: int):
        if not isinstance(n_layer, int) or n_layer < 1:
            raise ValueError(f"KVCache: n_layer must be a positive int (the model's number of blocks), got {n_layer!r}")
        self.keys: list[Tensor | None] = [None] * n_layer
        self.values: list[Tensor | None] = [None] * n_layer

    def __len__(self) -> int:
        """Number of cached positions."""
        k = self.keys[0]
        return 0 if k is None else k.shape[-2]

    def update(self, layer: int, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """Append this step's k, v (B, H, T_new, D) for ``layer`` and return all keys and values."""
        if not 0 <= layer < len(self.keys):
            raise ValueError(f"KVCache.update: layer must be in [0, {len(self.keys)}), got {layer}")
        if k.shape != v.shape:
            raise ValueError(f"KVCache.update: k and v must have the same shape, "
                             f"got {tuple(k.shape)} and {tuple(v.shape)}")
        if self.keys[layer] is not None:
            k = torch.cat([self.keys[layer], k], dim=-2)
            v = torch.cat([self.values[layer], v], dim=-2)
        self.keys[layer], self.values[layer] = k, v
        return k, v


class MultiHeadAttention(nn.Module):
    """Causal multi-head self-attention, laid out as in GPT-2 (one fused q, k, v projection).

    Introduced in chapter 5, Self-attention; used by :class:`lmkit.model.GPT` (chapter 13).
    ``fast=True`` runs ``F.scaled_dot_product_attention``; ``fast=False`` runs
    :func:`scaled_dot_product_attention` from this module and can return the weights.
    """

    def __init__(self, n_embd: int, n_head: int, *, dropout: float = 0.0, bias: bool = True,
                 causal: bool = True, fast: bool = True, layer_idx: int = 0):
        super().__init__()
        if n_embd % n_head != 0:
            raise ValueError(f"MultiHeadAttention: n_embd ({n_embd}) must be divisible by n_head ({n_head})")
        self.n_embd, self.n_head, self.head_dim = n_embd, n_head, n_embd // n_head
        self.c_attn = nn.Linear(n_embd, 3 * n_embd, bias=bias)  # q, k, v for all heads at once
        self.c_proj = nn.Linear(n_embd, n_embd, bias=bias)  # mixes the heads' outputs
        self.attn_dropout = dropout
        self.resid_dropout = nn.Dropout(dropout)
        self.causal, self.fast, self.layer_idx = causal, fast, layer_idx
        self.last_weights: Tensor | None = None  # (B, H, T, T), kept when return_weights=True

    def forward(self, x: Tensor, kv_cache: KVCache | None = None, return_weights: bool = False) -> Tensor:
        if not isinstance(x, Tensor) or x.dim() != 3 or x.shape[-1] != self.n_embd:
            got = tuple(x.shape) if isinstance(x, Tensor) else type(x).__name__
            raise ValueError(f"MultiHeadAttention: x must be a (B, T, {self.n_embd}) tensor, got {got}")
        B, T, C = x.shape  # batch, time, channels
        q, k, v = self.c_attn(x).split(self.n_embd, dim=2)  # 3 × (B, T, C)
        # (B, T, C) -> (B, H, T, D): each head attends in its own D = C / H dimensions
        q = q.view(B, T, self.n_head, self.head_dim).transpose(1, 2)
        k = k.view(B, T, self.n_head, self.head_dim).transpose(1, 2)
        v = v.view(B, T, self.n_head, self.head_dim).transpose(1, 2)
        if kv_cache is not None:
            k, v = kv_cache.update(self.layer_idx, k, v)  # (B, H, T_past + T, D)
        T_k = k.shape[-2]
        if self.fast and not return_weights:
            dropout = self.attn_dropout if self.training else 0.0
            if not self.causal or T == 1:  # one new query may attend to every cached key
                y = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout)
            elif T == T_k:
                y = F.scaled_dot_product_attention(q, k, v, dropout_p=dropout, is_causal=True)
            else:  # a chunk of new queries after a cached prefix
                allowed = torch.ones(T, T_k, dtype=torch.bool, device=x.device).tril(diagonal=T_k - T)
                y = F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, dropout_p=dropout)
            self.last_weights = None
        else:
            y, w = scaled_dot_product_attention(q, k, v, causal=self.causal)
            self.last_weights = w.detach() if return_weights else None
            if self.training and self.attn_dropout > 0:
                y = F.dropout(w, self.attn_dropout) @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # heads side by side again
        return self.resid_dropout(self.c_proj(y))
