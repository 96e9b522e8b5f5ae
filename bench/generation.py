"""Generation speed with and without the KV cache: tokens per second for 64, 256 and 1024 new tokens.

    python bench/generation.py             # one run per setting
    python bench/generation.py --runs 3    # median of three

The model is chapter 14's architecture (3 blocks, 4 heads, 128 channels, 65 characters) with a context of
1,280 positions, so that a 16-token prompt plus 1,024 new tokens fit without sliding the window (once the
window slides, lmkit's cached path rebuilds the cache at every step to stay exact; chapter 15 explains it).
Weights are random: speed does not depend on them. Greedy decoding, so both paths produce the same tokens
(checked).
"""
from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch

import lmkit
from lmkit import generate


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=1)
    ap.add_argument("--lengths", nargs="+", type=int, default=[64, 256, 1024])
    args = ap.parse_args()
    lmkit.set_seed(0)
    model = lmkit.GPT(lmkit.GPTConfig(vocab_size=65, block_size=1280, n_layer=3, n_head=4, n_embd=128)).eval()
    prompt = torch.randint(0, 65, (1, 16), generator=torch.Generator().manual_seed(0))
    print(f"# {platform.processor() or platform.machine()}, {torch.get_num_threads()} threads, "
          f"torch {torch.__version__}; batch 1, prompt 16 tokens, greedy")
    print("| new tokens | without cache (tokens/s) | with cache (tokens/s) | speed-up |")
    print("|---|---|---|---|")
    for n in args.lengths:
        rates = {False: [], True: []}
        for _ in range(args.runs):
            outs = {}
            for cache in (False, True):
                t0 = time.perf_counter()
                outs[cache] = generate(model, prompt, n, greedy=True, use_cache=cache)
                rates[cache].append(n / (time.perf_counter() - t0))
            assert torch.equal(outs[False], outs[True]), "cached and uncached generation differ"
        slow, fast = statistics.median(rates[False]), statistics.median(rates[True])
        print(f"| {n} | {slow:,.0f} | {fast:,.0f} | {fast / slow:.1f}x |", flush=True)


if __name__ == "__main__":
    main()
