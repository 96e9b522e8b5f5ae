"""Checks for the exercises of chapters/part3/training_math.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`.
"""
from __future__ import annotations

import math
from typing import Callable

import torch
import torch.nn.functional as F

from ..model import GPT, GPTConfig
from ._grader import _close, _report

__all__: list[str] = ["rms_norm_backward", "label_smoothing_backward", "training_flops"]

#: The graduated hints of each check: the k-th failure shows the k-th hint; none gives the code away.
HINTS: dict[str, list[str]] = {
    "rms_norm_backward": [
        "RMSNorm is y = x * r * weight, with one r per position: r = 1 / sqrt(mean of x squared over the C "
        "channels + eps). Return two tensors: the gradient for x, shaped like x, and the gradient for weight, "
        "shaped (C,), which collects every position's contribution.",
        "r depends on every channel of its position, so the gradient reaches x by two paths: directly "
        "through x and through r, whose derivative with respect to x_j is -r cubed times x_j / C. Start from "
        "the gradient that reaches the normalized vector (grad_out times weight) and apply the chain rule "
        "through both paths, as the chapter does for LayerNorm.",
        "common slips: leaving out the path through r (the result is then only grad_out * weight * r), "
        "summing the weight's gradient over the channels instead of over the positions, or subtracting "
        "means as LayerNorm's backward does: RMSNorm has no mean, so no term with the mean of the incoming "
        "gradient alone appears.",
    ],
    "label_smoothing_backward": [
        "with label smoothing the target of each row is no longer one-hot but a distribution q that keeps "
        "most of the mass on the target and spreads the rest; the loss is the mean over the N rows of "
        "-sum(q * log softmax(z)). The gradient has the logits' shape (N, V).",
        "PyTorch's label_smoothing=eps mixes the one-hot target with the UNIFORM distribution over all V "
        "classes, the target class included: 1 - eps of the mass on the one-hot, and eps shared equally by "
        "the V classes. (Spreading eps over the V - 1 wrong classes only is another convention.)",
        "redo the chapter's derivation of softmax minus one-hot with a target distribution q whose entries "
        "sum to 1: it goes through unchanged with q in place of the one-hot. Then divide by N for the mean, "
        "and compute the softmax safely: one case has logits in the hundreds.",
    ],
    "training_flops": [
        "the book counts training FLOPs per token as 6N + 12 L T C and multiplies by the number of tokens: N "
        "the non-embedding parameters, L the number of layers, T the context (config.block_size) and C the "
        "width (config.n_embd).",
        "N counts every parameter outside the token and position embedding tables, biases and LayerNorm "
        "parameters included, so 12 L C squared is close but not exact. lmkit's GPT counts it for you "
        "(num_params has a non_embedding switch); build the model on the 'meta' device to count a large "
        "configuration without allocating its weights.",
        "common slips: counting the forward pass only (2N + 4 L T C, a third of the total), leaving out the "
        "attention term, counting the embeddings in N, or forgetting to multiply by the number of tokens.",
    ],
}


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def _pair(out, names: tuple[str, str]) -> tuple[bool, str]:
    if out is None:
        return False, "your function returned None (did you forget `return`?)"
    if not isinstance(out, (tuple, list)) or len(out) != 2:
        return False, f"expected a pair ({names[0]}, {names[1]}), got {type(out).__name__}"
    return True, ""


def rms_norm_backward(fn: Callable) -> bool:
    """``fn(x, weight, grad_out, eps)`` returns (grad_x, grad_weight) for y = x / rms(x) * weight."""
    def case(shape, seed, shift, scale):
        g = _gen(seed)
        C = shape[-1]
        x = (scale * torch.randn(shape, generator=g, dtype=torch.float64) + shift)
        w = 1 + 0.5 * torch.randn(C, generator=g, dtype=torch.float64)
        grad_out = torch.randn(shape, generator=g, dtype=torch.float64)
        xx, ww = x.clone().requires_grad_(True), w.clone().requires_grad_(True)
        y = xx / torch.sqrt(xx.pow(2).mean(-1, keepdim=True) + 1e-5) * ww
        y.backward(grad_out)
        out = fn(x.clone(), w.clone(), grad_out.clone(), 1e-5)
        ok, detail = _pair(out, ("grad_x", "grad_weight"))
        if not ok:
            return ok, detail
        for what, got, want in (("grad_x", out[0], xx.grad), ("grad_weight", out[1], ww.grad)):
            ok, detail = _close(got, want, atol=1e-6 * max(1.0, float(want.abs().max())))  # float32 is fine
            if not ok:
                return False, f"{what}: {detail}"
        return True, ""

    cases = [("x of shape (2, 3, 8)", lambda: case((2, 3, 8), 0, 0.0, 1.0)),
             ("x of shape (5, 16), mean 3, std 10 (RMSNorm does not subtract the mean)",
              lambda: case((5, 16), 1, 3.0, 10.0)),
             ("x of shape (1, 4, 32), small values", lambda: case((1, 4, 32), 2, 0.0, 0.05))]
    return _report("rms_norm_backward", fn, cases, HINTS["rms_norm_backward"])


def label_smoothing_backward(fn: Callable) -> bool:
    """``fn(logits, targets, smoothing)`` returns d(mean smoothed cross-entropy)/d(logits), shape (N, V)."""
    def case(N, V, smoothing, scale, seed):
        g = _gen(seed)
        logits = scale * torch.randn(N, V, generator=g, dtype=torch.float64)
        targets = torch.randint(V, (N,), generator=g)
        z = logits.clone().requires_grad_(True)
        F.cross_entropy(z, targets, label_smoothing=smoothing).backward()
        return _close(fn(logits.clone(), targets.clone(), smoothing), z.grad, atol=1e-8)

    cases = [("N=4, V=5, smoothing 0.1", lambda: case(4, 5, 0.1, 1.0, 0)),
             ("N=1, V=3, smoothing 0 (plain cross-entropy)", lambda: case(1, 3, 0.0, 1.0, 1)),
             ("N=6, V=7, smoothing 0.3, logits in the hundreds", lambda: case(6, 7, 0.3, 200.0, 2))]
    return _report("label_smoothing_backward", fn, cases, HINTS["label_smoothing_backward"])


def _reference_flops(config: GPTConfig, tokens: int) -> float:
    with torch.device("meta"):
        n = GPT(config).num_params(non_embedding=True)
    per_token = 6 * n + 12 * config.n_layer * config.block_size * config.n_embd
    return float(per_token) * tokens


def training_flops(fn: Callable) -> bool:
    """``fn(config, tokens)`` returns the training FLOPs, (6N + 12 L T C) per token, N non-embedding."""
    def case(config, tokens):
        want = _reference_flops(config, tokens)
        got = fn(config, tokens)
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        try:
            got = float(got)
        except (TypeError, ValueError, RuntimeError):
            return False, f"expected a number, got {type(got).__name__}"
        if not math.isfinite(got) or not math.isclose(got, want, rel_tol=1e-9):
            return False, f"you gave {got:.6g} FLOPs, expected {want:.6g} (ratio {got / want:.4f})"
        return True, ""

    G = GPTConfig
    cases = [("a small GPT (V=65, T=64, L=2, C=64) on 512,000 tokens",
              lambda: case(G(vocab_size=65, block_size=64, n_layer=2, n_head=4, n_embd=64), 512_000)),
             ("GPT-2 small (V=50257, T=1024, L=12, C=768) on 1 token",
              lambda: case(G(vocab_size=50257, block_size=1024, n_layer=12, n_head=12, n_embd=768), 1)),
             ("a GPT with T=256, L=6, C=384 on 10 million tokens",
              lambda: case(G(vocab_size=1000, block_size=256, n_layer=6, n_head=6, n_embd=384), 10_000_000))]
    return _report("training_flops", fn, cases, HINTS["training_flops"])
