"""Train a character GPT on Tiny Shakespeare with nanoGPT's CPU recipe and with chapter 14's (and with chapter
14's earlier recipe, GPT-2 blocks), and print tokens/s, wall time and the loss on the full validation split.

    LMKIT_DATA=../shared/data python bench/train_recipes.py            # both recipes, one run each
    LMKIT_DATA=../shared/data python bench/train_recipes.py --runs 3   # median of three runs
    LMKIT_DATA=../shared/data python bench/train_recipes.py --budgets 60 120 180   # loss reached in a time budget
    LMKIT_DATA=../shared/data python bench/train_recipes.py --budgets 180 --recipes chapter-14-gpt2

nanoGPT's documented CPU command: 4 layers, 4 heads, 128 channels, block 64, batch 12, lr 1e-3 (warmup 100,
cosine to 1e-4 over 2,000 steps), AdamW betas (0.9, 0.99), weight decay 0.1, clip 1.0, dropout 0.
Timings are not pass/fail: machines are noisy, so the script prints figures and medians.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import time
from dataclasses import replace

import torch

import lmkit
from lmkit import TrainConfig, evaluate, train

# Each recipe: the model's shape and how it is trained (the rest of TrainConfig is nanoGPT's: AdamW
# betas (0.9, 0.99), weight decay 0.1, clipping at 1.0).
RECIPES = {
    "nanogpt-cpu": (dict(n_layer=4, n_head=4, n_embd=128, block_size=64),
                    TrainConfig(max_iters=2000, batch_size=12, lr=1e-3, min_lr=1e-4, warmup_iters=100)),
    "chapter-14-gpt2": (dict(n_layer=3, n_head=4, n_embd=128, block_size=128),
                        TrainConfig(max_iters=1500, batch_size=12, lr=5e-3, min_lr=5e-4, warmup_iters=100)),
    "chapter-14": (dict(n_layer=3, n_head=4, n_embd=128, block_size=128, **lmkit.model.LLAMA),
                   TrainConfig(max_iters=1300, batch_size=12, lr=3e-3, min_lr=0.0, warmup_iters=100)),
}


def shakespeare() -> tuple[torch.Tensor, torch.Tensor, int]:
    """Tiny Shakespeare as character ids: (train split, validation split, vocabulary size)."""
    text = lmkit.load_text("tinyshakespeare", progress=False)
    tok = lmkit.CharTokenizer.train(text)
    data = torch.tensor(tok.encode(text), dtype=torch.long)
    train_data, val_data = lmkit.train_val_split(data, 0.9)
    return train_data, val_data, tok.vocab_size


def config(name: str, vocab_size: int) -> lmkit.GPTConfig:
    """The model of recipe ``name``."""
    return lmkit.GPTConfig(vocab_size=vocab_size, dropout=0.0, **RECIPES[name][0])


def run(name: str, seed: int) -> dict:
    train_data, val_data, vocab_size = shakespeare()
    lmkit.set_seed(seed)
    model = lmkit.GPT(config(name, vocab_size))
    t0 = time.perf_counter()
    hist = train(model, train_data, val_data, replace(RECIPES[name][1], eval_interval=0, seed=seed), progress=False)
    wall = time.perf_counter() - t0
    return dict(recipe=name, steps=hist.steps, train_s=hist.train_seconds, wall_s=wall,
                ms_per_step=1000 * hist.train_seconds / hist.steps, tokens_per_s=hist.tokens_per_second,
                val_loss=evaluate(model, val_data))


def run_budget(name: str, seconds: float, seed: int) -> dict:
    """Recipe ``name`` fitted to a training-time budget: the cosine schedule ends when the time does.

    The step time is measured over 30 steps first; max_iters is set so that the schedule finishes at the
    budget, and training also stops at ``seconds`` of training time whatever happens.
    """
    recipe = replace(RECIPES[name][1], eval_interval=0, seed=seed)
    train_data, val_data, vocab_size = shakespeare()
    cfg = config(name, vocab_size)
    h = train(lmkit.GPT(cfg), train_data, config=replace(recipe, max_iters=30, warmup_iters=0), progress=False)
    per_step = h.train_seconds / h.steps
    steps = max(recipe.warmup_iters + 1, int(seconds / per_step))
    lmkit.set_seed(seed)
    model = lmkit.GPT(cfg)
    hist = train(model, train_data, config=replace(recipe, max_iters=steps, max_seconds=seconds), progress=False)
    return dict(budget=seconds, planned=steps, steps=hist.steps, train_s=hist.train_seconds,
                val_loss=evaluate(model, val_data))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=1, help="runs per recipe (the median is reported)")
    ap.add_argument("--recipes", nargs="+", choices=list(RECIPES))
    ap.add_argument("--budgets", nargs="+", type=float,
                    help="instead: the first of --recipes (default chapter 14's) fitted to these training-time "
                         "budgets, in seconds")
    args = ap.parse_args()
    if args.budgets:
        print("| training budget (s) | steps | training s | validation loss (full split) |")
        print("|---|---|---|---|")
        for b in args.budgets:
            results = [run_budget((args.recipes or ["chapter-14"])[0], b, seed) for seed in range(args.runs)]
            med = {k: statistics.median(r[k] for r in results) for k in ("steps", "train_s", "val_loss")}
            print(f"| {b:g} | {med['steps']:.0f} | {med['train_s']:.1f} | {med['val_loss']:.3f} |", flush=True)
        return
    cpu = platform.processor() or platform.machine()
    print(f"# {cpu}, {torch.get_num_threads()} threads, torch {torch.__version__}")
    print("| recipe | steps | training s | ms/step | tokens/s | validation loss (full split) |")
    print("|---|---|---|---|---|---|")
    for name in args.recipes or list(RECIPES):
        results = [run(name, seed) for seed in range(args.runs)]
        keys = ("train_s", "ms_per_step", "tokens_per_s", "val_loss")
        med = {k: statistics.median(r[k] for r in results) for k in keys}
        print(f"| {name} | {results[0]['steps']} | {med['train_s']:.1f} | {med['ms_per_step']:.1f} | "
              f"{med['tokens_per_s']:,.0f} | {med['val_loss']:.3f} |", flush=True)


if __name__ == "__main__":
    main()
