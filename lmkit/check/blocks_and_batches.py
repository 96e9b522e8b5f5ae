"""Checks for the exercises of chapters/part2/blocks_and_batches.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from ._grader import _close, _report

__all__: list[str] = ["make_xy", "batch_from_offsets", "per_position_loss", "split_blocks"]

#: The graduated hints of each check: what is wrong and where to look first, then more specific; never
#: the answer.
HINTS: dict[str, list[str]] = {
    "make_xy": [
        "x is the window of T ids that starts at position i; y holds, for each position of x, the id "
        "that comes right after it in ids.",
        "y is the same kind of window, moved one step to the right: it starts one position later than x "
        "and has T ids too, so that y[t] is the id that follows x[t].",
        "return the pair (x, y), both of length T, in that order.",
    ],
    "batch_from_offsets": [
        "row b of x is the block of length T that starts at offsets[b]; row b of y holds its targets, the "
        "same block moved one step to the right.",
        "build the B blocks (one slice of data per offset) and stack them into a (B, T) tensor; or make a "
        "(B, T) table of positions from the offsets and a range of T, and index data with it.",
        "the targets' positions are the inputs' positions plus one; return (x, y), both (B, T).",
    ],
    "per_position_loss": [
        "the result has one value per position, shape (T,): the cross-entropy -log p(target) of each "
        "prediction, averaged over the batch dimension only, not over the positions.",
        "turn the logits into log-probabilities with a log-softmax over the vocabulary (the last "
        "dimension), then pick at every (b, t) the entry of the target id, and negate it.",
        "if you use F.cross_entropy: it expects the classes in dimension 1, and its `reduction` argument "
        "decides whether it averages everything or keeps one loss per prediction.",
    ],
    "split_blocks": [
        "the blocks are consecutive and do not overlap: block k starts at position k * T, and its targets "
        "are the same positions plus one.",
        "how many blocks fit? The last block needs one more id after it for its last target, so count the "
        "whole blocks in all ids but the last, and drop the remainder.",
        "with n blocks, the inputs are the first n * T ids reshaped to (n, T); the targets are n * T ids "
        "that start one position later, reshaped the same way.",
    ],
}


def _ids(n: int, seed: int = 0) -> torch.Tensor:
    """n random token ids in 0..64 (a shifted copy differs from the original, unlike arange)."""
    return torch.randint(65, (n,), generator=torch.Generator().manual_seed(seed))


def _pair(got, want_x: torch.Tensor, want_y: torch.Tensor) -> tuple[bool, str]:
    """Compare a returned (x, y) pair with the expected one, exactly."""
    if not isinstance(got, (tuple, list)) or len(got) != 2:
        return False, f"expected a pair (x, y), got {type(got).__name__}"
    for name, g, w in (("x", got[0], want_x), ("y", got[1], want_y)):
        try:
            g = torch.as_tensor(g)
        except Exception:  # noqa: BLE001 - whatever the learner returned, report it
            return False, f"{name} is not a tensor or list of ids ({type(g).__name__})"
        ok, detail = _close(g, w, atol=0)
        if not ok:
            return False, f"{name}: {detail}"
    return True, ""


def make_xy(fn: Callable) -> bool:
    """``fn(ids, i, T)`` returns ``x = ids[i:i+T]`` and its targets ``y = ids[i+1:i+T+1]``."""
    ids = _ids(50)
    cases = [(f"i={i}, T={T}", lambda i=i, T=T: _pair(fn(ids, i, T), ids[i:i + T], ids[i + 1:i + T + 1]))
             for i, T in [(0, 8), (17, 5), (41, 8), (3, 1)]]
    return _report("make_xy", fn, cases, HINTS["make_xy"])


def batch_from_offsets(fn: Callable) -> bool:
    """``fn(data, offsets, T)`` stacks the blocks at ``offsets`` into (B, T) x and y."""
    data = _ids(200, seed=1)

    def case(offsets, T):
        offsets = torch.tensor(offsets)
        want_x = torch.stack([data[i:i + T] for i in offsets.tolist()])
        want_y = torch.stack([data[i + 1:i + T + 1] for i in offsets.tolist()])
        return _pair(fn(data, offsets, T), want_x, want_y)

    cases = [("B=4, T=8", lambda: case([0, 10, 100, 191], 8)),
             ("B=1, T=16", lambda: case([7], 16)),
             ("repeated offsets, T=3", lambda: case([5, 5, 196], 3))]
    return _report("batch_from_offsets", fn, cases, HINTS["batch_from_offsets"])


def per_position_loss(fn: Callable) -> bool:
    """``fn(logits, targets)`` returns the (T,) cross-entropy at each position, mean over B."""
    g = torch.Generator().manual_seed(2)
    logits = 3 * torch.randn(4, 6, 11, generator=g)                   # (B, T, V): peaked distributions
    targets = torch.randint(11, (4, 6), generator=g)                  # (B, T)
    want = F.cross_entropy(logits.transpose(1, 2), targets, reduction="none").mean(0)  # (T,)

    def one_sequence():
        return _close(fn(logits[:1], targets[:1]), want_one)

    want_one = F.cross_entropy(logits[0], targets[0], reduction="none")  # (T,) for a batch of one
    cases = [("B=4, T=6, V=11", lambda: _close(fn(logits, targets), want)),
             ("a batch of one sequence", one_sequence)]
    return _report("per_position_loss", fn, cases, HINTS["per_position_loss"])


def split_blocks(fn: Callable) -> bool:
    """``fn(ids, T)`` cuts ids into consecutive, non-overlapping (n, T) blocks x and targets y."""
    def case(n_ids, T):
        ids = _ids(n_ids, seed=3)
        n = (n_ids - 1) // T
        return _pair(fn(ids, T), ids[:n * T].view(n, T), ids[1:n * T + 1].view(n, T))

    cases = [("41 ids, T=8 (exactly 5 blocks)", lambda: case(41, 8)),
             ("50 ids, T=8 (a remainder to drop)", lambda: case(50, 8)),
             ("10 ids, T=9 (one block)", lambda: case(10, 9))]
    return _report("split_blocks", fn, cases, HINTS["split_blocks"])
