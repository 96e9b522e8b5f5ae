"""Checks for the exercises of chapters/part7/compute.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from ._grader import _close, _report

__all__: list[str] = ["flops_per_token", "zero_memory_per_gpu", "allreduce_mean"]

#: The graduated hints of each check: the k-th failure shows the k-th hint; none gives the code away.
HINTS: dict[str, list[str]] = {
    "flops_per_token": [
        "count a training step's floating-point operations per token: the matrix products with the weights, "
        "and the attention products, which have no weights.",
        "a weight takes part in one multiply and one add per token in the forward pass (2 FLOPs), and the "
        "backward pass costs twice the forward pass; attention's two products (scores and weighted sum) each "
        "cost 2·T·C per token and layer in the forward pass.",
        "add the two terms: one proportional to n_params, one proportional to n_layer · block_size · n_embd; "
        "check the factors in the chapter's formula.",
    ],
    "zero_memory_per_gpu": [
        "mixed-precision Adam keeps 2 bytes per parameter of 16-bit weights, 2 of 16-bit gradients and 12 of "
        "fp32 state (master weights, first and second moments); the stage says which of these are split.",
        "stage 0 splits nothing; stage 1 splits the 12 bytes of optimiser state over the n_gpus; stage 2 also "
        "the gradients; stage 3 also the 16-bit weights.",
        "a split part costs bytes · n_params / n_gpus on each GPU, a part that is not split the full "
        "bytes · n_params; return bytes (not GB).",
    ],
    "allreduce_mean": [
        "the result has one tensor per parameter, the same shapes as one rank's list: combine the ranks "
        "parameter by parameter.",
        "for parameter i, take grads_per_rank[r][i] for every rank r and average them element-wise (sum, "
        "then divide by the number of ranks, not by the number of parameters).",
        "zip(*grads_per_rank) groups the i-th gradients of all ranks together; check that with one rank your "
        "function returns that rank's gradients unchanged.",
    ],
}


def flops_per_token(fn: Callable) -> bool:
    """``fn(n_params, n_layer, block_size, n_embd)`` returns the training FLOPs per token, 6N + 12·L·T·C."""
    cases_in = [(1_000_000, 4, 128, 128), (124_000_000, 12, 1024, 768), (7_000_000_000, 32, 4096, 4096),
                (0, 1, 1, 1), (10, 0, 64, 64)]

    def case(N, L, T, C):
        got = fn(N, L, T, C)
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        want = 6 * N + 12 * L * T * C
        return math.isclose(float(got), want, rel_tol=1e-9), f"N={N:,}, L={L}, T={T}, C={C}: got {float(got):.6g}, " \
                                                             f"expected {want:.6g}"

    cases = [(f"N={N:,}, L={L}, T={T}, C={C}", lambda a=a: case(*a)) for a in cases_in for N, L, T, C in [a]]
    return _report("flops_per_token", fn, cases, HINTS["flops_per_token"])


def _zero_reference(n_params: float, n_gpus: int, stage: int) -> float:
    weights, grads, states = 2.0, 2.0, 12.0  # bytes per parameter, mixed-precision Adam (ZeRO, Table 1)
    if stage >= 1:
        states /= n_gpus
    if stage >= 2:
        grads /= n_gpus
    if stage >= 3:
        weights /= n_gpus
    return (weights + grads + states) * n_params


def zero_memory_per_gpu(fn: Callable) -> bool:
    """``fn(n_params, n_gpus, stage)`` returns the bytes of model state on each GPU under ZeRO ``stage``."""
    cases_in = [(7e9, 1, 0), (7e9, 8, 0), (7e9, 8, 1), (7e9, 8, 2), (7e9, 8, 3), (70e9, 64, 3), (1e6, 4, 2)]

    def case(n, g, s):
        got = fn(n, g, s)
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        want = _zero_reference(n, g, s)
        return math.isclose(float(got), want, rel_tol=1e-6), f"{n:.3g} parameters, {g} GPUs, stage {s}: got " \
                                                             f"{float(got):.4g} bytes, expected {want:.4g}"

    cases = [(f"{n:.3g} parameters, {g} GPUs, stage {s}", lambda a=(n, g, s): case(*a)) for n, g, s in cases_in]
    return _report("zero_memory_per_gpu", fn, cases, HINTS["zero_memory_per_gpu"])


def allreduce_mean(fn: Callable) -> bool:
    """``fn(grads_per_rank)`` returns, for each parameter, the mean of its gradient over the ranks."""
    g = torch.Generator().manual_seed(25)
    shapes = [(3, 4), (4,), (2, 2, 2)]

    def ranks(world):
        return [[torch.randn(s, generator=g, dtype=torch.float64) for s in shapes] for _ in range(world)]

    def case(grads):
        got = fn([[t.clone() for t in r] for r in grads])
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        got = list(got)
        if len(got) != len(grads[0]):
            return False, f"{len(got)} tensors returned, expected one per parameter ({len(grads[0])})"
        for i, gi in enumerate(got):
            want = sum(r[i] for r in grads) / len(grads)
            ok, detail = _close(gi, want, atol=1e-9)
            if not ok:
                return False, f"parameter {i}: {detail}"
        return True, ""

    cases = [("two ranks", lambda: case(ranks(2))), ("four ranks", lambda: case(ranks(4))),
             ("one rank (nothing to average)", lambda: case(ranks(1))),
             ("eight ranks", lambda: case(ranks(8)))]
    return _report("allreduce_mean", fn, cases, HINTS["allreduce_mean"])
