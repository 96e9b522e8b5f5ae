"""Data-parallel training: what ``torchrun`` starts, and what DistributedDataParallel computes.

Taught in chapters/part7/compute. :func:`allreduce_mean` is the arithmetic of an all-reduce written out;
:func:`launch` starts this module under ``torchrun`` (``python -m torch.distributed.run``) in ``nproc``
processes on this machine, and the entry point runs one of two tasks in each process:

- ``grads``: one global batch, each process's share of it, its gradient before the all-reduce
  (DDP's ``no_sync``) and after it; every rank saves both to ``--out``.
- ``train``: :func:`lmkit.train`, unchanged, on the global batch of ``--batch-size`` rows; rank 0
  saves the losses of every step and the throughput to ``--out``.

By hand, on one machine::

    python -m torch.distributed.run --standalone --nproc_per_node=2 -m lmkit.distributed train --out DIR

and on two machines (run on each, ``--node_rank`` 0 and 1, ``HOST`` the first machine's address)::

    python -m torch.distributed.run --nnodes=2 --node_rank=0 --nproc_per_node=8 \\
        --rdzv_backend=c10d --rdzv_endpoint=HOST:29500 -m lmkit.distributed train --out DIR
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import torch
import torch.distributed as dist
from torch import Tensor
from torch.nn.parallel import DistributedDataParallel

from . import _validate as _v
from .data import get_batch
from .model import GPT, GPTConfig
from .training import TrainConfig, rank_and_world, set_seed, train

__all__ = ["allreduce_mean", "launch", "main", "rank_and_world", "toy_data", "tiny_config"]


def allreduce_mean(grads_per_rank: list[list[Tensor]]) -> list[Tensor]:
    """What DDP's all-reduce leaves in every process: the element-wise mean of each gradient over ranks.

    ``grads_per_rank[r][i]`` is rank r's gradient of parameter i; the result's item i is
    ``(grads_per_rank[0][i] + ... + grads_per_rank[world - 1][i]) / world``.
    """
    if not grads_per_rank or any(len(g) != len(grads_per_rank[0]) for g in grads_per_rank):
        _v.fail("allreduce_mean", "give one list of gradients per rank, every list the same length")
    world = len(grads_per_rank)
    return [torch.stack(gs).sum(0) / world for gs in zip(*grads_per_rank)]


def tiny_config(vocab_size: int = 65, block_size: int = 32) -> GPTConfig:
    """The small GPT of the data-parallel demonstrations: 2 blocks, 4 heads, 64 channels."""
    return GPTConfig(vocab_size=vocab_size, block_size=block_size, n_layer=2, n_head=4, n_embd=64, dropout=0.0)


def toy_data(n: int = 20_000, vocab_size: int = 65, seed: int = 0) -> Tensor:
    """A token stream with structure to learn and no file to read: a random walk over the vocabulary."""
    g = torch.Generator().manual_seed(seed)
    steps = torch.randint(-2, 3, (n,), generator=g)  # (n,) moves of -2..2
    return steps.cumsum(0).remainder(vocab_size)


def _data(name: str) -> tuple[Tensor, int]:
    """(token ids, vocabulary size) of the ``--data`` the processes train on."""
    if name == "toy":
        return toy_data(), 65
    from .datasets import load_text
    from .tokenizers import CharTokenizer

    text = load_text(name, progress=False)
    tok = CharTokenizer.train(text)
    return torch.tensor(tok.encode(text), dtype=torch.long), tok.vocab_size


def _device(backend: str) -> torch.device:
    """The CPU for gloo; for nccl, the GPU that ``torchrun`` numbers LOCAL_RANK on this machine."""
    if backend != "nccl":
        return torch.device("cpu")
    device = torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    torch.cuda.set_device(device)
    return device


def _grads(args: argparse.Namespace, rank: int, world: int, out: Path) -> None:
    data, V = _data(args.data)
    set_seed(args.seed)
    model = GPT(tiny_config(V, args.block_size))  # the same weights in every process (same seed)
    start = {k: v.clone() for k, v in model.state_dict().items()}
    device = _device(args.backend)
    model.to(device)
    g = torch.Generator().manual_seed(args.seed)
    x, y = get_batch(data, args.batch_size, args.block_size, generator=g)  # (B, T): the global batch
    xr, yr = x.chunk(world)[rank].to(device), y.chunk(world)[rank].to(device)  # (B / world, T): my share
    ddp = DistributedDataParallel(model)
    with ddp.no_sync():  # backward without the all-reduce: this rank's own gradient
        ddp(xr, yr)[1].backward()
    local = [p.grad.cpu().clone() for p in model.parameters()]
    model.zero_grad(set_to_none=True)
    loss = ddp(xr, yr)[1]
    loss.backward()  # DDP all-reduces (averages) the gradients, bucket by bucket, during backward
    reduced = [p.grad.cpu().clone() for p in model.parameters()]
    saved = {"local": local, "reduced": reduced, "loss": loss.item(), "x": x, "y": y}
    if rank == 0:
        saved["state"], saved["config"] = start, model.config
    torch.save(saved, out / f"grads_rank{rank}.pt")


def _train(args: argparse.Namespace, rank: int, world: int, out: Path) -> None:
    data, V = _data(args.data)
    set_seed(args.seed)
    model = GPT(tiny_config(V, args.block_size))
    start = {k: v.clone() for k, v in model.state_dict().items()}
    model.to(_device(args.backend))
    config = TrainConfig(max_iters=args.steps, batch_size=args.batch_size, block_size=args.block_size,
                         lr=args.lr, warmup_iters=min(10, args.steps), eval_interval=0, eval_iters=1,
                         seed=args.seed)
    hist = train(model, data, None, config, progress=False)  # lmkit.train, unchanged
    if rank == 0:
        torch.save({"start": start, "config": model.config, "train_config": config}, out / "train_start.pt")
        result = {"world": world, "threads": torch.get_num_threads(), "step_loss": hist.step_loss,
                  "train_seconds": hist.train_seconds, "tokens": hist.tokens,
                  "tokens_per_second": hist.tokens_per_second}
        (out / f"train_world{world}.json").write_text(json.dumps(result))


def _parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m lmkit.distributed", description=__doc__.split("\n")[0])
    ap.add_argument("task", choices=["grads", "train", "both"])
    ap.add_argument("--out", type=Path, required=True, help="folder for the results (rank 0 writes)")
    ap.add_argument("--data", default="toy", help="'toy' (a random walk) or a data set for lmkit.load_text")
    ap.add_argument("--batch-size", type=int, default=16, help="the global batch, split over the processes")
    ap.add_argument("--block-size", type=int, default=32)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--backend", default="gloo", help="gloo (CPU) or nccl (GPUs)")
    return ap


def main(argv: list[str] | None = None) -> None:
    """The entry point each process runs: join the process group that ``torchrun`` set up, run the task."""
    args = _parser().parse_args(argv)
    if "RANK" not in os.environ:
        _v.fail("lmkit.distributed", "start me with torchrun (python -m torch.distributed.run ...), which "
                                     "sets RANK, WORLD_SIZE and MASTER_ADDR; see lmkit.distributed.launch")
    dist.init_process_group(args.backend)
    try:
        rank, world = rank_and_world()
        if args.batch_size % world:
            _v.fail("lmkit.distributed", f"--batch-size={args.batch_size} must be a multiple of the {world} "
                                         f"processes")
        args.out.mkdir(parents=True, exist_ok=True)
        if args.task in ("grads", "both"):
            _grads(args, rank, world, args.out)
        if args.task in ("train", "both"):
            _train(args, rank, world, args.out)
        dist.barrier()
    finally:
        dist.destroy_process_group()


def launch(task: str, out: str | Path, *, nproc: int = 2, timeout: float = 300, **options) -> str:
    """Run ``task`` in ``nproc`` processes started by ``torchrun`` on this machine; returns their output.

    ``options`` become the entry point's flags (``batch_size=16`` → ``--batch-size 16``). Raises
    ``RuntimeError`` with the processes' output if they fail.
    """
    _v.one_of("launch", "task", task, ["grads", "train", "both"])
    _v.positive_int("launch", "nproc", nproc)
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={nproc}",
           "-m", "lmkit.distributed", task, "--out", str(out)]
    for k, v in options.items():
        cmd += [f"--{k.replace('_', '-')}", str(v)]
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parent.parent)  # so the processes import this lmkit
    env["PYTHONPATH"] = os.pathsep.join([root, *filter(None, [env.get("PYTHONPATH")])])
    env.setdefault("OMP_NUM_THREADS", "1")  # one thread per process (torchrun's default for nproc > 1)
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise RuntimeError(f"launch: torchrun exited with {proc.returncode}:\n{proc.stderr[-3000:]}")
    return proc.stdout


if __name__ == "__main__":
    main()
