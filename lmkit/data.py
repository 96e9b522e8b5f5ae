"""From a sequence of token ids to training examples: a train/validation split, random batches of
fixed-length blocks with their next-token targets, and padded batches of sentences of different lengths.

Taught in chapters/part2/blocks_and_batches and used for training in
chapters/part4/training_shakespeare; :func:`pad_batch` in chapters/part5/sentiment. The data sets
themselves (pinned downloads) are in :mod:`lmkit.datasets`; input checks live in :mod:`lmkit._validate`.
"""
from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

import torch

from . import _validate as _v

__all__ = ["get_batch", "pad_batch", "train_val_split"]

S = TypeVar("S", str, list, torch.Tensor)


def train_val_split(data: S, frac: float = 0.9) -> tuple[S, S]:
    """Split a sequence (str, list or 1-D tensor) into its first ``frac`` and the rest, in order.

    No shuffling: the validation part is text the model never saw, not a sample of the training text.
    """
    _v.split_args("train_val_split", data, frac)
    n = int(frac * len(data))
    return data[:n], data[n:]


def get_batch(data: torch.Tensor, batch_size: int, block_size: int, *, generator: torch.Generator | None = None,
              device: torch.device | str | None = None) -> tuple[torch.Tensor, torch.Tensor]:
    """A random batch of blocks ``x`` (B, T) and their next-token targets ``y`` (B, T), as in nanoGPT.

    Row b starts at a random offset i: ``x[b] = data[i : i + T]`` and ``y[b] = data[i + 1 : i + T + 1]``,
    so ``y[:, t]`` is the token that follows ``x[:, t]``. Returns int64 tensors on ``device``
    (default: ``data``'s device).
    """
    _v.positive_int("get_batch", "batch_size", batch_size)
    _v.blocks("get_batch", "data", data, block_size)
    ix = torch.randint(len(data) - block_size, (batch_size,), generator=generator,
                       device=generator.device if generator is not None else None)  # (B,) start offsets
    offsets = ix.to(data.device)[:, None] + torch.arange(block_size, device=data.device)  # (B, T)
    x, y = data[offsets].long(), data[offsets + 1].long()  # (B, T) each
    return (x, y) if device is None else (x.to(device), y.to(device))


def pad_batch(seqs: Sequence[Sequence[int]], pad_id: int, *, max_len: int | None = None
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """Sentences of different lengths as one batch: ids (B, T) padded on the right with ``pad_id`` to
    the longest (each first cut to ``max_len``), and a mask (B, T), True at real tokens.

    Attention layers take the mask so that no position attends to padding; a loss ignores the padded
    positions (``-1`` targets).
    """
    _v.pad_args("pad_batch", seqs, pad_id, max_len)
    seqs = [list(s)[:max_len] for s in seqs]
    T = max(len(s) for s in seqs)
    ids = torch.full((len(seqs), T), pad_id, dtype=torch.long)  # (B, T)
    mask = torch.zeros(len(seqs), T, dtype=torch.bool)  # (B, T)
    for b, s in enumerate(seqs):
        ids[b, : len(s)] = torch.tensor(s, dtype=torch.long)
        mask[b, : len(s)] = True
    return ids, mask
