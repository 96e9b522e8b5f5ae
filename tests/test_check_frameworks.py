"""lmkit.check.frameworks: right answers pass, typical wrong ones fail, and a check never raises."""
import copy

import numpy as np
import torch
from torch.utils.data import Dataset

from lmkit import check


class Blocks(Dataset):
    def __init__(self, data, block_size):
        self.data, self.T = data, block_size

    def __len__(self):
        return len(self.data) - self.T

    def __getitem__(self, i):
        return self.data[i : i + self.T], self.data[i + 1 : i + 1 + self.T]


def test_block_dataset(capsys):
    assert check.block_dataset(Blocks)

    class Unfold(Blocks):  # the same items, cut another way
        def __getitem__(self, i):
            w = self.data.unfold(0, self.T + 1, 1)[i]
            return w[:-1], w[1:]

    assert check.block_dataset(Unfold)

    class NotShifted(Blocks):
        def __getitem__(self, i):
            return self.data[i : i + self.T], self.data[i : i + self.T]

    class OneTooMany(Blocks):  # the last item's targets run off the end
        def __len__(self):
            return len(self.data) - self.T + 1

    class NextTokenOnly(Blocks):  # a single target, not a block
        def __getitem__(self, i):
            return self.data[i : i + self.T], self.data[i + self.T]

    class NonOverlapping(Blocks):  # blocks at multiples of T only
        def __len__(self):
            return (len(self.data) - 1) // self.T

        def __getitem__(self, i):
            j = i * self.T
            return self.data[j : j + self.T], self.data[j + 1 : j + 1 + self.T]

    for wrong in (NotShifted, OneTooMany, NextTokenOnly, NonOverlapping):
        assert not check.block_dataset(wrong), wrong.__name__
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "Hint" in out and "len() is" in out


def right_checkpoint(model, optimizer, generator, step):
    return {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
            "generator": generator.get_state(), "step": step}


def test_checkpoint_resume(capsys):
    assert check.checkpoint_resume(right_checkpoint)
    assert check.checkpoint_resume(lambda m, o, g, s: copy.deepcopy(right_checkpoint(m, o, g, s)))
    # the weights only
    assert not check.checkpoint_resume(lambda m, o, g, s: {"model": m.state_dict(), "step": s})
    # an empty optimizer state: restoring it fails, reported
    assert not check.checkpoint_resume(
        lambda m, o, g, s: {**right_checkpoint(m, o, g, s), "optimizer": {}})
    # a fresh optimizer's state: AdamW restarts
    assert not check.checkpoint_resume(
        lambda m, o, g, s: {**right_checkpoint(m, o, g, s),
                            "optimizer": torch.optim.AdamW(m.parameters(), lr=1e-2).state_dict()})
    # the generator re-seeded instead of saved: the first batches are replayed
    assert not check.checkpoint_resume(
        lambda m, o, g, s: {**right_checkpoint(m, o, g, s),
                            "generator": torch.Generator().manual_seed(0).get_state()})
    # the wrong step
    assert not check.checkpoint_resume(lambda m, o, g, s: {**right_checkpoint(m, o, g, s), "step": 0})
    assert not check.checkpoint_resume(lambda m, o, g, s: [m.state_dict()])
    out = capsys.readouterr().out
    assert "✅" in out and "has no key 'optimizer'" in out and "return a dict" in out
    assert "restoring from your checkpoint failed" in out and "the checkpoint says step 0" in out


def adam(params, grads, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
    b1, b2 = betas
    t = state["step"] + 1
    m = {k: b1 * state["m"][k] + (1 - b1) * grads[k] for k in params}
    v = {k: b2 * state["v"][k] + (1 - b2) * grads[k] ** 2 for k in params}
    new = {k: params[k] - lr * (m[k] / (1 - b1**t)) / (np.sqrt(v[k] / (1 - b2**t)) + eps)
           for k in params}
    return new, {"step": t, "m": m, "v": v}


def test_pure_adam(capsys):
    assert check.pure_adam(adam)

    def float32(params, grads, state, **kw):  # JAX's default precision is accepted
        new, st = adam(params, grads, state, **kw)
        return {k: v.astype(np.float32) for k, v in new.items()}, st

    assert check.pure_adam(float32)

    def no_bias_correction(params, grads, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        b1, b2 = betas
        m = {k: b1 * state["m"][k] + (1 - b1) * grads[k] for k in params}
        v = {k: b2 * state["v"][k] + (1 - b2) * grads[k] ** 2 for k in params}
        return ({k: params[k] - lr * m[k] / (np.sqrt(v[k]) + eps) for k in params},
                {"step": state["step"] + 1, "m": m, "v": v})

    def eps_inside(params, grads, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        b1, b2 = betas
        t = state["step"] + 1
        m = {k: b1 * state["m"][k] + (1 - b1) * grads[k] for k in params}
        v = {k: b2 * state["v"][k] + (1 - b2) * grads[k] ** 2 for k in params}
        return ({k: params[k] - lr * (m[k] / (1 - b1**t)) / np.sqrt(v[k] / (1 - b2**t) + eps)
                 for k in params}, {"step": t, "m": m, "v": v})

    def in_place(params, grads, state, lr=1e-3, betas=(0.9, 0.999), eps=1e-8):
        new, st = adam(params, grads, state, lr=lr, betas=betas, eps=eps)
        for k in params:
            params[k] -= params[k] - new[k]  # the right values, written into the caller's arrays
        return params, st

    def step_not_counted(params, grads, state, **kw):
        new, st = adam(params, grads, state, **kw)
        return new, {**st, "step": state["step"]}

    def sgd(params, grads, state, lr=1e-3, **kw):
        return {k: params[k] - lr * grads[k] for k in params}, {**state, "step": state["step"] + 1}

    for wrong in (no_bias_correction, eps_inside, in_place, step_not_counted, sgd):
        assert not check.pure_adam(wrong), wrong.__name__
    assert not check.pure_adam(lambda p, g, s, **kw: adam(p, g, s, **kw)[0])  # not a pair
    out = capsys.readouterr().out
    assert "✅" in out and "changed the params it was given" in out and "the new state's step" in out
    assert "return a pair" in out


def test_hints_are_graduated_and_give_no_code(hints_give_no_code, capsys):
    from lmkit.check import frameworks as module

    solution_code = ["self.data[i", "len(self.data) -", "state_dict()", "get_state()", "np.sqrt(",
                     "** 2", "/ (1 -", "b1 *"]
    hints_give_no_code(module, solution_code)
    assert {"block_dataset", "checkpoint_resume", "pure_adam"} <= set(check.__all__)
