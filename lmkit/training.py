"""Training a language model: AdamW, warmup + cosine schedule, gradient clipping, evaluation.

Taught in chapters/part4/training_shakespeare. :func:`train` takes the model, the data and a
:class:`TrainConfig`; it returns a :class:`History` of what it measured. Input checks live in
:mod:`lmkit._validate`. The same :func:`train` runs data-parallel, unchanged, in every process that
``torchrun`` starts (chapters/part7/compute; :mod:`lmkit.distributed`).
"""
from __future__ import annotations

import math
import random
import time
import warnings
from contextlib import nullcontext
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np
import torch
import torch.distributed as dist
import torch.nn as nn
from torch import Tensor
from torch.nn.parallel import DistributedDataParallel

from . import _validate as _v
from .data import get_batch

__all__ = ["History", "MuonWithAdamW", "TrainConfig", "configure_optimizer", "estimate_loss", "evaluate",
           "lr_schedule", "native_bf16", "pick_device", "rank_and_world", "set_seed", "train"]


def set_seed(seed: int = 0) -> None:
    """Seed Python, NumPy and PyTorch so that a chapter gives the same numbers on every run."""
    _v.non_negative_int("set_seed", "seed", seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def pick_device() -> torch.device:
    """The fastest device here: a CUDA GPU, else Apple's MPS, else the CPU. Chapters that train use it, so the
    same notebook uses Colab's GPU when there is one."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def native_bf16(device: torch.device | str = "cpu") -> bool:
    """Whether ``device`` computes in bfloat16 natively: a GPU that supports it, or a CPU with AMX or
    AVX-512 BF16 instructions (read from /proc/cpuinfo; elsewhere assumed absent)."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type != "cpu":
        return False
    try:
        flags = Path("/proc/cpuinfo").read_text().split()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


@dataclass
class TrainConfig:
    """How to train: the optimiser, the schedule, the batches and when to evaluate.

    The defaults are nanoGPT's documented CPU run on Tiny Shakespeare (``block_size=None`` uses the
    model's context; ``min_lr=None`` is a tenth of ``lr``). ``dtype="bfloat16"`` runs the forward pass
    under ``torch.autocast`` (matrix products in bfloat16, weights and optimiser in float32);
    ``"auto"`` does so only where :func:`native_bf16` says the hardware computes in bfloat16.
    ``schedule="time"`` (with ``max_seconds``) decays the learning rate by the training time used rather than by
    the step, so that a run given a time budget ends its cosine exactly when the time does, however fast the
    machine is at the moment; the warmup still counts steps.
    ``optimizer="muon"`` steps the blocks' weight matrices with Muon at peak rate ``muon_lr`` and everything
    else with AdamW at ``lr`` (:class:`MuonWithAdamW`); the schedule scales both alike.
    ``compile=True`` trains through ``torch.compile(model)``: the first step takes longer (the compiling is
    counted in the training time), the later ones run fused kernels; where compiling fails (no C++ compiler,
    for one), :func:`train` warns and trains without it.
    """

    max_iters: int = 2000
    batch_size: int = 12
    block_size: int | None = None
    lr: float = 1e-3
    min_lr: float | None = None
    warmup_iters: int = 100
    weight_decay: float = 0.1
    betas: tuple[float, float] = (0.9, 0.99)
    grad_clip: float | None = 1.0
    eval_interval: int = 250  # 0: evaluate only at the end
    eval_iters: int = 20
    max_seconds: float | None = None  # stop early; the schedule still assumes max_iters (unless schedule="time")
    schedule: str = "steps"  # "time": the cosine runs over max_seconds of training time; max_iters only caps it
    seed: int | None = 0
    dtype: str = "float32"  # "bfloat16": mixed precision (autocast); "auto": bfloat16 where it is native
    compile: bool = False  # train through torch.compile(model)
    optimizer: str = "adamw"  # "muon": Muon for the blocks' matrices, AdamW for the rest
    muon_lr: float = 0.01  # Muon's peak learning rate (with optimizer="muon")

    def __post_init__(self):
        _v.train_config("TrainConfig", self)


def lr_schedule(it: int, *, lr: float, min_lr: float, warmup_iters: int, max_iters: int) -> float:
    """The learning rate at step ``it``: linear warmup to ``lr``, then cosine decay to ``min_lr``.

    Warmup over the first ``warmup_iters`` steps (from lr/warmup_iters up to lr), then
    min_lr + ½(lr − min_lr)(1 + cos(π·progress)) until ``max_iters``, then ``min_lr``.
    """
    _v.schedule("lr_schedule", it, warmup_iters, max_iters)
    if it < warmup_iters:
        return lr * (it + 1) / warmup_iters
    if it >= max_iters:
        return min_lr
    progress = (it - warmup_iters) / max(1, max_iters - warmup_iters)
    return min_lr + 0.5 * (lr - min_lr) * (1.0 + math.cos(math.pi * progress))


def configure_optimizer(model: nn.Module, *, lr: float, weight_decay: float = 0.1,
                        betas: tuple[float, float] = (0.9, 0.99), muon_lr: float | None = None):
    """AdamW with weight decay on the matrices only (not on biases and normalisation gains).

    With ``muon_lr``, a :class:`MuonWithAdamW` instead: Muon for the weight matrices of the linear layers
    (not the embeddings, nor the output layer), AdamW for the rest.
    """
    params = [p for p in model.parameters() if p.requires_grad]
    if muon_lr is not None:
        return MuonWithAdamW(model, lr=lr, muon_lr=muon_lr, weight_decay=weight_decay, betas=betas)
    groups = [{"params": [p for p in params if p.dim() >= 2], "weight_decay": weight_decay},
              {"params": [p for p in params if p.dim() < 2], "weight_decay": 0.0}]
    return torch.optim.AdamW(groups, lr=lr, betas=betas)


class MuonWithAdamW:
    """Muon for the linear layers' weight matrices, AdamW for everything else, stepping as one optimiser.

    Muon (Jordan et al. 2024; ``torch.optim.Muon``) keeps a momentum of each matrix's gradient and steps along
    the nearest orthogonal matrix to it (five Newton-Schulz iterations), so that every direction of the matrix
    moves by the same amount rather than the few that dominate the gradient; its step is rescaled to AdamW's
    typical size (``adjust_lr_fn="match_rms_adamw"``). Embedding tables, the output layer (``lm_head``), gains
    and biases stay with AdamW. Every group records its ``peak_lr`` for :func:`train`'s schedule.
    """

    def __init__(self, model: nn.Module, *, lr: float, muon_lr: float, weight_decay: float = 0.1,
                 betas: tuple[float, float] = (0.9, 0.99)):
        if not hasattr(torch.optim, "Muon"):
            _v.fail("MuonWithAdamW", f"Muon needs PyTorch 2.9 or newer (this is {torch.__version__}); "
                                     "upgrade torch or use optimizer='adamw'")
        # the embedding tables and the output layer (Muon's authors keep both with AdamW)
        head = getattr(model, "lm_head", None)
        tables = {id(m.weight) for m in model.modules() if isinstance(m, nn.Embedding) or m is head}
        matrices = [m.weight for m in model.modules() if isinstance(m, nn.Linear)
                    and m.weight.requires_grad and id(m.weight) not in tables]
        in_muon = {id(p) for p in matrices}
        rest = [p for p in model.parameters() if p.requires_grad and id(p) not in in_muon]
        self.muon = torch.optim.Muon(matrices, lr=muon_lr, weight_decay=weight_decay,
                                     adjust_lr_fn="match_rms_adamw")
        self.adamw = torch.optim.AdamW([{"params": [p for p in rest if p.dim() >= 2], "weight_decay": weight_decay},
                                        {"params": [p for p in rest if p.dim() < 2], "weight_decay": 0.0}],
                                       lr=lr, betas=betas)
        for opt, peak in ((self.muon, muon_lr), (self.adamw, lr)):
            for group in opt.param_groups:
                group["peak_lr"] = peak

    @property
    def param_groups(self) -> list[dict]:
        return self.muon.param_groups + self.adamw.param_groups

    def zero_grad(self, set_to_none: bool = True) -> None:
        self.muon.zero_grad(set_to_none=set_to_none)
        self.adamw.zero_grad(set_to_none=set_to_none)

    def step(self) -> None:
        self.muon.step()
        self.adamw.step()

    def state_dict(self) -> dict:
        return {"muon": self.muon.state_dict(), "adamw": self.adamw.state_dict()}

    def load_state_dict(self, state: dict) -> None:
        self.muon.load_state_dict(state["muon"])
        self.adamw.load_state_dict(state["adamw"])


@torch.no_grad()
def estimate_loss(model: nn.Module, splits: dict[str, Tensor], *, batch_size: int, block_size: int,
                  iters: int = 20, generator: torch.Generator | None = None) -> dict[str, float]:
    """The mean loss over ``iters`` random (B, T) batches of each split, as nanoGPT estimates it."""
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
    """The loss on the whole of ``data``, in consecutive non-overlapping blocks.

    Every token but the first is predicted exactly once (the tail shorter than a block is scored
    as a shorter block), so the figure does not depend on a random draw.
    """
    _v.eval_data("evaluate", data)
    T = block_size or model.config.block_size
    was_training = model.training
    model.eval()
    device = next(model.parameters()).device
    n = (len(data) - 1) // T  # whole blocks
    x, y = data[:n * T].view(n, T), data[1:n * T + 1].view(n, T)  # (n, T) each
    chunks = [(x[i:i + batch_size], y[i:i + batch_size]) for i in range(0, n, batch_size)]
    if n * T < len(data) - 1:  # the tail, as one shorter block
        chunks.append((data[n * T:-1][None], data[n * T + 1:][None]))
    total = 0.0
    for xb, yb in chunks:
        logits, _ = model(xb.to(device))
        total += nn.functional.cross_entropy(logits.flatten(0, 1), yb.to(device).flatten(), reduction="sum").item()
    model.train(was_training)
    return total / (len(data) - 1)


@dataclass
class History:
    """What :func:`train` measured. :func:`lmkit.plot.loss_curves` plots it."""

    iters: list[int] = field(default_factory=list)  # steps at which the losses below were estimated
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


def train(model: nn.Module, train_data: Tensor, val_data: Tensor | None = None,
          config: TrainConfig | None = None, *, progress: bool = True,
          callback: Callable[[int, nn.Module], None] | None = None) -> History:
    """Train ``model`` on random (B, T) blocks of ``train_data``; returns a :class:`History`.

    Each step: set the learning rate (:func:`lr_schedule`), draw a batch, compute the loss,
    backpropagate, clip the gradient norm, take an AdamW step (:func:`configure_optimizer`; or Muon and AdamW,
    :class:`MuonWithAdamW`).
    Every ``config.eval_interval`` steps, and at the end, :func:`estimate_loss` on both splits,
    then ``callback(step, model)`` (to keep a sample of the model's text, for example).

    **Data-parallel.** Under ``torchrun`` (``torch.distributed`` initialised, ``world`` processes), the
    model is wrapped in :class:`~torch.nn.parallel.DistributedDataParallel` (unless it already is);
    every process draws the same global batch of ``config.batch_size`` rows from the same seeded
    generator and trains on its contiguous share of ``batch_size / world`` rows; DDP averages the
    gradients over the processes during ``backward``, so every step is the one-process step on the
    global batch. The logged losses are averaged over the processes; only rank 0 shows progress and
    calls ``callback``. One process (no ``torch.distributed``) runs exactly as before.
    """
    c = config or TrainConfig()
    rank, world = rank_and_world()
    core = model.module if isinstance(model, DistributedDataParallel) else model  # the model itself
    _v.train_args("train", core, train_data, val_data, c)
    if world > 1:
        if c.schedule == "time":
            _v.fail("train", "schedule='time' is for one process: under torchrun each process has its own clock, "
                             "and their learning rates would drift apart; use schedule='steps'")
        if c.batch_size % world:
            _v.fail("train", f"config.batch_size={c.batch_size} must be a multiple of the {world} processes, "
                             f"so that each trains on an equal share of the global batch")
        if not isinstance(model, DistributedDataParallel):
            model = DistributedDataParallel(model)  # copies rank 0's weights to every process
    T = c.block_size or core.config.block_size
    min_lr = c.lr / 10 if c.min_lr is None else c.min_lr
    device = next(model.parameters()).device
    gen = torch.Generator().manual_seed(c.seed) if c.seed is not None else None
    splits = {"train": train_data} if val_data is None else {"train": train_data, "val": val_data}
    opt = configure_optimizer(core, lr=c.lr, weight_decay=c.weight_decay, betas=c.betas,
                              muon_lr=c.muon_lr if c.optimizer == "muon" else None)
    bf16 = c.dtype == "bfloat16" or (c.dtype == "auto" and native_bf16(device))
    autocast = torch.autocast(device.type, dtype=torch.bfloat16) if bf16 else nullcontext()
    step_model = torch.compile(model) if c.compile else model  # shares the parameters of ``model``
    hist = History()
    bar = _progress_bar(c.max_iters) if progress and rank == 0 else None

    def record(step: int) -> None:
        # every process evaluates the same batches, which keeps their generators in step
        losses = estimate_loss(core, splits, batch_size=c.batch_size, block_size=T, iters=c.eval_iters,
                               generator=gen)
        hist.iters.append(step)
        hist.train_loss.append(losses["train"])
        hist.val_loss.append(losses.get("val", float("nan")))
        hist.seconds.append(hist.train_seconds)
        if bar is not None:
            bar.set_postfix(train=f"{losses['train']:.3f}", val=f"{losses.get('val', float('nan')):.3f}")
        if callback is not None and rank == 0:
            callback(step, core)
            model.train()

    model.train()
    for it in range(c.max_iters):
        if c.eval_interval and it % c.eval_interval == 0:
            record(it)
        t0 = time.perf_counter()
        if c.schedule == "time" and it >= c.warmup_iters:  # progress = the share of the time budget used
            progress = min(1.0, hist.train_seconds / c.max_seconds)
            lr = min_lr + 0.5 * (c.lr - min_lr) * (1.0 + math.cos(math.pi * progress))
        else:
            lr = lr_schedule(it, lr=c.lr, min_lr=min_lr, warmup_iters=c.warmup_iters, max_iters=c.max_iters)
        for group in opt.param_groups:  # each group at its own peak, scaled alike (Muon: muon_lr)
            group["lr"] = lr if "peak_lr" not in group else lr * group["peak_lr"] / c.lr
        x, y = get_batch(train_data, c.batch_size, T, generator=gen, device=device)  # (B, T) each
        if world > 1:  # this process's share of the global batch: (B / world, T)
            x, y = x.chunk(world)[rank], y.chunk(world)[rank]
        with autocast:
            if it == 0 and c.compile:  # compiles now; falls back to the plain model if that fails
                (_, loss), step_model = _first_compiled_step(step_model, model, x, y)
            else:
                _, loss = step_model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()  # with DDP, also averages the gradients over the processes
        if c.grad_clip:
            torch.nn.utils.clip_grad_norm_(model.parameters(), c.grad_clip)
        opt.step()
        hist.train_seconds += time.perf_counter() - t0
        hist.lr.append(lr)
        hist.step_loss.append(loss.item() if world == 1 else _mean_over_ranks(loss))
        hist.steps, hist.tokens = it + 1, hist.tokens + x.numel() * world
        _v.finite_loss("train", hist.step_loss[-1], it, c.lr)
        if bar is not None:
            bar.update(1)
        if c.max_seconds is not None:
            out_of_time = hist.train_seconds >= c.max_seconds
            if out_of_time if world == 1 else _any_rank(out_of_time, device):
                break
    record(hist.steps)
    if bar is not None:
        bar.close()
    model.eval()
    return hist


def _first_compiled_step(compiled: nn.Module, model: nn.Module, x: Tensor, y: Tensor) -> tuple:
    """(``compiled(x, y)``, compiled), or (``model(x, y)``, model) with a warning if compiling fails."""
    try:
        return compiled(x, y), compiled
    except Exception as err:  # any failure of the compiler; a real error in the model recurs just below
        first_line = (str(err).splitlines() or [""])[0][:200]
        warnings.warn(f"torch.compile failed ({type(err).__name__}: {first_line}); training without compiling "
                      "(TrainConfig(compile=False) silences this)", stacklevel=3)
        torch._dynamo.reset()
        return model(x, y), model


def rank_and_world() -> tuple[int, int]:
    """(this process's rank, the number of processes): (0, 1) unless ``torch.distributed`` is initialised."""
    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def _mean_over_ranks(x: Tensor) -> float:
    """The mean of a scalar over all processes (every process gets the same value)."""
    x = x.detach().float().clone()
    dist.all_reduce(x)  # sum over ranks
    return x.item() / dist.get_world_size()


def _any_rank(flag: bool, device: torch.device) -> bool:
    """True on every process if ``flag`` is true on any, so that all stop at the same step."""
    t = torch.tensor(float(flag), device=device)  # on the GPU for NCCL
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def _progress_bar(total: int):
    from tqdm.auto import tqdm

    # refresh at most every 2 s: in a notebook each refresh is a widget message, and thousands of them
    # can overflow the kernel's output channel
    return tqdm(total=total, desc="training", leave=True, mininterval=2.0)
