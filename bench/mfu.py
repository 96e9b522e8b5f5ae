"""Model FLOP utilisation of chapter 14's training step against this machine's measured fp32 matmul peak,
and a torch.profiler table of where a step's time goes.

    LMKIT_DATA=../shared/data python bench/mfu.py

Peak: the best of several (n x n) @ (n x n) float32 products, 2n^3 FLOPs each. Model FLOPs per trained
token, as in Kaplan et al. (2020) and PaLM's appendix: 6 x (matmul weights) for the forward and backward
passes through the weights, plus 12 x n_layer x T x C for attention's scores and weighted sums (counted in
full, as the kernels compute them). MFU = model FLOPs per second / peak.
"""
from __future__ import annotations

import argparse
import platform
import time

import torch
from torch.profiler import ProfilerActivity, profile

import lmkit
from lmkit.training import configure_optimizer
from train_recipes import RECIPES, config, shakespeare  # bench/ is on the path when this script runs

RECIPE = RECIPES["chapter-14"][1]


def matmul_peak(sizes=(512, 1024, 2048), repeats: int = 10) -> tuple[float, int]:
    best, best_n = 0.0, 0
    for n in sizes:
        a, b = torch.randn(n, n), torch.randn(n, n)
        a @ b  # warm up
        for _ in range(repeats):
            t0 = time.perf_counter()
            a @ b
            rate = 2 * n ** 3 / (time.perf_counter() - t0)
            if rate > best:
                best, best_n = rate, n
    return best, best_n


def flops_per_token(model: lmkit.GPT) -> float:
    """6 x the weights of every matrix product (the output layer included) + attention's two products."""
    cfg = model.config
    matmul_weights = sum(m.weight.numel() for m in model.modules() if isinstance(m, torch.nn.Linear))
    return 6 * matmul_weights + 12 * cfg.n_layer * cfg.block_size * cfg.n_embd


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=60)
    args = ap.parse_args()
    data, _, vocab_size = shakespeare()
    lmkit.set_seed(0)
    cfg = config("chapter-14", vocab_size)
    model = lmkit.GPT(cfg).train()
    opt = configure_optimizer(model, lr=1e-3)
    gen = torch.Generator().manual_seed(0)

    def step():
        x, y = lmkit.get_batch(data, RECIPE.batch_size, cfg.block_size, generator=gen)
        _, loss = model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()

    for _ in range(10):
        step()
    t0 = time.perf_counter()
    for _ in range(args.steps):
        step()
    per_step = (time.perf_counter() - t0) / args.steps
    tokens_per_s = RECIPE.batch_size * cfg.block_size / per_step
    peak, n = matmul_peak()
    fpt = flops_per_token(model)
    cpu = platform.processor() or platform.machine()
    print(f"# {cpu}, {torch.get_num_threads()} threads, torch {torch.__version__}")
    print(f"fp32 matmul peak: {peak / 1e9:,.1f} GFLOP/s (n={n})")
    print(f"training: {1000 * per_step:.1f} ms/step, {tokens_per_s:,.0f} tokens/s, "
          f"{fpt / 1e6:.2f} MFLOP per token -> {fpt * tokens_per_s / 1e9:,.1f} GFLOP/s")
    print(f"MFU: {100 * fpt * tokens_per_s / peak:.1f}% of the measured matmul peak")
    with profile(activities=[ProfilerActivity.CPU]) as prof:
        for _ in range(10):
            step()
    print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15))


if __name__ == "__main__":
    main()
