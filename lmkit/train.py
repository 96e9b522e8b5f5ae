"""Training a language model: AdamW, warmup + cosine schedule, gradient clipping, evaluation.

Introduced in chapter 14 (Training on Tiny Shakespeare); the mathematics of each piece is in
chapter 11 (Training mathematics).
"""
from __future__ import annotations

import math
import random
import time
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
import torch.nn as nn
from torch import Tensor

from .data import get_batch


def set_seed(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch so that a chapter gives the same numbers each run. Chapter 1 on."""
    if not isinstance(seed, int):
        raise ValueError(f"set_seed: seed must be an integer, got {seed!r}")
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def lr_schedule(it: int, *, lr: float, min_lr: float, warmup_iters: int, max_iters: int) -> float:
    """Learning rate at step ``it``: linear warmup to ``lr``, then cosine decay to ``min_lr``. Chapter 11.

    Warmup over the first ``warmup_iters`` steps (from lr/warmup_iters up to lr), then
    min_lr + ½(lr − min_lr)(1 + cos(π·progress)) until ``max_iters``, then ``min_lr``.
    """
    if max_iters < 1 or warmup_iters < 0 or warmup_iters > max_iters:
        raise ValueError(f"lr_schedule: need 0 <= warmup_iters <= max_iters and max_iters >= 1, "
                         f"got warmup_iters={warmup_iters}, max_iters={max_iters}")
    if it < 0:
        raise ValueError(f"lr_schedule: it (the step number) must be >= 0, got {it}")
    if it < warmup_iters:
        return lr * (it + 1) / warmup_iters
    if it >= max_iters:
        return min_lr
    progress = (it - warmup_iters) / max(1, max_iters - warmup_iters)
    return min_lr + 0.5 * (lr - min_lr) * (1.0 + math.cos(math.pi * progress))


def configure_optimizer(model: nn.Module, *, lr: float, weight_decay: float = 0.1,
                        betas: tuple[float, float] = (0.9, 0.99)) -> torch.optim.AdamW:
    """AdamW with weight decay on the matrices only (not on biases, LayerNorm gains). Chapter 11."""
    params = [p for p in model.parameters() if p.requires_grad]
    decay = [p for p in params if p.dim() >= 2]
    no_decay = [p for p in params if p.dim() < 2]
    groups = [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=betas)


@torch.no_grad()
def estimate_loss(model: nn.Module, splits: dict[str, Tensor], *, batch_size: int, block_size: int,
                  iters: int = 20, generator: torch.Generator | None = None) -> dict[str, float]:
    """Mean loss over ``iters`` random (B, T) batches of each split, as nanoGPT does. Chapter 14."""
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    out = {}
    for name, data in splits.items():
        losses = [model(*get_batch(data, batch_size, block_size, generator=generator, device=device))[1].item()
                  for _ in range(iters)]
        out[name] = float(np.mean(losses))
    model.train(was_training)
    return out


@torch.no_grad()
def evaluate(model: nn.Module, data: Tensor, *, block_size: int | None = None, batch_size: int = 64) -> float:
    """Loss on the whole of ``data``, in consecutive non-overlapping blocks. Chapter 14.

    Every token of the split but the first is predicted exactly once (the tail shorter than a
    block is evaluated as a shorter block), so the figure does not depend on a random draw.
    """
    if not isinstance(data, Tensor) or data.dim() != 1 or data.numel() < 2:
        raise ValueError("evaluate: data must be a 1-D tensor of at least 2 token ids")
    if data.is_floating_point() or data.dtype == torch.bool:
        raise ValueError(f"evaluate: data must hold integer token ids (torch.long), got dtype {data.dtype}")
    block_size = block_size or model.config.block_size
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    n = (data.numel() - 1) // block_size
    x = data[: n * block_size].view(n, block_size)
    y = data[1: n * block_size + 1].view(n, block_size)
    total, count = 0.0, 0
    for i in range(0, n, batch_size):
        logits, _ = model(x[i:i + batch_size].to(device))
        total += nn.functional.cross_entropy(logits.flatten(0, 1), y[i:i + batch_size].to(device).flatten(),
                                             reduction="sum").item()
        count += y[i:i + batch_size].numel()
    rest = data.numel() - 1 - n * block_size
    if rest > 0:
        logits, _ = model(data[n * block_size: -1][None].to(device))
        total += nn.functional.cross_entropy(logits[0], data[n * block_size + 1:].to(device), reduction="sum").item()
        count += rest
    model.train(was_training)
    return total / count


@dataclass
class History:
    """What :func:`train` measured. Chapter 14 plots it with :func:`lmkit.plot.loss_curves`."""

    iters: list[int] = field(default_factory=list)  # steps at which the losses below were measured
    train_loss: list[float] = field(default_factory=list)
    val_loss: list[float] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)  # training time (excluding evaluation) at each point
    lr: list[float] = field(default_factory=list)  # learning rate of every step
    step_loss: list[float] = field(default_factory=list)  # training-batch loss of every step
    steps: int = 0
    train_seconds: float = 0.0
    tokens: int = 0

    @property
    def tokens_per_second(self) -> float:
        return self.tokens / self.train_seconds if self.train_seconds else 0.0


def train(model: nn.Module, train_data: Tensor, val_data: Tensor | None = None, *, max_iters: int = 2000,
          batch_size: int = 12, block_size: int | None = None, lr: float = 1e-3, min_lr: float | None = None,
          warmup_iters: int = 100, weight_decay: float = 0.1, betas: tuple[float, float] = (0.9, 0.99),
          grad_clip: float | None = 1.0, eval_interval: int = 250, eval_iters: int = 20,
          max_seconds: float | None = None, progress: bool = True, seed: int | None = 0,
          callback: Callable[[int, nn.Module], None] | None = None) -> History:
    """Train ``model`` on random (B, T) blocks of ``train_data``; returns a :class:`History`. Chapter 14.

    AdamW (:func:`configure_optimizer`), the :func:`lr_schedule` of warmup and cosine decay to
    ``min_lr`` (default lr/10), gradient clipping to norm ``grad_clip``, and every
    ``eval_interval`` steps :func:`estimate_loss` on both splits. ``max_seconds`` stops early
    (the schedule still assumes ``max_iters``, so set both to match the budget). ``callback(step,
    model)`` runs after each evaluation, for example to keep a sample of the model's text.
    """
    if not isinstance(train_data, Tensor) or train_data.dim() != 1:
        raise ValueError("train: train_data must be a 1-D tensor of token ids")
    if not isinstance(max_iters, int) or max_iters < 1:
        raise ValueError(f"train: max_iters must be a positive integer, got {max_iters!r}")
    if not lr > 0:
        raise ValueError(f"train: lr must be positive, got {lr!r}")
    if not 0 <= warmup_iters <= max_iters:
        raise ValueError(f"train: warmup_iters ({warmup_iters}) must be between 0 and max_iters ({max_iters})")
    block_size = block_size or model.config.block_size
    min_lr = lr / 10 if min_lr is None else min_lr
    device = next(model.parameters()).device
    gen = torch.Generator().manual_seed(seed) if seed is not None else None
    splits = {"train": train_data} if val_data is None else {"train": train_data, "val": val_data}
    opt = configure_optimizer(model, lr=lr, weight_decay=weight_decay, betas=betas)
    hist = History()
    bar = None
    if progress:
        from tqdm.auto import tqdm
        # refresh at most every 2 s: in a notebook each refresh is a widget message, and a long run
        # that sends thousands of them can overflow the kernel's output channel (nbval then times out)
        bar = tqdm(total=max_iters, desc="training", leave=True, mininterval=2.0)

    def record(it: int) -> None:
        losses = estimate_loss(model, splits, batch_size=batch_size, block_size=block_size,
                               iters=eval_iters, generator=gen)
        hist.iters.append(it)
        hist.train_loss.append(losses["train"])
        hist.val_loss.append(losses.get("val", float("nan")))
        hist.seconds.append(hist.train_seconds)
        if bar is not None:
            bar.set_postfix(train=f"{losses['train']:.3f}", val=f"{losses.get('val', float('nan')):.3f}")
        if callback is not None:
            callback(it, model)
            model.train()

    model.train()
    it = 0
    for it in range(max_iters):
        if eval_interval and it % eval_interval == 0:
            record(it)
        t0 = time.perf_counter()
        for g in opt.param_groups:
            g["lr"] = lr_schedule(it, lr=lr, min_lr=min_lr, warmup_iters=warmup_iters, max_iters=max_iters)
        x, y = get_batch(train_data, batch_size, block_size, generator=gen, device=device)
        _, loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        if grad_clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), grad_clip)
        opt.step()
        hist.train_seconds += time.perf_counter() - t0
        hist.lr.append(opt.param_groups[0]["lr"])
        hist.step_loss.append(loss.item())
        hist.steps, hist.tokens = it + 1, hist.tokens + x.numel()
        if not math.isfinite(hist.step_loss[-1]):
            raise FloatingPointError(f"train: the loss became {hist.step_loss[-1]} at step {it}; "
                                     f"lower the learning rate (lr={lr}) or check the data")
        if bar is not None:
            bar.update(1)
        if max_seconds is not None and hist.train_seconds >= max_seconds:
            break
    record(hist.steps)
    if bar is not None:
        bar.close()
    model.eval()
    return hist
