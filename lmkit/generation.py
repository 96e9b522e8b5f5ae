"""Turning next-token distributions into text: greedy, temperature, top-k and top-p sampling.

Taught in chapters/part4/generation. :func:`generate` runs with or without a KV cache; both give
the same tokens, the cache only saves work. Input checks live in :mod:`lmkit._validate`.
"""
from __future__ import annotations

import torch
from torch import Tensor

from . import _validate as _v
from .model import GPT

__all__ = ["generate", "sample_next", "top_k_filter", "top_p_filter"]


def top_k_filter(logits: Tensor, k: int) -> Tensor:
    """Keep the ``k`` largest logits of the last dimension; set the others to -inf."""
    _v.logits("top_k_filter", logits)
    _v.positive_int("top_k_filter", "k", k)
    return _top_k(logits, k)


def _top_k(logits: Tensor, k: int) -> Tensor:
    kth = torch.topk(logits, min(k, logits.shape[-1]), dim=-1).values[..., -1:]  # the k-th largest, (..., 1)
    return logits.masked_fill(logits < kth, float("-inf"))


def top_p_filter(logits: Tensor, p: float) -> Tensor:
    """Nucleus filtering (Holtzman et al., 2020): keep the smallest set of most likely tokens whose
    probabilities add up to at least ``p``; set the others to -inf."""
    _v.logits("top_p_filter", logits)
    _v.number("top_p_filter", "p", p, low=0, high=1, low_open=True)
    return _top_p(logits, p)


def _top_p(logits: Tensor, p: float) -> Tensor:
    sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
    probs = torch.softmax(sorted_logits, dim=-1)
    before = probs.cumsum(dim=-1) - probs  # the mass of the more likely tokens
    sorted_logits = sorted_logits.masked_fill(before >= p, float("-inf"))  # the top token always stays
    return torch.full_like(logits, float("-inf")).scatter(-1, order, sorted_logits)


def sample_next(logits: Tensor, *, temperature: float = 1.0, top_k: int | None = None,
                top_p: float | None = None, greedy: bool = False,
                generator: torch.Generator | None = None) -> Tensor:
    """Pick the next token from logits (B, V); returns ids (B, 1).

    ``greedy`` takes the arg-max; otherwise the logits are divided by ``temperature``, optionally
    filtered by top-k and top-p, and one token is drawn from the softmax. A ``generator`` on another device
    than ``logits`` (a CPU generator for a model on the GPU) draws on its own device, so a seed gives the
    same tokens wherever the model runs, up to the model's own rounding.
    """
    _v.logits("sample_next", logits)
    if greedy:
        return logits.argmax(dim=-1, keepdim=True)
    _v.sampling("sample_next", temperature, top_k, top_p)
    logits = logits / temperature
    if top_k is not None:
        logits = _top_k(logits, top_k)
    if top_p is not None:
        logits = _top_p(logits, top_p)
    probs = torch.softmax(logits, dim=-1)
    if generator is not None and generator.device != probs.device:
        return torch.multinomial(probs.to(generator.device), 1, generator=generator).to(probs.device)
    return torch.multinomial(probs, num_samples=1, generator=generator)


@torch.no_grad()
def generate(model: GPT, idx: Tensor, max_new_tokens: int, *, temperature: float = 1.0,
             top_k: int | None = None, top_p: float | None = None, greedy: bool = False,
             use_cache: bool = True, generator: torch.Generator | None = None) -> Tensor:
    """Extend ``idx`` (B, T) by ``max_new_tokens`` tokens; returns (B, T + max_new_tokens).

    Without the cache, every step runs the model on the last ``block_size`` tokens. With it, the
    prompt runs once and each step feeds only the newest token, reusing the cached keys and values.
    When the context is full the window slides and the cache is rebuilt from the same window the
    uncached model sees, so both give the same tokens. ``model`` is a :class:`~lmkit.model.GPT`, or
    any model with a ``config.block_size`` whose forward returns ``(logits, loss)``. ``idx`` may live on
    another device than the model (a CPU prompt for a model on the GPU): it is moved to the model's, and
    the result is returned there.
    """
    _v.generate_args("generate", model, idx, max_new_tokens, temperature, top_k, top_p, greedy, use_cache)
    param = next(iter(model.parameters()), None) if isinstance(model, torch.nn.Module) else None
    if param is not None:
        idx = idx.to(param.device)
    block_size = model.config.block_size
    was_training = model.training
    model.eval()
    cache = None
    for _ in range(max_new_tokens):
        if not use_cache:
            logits, _ = model(idx[:, -block_size:])
        elif cache is None or len(cache) >= block_size:  # first step, or the context is full
            cache = model.new_cache()
            logits, _ = model(idx[:, -block_size:], kv_cache=cache)
        else:  # only the newest token; its keys and values join the cache
            logits, _ = model(idx[:, -1:], kv_cache=cache)
        nxt = sample_next(logits[:, -1, :], temperature=temperature, top_k=top_k, top_p=top_p,
                          greedy=greedy, generator=generator)  # (B, 1)
        idx = torch.cat([idx, nxt], dim=1)
    model.train(was_training)
    return idx
