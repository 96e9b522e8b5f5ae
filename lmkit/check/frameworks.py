"""Checks for the exercises of chapters/part6/frameworks.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`.
"""
from __future__ import annotations

import copy
import tempfile
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.nn.functional as F

from .. import data as _data
from ._grader import _close, _report

__all__: list[str] = ["block_dataset", "checkpoint_resume", "pure_adam"]

#: The graduated hints of each check: the k-th failure shows the k-th hint; none gives the code away.
HINTS: dict[str, list[str]] = {
    "block_dataset": [
        "a Dataset needs two methods besides __init__: __len__ (how many examples) and __getitem__ "
        "(example number i). Example i is the block that starts at offset i, and its targets.",
        "the valid offsets are the ones lmkit.get_batch can draw: a block of T tokens and its target "
        "block, shifted one position to the right, must both fit inside data.",
        "test it on data = torch.arange(20) with T = 4: item 0 should be (0 1 2 3, 1 2 3 4) and the last "
        "item should end with the last token of data in its targets; count the items.",
    ],
    "checkpoint_resume": [
        "the resumed run must take the same steps as the uninterrupted one: everything the next step "
        "depends on has to be in the dict, not only the weights.",
        "AdamW keeps state of its own (two running averages per parameter and a step count), and the "
        "random generator that draws the batches has a position in its sequence: save both, each with "
        "the method that returns its state.",
        "the dict needs exactly the keys model, optimizer, generator and step; the check restores them "
        "with load_state_dict, load_state_dict, set_state and int(...).",
    ],
    "pure_adam": [
        "Adam keeps two running averages per parameter, of the gradient (m) and of its square (v), and a "
        "step count t starting from 1; the update divides the first by the square root of the second.",
        "both averages start at zero, so early on they are too small: divide m by (1 - β₁ᵗ) and v by "
        "(1 - β₂ᵗ) before the update, and add eps after the square root, not inside it.",
        "pure means that the dicts and arrays you were given are left as they were: build new dicts and "
        "new arrays (in-place operators such as -= change the caller's arrays) and return the new step "
        "count in the new state.",
    ],
}


def block_dataset(cls: Callable) -> bool:
    """``cls(data, block_size)`` is a ``torch.utils.data.Dataset`` whose item i is ``(x, y)``, the block
    of ``block_size`` tokens at offset i and its targets shifted by one, for every offset
    ``lmkit.get_batch`` can draw (0 .. len(data) - block_size - 1)."""

    def items(ds, n):
        got_len = len(ds)
        if got_len != n:
            return None, f"len() is {got_len}, expected {n}"
        return [ds[i] for i in range(n)], ""

    def case(data, T):
        ds = cls(data, T)
        if ds is None:
            return False, "your class returned None"
        n = len(data) - T
        got, detail = items(ds, n)
        if got is None:
            return False, detail
        for i, item in enumerate(got):
            if not isinstance(item, (tuple, list)) or len(item) != 2:
                return False, f"item {i} is not a pair (x, y)"
            for part, want in zip(item, (data[i:i + T], data[i + 1:i + 1 + T])):
                ok, why = _close(part, want, atol=0)
                if not ok:
                    return False, f"item {i} (T={T}): {why}"
        return True, ""

    def loader_case():
        data = torch.arange(50)
        ds = cls(data, 6)
        loader = torch.utils.data.DataLoader(ds, batch_size=8, shuffle=True,
                                             generator=torch.Generator().manual_seed(0))
        seen = 0
        for x, y in loader:
            if x.shape[1:] != (6,) or y.shape != x.shape:
                return False, f"a DataLoader batch has shapes {tuple(x.shape)} and {tuple(y.shape)}"
            if not torch.equal(x[:, 1:], y[:, :-1]) or not torch.equal(x[:, 0] + 1, y[:, 0]):
                return False, "in a DataLoader batch the targets are not the inputs shifted by one"
            seen += len(x)
        return seen == 44, f"one epoch gave {seen} blocks, expected 44"

    g = torch.Generator().manual_seed(3)
    cases = [("data = 0..19, T = 4", lambda: case(torch.arange(20), 4)),
             ("random tokens, T = 8", lambda: case(torch.randint(0, 65, (40,), generator=g), 8)),
             ("T = 1", lambda: case(torch.arange(5), 1)),
             ("through a shuffled DataLoader", loader_case)]
    return _report("block_dataset", cls, cases, HINTS["block_dataset"])


class _Tiny(torch.nn.Module):
    """A two-layer character model: ids (B, T) -> logits of the next id (B, V)."""

    def __init__(self, V: int = 11, T: int = 4, C: int = 8) -> None:
        super().__init__()
        self.emb, self.fc = torch.nn.Embedding(V, C), torch.nn.Linear(T * C, V)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.tanh(self.emb(x).flatten(1)))


def _objects(seed: int):
    torch.manual_seed(seed)
    model = _Tiny()
    opt = torch.optim.AdamW(model.parameters(), lr=1e-2)
    return model, opt, torch.Generator().manual_seed(seed)


def _steps(model, opt, gen, data, n) -> list[float]:
    losses = []
    for _ in range(n):
        x, y = _data.get_batch(data, 8, 4, generator=gen)
        loss = F.cross_entropy(model(x), y[:, -1])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


def checkpoint_resume(fn: Callable) -> bool:
    """``fn(model, optimizer, generator, step)`` returns a dict with the keys "model", "optimizer",
    "generator" and "step" from which fresh objects resume training exactly."""
    data = torch.randint(0, 11, (400,), generator=torch.Generator().manual_seed(0))

    def case(total, at):
        straight = _steps(*_objects(0), data, total)
        model, opt, gen = _objects(0)
        first = _steps(model, opt, gen, data, at)
        ckpt = fn(model, opt, gen, at)
        if ckpt is None:
            return False, "your function returned None (did you forget `return`?)"
        if not isinstance(ckpt, dict):
            return False, f"return a dict, got {type(ckpt).__name__}"
        missing = [k for k in ("model", "optimizer", "generator", "step") if k not in ckpt]
        if missing:
            return False, f"the dict has no key {missing[0]!r}"
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "ckpt.pt"
            torch.save(ckpt, path)
            loaded = torch.load(path, weights_only=True)
        model, opt, gen = _objects(1)  # other weights, other batches, no optimizer state
        try:
            model.load_state_dict(loaded["model"])
            opt.load_state_dict(loaded["optimizer"])
            gen.set_state(loaded["generator"])
            step = int(loaded["step"])
        except Exception as e:  # a wrong value under a right key: say which, not a traceback
            return False, f"restoring from your checkpoint failed: {e.__class__.__name__}: {e}"
        if step != at:
            return False, f"the checkpoint says step {step}, but it was made after step {at}"
        resumed = first + _steps(model, opt, gen, data, total - step)
        if resumed == straight:
            return True, ""
        k = next(i for i, (a, b) in enumerate(zip(resumed, straight)) if a != b)
        return False, (f"after resuming, the loss of step {k + 1} is {resumed[k]:.4f}, but the run "
                       f"without interruption had {straight[k]:.4f}")

    cases = [("resume after 10 of 20 steps", lambda: case(20, 10)),
             ("resume after 3 of 12 steps", lambda: case(12, 3))]
    return _report("checkpoint_resume", fn, cases, HINTS["checkpoint_resume"])


def pure_adam(fn: Callable) -> bool:
    """``fn(params, grads, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8)`` returns
    ``(new_params, new_state)``: one Adam step on dicts of NumPy arrays, without weight decay and without
    changing its inputs. ``state`` is ``{"step": t, "m": {...}, "v": {...}}``, zeros and 0 at the start."""
    rng = np.random.default_rng(0)
    shapes = {"w": (3, 4), "b": (4,)}
    target = {k: rng.standard_normal(s) for k, s in shapes.items()}

    def case(steps, lr, betas, eps, scale):
        start = {k: target[k] + scale * rng.standard_normal(s) for k, s in shapes.items()}
        tensors = {k: torch.tensor(v, requires_grad=True) for k, v in start.items()}
        opt = torch.optim.Adam(list(tensors.values()), lr=lr, betas=betas, eps=eps)
        params = {k: v.copy() for k, v in start.items()}
        state = {"step": 0, "m": {k: np.zeros(s) for k, s in shapes.items()},
                 "v": {k: np.zeros(s) for k, s in shapes.items()}}
        for t in range(steps):
            grads = {k: params[k] - target[k] for k in shapes}  # the gradient of ½‖p - target‖²
            before = copy.deepcopy((params, grads, state))
            out = fn(params, grads, state, lr=lr, betas=betas, eps=eps)
            if out is None:
                return False, "your function returned None (did you forget `return`?)"
            if not isinstance(out, tuple) or len(out) != 2:
                return False, "return a pair (new_params, new_state)"
            for name, now, was in zip(("params", "grads", "state"), (params, grads, state), before):
                if not _same(now, was):
                    return False, f"step {t + 1}: your function changed the {name} it was given"
            new_params, new_state = out
            if not isinstance(new_state, dict) or new_state.get("step") != t + 1:
                got = new_state.get("step") if isinstance(new_state, dict) else type(new_state).__name__
                return False, f"step {t + 1}: the new state's step is {got}, expected {t + 1}"
            opt.zero_grad()
            (0.5 * sum(((tensors[k] - torch.tensor(target[k])) ** 2).sum() for k in shapes)).backward()
            opt.step()
            for k in shapes:
                ok, why = _close(torch.as_tensor(np.asarray(new_params[k], dtype=np.float64)),
                                 tensors[k].detach(), atol=1e-5)
                if not ok:
                    return False, f"step {t + 1}, parameter {k!r}: {why}"
            params, state = {k: np.asarray(v, dtype=np.float64) for k, v in new_params.items()}, new_state
        return True, ""

    cases = [("one step", lambda: case(1, 1e-2, (0.9, 0.999), 1e-8, 1.0)),
             ("five steps", lambda: case(5, 1e-2, (0.9, 0.999), 1e-8, 1.0)),
             ("ten steps, betas=(0.8, 0.9), eps=1e-3", lambda: case(10, 0.1, (0.8, 0.9), 1e-3, 1.0)),
             ("parameters near their target (tiny gradients)", lambda: case(5, 1e-3, (0.9, 0.999), 1e-4,
                                                                             1e-3))]
    return _report("pure_adam", fn, cases, HINTS["pure_adam"])


def _same(a, b) -> bool:
    """Whether two nests of dicts, arrays and numbers are equal (to check that inputs were not changed)."""
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (tuple, list)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return bool(np.array_equal(np.asarray(a), np.asarray(b)))
