"""Turning next-token distributions into text: greedy, temperature, top-k and top-p sampling.

Introduced in chapter 15 (Generation). :func:`generate` runs with or without a KV cache; both
give the same tokens (tested), the cache only saves work.
"""
from __future__ import annotations

import torch
from torch import Tensor


def _check_logits(logits: Tensor, fn: str) -> None:
    if not isinstance(logits, Tensor) or not logits.is_floating_point():
        raise ValueError(f"{fn}: logits must be a floating-point tensor, got "
                         f"{logits.dtype if isinstance(logits, Tensor) else type(logits).__name__}")
    if logits.dim() == 0 or logits.shape[-1] == 0:
        raise ValueError(f"{fn}: logits must have a non-empty last (vocabulary) dimension, got {tuple(logits.shape)}")
    if torch.isnan(logits).any():
        raise ValueError(f"{fn}: logits contain NaN; the model's output is broken (check the loss and learning rate)")


def top_k_filter(logits: Tensor, k: int) -> Tensor:
    """Keep the ``k`` largest logits in the last dimension, set the rest to -inf. Chapter 15."""
    _check_logits(logits, "top_k_filter")
    if not isinstance(k, int) or k < 1:
        raise ValueError(f"top_k_filter: k must be a positive integer, got {k!r}")
    k = min(k, logits.shape[-1])
    kth = torch.topk(logits, k, dim=-1).values[..., -1:]  # the k-th largest, (..., 1)
    return logits.masked_fill(logits < kth, float("-inf"))


def top_p_filter(logits: Tensor, p: float) -> Tensor:
    """Nucleus filtering (Holtzman et al., 2020): keep the smallest set of most likely tokens whose
    probabilities add up to at least ``p``; set the others to -inf. Chapter 15."""
    _check_logits(logits, "top_p_filter")
    if not 0.0 < p <= 1.0:
        raise ValueError(f"top_p_filter: p must be in (0, 1], got {p!r}")
    sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
    cum = torch.softmax(sorted_logits, dim=-1).cumsum(dim=-1)
    remove = cum - torch.softmax(sorted_logits, dim=-1) >= p  # mass before this token already reaches p
    sorted_logits = sorted_logits.masked_fill(remove, float("-inf"))
    return torch.full_like(logits, float("-inf")).scatter(-1, order, sorted_logits)


def sample_next(logits: Tensor, *, temperature: float = 1.0, top_k: int | None = None,
                top_p: float | None = None, greedy: bool = False,
                generator: torch.Generator | None = None) -> Tensor:
    """Pick the next token from logits (B, V): returns ids (B, 1). Chapter 15.

    ``greedy`` takes the arg-max; otherwise logits are divided by ``temperature``, optionally
    filtered by top-k and top-p, and one token is drawn from the softmax.
    """
    _check_logits(logits, "sample_next")
    if greedy:
        return logits.argmax(dim=-1, keepdim=True)
    if not temperature > 0:
        raise ValueError(f"sample_next: temperature must be > 0 (use greedy=True for temperature 0), "
                         f"got {temperature!r}")
    logits = logits / temperature
    if top_k is not None:
        logits = top_k_filter(logits, top_k)
    if top_p is not None:
        logits = top_p_filter(logits, top_p)
    probs = torch.softmax(logits, dim=-1)
    return torch.multinomial(probs, num_samples=1, generator=generator)


@torch.no_grad()
def generate(model, idx: Tensor, max_new_tokens: int, *, temperature: float = 1.0, top_k: int | None = None,
             top_p: float | None = None, greedy: bool = False, use_cache: bool = True,
             generator: torch.Generator | None = None) -> Tensor:
    """Extend ``idx`` (B, T) by ``max_new_tokens`` tokens; returns (B, T + max_new_tokens). Chapter 15.

    Without the cache, every step re-runs the model on the last ``block_size`` tokens. With it,
    the prompt is run once and each step feeds only the newest token, reusing the cached keys and
    values. When the context is full the window slides and the cache is rebuilt, which is what
    the uncached model sees too, so both give the same tokens.
    """
    if not isinstance(max_new_tokens, int) or max_new_tokens < 0:
        raise ValueError(f"generate: max_new_tokens must be a non-negative integer, got {max_new_tokens!r}")
    if not isinstance(idx, Tensor) or idx.dim() != 2 or idx.shape[1] == 0:
        shape = tuple(idx.shape) if isinstance(idx, Tensor) else type(idx).__name__
        raise ValueError(f"generate: idx must be a (B, T) tensor of token ids with T >= 1, got {shape}")
    block_size = model.config.block_size
    was_training = model.training
    model.eval()
    cache = None
    try:
        for _ in range(max_new_tokens):
            if use_cache:
                if cache is None or len(cache) >= block_size:
                    # first step, or the context is full: (re)build the cache from the same window
                    # of the last block_size tokens that the uncached model sees
                    cache = model.new_cache()
                    logits, _ = model(idx[:, -block_size:], kv_cache=cache)
                else:  # feed only the newest token; its keys and values join the cache
                    logits, _ = model(idx[:, -1:], kv_cache=cache)
            else:
                logits, _ = model(idx[:, -block_size:])
            nxt = sample_next(logits[:, -1, :], temperature=temperature, top_k=top_k, top_p=top_p,
                              greedy=greedy, generator=generator)
            idx = torch.cat([idx, nxt], dim=1)
    finally:
        model.train(was_training)
    return idx
