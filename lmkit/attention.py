"""Attention, written from the formula, and the multi-head layer the GPT uses.

Taught in chapters/part2/self_attention (and derived in Part III). The from-scratch function
teaches; the layer runs on ``torch.nn.functional.scaled_dot_product_attention`` and is tested
against it. Input checks live in :mod:`lmkit._validate`.
"""
from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from . import _validate as _v
from .positional import Rotary

__all__ = ["KVCache", "CrossAttention", "MultiHeadAttention", "capture_attention", "causal_mask",
           "scaled_dot_product_attention"]


def causal_mask(T: int, device: torch.device | str | None = None) -> Tensor:
    """A (T, T) boolean mask, True where position t may look: at itself and at the past (row t: 0..t)."""
    _v.positive_int("causal_mask", "T", T)
    return torch.ones(T, T, dtype=torch.bool, device=device).tril()


def scaled_dot_product_attention(q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None, *,
                                 causal: bool = False) -> tuple[Tensor, Tensor]:
    """softmax(q kᵀ / √d_k + mask) v: returns the output (..., T_q, d_v) and the weights (..., T_q, T_k).

    ``q`` is (..., T_q, d_k), ``k`` (..., T_k, d_k), ``v`` (..., T_k, d_v). ``mask`` is boolean,
    broadcastable to the weights, True where attention is allowed. ``causal=True`` adds the causal
    mask, with the T_q queries lined up with the last T_q keys (as when decoding with a KV cache).
    """
    _v.attention_inputs("scaled_dot_product_attention", q, k, v, mask, causal)
    T_q, T_k = q.shape[-2], k.shape[-2]
    scores = q @ k.transpose(-2, -1) / math.sqrt(q.shape[-1])  # (..., T_q, T_k)
    if causal:  # query i sits at position T_k - T_q + i and sees keys up to there
        allowed = torch.ones(T_q, T_k, dtype=torch.bool, device=q.device).tril(diagonal=T_k - T_q)
        mask = allowed if mask is None else mask & allowed
    if mask is not None:
        scores = scores.masked_fill(~mask, float("-inf"))
    weights = torch.softmax(scores, dim=-1)  # (..., T_q, T_k), each row sums to 1
    return weights @ v, weights


class KVCache:
    """Keys and values of the tokens seen so far, one (B, H, T, D) pair per layer.

    Taught in chapters/part4/generation: with the cache, each new token costs one position's
    work instead of re-running the whole prefix.
    """

    def __init__(self, n_layer: int):
        _v.positive_int("KVCache", "n_layer", n_layer, " (the model's number of blocks)")
        self.keys: list[Tensor | None] = [None] * n_layer
        self.values: list[Tensor | None] = [None] * n_layer

    def __len__(self) -> int:
        """Number of cached positions (of the first layer: all layers hold the same between passes)."""
        return self.length(0)

    def length(self, layer: int) -> int:
        """Number of positions cached for ``layer``."""
        k = self.keys[layer]
        return 0 if k is None else k.shape[-2]

    def update(self, layer: int, k: Tensor, v: Tensor) -> tuple[Tensor, Tensor]:
        """Append this step's k, v (B, H, T_new, D) for ``layer``; return all keys and values so far."""
        _v.cache_update("KVCache.update", layer, len(self.keys), k, v)
        if self.keys[layer] is not None:
            k = torch.cat([self.keys[layer], k], dim=-2)
            v = torch.cat([self.values[layer], v], dim=-2)
        self.keys[layer], self.values[layer] = k, v
        return k, v


class MultiHeadAttention(nn.Module):
    """Causal multi-head self-attention, laid out as in GPT-2 (one fused q, k, v projection).

    ``n_kv_head`` < ``n_head`` gives grouped-query attention (Ainslie et al. 2023): the query heads
    share ``n_kv_head`` key/value heads, n_head / n_kv_head queries each (1: multi-query attention,
    Shazeer 2019), and the KV cache stores only the shared heads. With a ``rotary`` module, queries and
    keys are rotated by their positions (RoPE) instead of the model adding a position table.
    ``causal=False`` lets every position see every other (an encoder, chapters/part5/sentiment); a
    ``mask`` (B, T_k), True at real tokens, keeps padding out of every softmax.
    Runs on PyTorch's fused ``F.scaled_dot_product_attention``; inside :func:`capture_attention` it
    runs :func:`scaled_dot_product_attention` from this module instead and keeps its weights.
    """

    def __init__(self, n_embd: int, n_head: int, *, n_kv_head: int | None = None, dropout: float = 0.0,
                 bias: bool = True, causal: bool = True, layer_idx: int = 0, rotary: Rotary | None = None):
        super().__init__()
        n_kv_head = n_kv_head or n_head
        _v.heads("MultiHeadAttention", n_embd, n_head, n_kv_head)
        self.n_embd, self.n_head, self.n_kv_head, self.head_dim = n_embd, n_head, n_kv_head, n_embd // n_head
        kv_dim = n_kv_head * self.head_dim
        self.c_attn = nn.Linear(n_embd, n_embd + 2 * kv_dim, bias=bias)  # q, k, v for all heads at once
        self.c_proj = nn.Linear(n_embd, n_embd, bias=bias)  # mixes the heads' outputs
        self.dropout = dropout
        self.resid_dropout = nn.Dropout(dropout)
        self.causal, self.layer_idx, self.rotary = causal, layer_idx, rotary
        self.keep_weights = False  # set by capture_attention()
        self.weights: Tensor | None = None  # (B, H, T, T_k) when keep_weights

    def forward(self, x: Tensor, kv_cache: KVCache | None = None, mask: Tensor | None = None) -> Tensor:
        _v.embeddings("MultiHeadAttention", "x", x, self.n_embd)
        B, T, C = x.shape  # batch, time, channels
        H, H_kv, D = self.n_head, self.n_kv_head, self.head_dim
        q, k, v = self.c_attn(x).split([C, H_kv * D, H_kv * D], dim=2)
        # (B, T, heads·D) -> (B, heads, T, D): each head works in its own D = C / H numbers
        q = q.view(B, T, H, D).transpose(1, 2)  # (B, H, T, D)
        k = k.view(B, T, H_kv, D).transpose(1, 2)  # (B, H_kv, T, D)
        v = v.view(B, T, H_kv, D).transpose(1, 2)  # (B, H_kv, T, D)
        if self.rotary is not None:  # RoPE: rotate by position, after the cached ones
            start = kv_cache.length(self.layer_idx) if kv_cache is not None else 0
            q, k = self.rotary(q, start), self.rotary(k, start)
        if kv_cache is not None:
            k, v = kv_cache.update(self.layer_idx, k, v)  # (B, H_kv, T_past + T, D)
        if mask is not None:
            _v.key_mask("MultiHeadAttention", mask, B, k.shape[-2])
        if H_kv != H:  # grouped-query: each k/v head serves H / H_kv query heads
            k = k.repeat_interleave(H // H_kv, dim=1)  # (B, H, T_k, D)
            v = v.repeat_interleave(H // H_kv, dim=1)
        y = self._attend(q, k, v, mask)  # (B, H, T, D)
        y = y.transpose(1, 2).contiguous().view(B, T, C)  # heads side by side again
        return self.resid_dropout(self.c_proj(y))

    def _attend(self, q: Tensor, k: Tensor, v: Tensor, mask: Tensor | None = None) -> Tensor:
        p = self.dropout if self.training else 0.0
        T, T_k = q.shape[-2], k.shape[-2]
        allowed = None if mask is None else mask[:, None, None, :]  # (B, 1, 1, T_k): no weight on padding
        if self.keep_weights:  # the formula, slower, to look at the weights
            y, self.weights = scaled_dot_product_attention(q, k, v, allowed, causal=self.causal)
            return y if not p else F.dropout(self.weights, p) @ v
        if self.causal and T > 1 and (T < T_k or allowed is not None):
            past = torch.ones(T, T_k, dtype=torch.bool, device=q.device)
            past = past.tril(diagonal=T_k - T)  # a cached prefix and each query's own past
            allowed = past if allowed is None else allowed & past
        elif self.causal and T > 1:
            return F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=True)
        return F.scaled_dot_product_attention(q, k, v, attn_mask=allowed, dropout_p=p)


class CrossAttention(MultiHeadAttention):
    """Multi-head cross-attention (encoder-decoder attention, Vaswani et al. 2017): the queries come from
    the decoder's states ``x`` (B, T, C), the keys and values from the encoder's output ``memory``
    (B, S, C), so every target position can look at every source position.

    Taught in chapters/part5/machine_translation. ``mask`` (B, S), True at real source tokens.
    """

    def __init__(self, n_embd: int, n_head: int, *, dropout: float = 0.0, bias: bool = True, layer_idx: int = 0):
        nn.Module.__init__(self)
        _v.heads("CrossAttention", n_embd, n_head)
        self.n_embd, self.n_head, self.n_kv_head, self.head_dim = n_embd, n_head, n_head, n_embd // n_head
        self.c_q = nn.Linear(n_embd, n_embd, bias=bias)  # queries from the decoder
        self.c_kv = nn.Linear(n_embd, 2 * n_embd, bias=bias)  # keys and values from the encoder
        self.c_proj = nn.Linear(n_embd, n_embd, bias=bias)
        self.dropout = dropout
        self.resid_dropout = nn.Dropout(dropout)
        self.causal, self.layer_idx, self.rotary = False, layer_idx, None
        self.keep_weights = False
        self.weights: Tensor | None = None  # (B, H, T, S) when keep_weights

    def forward(self, x: Tensor, memory: Tensor, mask: Tensor | None = None) -> Tensor:  # type: ignore[override]
        _v.cross_inputs("CrossAttention", x, memory, mask, self.n_embd)
        B, T, C = x.shape
        S, H, D = memory.shape[1], self.n_head, self.head_dim
        q = self.c_q(x).view(B, T, H, D).transpose(1, 2)  # (B, H, T, D)
        k, v = self.c_kv(memory).split(C, dim=2)
        k = k.view(B, S, H, D).transpose(1, 2)  # (B, H, S, D)
        v = v.view(B, S, H, D).transpose(1, 2)  # (B, H, S, D)
        y = self._attend(q, k, v, mask)  # (B, H, T, D)
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.resid_dropout(self.c_proj(y))


@contextmanager
def capture_attention(model: nn.Module | Iterable[nn.Module]) -> Iterator[list[Tensor]]:
    """Keep the attention weights of every :class:`MultiHeadAttention` (and :class:`CrossAttention`) in
    ``model``, or of the attention layers in a list, in that list's order.

    ::

        with capture_attention(model) as weights:
            model(idx)
        weights[0]  # layer 0's weights, (B, H, T, T); filled when the block ends

        with capture_attention([b.cross_attn for b in model.decoder.h]) as cross:
            ...

    Inside the block the layers compute attention from the formula (slower, same result).
    """
    modules = model.modules() if isinstance(model, nn.Module) else [m for x in model for m in x.modules()]
    layers = [m for m in modules if isinstance(m, MultiHeadAttention)]
    weights: list[Tensor] = []
    for m in layers:
        m.keep_weights, m.weights = True, None
    try:
        yield weights
    finally:
        for m in layers:
            m.keep_weights = False
            if m.weights is not None:
                weights.append(m.weights.detach())
            m.weights = None
