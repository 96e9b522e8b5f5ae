"""Checks for the exercises of chapters/part4/generation.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`.
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import Callable

import torch

from .. import generation as _generation
from ._grader import _close, _report


__all__: list[str] = ['top_k_filter', 'top_p_filter', 'greedy_decode']

#: The graduated hints of each check: the k-th failure shows the k-th (see :mod:`lmkit.check`).
HINTS: dict[str, list[str]] = {
    "top_k_filter": [
        "keep the k largest entries of the last dimension unchanged and set every other entry to "
        "-inf; the output has the same shape as the input, whatever that shape is.",
        "the k-th largest value of each row is a threshold: entries below it are dropped, entries "
        "at or above it kept. torch.topk returns the k largest values of the last dimension, "
        "sorted in decreasing order, so you know where the k-th one is.",
        "keep a dimension of size 1 on the threshold so that it broadcasts against its row, fill "
        "with float('-inf') (a masked fill), and do not modify the input in place.",
    ],
    "top_p_filter": [
        "keep the smallest set of most likely tokens whose probabilities (the softmax of the "
        "logits) add up to at least p, set the rest to -inf; the most likely token is always "
        "kept, even when its probability alone exceeds p.",
        "sort each row in decreasing order and take the cumulative sum of the sorted "
        "probabilities. A token is dropped when the mass of the tokens BEFORE it (its cumulative "
        "sum minus its own probability) has already reached p; the token that crosses p stays.",
        "the answer must be in the original vocabulary order: the indices returned by torch.sort "
        "say where each sorted value came from, and Tensor.scatter writes values back there.",
    ],
    "greedy_decode": [
        "repeat n times: run the model on the tokens so far, take the logits at the LAST "
        "position, pick the arg-max token and append it to idx; return all of idx, (B, T + n).",
        "the model sees at most model.config.block_size tokens: once idx is longer, feed it only "
        "the last block_size tokens (the check runs past the context). The model returns a "
        "pair (logits, loss), and the logits are (B, T, V).",
        "the arg-max over the vocabulary must keep a dimension of size 1, giving (B, 1), so that "
        "it can be concatenated to idx along dimension 1; no sampling, no temperature.",
    ],
}


def top_k_filter(fn: Callable) -> bool:
    """``fn(logits, k)`` keeps the k largest logits, the rest -inf."""
    g = torch.Generator().manual_seed(1)
    logits = torch.randn(3, 10, generator=g)
    cases = [(f"k={k}", lambda k=k: _close(fn(logits, k), _generation.top_k_filter(logits, k)))
             for k in (1, 3, 10)]
    return _report("top_k_filter", fn, cases, HINTS["top_k_filter"])


def top_p_filter(fn: Callable) -> bool:
    """``fn(logits, p)`` keeps the smallest nucleus of mass ≥ p."""
    logits = torch.log(torch.tensor([[0.5, 0.2, 0.15, 0.1, 0.05], [0.05, 0.1, 0.15, 0.2, 0.5]]))
    cases = [(f"p={p}", lambda p=p: _close(fn(logits, p), _generation.top_p_filter(logits, p)))
             for p in (0.4, 0.6, 0.8, 1.0)]
    return _report("top_p_filter", fn, cases, HINTS["top_p_filter"])


class _RunningSumLM(torch.nn.Module):
    """A tiny fixed language model whose greedy continuation does not settle into one repeated token.

    The logits at position t are a fixed projection of the running sum of token and position vectors
    up to t (causal, and different once the window slides). A GPT at initialisation would not do: its
    tied embeddings make every token predict itself, so "repeat the last token" would pass.
    """

    def __init__(self, vocab_size: int = 11, block_size: int = 8, n_embd: int = 16):
        super().__init__()
        self.config = SimpleNamespace(vocab_size=vocab_size, block_size=block_size)
        g = torch.Generator().manual_seed(0)
        self.register_buffer("wte", torch.randn(vocab_size, n_embd, generator=g))
        self.register_buffer("wpe", torch.randn(block_size, n_embd, generator=g))
        self.register_buffer("head", torch.randn(n_embd, vocab_size, generator=g))

    def forward(self, idx: torch.Tensor, targets: torch.Tensor | None = None):
        T = idx.shape[1]
        if T > self.config.block_size:
            raise ValueError(f"idx has {T} positions but block_size is {self.config.block_size}")
        h = (self.wte[idx] + self.wpe[:T]).cumsum(dim=1)  # (B, T, C)
        return h @ self.head, None  # (B, T, V)


def greedy_decode(fn: Callable) -> bool:
    """``fn(model, idx, n)`` appends n arg-max tokens to idx (B, T)."""
    model = _RunningSumLM().eval()
    idx = torch.tensor([[1, 2, 3], [4, 5, 6]])

    def case(n):
        want = _generation.generate(model, idx, n, greedy=True, use_cache=False)
        return _close(fn(model, idx, n), want, atol=0)

    return _report("greedy_decode", fn,
                   [("3 tokens", lambda: case(3)), ("past the context", lambda: case(12))],
                   HINTS["greedy_decode"])
