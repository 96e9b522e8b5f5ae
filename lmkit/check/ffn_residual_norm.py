"""Checks for the exercises of chapters/part2/ffn_residual_norm.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from ..model import Block, GPTConfig
from ._grader import _close, _report

__all__: list[str] = ["layer_norm", "ffn_forward", "pre_norm_block", "stable_cross_entropy"]

#: The graduated hints of each check: the k-th failure shows the k-th hint; none gives the code away.
HINTS: dict[str, list[str]] = {
    "layer_norm": [
        "LayerNorm normalizes each position on its own, over its last dimension (the C channels), not over "
        "the batch or the positions; then it applies the per-channel weight and bias.",
        "subtract the mean of the last dimension and divide by the square root of (variance + eps), with "
        "keepdim=True so that the statistics broadcast against x.",
        "the variance is the mean of the squared deviations: divide by C, not by C - 1 (torch.var divides "
        "by C - 1 unless told otherwise). Multiply by weight and add bias last.",
    ],
    "ffn_forward": [
        "the FFN widens each position's vector from C to 4C numbers, applies GELU, and narrows it back to "
        "C: the result is (B, T, C), like x.",
        "w1 and w2 are stored as nn.Linear stores them, (out, in): multiply x by the transpose of w1 and "
        "add b1; the second map works the same way with w2 and b2.",
        "GPT-2's activation is GELU's tanh approximation, neither ReLU nor the exact GELU: F.gelu has an "
        "argument that selects it.",
    ],
    "pre_norm_block": [
        "a block has two residual steps, attention and then the MLP; each adds its sublayer's output to "
        "its input, so both additions must be there.",
        "pre-norm normalizes the sublayer's input, not the sum: ln_1 goes inside the attention branch and "
        "ln_2 inside the MLP branch. A LayerNorm applied after an addition is post-norm.",
        "the MLP step starts from the output of the attention step (x after its addition), not from the "
        "block's original input.",
    ],
    "stable_cross_entropy": [
        "the loss is one number: the mean over the N rows of -log p(target), where p is the softmax of "
        "that row of logits.",
        "work with log-probabilities directly, log p(y) = z_y - log(sum of exp(z)): taking exp(z) of "
        "logits of size 1,000 first overflows float32.",
        "subtract the row maximum m before exponentiating: log(sum of exp(z)) = m + log(sum of exp(z - m)), "
        "and every exponent is then at most 0.",
    ],
}



def _randn(*shape: int, seed: int = 0, scale: float = 1.0) -> torch.Tensor:
    return scale * torch.randn(*shape, generator=torch.Generator().manual_seed(seed))


def layer_norm(fn: Callable) -> bool:
    """``fn(x, weight, bias, eps)`` normalizes the last dimension of ``x``.

    Compared with ``torch.nn.functional.layer_norm`` on small and wide inputs, shifted and scaled.
    """
    def case(shape, seed, shift, scale):
        C = shape[-1]
        x = _randn(*shape, seed=seed, scale=scale) + shift
        w, b = 1 + _randn(C, seed=seed + 1, scale=0.5), _randn(C, seed=seed + 2)
        return _close(fn(x, w, b, 1e-5), F.layer_norm(x, (C,), w, b, 1e-5))

    cases = [("(2, 3, 4) input", lambda: case((2, 3, 4), 0, 0.0, 1.0)),
             ("(5, 16) input, mean 3, std 10", lambda: case((5, 16), 3, 3.0, 10.0)),
             ("(1, 7, 64) input", lambda: case((1, 7, 64), 6, -1.0, 0.1))]
    return _report("layer_norm", fn, cases, HINTS["layer_norm"])


def ffn_forward(fn: Callable) -> bool:
    """``fn(x, w1, b1, w2, b2)`` is GPT-2's feed-forward network.

    ``w1`` (4C, C) and ``w2`` (C, 4C) are stored as ``nn.Linear`` stores them, (out, in); the
    activation is GELU with the tanh approximation.
    """
    def case(B, T, C, seed):
        x = _randn(B, T, C, seed=seed, scale=2.0)
        w1, b1 = _randn(4 * C, C, seed=seed + 1, scale=0.5), _randn(4 * C, seed=seed + 2)
        w2, b2 = _randn(C, 4 * C, seed=seed + 3, scale=0.5), _randn(C, seed=seed + 4)
        want = F.linear(F.gelu(F.linear(x, w1, b1), approximate="tanh"), w2, b2)
        return _close(fn(x, w1, b1, w2, b2), want, atol=1e-4)

    cases = [("B=2, T=3, C=4", lambda: case(2, 3, 4, 0)), ("B=1, T=5, C=16", lambda: case(1, 5, 16, 10))]
    return _report("ffn_forward", fn, cases, HINTS["ffn_forward"])


def pre_norm_block(fn: Callable) -> bool:
    """``fn(block, x)`` computes a pre-norm block from its parts.

    ``block`` is an :class:`lmkit.model.Block` (``ln_1``, ``attn``, ``ln_2``, ``mlp``) whose
    weights, LayerNorms included, are randomized so that pre-norm and post-norm differ.
    """
    def case(C, H, T, seed):
        with torch.random.fork_rng():  # leave the learner's random state alone
            torch.manual_seed(seed)
            block = Block(GPTConfig(vocab_size=10, block_size=T, n_layer=1, n_head=H, n_embd=C)).eval()
        gen = torch.Generator().manual_seed(seed)
        with torch.no_grad():
            for p in block.parameters():
                p.add_(0.3 * torch.randn(p.shape, generator=gen))
            want = block(_randn(2, T, C, seed=seed))
            got = fn(block, _randn(2, T, C, seed=seed))
        return _close(got, want)

    cases = [("C=8, 2 heads", lambda: case(8, 2, 5, 0)), ("C=16, 4 heads", lambda: case(16, 4, 7, 1))]
    return _report("pre_norm_block", fn, cases, HINTS["pre_norm_block"])


def stable_cross_entropy(fn: Callable) -> bool:
    """``fn(logits, targets)`` is the mean cross-entropy, finite for huge logits.

    ``logits`` is (N, V), ``targets`` (N,) token ids; compared with ``F.cross_entropy``, also on
    logits of size 1,000 where exp() overflows in float32.
    """
    def case(N, V, scale, seed):
        logits = _randn(N, V, seed=seed, scale=scale)
        targets = torch.randint(V, (N,), generator=torch.Generator().manual_seed(seed + 1))
        got = fn(logits, targets)
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        got = torch.as_tensor(got)
        if got.numel() != 1:
            return False, f"expected one number (the mean over the N positions), got shape {tuple(got.shape)}"
        if not torch.isfinite(got).all():
            return False, f"got {got.item()}: exp() of large logits overflows float32"
        return _close(got.reshape(()), F.cross_entropy(logits, targets), atol=1e-4)

    cases = [("N=6, V=5", lambda: case(6, 5, 1.0, 0)), ("N=32, V=65", lambda: case(32, 65, 3.0, 2)),
             ("logits of size 1,000", lambda: case(8, 10, 1000.0, 4))]
    return _report("stable_cross_entropy", fn, cases, HINTS["stable_cross_entropy"])
