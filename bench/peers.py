"""lmkit's GPT side by side with its peers: the same model shape, data, loop and steps, in alternation.

    LMKIT_DATA=../shared/data python bench/peers.py                      # every recipe, full step counts
    LMKIT_DATA=../shared/data python bench/peers.py --steps 200          # a quicker look
    LMKIT_DATA=../shared/data python bench/peers.py --generation-only    # cached generation only

Three models of one shape are trained on Tiny Shakespeare by one loop: lmkit.GPT, Hugging Face
`transformers`' model and `litgpt`'s GPT. With GPT-2 blocks (nanoGPT's CPU recipe, and chapter 14's shape as
it was before it took Llama's blocks) the peer is GPT2LMHeadModel (the same architecture: learned positions,
pre-norm, tanh GELU, tied output layer) and litgpt is configured as close as it allows (LayerNorm, GELU MLP,
biases, sequential residual; its positions are rotary, since litgpt has no learned position table). With
Llama blocks (chapter 14's recipe: RMSNorm, SwiGLU, rotary positions, no biases, tied output layer) the peers
are LlamaForCausalLM and litgpt's LLaMAMLP configuration. Each step
draws one batch and feeds it to the three models in turn, in a rotating order, so that the machine's
noise falls on all three alike; the step of each model (forward, cross-entropy, backward, clipping,
AdamW) is timed alone. At the end: median ms/step, the ratio lmkit/peer, and the loss on the full
validation split. Then greedy generation with the KV cache, lmkit.generate against transformers'
generate, for 64, 256 and 1,024 new tokens.

litgpt is a benchmark-only requirement. Its metadata pins an older huggingface-hub than transformers
needs, so install it without its dependencies next to the course's requirements:

    pip install --no-deps litgpt==0.5.13 && pip install lightning jsonargparse

Timings are figures, not pass/fail tests.
"""
from __future__ import annotations

import argparse
import platform
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F

import lmkit
from lmkit import get_batch
from lmkit.training import lr_schedule
from train_recipes import shakespeare  # the same data as the recipe benchmark (bench/ is on the path)

RECIPES = {  # blocks, model shape, batch, steps, peak and floor learning rate (warmup 100 steps)
    "nanogpt-cpu": dict(blocks="gpt2", n_layer=4, n_head=4, n_embd=128, block_size=64, batch=12, steps=2000,
                        lr=1e-3, min_lr=1e-4),
    "chapter-14-gpt2": dict(blocks="gpt2", n_layer=3, n_head=4, n_embd=128, block_size=128, batch=12, steps=1500,
                            lr=5e-3, min_lr=5e-4),
    "chapter-14": dict(blocks="llama", n_layer=3, n_head=4, n_embd=128, block_size=128, batch=12, steps=1300,
                       lr=3e-3, min_lr=0.0),
}


def build(kind: str, shape: dict, vocab_size: int) -> nn.Module:
    """A model of ``shape`` whose call on ids (B, T) returns logits (B, T, V).

    GPT-2 blocks: lmkit.GPT's defaults, transformers' GPT2LMHeadModel, litgpt configured as close as it allows
    (its positions are rotary: litgpt has no learned position table). Llama blocks (RMSNorm, SwiGLU, rotary
    positions, no biases, tied output layer): lmkit.GPT with lmkit.model.LLAMA, LlamaForCausalLM, litgpt's LLaMAMLP.
    """
    L, H, C, T = shape["n_layer"], shape["n_head"], shape["n_embd"], shape["block_size"]
    llama = shape["blocks"] == "llama"
    if kind == "lmkit":
        cfg = lmkit.GPTConfig(vocab_size=vocab_size, block_size=T, n_layer=L, n_head=H, n_embd=C, dropout=0.0,
                              **(lmkit.model.LLAMA if llama else {}))
        model = lmkit.GPT(cfg)
        return _Logits(model, lambda m, x: m(x)[0])
    hidden = lmkit.GPTConfig(vocab_size=vocab_size, n_embd=C, n_head=H, **lmkit.model.LLAMA).hidden  # SwiGLU width
    if kind == "transformers" and llama:
        from transformers import LlamaConfig, LlamaForCausalLM
        cfg = LlamaConfig(vocab_size=vocab_size, hidden_size=C, intermediate_size=hidden, num_hidden_layers=L,
                          num_attention_heads=H, num_key_value_heads=H, max_position_embeddings=T,
                          rms_norm_eps=1e-5, tie_word_embeddings=True, attention_bias=False, mlp_bias=False,
                          bos_token_id=0, eos_token_id=0, pad_token_id=0)
        return _Logits(LlamaForCausalLM(cfg), lambda m, x: m(input_ids=x).logits)
    if kind == "transformers":
        from transformers import GPT2Config, GPT2LMHeadModel
        cfg = GPT2Config(vocab_size=vocab_size, n_positions=T, n_embd=C, n_layer=L, n_head=H,
                         resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0, activation_function="gelu_new",
                         bos_token_id=0, eos_token_id=0)
        return _Logits(GPT2LMHeadModel(cfg), lambda m, x: m(input_ids=x).logits)
    if kind == "litgpt":
        from litgpt.config import Config
        from litgpt.model import GPT
        if llama:
            cfg = Config(name="bench", block_size=T, vocab_size=vocab_size, padded_vocab_size=vocab_size,
                         n_layer=L, n_head=H, n_embd=C, bias=False, norm_class_name="RMSNorm", norm_eps=1e-5,
                         mlp_class_name="LLaMAMLP", intermediate_size=hidden, parallel_residual=False,
                         rotary_percentage=1.0)
        else:
            cfg = Config(name="bench", block_size=T, vocab_size=vocab_size, padded_vocab_size=vocab_size,
                         n_layer=L, n_head=H, n_embd=C, bias=True, norm_class_name="LayerNorm",
                         mlp_class_name="GptNeoxMLP", intermediate_size=4 * C, parallel_residual=False,
                         rotary_percentage=1.0, gelu_approximate="tanh")
        return _Logits(GPT(cfg), lambda m, x: m(x))
    raise ValueError(f"unknown model kind {kind!r}")


class _Logits(nn.Module):
    """Wraps a model so that every peer is called the same way: ids (B, T) -> logits (B, T, V)."""

    def __init__(self, model: nn.Module, call):
        super().__init__()
        self.model, self._call = model, call

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self._call(self.model, x)


def step(model: nn.Module, opt: torch.optim.Optimizer, x: torch.Tensor, y: torch.Tensor, lr: float) -> float:
    for group in opt.param_groups:
        group["lr"] = lr
    logits = model(x)  # (B, T, V)
    loss = F.cross_entropy(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
    opt.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
    opt.step()
    return loss.item()


@torch.no_grad()
def val_loss(model: nn.Module, data: torch.Tensor, T: int, batch: int = 64) -> float:
    """Mean cross-entropy over every non-overlapping block of the validation split."""
    model.eval()
    n = (len(data) - 1) // T
    x = data[: n * T].view(n, T)
    y = data[1: n * T + 1].view(n, T)
    total = 0.0
    for i in range(0, n, batch):
        logits = model(x[i:i + batch])
        total += F.cross_entropy(logits.reshape(-1, logits.size(-1)), y[i:i + batch].reshape(-1),
                                 reduction="sum").item()
    model.train()
    return total / (n * T)


def train_side_by_side(name: str, kinds: list[str], steps: int | None, seed: int) -> None:
    r = RECIPES[name]
    steps = steps or r["steps"]
    train_data, val_data, V = shakespeare()
    models, opts = {}, {}
    for kind in kinds:
        torch.manual_seed(seed)
        models[kind] = build(kind, r, V)
        opts[kind] = torch.optim.AdamW(models[kind].parameters(), lr=r["lr"], betas=(0.9, 0.99),
                                       weight_decay=0.1)
    times = {k: [] for k in kinds}
    losses = {k: [] for k in kinds}
    gen = torch.Generator().manual_seed(seed)
    for it in range(steps):
        x, y = get_batch(train_data, r["batch"], r["block_size"], generator=gen)
        lr = lr_schedule(it, lr=r["lr"], min_lr=r["min_lr"], warmup_iters=min(100, steps), max_iters=steps)
        order = kinds[it % len(kinds):] + kinds[:it % len(kinds)]
        for kind in order:
            t0 = time.perf_counter()
            losses[kind].append(step(models[kind], opts[kind], x, y, lr))
            times[kind].append(time.perf_counter() - t0)
    print(f"\n## {name}: {r['blocks']} blocks, {steps} steps, batch {r['batch']}, context {r['block_size']}, "
          f"{r['n_layer']} layers, {r['n_head']} heads, {r['n_embd']} channels")
    print("| model | parameters | ms/step (median) | lmkit / this | last-100 training loss | validation loss |")
    print("|---|---|---|---|---|---|")
    ms = {k: 1000 * statistics.median(times[k][10:]) for k in kinds}
    for kind in kinds:
        n = sum(p.numel() for p in models[kind].parameters())
        print(f"| {kind} | {n:,} | {ms[kind]:.1f} | {ms['lmkit'] / ms[kind]:.2f} | "
              f"{statistics.mean(losses[kind][-100:]):.3f} | {val_loss(models[kind], val_data, r['block_size']):.3f} |",
              flush=True)


@torch.no_grad()
def generation(runs: int, seed: int) -> None:
    from transformers import GPT2Config, GPT2LMHeadModel
    V, L, H, C, prompt = 65, 3, 4, 128, 64
    T = prompt + 1024
    torch.manual_seed(seed)
    ours = lmkit.GPT(lmkit.GPTConfig(vocab_size=V, block_size=T, n_layer=L, n_head=H, n_embd=C, dropout=0.0)).eval()
    hf = GPT2LMHeadModel(GPT2Config(vocab_size=V, n_positions=T, n_embd=C, n_layer=L, n_head=H,
                                    resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                                    activation_function="gelu_new", bos_token_id=0, eos_token_id=0)).eval()
    idx = torch.randint(V, (1, prompt), generator=torch.Generator().manual_seed(seed))
    print("\n## Greedy generation with the KV cache, one sequence, 64-token prompt, untrained weights")
    print("| new tokens | lmkit tokens/s | transformers tokens/s | lmkit / transformers |")
    print("|---|---|---|---|")
    for n in (64, 256, 1024):
        rates = {"lmkit": [], "transformers": []}
        for _ in range(runs):
            for kind in ("lmkit", "transformers"):
                t0 = time.perf_counter()
                if kind == "lmkit":
                    out = lmkit.generate(ours, idx, n, greedy=True, use_cache=True)
                else:
                    out = hf.generate(idx, max_new_tokens=n, min_new_tokens=n, do_sample=False, use_cache=True,
                                      pad_token_id=0, attention_mask=torch.ones_like(idx))
                rates[kind].append(n / (time.perf_counter() - t0))
                assert out.shape == (1, prompt + n), out.shape
        a, b = statistics.median(rates["lmkit"]), statistics.median(rates["transformers"])
        print(f"| {n:,} | {a:,.0f} | {b:,.0f} | {a / b:.2f} |", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--recipes", nargs="+", default=list(RECIPES), choices=list(RECIPES))
    ap.add_argument("--models", nargs="+", default=["lmkit", "transformers", "litgpt"],
                    choices=["lmkit", "transformers", "litgpt"])
    ap.add_argument("--steps", type=int, help="steps per recipe (default: the recipe's own)")
    ap.add_argument("--runs", type=int, default=3, help="generation runs per length (the median is reported)")
    ap.add_argument("--generation-only", action="store_true")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    if "lmkit" not in args.models:
        ap.error("--models must include lmkit (the ratios are lmkit's against each peer)")
    cpu = platform.processor() or platform.machine()
    print(f"# {cpu}, {torch.get_num_threads()} threads, torch {torch.__version__}")
    if not args.generation_only:
        for name in args.recipes:
            train_side_by_side(name, args.models, args.steps, args.seed)
    generation(args.runs, args.seed)


if __name__ == "__main__":
    main()
