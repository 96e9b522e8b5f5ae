"""Chapter 14's GPT against the 6-gram Kneser-Ney model (1.558 nats per character on the full validation
split), lever by lever: what each buys in speed, and the loss reached after 60, 120 and 180 s of training.

    LMKIT_DATA=../shared/data python bench/levers.py speed --runs 3     # tokens/s and MFU of every lever
    LMKIT_DATA=../shared/data python bench/levers.py budget --runs 3    # loss at 60/120/180 s, medians
    LMKIT_DATA=../shared/data python bench/levers.py budget --recipes "+ Muon" --runs 3
    LMKIT_DATA=../shared/data python bench/levers.py steps            # every recipe for chapter 14's 1,500 steps

``speed`` times 40 steps after 5 warm-up steps (compiling happens in the warm-up and is reported apart), each
lever in a fresh process, in rounds over all levers (``--runs`` rounds; medians).
``budget`` trains each recipe for 180 s of training time, compile time included (each run is a fresh process
with an empty compiler cache, as a reader's first run is), with the cosine decaying by the training time used
(``TrainConfig(schedule="time")``: the machine's speed drifts by tens of percent from minute to minute here, so
a schedule planned in steps would end early or late), and measures the loss on the full validation split
(outside the training time) once 60 and 120 s have passed, and at the end. MFU: model FLOPs per second (6 x matrix
weights + 12 x n_layer x T x C per token, as bench/mfu.py counts them) over the measured fp32 matmul peak.
``steps`` trains each recipe for a fixed number of steps (``--steps``, default chapter 14's 1,500), which
separates what a change does to the loss per step from what it does to the time per step.
Timings are not pass/fail: machines are noisy, so the script prints figures and medians.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace

import torch

import lmkit
from lmkit import TrainConfig, evaluate, train
from lmkit.training import configure_optimizer, native_bf16
from mfu import flops_per_token, matmul_peak  # bench/ is on the path when this script runs
from train_recipes import RECIPES, shakespeare

KN_6GRAM = 1.558  # chapter 2's best n-gram on the same split
BASE_MODEL, BASE_TRAIN = RECIPES["chapter-14-gpt2"]  # the chapter's earlier recipe: GPT-2 blocks
LLAMA = lmkit.model.LLAMA  # chapter 13's switches: RMSNorm, SwiGLU, rotary positions, no biases
# name: (model shape and switches, changes to chapter 14's TrainConfig, threads)
LEVERS = {
    "chapter-14-gpt2": (BASE_MODEL, {}, None),
    "1 thread": (BASE_MODEL, {}, 1),
    "fused AdamW": (BASE_MODEL, dict(fused=True), None),
    "bf16 autocast": (BASE_MODEL, dict(dtype="bfloat16"), None),
    "torch.compile": (BASE_MODEL, dict(compile=True), None),
    "rotary positions only": ({**BASE_MODEL, "pos": "rope"}, {}, None),
    "SwiGLU only": ({**BASE_MODEL, "mlp": "swiglu"}, {}, None),
    "llama switches": ({**BASE_MODEL, **LLAMA}, {}, None),
    "+ lr 3e-3, floor 0": ({**BASE_MODEL, **LLAMA}, dict(lr=3e-3, min_lr=0.0), None),  # = chapter 14 now
    "+ torch.compile": ({**BASE_MODEL, **LLAMA}, dict(lr=3e-3, min_lr=0.0, compile=True), None),
    "+ Muon": ({**BASE_MODEL, **LLAMA}, dict(lr=3e-3, min_lr=0.0, optimizer="muon", muon_lr=1e-2), None),
}


def model_and_config(name: str, vocab_size: int) -> tuple[lmkit.GPT, TrainConfig, bool]:
    shape, changes, threads = LEVERS[name]
    if threads:
        torch.set_num_threads(threads)
    changes = dict(changes)
    fused = changes.pop("fused", False)
    model = lmkit.GPT(lmkit.GPTConfig(vocab_size=vocab_size, dropout=0.0, **shape))
    return model, replace(BASE_TRAIN, eval_interval=0, **changes), fused


def speed(name: str, steps: int = 40) -> dict:
    """ms per step, tokens/s and compile (warm-up) time of lever ``name``, one process."""
    data, _, vocab_size = shakespeare()
    lmkit.set_seed(0)
    model, c, fused = model_and_config(name, vocab_size)
    model.train()
    opt = configure_optimizer(model, lr=c.lr, muon_lr=c.muon_lr if c.optimizer == "muon" else None)
    if fused:
        opt = torch.optim.AdamW(opt.param_groups, lr=c.lr, betas=c.betas, fused=True)
    step_model = torch.compile(model) if c.compile else model
    bf16 = c.dtype == "bfloat16"
    gen = torch.Generator().manual_seed(0)

    def step():
        x, y = lmkit.get_batch(data, c.batch_size, model.config.block_size, generator=gen)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=bf16):
            _, loss = step_model(x, y)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), c.grad_clip)
        opt.step()
        return loss.item()

    t0 = time.perf_counter()
    for _ in range(5):
        step()
    warm = time.perf_counter() - t0
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    per_step = (time.perf_counter() - t0) / steps
    t0 = time.perf_counter()
    for _ in range(200):  # the data loader alone
        lmkit.get_batch(data, c.batch_size, model.config.block_size, generator=gen)
    batch_ms = 1000 * (time.perf_counter() - t0) / 200
    tokens_per_s = c.batch_size * model.config.block_size / per_step
    return dict(lever=name, ms=1000 * per_step, tokens_per_s=tokens_per_s, warmup_s=warm, batch_ms=batch_ms,
                gflops=flops_per_token(model) * tokens_per_s / 1e9, threads=torch.get_num_threads())


def budget(name: str, seconds: float, seed: int) -> dict:
    """Train lever ``name`` for ``seconds`` of training time, its cosine decaying with the time used
    (``schedule="time"``); the loss on the full validation split after a third, two thirds and all of it."""
    train_data, val_data, vocab_size = shakespeare()
    lmkit.set_seed(seed)
    model, c, fused = model_and_config(name, vocab_size)
    if fused:
        raise SystemExit(f"{name!r} is measured by `speed` only: lmkit.train has no fused-AdamW switch")
    marks, full, spent, start = [seconds / 3, 2 * seconds / 3], {}, [0.0], []

    def measure(step, m):  # called every 50 steps; the full-split loss once the training time passes a mark
        t0 = time.perf_counter()
        start[:] = start or [t0]
        if marks and t0 - start[0] - spent[0] >= marks[0]:  # training time so far (evaluation left out)
            marks.pop(0)
            full[step] = evaluate(m, val_data)
        spent[0] += time.perf_counter() - t0

    c = replace(c, max_iters=10**7, max_seconds=seconds, schedule="time", seed=seed, eval_interval=50, eval_iters=1)
    hist = train(model, train_data, val_data, c, progress=False, callback=measure)
    full[hist.steps] = evaluate(model, val_data)
    at = dict(zip(hist.iters, hist.seconds))
    return dict(lever=name, seed=seed, steps=hist.steps, train_s=hist.train_seconds,
                seconds=[round(at[s], 1) for s in sorted(full)], losses=[full[s] for s in sorted(full)])


def fixed_steps(name: str, steps: int, seed: int) -> dict:
    """Train lever ``name`` for ``steps`` steps; the loss on the full validation split and the time."""
    train_data, val_data, vocab_size = shakespeare()
    lmkit.set_seed(seed)
    model, c, fused = model_and_config(name, vocab_size)
    if fused:
        raise SystemExit(f"{name!r} is measured by `speed` only: lmkit.train has no fused-AdamW switch")
    hist = train(model, train_data, config=replace(c, max_iters=steps, seed=seed), progress=False)
    return dict(lever=name, steps=steps, train_s=hist.train_seconds, loss=evaluate(model, val_data))


def in_fresh_process(args: list[str]) -> dict:
    """Run this script with ``args`` in a new process with an empty torch.compile cache; its JSON result."""
    with tempfile.TemporaryDirectory() as cache:
        env = dict(os.environ, TORCHINDUCTOR_CACHE_DIR=cache)
        out = subprocess.run([sys.executable, __file__, *args], env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("what", choices=["speed", "budget", "steps", "_speed", "_budget", "_steps"])
    ap.add_argument("--recipes", nargs="+", default=list(LEVERS), choices=list(LEVERS))
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--seconds", type=float, default=180.0)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--steps", type=int, default=BASE_TRAIN.max_iters)
    args = ap.parse_args()
    if args.what == "_speed":
        print(json.dumps(speed(args.recipes[0])))
        return
    if args.what == "_steps":
        print(json.dumps(fixed_steps(args.recipes[0], args.steps, args.seed)))
        return
    if args.what == "_budget":
        print(json.dumps(budget(args.recipes[0], args.seconds, args.seed)))
        return
    print(f"# {torch.get_num_threads()} threads, torch {torch.__version__}, native bf16: {native_bf16()}")
    if args.what == "steps":
        print(f"| recipe | validation loss after {args.steps:,} steps (median) | training s | runs |")
        print("|---|---:|---:|---:|")
        for name in args.recipes:
            rs = [in_fresh_process(["_steps", "--recipes", name, "--steps", str(args.steps), "--seed", str(s)])
                  for s in range(args.runs)]
            print(f"| {name} | {statistics.median(r['loss'] for r in rs):.3f} | "
                  f"{statistics.median(r['train_s'] for r in rs):.0f} | {len(rs)} |", flush=True)
        return
    if args.what == "speed":
        peak, _ = matmul_peak()
        print(f"# fp32 matmul peak {peak / 1e9:.1f} GFLOP/s")
        print("| lever | ms/step | tokens/s | compile or warm-up (s) | GFLOP/s | MFU | drawing a batch (ms) |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        results = {name: [] for name in args.recipes}
        for _round in range(args.runs):  # rounds over all levers, so that the machine's drift falls on all alike
            for name in args.recipes:
                results[name].append(in_fresh_process(["_speed", "--recipes", name]))
        for name, rs in results.items():
            keys = ("ms", "tokens_per_s", "warmup_s", "gflops", "batch_ms")
            med = {k: statistics.median(r[k] for r in rs) for k in keys}
            print(f"| {name} | {med['ms']:.1f} | {med['tokens_per_s']:,.0f} | {med['warmup_s']:.1f} | "
                  f"{med['gflops']:.1f} | {100 * med['gflops'] * 1e9 / peak:.0f}% | {med['batch_ms']:.2f} |",
                  flush=True)
        return
    print(f"| recipe | steps in {args.seconds:g} s | loss after a third (training s) | two thirds | all | "
          f"runs below {KN_6GRAM} |")
    print("|---|---:|---:|---:|---:|---:|")
    for name in args.recipes:
        rs = [in_fresh_process(["_budget", "--recipes", name, "--seconds", str(args.seconds), "--seed", str(s)])
              for s in range(args.runs)]
        n = min(len(r["losses"]) for r in rs)
        med = [statistics.median(r["losses"][i] for r in rs) for i in range(n)]
        at = [statistics.median(r["seconds"][i] for r in rs) for i in range(n)]
        below = sum(r["losses"][-1] < KN_6GRAM for r in rs)
        cells = " | ".join(f"{v:.3f} ({t:.0f} s)" for v, t in zip(med, at))
        print(f"| {name} | {statistics.median(r['steps'] for r in rs):.0f} | {cells} | {below}/{len(rs)} |",
              flush=True)
        for r in rs:
            print("#", json.dumps(r), flush=True)


if __name__ == "__main__":
    main()
