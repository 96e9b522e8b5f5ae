"""Checks for the exercises of chapters/part5/adapting.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`.
"""
from __future__ import annotations

from typing import Callable

import torch
import torch.nn.functional as F

from ._grader import _close, _report

__all__: list[str] = ["lora_forward", "masked_sft_targets", "dpo_loss"]

#: The graduated hints of each check: the k-th failure shows the k-th hint; none gives the code away.
HINTS: dict[str, list[str]] = {
    "lora_forward": [
        "the output is the frozen layer's output plus a low-rank correction: x goes through W as usual, "
        "and separately through A, then B; the two results are added.",
        "A has shape (r, in) and B (out, r), the way nn.Linear stores weights (out, in): x (…, in) is "
        "multiplied by the transpose of each, so x → (…, r) → (…, out).",
        "the correction is scaled by alpha / r, not by alpha alone nor by r / alpha; with B all zeros the "
        "output must equal the frozen layer's output exactly.",
    ],
    "masked_sft_targets": [
        "return two tensors of the same length, the inputs and the targets of next-token prediction over "
        "the prompt followed by the answer; the targets are the inputs shifted by one position.",
        "with P prompt tokens and A answer tokens the sequence has P + A tokens, so inputs and targets "
        "have P + A - 1 each; a target that is a prompt token is replaced by -1 (ignored by the loss).",
        "count carefully: the prediction made at the last prompt token is the first answer token, and it "
        "must be kept; only the first P - 1 targets are prompt tokens.",
    ],
    "dpo_loss": [
        "the loss compares how much more likely the policy makes each answer than the reference model "
        "does: a log-ratio for the chosen answer and one for the rejected answer.",
        "each log-ratio is a difference of log-probabilities (policy minus reference); the loss is "
        "-log σ(β × (chosen log-ratio - rejected log-ratio)), averaged over the pairs.",
        "use F.logsigmoid for -log σ(z) (stable for large |z|), multiply by β before it, and return "
        "the mean over the batch as a scalar tensor.",
    ],
}


def lora_forward(fn: Callable) -> bool:
    """``fn(x, W, A, B, alpha, r)`` returns x Wᵀ + (alpha / r) · x Aᵀ Bᵀ.

    ``W`` (out, in) is the frozen weight, ``A`` (r, in) and ``B`` (out, r) the low-rank factors,
    stored as :class:`torch.nn.Linear` stores weights; ``x`` is (…, in).
    """
    g = torch.Generator().manual_seed(19)

    def case(shape_x, n_in, n_out, r, alpha, zero_b=False):
        x = torch.randn(*shape_x, n_in, generator=g, dtype=torch.float64)
        W = torch.randn(n_out, n_in, generator=g, dtype=torch.float64)
        A = torch.randn(r, n_in, generator=g, dtype=torch.float64)
        B = torch.zeros(n_out, r, dtype=torch.float64) if zero_b else \
            torch.randn(n_out, r, generator=g, dtype=torch.float64)
        want = x @ W.T + (alpha / r) * (x @ A.T @ B.T)
        got = fn(x, W, A, B, alpha, r)
        return _close(got, want, atol=1e-8)

    cases = [("B = 0 (a fresh adapter): the frozen layer's output", lambda: case((3,), 6, 5, 2, 4.0, True)),
             ("one batch of vectors, in=6, out=5, r=2, alpha=4", lambda: case((3,), 6, 5, 2, 4.0)),
             ("alpha equal to r (scale 1)", lambda: case((4,), 8, 8, 4, 4.0)),
             ("a (B, T, in) input, r=1, alpha=16", lambda: case((2, 3), 7, 4, 1, 16.0))]
    return _report("lora_forward", fn, cases, HINTS["lora_forward"])


def _targets(prompt: list[int], answer: list[int]) -> tuple[torch.Tensor, torch.Tensor]:
    seq = torch.tensor(prompt + answer)
    x, y = seq[:-1].clone(), seq[1:].clone()
    y[: len(prompt) - 1] = -1
    return x, y


def masked_sft_targets(fn: Callable) -> bool:
    """``fn(prompt_ids, answer_ids)`` returns ``(x, y)``: next-token inputs and targets of the prompt followed
    by the answer, with the targets that are prompt tokens set to -1 (ignored by the loss)."""
    examples = [([5, 6, 7], [8, 9]), ([1], [2, 3, 4]), ([10, 11, 12, 13, 14], [15]), ([3, 3], [3, 3])]

    def case(prompt, answer):
        got = fn(list(prompt), list(answer))
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            return False, "return a pair (x, y)"
        want_x, want_y = _targets(prompt, answer)
        ok, why = _close(torch.as_tensor(got[0]), want_x, atol=0)
        if not ok:
            return False, f"inputs x: {why}"
        ok, why = _close(torch.as_tensor(got[1]), want_y, atol=0)
        return ok, f"targets y: {why}"

    cases = [(f"prompt {p}, answer {a}", lambda p=p, a=a: case(p, a)) for p, a in examples]
    return _report("masked_sft_targets", fn, cases, HINTS["masked_sft_targets"])


def dpo_loss(fn: Callable) -> bool:
    """``fn(policy_chosen, policy_rejected, ref_chosen, ref_rejected, beta)`` returns the mean DPO loss.

    The arguments are (N,) tensors of sequence log-probabilities of the chosen and rejected answers under
    the policy and under the reference model; the loss is
    mean(-log σ(β [(πc - refc) - (πr - refr)])) (Rafailov et al. 2023).
    """
    g = torch.Generator().manual_seed(23)

    def case(n, beta, scale=5.0, equal=False):
        pc, pr, rc, rr = (scale * torch.randn(n, generator=g, dtype=torch.float64) - 40 for _ in range(4))
        if equal:  # the policy is the reference: loss log 2
            pc, pr = rc.clone(), rr.clone()
        want = -F.logsigmoid(beta * ((pc - rc) - (pr - rr))).mean()
        got = fn(pc, pr, rc, rr, beta)
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        got = torch.as_tensor(got)
        if got.numel() != 1:
            return False, f"return one number (the mean over the pairs), got shape {tuple(got.shape)}"
        return _close(got.reshape(()), want, atol=1e-6)

    cases = [("the policy equals the reference (loss log 2)", lambda: case(4, 0.1, equal=True)),
             ("8 pairs, beta=0.1", lambda: case(8, 0.1)),
             ("8 pairs, beta=0.5", lambda: case(8, 0.5)),
             ("large log-ratios, beta=2 (stability)", lambda: case(16, 2.0, scale=200.0))]
    return _report("dpo_loss", fn, cases, HINTS["dpo_loss"])
