"""Checks for the exercises of chapters/part4/training_shakespeare.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from .. import training as _training
from ._grader import _report


__all__: list[str] = ['lr_schedule', 'get_batch']


def lr_schedule(fn: Callable[[int], float]) -> bool:
    """``fn(it)`` with lr=1e-3, min_lr=1e-4, warmup 100, 2,000 steps."""
    kw = dict(lr=1e-3, min_lr=1e-4, warmup_iters=100, max_iters=2000)
    its = [0, 50, 99, 100, 500, 1050, 1999, 2000, 2500]

    def case(it):
        got, want = fn(it), _training.lr_schedule(it, **kw)
        if got is None:
            return False, "your function returned None"
        return math.isclose(float(got), want, rel_tol=1e-6), f"at step {it}: got {got:.6g}, expected {want:.6g}"

    return _report("lr_schedule", fn, [(f"step {it}", lambda it=it: case(it)) for it in its],
                   "warmup: lr*(it+1)/warmup_iters; then min_lr + 0.5*(lr-min_lr)*(1+cos(pi*progress)), "
                   "progress = (it-warmup)/(max_iters-warmup); min_lr after max_iters.")


def get_batch(fn: Callable) -> bool:
    """``fn(data, batch_size, block_size, generator)`` returns (x, y) blocks."""
    data = torch.arange(1000)

    def case():
        x, y = fn(data, 4, 8, torch.Generator().manual_seed(0))
        x, y = torch.as_tensor(x), torch.as_tensor(y)
        if x.shape != (4, 8) or y.shape != (4, 8):
            return False, f"shapes {tuple(x.shape)}, {tuple(y.shape)}; expected (4, 8) each"
        if not torch.equal(x[:, 1:] - x[:, :-1], torch.ones(4, 7, dtype=x.dtype)):
            return False, "each row of x should be a contiguous slice of data"
        if not torch.equal(y, x + 1):
            return False, "y should be x shifted by one position (the next token of each input)"
        return True, ""

    def in_range():
        for s in range(20):
            x, y = fn(torch.arange(10), 2, 9, torch.Generator().manual_seed(s))
            if int(torch.as_tensor(y).max()) > 9:
                return False, "a block runs past the end of data: start indices must be < len(data) - block_size"
        return True, ""

    return _report("get_batch", fn, [("blocks and targets", case), ("stays inside the data", in_range)],
                   "ix = torch.randint(len(data) - block_size, (batch_size,)); stack data[i:i+T] and data[i+1:i+T+1].")
