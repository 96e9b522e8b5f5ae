"""Encoders and encoder-decoders: the other two shapes of Transformer, built from the GPT's parts.

An :class:`Encoder` is the GPT's stack without the causal mask: every position sees the whole
sentence, and a padding mask keeps the padded positions out. A :class:`Classifier` pools an encoder's
states into one vector per sentence (chapters/part5/sentiment). An :class:`EncoderDecoder` is the
original Transformer of Vaswani et al. (2017): an encoder reads the source sentence, and a decoder
writes the target one token at a time, each of its blocks attending to its own past (causal
self-attention) and then to the source (cross-attention) (chapters/part5/machine_translation).
Shapes come from :class:`~lmkit.model.GPTConfig`; input checks live in :mod:`lmkit._validate`.
"""
from __future__ import annotations

import math

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import Tensor

from . import _validate as _v
from .attention import CrossAttention, KVCache, MultiHeadAttention
from .model import GPT, MLP, Block, GPTConfig, SwiGLU, norm
from .positional import Rotary

__all__ = ["Classifier", "Decoder", "DecoderBlock", "Encoder", "EncoderDecoder"]


def _embeddings(config: GPTConfig) -> tuple[nn.ModuleDict, Rotary | None]:
    """Token and position tables as in the GPT (or a rotary module instead of the position table)."""
    rotary = Rotary(config.n_embd // config.n_head, config.block_size, config.rope_base) \
        if config.pos == "rope" else None
    positions = dict(wpe=nn.Embedding(config.block_size, config.n_embd)) if config.pos == "learned" else {}
    return nn.ModuleDict(dict(wte=nn.Embedding(config.vocab_size, config.n_embd), **positions,
                              drop=nn.Dropout(config.dropout))), rotary


def _init(model: nn.Module, n_layer: int) -> None:
    """GPT-2's initialisation: N(0, 0.02), residual projections scaled by 1/√(2L)."""
    model.apply(GPT._init_weights)
    for name, p in model.named_parameters():
        if name.endswith("c_proj.weight"):
            nn.init.normal_(p, mean=0.0, std=0.02 / math.sqrt(2 * n_layer))


def _embed(config: GPTConfig, emb: nn.ModuleDict, idx: Tensor, start: int = 0) -> Tensor:
    x = emb.wte(idx)  # (B, T, C)
    if config.pos == "learned":
        x = x + emb.wpe(torch.arange(start, start + idx.shape[1], device=idx.device))  # + (T, C)
    return emb.drop(x)


class Encoder(nn.Module):
    """A bidirectional Transformer encoder: the GPT's blocks without the causal mask.

    ``encoder(idx, mask)`` maps token ids (B, T) to states (B, T, C). ``mask`` (B, T) is True at real
    tokens (:func:`lmkit.data.pad_batch`): no position attends to padding, so the states at the real
    positions are those of the unpadded sentence.
    """

    def __init__(self, config: GPTConfig):
        super().__init__()
        _v.instance("Encoder", "config", config, GPTConfig)
        self.config = config
        self.transformer, rotary = _embeddings(config)
        self.transformer.h = nn.ModuleList([Block(config, i, rotary, causal=False) for i in range(config.n_layer)])
        self.transformer.ln_f = norm(config)
        _init(self, config.n_layer)

    def forward(self, idx: Tensor, mask: Tensor | None = None) -> Tensor:
        _v.gpt_forward("Encoder.forward", self.config, idx, None, 0)
        if mask is not None:
            _v.key_mask("Encoder.forward", mask, *idx.shape)
        x = _embed(self.config, self.transformer, idx)  # (B, T, C)
        for block in self.transformer.h:
            x = block(x, mask=mask)  # every position sees every real position
        return self.transformer.ln_f(x)  # (B, T, C)


class Classifier(nn.Module):
    """An :class:`Encoder` and a linear head: one label per sentence.

    ``pooling="mean"`` averages the states of the real tokens; ``"first"`` takes the first position's
    state, as BERT does with its [CLS] token (prepend a class token of your own). Returns logits
    (B, n_classes) and, with ``targets`` (B,), the mean cross-entropy.
    """

    def __init__(self, config: GPTConfig, n_classes: int, *, pooling: str = "mean"):
        super().__init__()
        _v.integer_at_least("Classifier", "n_classes", n_classes, 2)
        _v.one_of("Classifier", "pooling", pooling, ["mean", "first"])
        self.encoder = Encoder(config)
        self.head = nn.Linear(config.n_embd, n_classes)
        self.n_classes, self.pooling = n_classes, pooling
        nn.init.normal_(self.head.weight, std=0.02)
        nn.init.zeros_(self.head.bias)

    def pool(self, h: Tensor, mask: Tensor | None = None) -> Tensor:
        """One vector per sentence (B, C) from the states h (B, T, C)."""
        if self.pooling == "first":
            return h[:, 0]
        if mask is None:
            return h.mean(dim=1)
        m = mask.unsqueeze(-1).to(h.dtype)  # (B, T, 1): 1 at real tokens
        return (h * m).sum(dim=1) / m.sum(dim=1)  # mean over the real tokens only

    def forward(self, idx: Tensor, mask: Tensor | None = None,
                targets: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        logits = self.head(self.pool(self.encoder(idx, mask), mask))  # (B, n_classes)
        if targets is None:
            return logits, None
        _v.class_targets("Classifier.forward", targets, idx.shape[0], self.n_classes)
        return logits, F.cross_entropy(logits, targets)


class DecoderBlock(nn.Module):
    """A decoder block of the original Transformer, pre-norm: x + self-attention (causal), then
    x + cross-attention to the encoder's output, then x + MLP."""

    def __init__(self, config: GPTConfig, layer_idx: int = 0, rotary: Rotary | None = None):
        super().__init__()
        self.ln_1 = norm(config)
        self.attn = MultiHeadAttention(config.n_embd, config.n_head, n_kv_head=config.n_kv_head,
                                       dropout=config.dropout, bias=config.bias, layer_idx=layer_idx,
                                       rotary=rotary)
        self.ln_2 = norm(config)
        self.cross_attn = CrossAttention(config.n_embd, config.n_head, dropout=config.dropout,
                                         bias=config.bias, layer_idx=layer_idx)
        self.ln_3 = norm(config)
        self.mlp = SwiGLU(config) if config.mlp == "swiglu" else MLP(config)

    def forward(self, x: Tensor, memory: Tensor, memory_mask: Tensor | None = None,
                kv_cache: KVCache | None = None) -> Tensor:
        x = x + self.attn(self.ln_1(x), kv_cache)  # the target so far
        x = x + self.cross_attn(self.ln_2(x), memory, memory_mask)  # the source
        return x + self.mlp(self.ln_3(x))


class Decoder(nn.Module):
    """The decoder of an :class:`EncoderDecoder`: a GPT whose blocks also attend to a source."""

    def __init__(self, config: GPTConfig):
        super().__init__()
        self.config = config
        self.transformer, rotary = _embeddings(config)
        self.transformer.h = nn.ModuleList([DecoderBlock(config, i, rotary) for i in range(config.n_layer)])
        self.transformer.ln_f = norm(config)
        self.lm_head = nn.Linear(config.n_embd, config.vocab_size, bias=False)
        if config.tie_weights:
            self.lm_head.weight = self.transformer.wte.weight
        _init(self, config.n_layer)

    @property
    def h(self) -> nn.ModuleList:
        """The decoder blocks (``decoder.h[i].cross_attn`` ...)."""
        return self.transformer.h

    def forward(self, tgt: Tensor, memory: Tensor, memory_mask: Tensor | None = None,
                kv_cache: KVCache | None = None) -> Tensor:
        past = len(kv_cache) if kv_cache is not None else 0
        x = _embed(self.config, self.transformer, tgt, start=past)  # (B, T, C)
        for block in self.transformer.h:
            x = block(x, memory, memory_mask, kv_cache)
        return self.lm_head(self.transformer.ln_f(x))  # (B, T, V_tgt)


class EncoderDecoder(nn.Module):
    """The Transformer of "Attention is all you need": an :class:`Encoder` over the source vocabulary
    and a :class:`Decoder` over the target vocabulary, joined by cross-attention.

    ``model(src, tgt, src_mask, targets)`` returns the logits (B, T, V_tgt) of the next target token at
    every position (teacher forcing: ``tgt`` is the reference shifted right, starting with a start
    token) and, with ``targets`` (B, T), the mean cross-entropy over the positions whose target is not -1
    (mark padding with -1). ``src`` and ``tgt`` share ``n_embd``; their vocabularies, contexts and depths
    may differ.
    """

    def __init__(self, src: GPTConfig, tgt: GPTConfig):
        super().__init__()
        _v.instance("EncoderDecoder", "src", src, GPTConfig)
        _v.instance("EncoderDecoder", "tgt", tgt, GPTConfig)
        if src.n_embd != tgt.n_embd:
            _v.fail("EncoderDecoder", f"src and tgt must have the same n_embd, got {src.n_embd} and {tgt.n_embd}")
        self.encoder = Encoder(src)
        self.decoder = Decoder(tgt)

    def encode(self, src: Tensor, src_mask: Tensor | None = None) -> Tensor:
        """The encoder's states (B, S, C), which every decoder block attends to."""
        return self.encoder(src, src_mask)

    def decode(self, tgt: Tensor, memory: Tensor, src_mask: Tensor | None = None, *,
               kv_cache: KVCache | None = None) -> Tensor:
        """Next-token logits (B, T, V_tgt) for the target tokens ``tgt`` given the encoded source.
        With a :meth:`new_cache`, ``tgt`` holds only the new tokens."""
        past = len(kv_cache) if kv_cache is not None else 0
        _v.gpt_forward("EncoderDecoder.decode", self.decoder.config, tgt, None, past)
        if memory.shape[0] != tgt.shape[0]:
            _v.fail("EncoderDecoder.decode", f"memory has batch size {memory.shape[0]} but tgt has {tgt.shape[0]}")
        return self.decoder(tgt, memory, src_mask, kv_cache)

    def forward(self, src: Tensor, tgt: Tensor, src_mask: Tensor | None = None,
                targets: Tensor | None = None) -> tuple[Tensor, Tensor | None]:
        if targets is not None:
            _v.gpt_forward("EncoderDecoder.forward", self.decoder.config, tgt, targets, 0)
        logits = self.decode(tgt, self.encode(src, src_mask), src_mask)  # (B, T, V_tgt)
        if targets is None:
            return logits, None
        return logits, F.cross_entropy(logits.flatten(0, 1), targets.flatten(), ignore_index=-1)

    def new_cache(self) -> KVCache:
        """An empty KV cache for the decoder's self-attention (the source is encoded once)."""
        return KVCache(self.decoder.config.n_layer)
