"""From a sequence of token ids to training examples: a train/validation split, and random batches of
fixed-length blocks with their next-token targets.

Taught in chapters/part2/blocks_and_batches and used for training in
chapters/part4/training_shakespeare. The data sets themselves (pinned downloads) are in
:mod:`lmkit.datasets`; input checks live in :mod:`lmkit._validate`.
"""
from __future__ import annotations

from typing import TypeVar

import torch

from . import _validate as _v

__all__ = ["get_batch", "train_val_split"]

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
