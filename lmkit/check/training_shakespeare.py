"""Checks for the exercises of chapters/part4/training_shakespeare.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from .. import training as _training
from ..model import GPT, GPTConfig
from ._grader import _report

__all__: list[str] = ["lr_schedule", "get_batch", "train_loop"]


def lr_schedule(fn: Callable[[int], float]) -> bool:
    """``fn(it)``: the learning rate at step ``it`` (peak 1e-3, floor 1e-4, 100 warmup steps, 2,000 in all)."""
    kw = dict(lr=1e-3, min_lr=1e-4, warmup_iters=100, max_iters=2000)
    its = [0, 50, 99, 100, 500, 1050, 1999, 2000, 2500]

    def case(it):
        got, want = fn(it), _training.lr_schedule(it, **kw)
        if got is None:
            return False, "your function returned None"
        return math.isclose(float(got), want, rel_tol=1e-6), f"at step {it}: got {got:.6g}, expected {want:.6g}"

    return _report("lr_schedule", fn, [(f"step {it}", lambda it=it: case(it)) for it in its], [
        "Three phases: a linear rise during the warmup, a half cosine from the peak down to the floor, and the "
        "floor after the last step. Look at which step the check reports.",
        "During the warmup the rate at step it is the peak times (it + 1) / warmup, so that step 0 is not zero "
        "and the last warmup step reaches the peak.",
        "After the warmup, progress runs from 0 to 1 between the end of the warmup and max_iters; the cosine "
        "term is (1 + cos(pi * progress)) / 2, scaled between the floor and the peak.",
    ])


def get_batch(fn: Callable) -> bool:
    """``fn(data, batch_size, block_size, generator)`` returns random (x, y) blocks of (B, T) ids."""
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
                return False, "a block runs past the end of data"
        return True, ""

    return _report("get_batch", fn, [("blocks and targets", case), ("stays inside the data", in_range)], [
        "Draw batch_size random start offsets with the generator, then cut a block of block_size ids at each; "
        "the targets are the same blocks moved one id to the right.",
        "The last block must still have a target for its last input: the largest allowed offset is "
        "len(data) - block_size - 1, so draw offsets below len(data) - block_size.",
    ])


def train_loop(fn: Callable) -> bool:
    """``fn(model, data, config)`` trains like ``lmkit.train`` (without evaluation) and returns the list of
    per-step training losses."""
    def run(steps: int, seed: int):
        cfg = GPTConfig(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=16)
        data = torch.randint(0, 11, (500,), generator=torch.Generator().manual_seed(seed))
        config = _training.TrainConfig(max_iters=steps, batch_size=4, lr=1e-2, warmup_iters=3, eval_interval=0,
                                       seed=seed)
        torch.manual_seed(seed)
        ref = GPT(cfg)
        mine = GPT(cfg)
        mine.load_state_dict(ref.state_dict())
        want = _training.train(ref, data, config=config, progress=False).step_loss
        state = torch.random.get_rng_state()
        try:
            got = fn(mine, data, config)
        finally:
            torch.random.set_rng_state(state)
        if got is None:
            return False, "your function returned None: return the list of the training losses of every step"
        got = [float(g) for g in got]
        if len(got) != steps:
            return False, f"{len(got)} losses for {steps} steps"
        for i, (a, b) in enumerate(zip(got, want)):
            if abs(a - b) > 1e-4:
                return False, f"step {i}: your loss is {a:.5f}, lmkit.train's is {b:.5f}"
        same = all(torch.allclose(p, q, atol=1e-5) for p, q in zip(mine.parameters(), ref.parameters()))
        return same, "the losses agree but the final weights differ"

    return _report("train_loop", fn, [("8 steps", lambda: run(8, 0)), ("20 steps, another seed", lambda: run(20, 1))], [
        "Every step: set the learning rate, draw a batch, forward with targets, backward, clip, optimiser step, "
        "zero the gradients. The first step whose loss differs tells you what goes wrong first.",
        "Use the same pieces as lmkit.train so that the batches and updates match: a torch.Generator seeded "
        "with config.seed for lmkit.get_batch, lmkit.training.configure_optimizer for AdamW (weight decay on "
        "matrices only), lmkit.training.lr_schedule with min_lr a tenth of lr.",
        "Set the rate on every parameter group before the step, clip the gradient norm to config.grad_clip "
        "after backward, and record loss.item() of each step.",
    ])
