"""The checks of training_shakespeare's exercises accept the reference and reject typical wrong answers; their
hints are graduated."""
import torch

import lmkit
from lmkit import check
from lmkit.data import get_batch
from lmkit.training import configure_optimizer, lr_schedule


def test_schedule_and_batches():
    assert check.lr_schedule(lambda it: lr_schedule(it, lr=1e-3, min_lr=1e-4, warmup_iters=100, max_iters=2000))
    assert not check.lr_schedule(lambda it: 1e-3)
    assert not check.lr_schedule(lambda it: lr_schedule(it + 1, lr=1e-3, min_lr=1e-4, warmup_iters=100,
                                                        max_iters=2000))  # off by one
    assert check.get_batch(lambda d, b, t, g: get_batch(d, b, t, generator=g))
    assert not check.get_batch(lambda d, b, t, g: (d[:t].repeat(b, 1), d[:t].repeat(b, 1)))


def _loop(model, data, config, clip=True, zero=True):
    gen = torch.Generator().manual_seed(config.seed)
    opt = configure_optimizer(model, lr=config.lr, weight_decay=config.weight_decay, betas=config.betas)
    losses = []
    for it in range(config.max_iters):
        for g in opt.param_groups:
            g["lr"] = lr_schedule(it, lr=config.lr, min_lr=config.lr / 10, warmup_iters=config.warmup_iters,
                                  max_iters=config.max_iters)
        x, y = lmkit.get_batch(data, config.batch_size, model.config.block_size, generator=gen)
        _, loss = model(x, y)
        if zero:
            opt.zero_grad(set_to_none=True)
        loss.backward()
        if clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), config.grad_clip)
        opt.step()
        losses.append(loss.item())
    return losses


def test_train_loop():
    assert check.train_loop(_loop)
    assert not check.train_loop(lambda m, d, c: _loop(m, d, c, zero=False))  # gradients accumulate
    assert not check.train_loop(lambda m, d, c: _loop(m, d, c)[1:])  # a loss missing


def test_hints_are_graduated(capsys):
    for n in (1, 2, 3):
        assert not check.train_loop(lambda m, d, c: None)
        assert f"Hint {n} of 3" in capsys.readouterr().out
    for name in ("lr_schedule", "get_batch"):
        assert not getattr(check, name)(lambda *a: None)
        out = capsys.readouterr().out
        assert "Hint 1 of" in out and "torch.randint(" not in out and "cos(pi*progress)" not in out
