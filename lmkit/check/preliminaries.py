"""Checks for the exercises of chapters/part0/preliminaries.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`.
"""
from __future__ import annotations

import copy
import math
from typing import Callable

import torch
import torch.nn.functional as F

from ._grader import _close, _report

__all__: list[str] = ["tanh_backward", "cross_entropy_backward", "adamw_step", "train_step"]

#: The graduated hints of each check: the k-th failure shows the k-th (see :mod:`lmkit.check`).
HINTS: dict[str, list[str]] = {
    "tanh_backward": [
        "the chain rule: the gradient that reaches x is the gradient that reaches the output (grad_out) "
        "times the local derivative of tanh at x, element by element; the result has the shape of x.",
        "the derivative of tanh is most easily written with its output t = tanh(x): it is 1 minus t "
        "squared (a Value node keeps t in out.data for this reason). It is 1 at x = 0 and close to 0 "
        "for large |x|.",
        "common slips: using x where tanh(x) belongs, forgetting the square, or returning the local "
        "derivative alone without multiplying by grad_out. Nothing is summed: one number per element.",
    ],
    "cross_entropy_backward": [
        "the loss is the MEAN over the N rows of -log softmax(z)[target]; its gradient with respect to "
        "the logits has their shape (N, V), one row per example.",
        "for a single row, the derivative of -log softmax(z)[y] with respect to z is the vector of "
        "softmax probabilities minus a one-hot vector that is 1 at the target. Because the loss is a "
        "mean, every row is then divided by N (not by V).",
        "compute the probabilities in a way that does not overflow (torch.softmax does, or subtract "
        "each row's maximum before exponentiating): one case has logits in the hundreds. Check the "
        "sign: gradient descent should raise the target's logit.",
    ],
    "adamw_step": [
        "AdamW is Adam on the loss gradient alone, plus a separate shrinking of the parameter: the "
        "moments m and v are running means of grad and grad squared, and never see the weight decay.",
        "update m and v as adam_step in the chapter does, correct both for their start at zero with "
        "t (the step number, counting from 1), and move p by lr times the corrected mean over the "
        "square root of the corrected v (plus eps). The decay multiplies p by a factor just below 1 "
        "that involves both lr and weight_decay.",
        "apply the decay to the parameter as it was BEFORE this step's Adam update (torch.optim.AdamW "
        "does), and return the new p with the new, uncorrected m and v.",
    ],
    "train_step": [
        "one step of the loop: forward pass, loss, backward pass, optimizer step; return the loss as a "
        "Python float (the loss of this batch, before the step).",
        "gradients accumulate: every backward() ADDS to each parameter's .grad. Clear them once per "
        "step (the optimizer's zero_grad) before backward, or the second step follows the sum of two "
        "gradients.",
        "the loss is the mean cross-entropy (F.cross_entropy) of the model's logits (N, C) against the "
        "class ids y (N,); the optimizer's step() comes after backward(), never before it.",
    ],
}


def _gen(seed: int) -> torch.Generator:
    return torch.Generator().manual_seed(seed)


def tanh_backward(fn: Callable) -> bool:
    """``fn(x, grad_out)`` returns the gradient that reaches x through y = tanh(x)."""
    def case(x, grad_out):
        xx = x.clone().requires_grad_(True)
        torch.tanh(xx).backward(grad_out)
        return _close(fn(x.clone(), grad_out.clone()), xx.grad, atol=1e-6)

    g = _gen(0)
    cases = [("x of shape (5,)", lambda: case(torch.randn(5, generator=g), torch.randn(5, generator=g))),
             ("x of shape (3, 4)", lambda: case(torch.randn(3, 4, generator=g), torch.rand(3, 4, generator=g) + 0.5)),
             ("large |x| (tanh saturates)", lambda: case(torch.tensor([-8.0, -3.0, 0.0, 3.0, 8.0]),
                                                         torch.tensor([2.0, -1.0, 3.0, 0.5, 4.0])))]
    return _report("tanh_backward", fn, cases, HINTS["tanh_backward"])


def cross_entropy_backward(fn: Callable) -> bool:
    """``fn(logits, targets)`` returns d(mean cross-entropy)/d(logits), shape (N, V)."""
    def case(logits, targets):
        z = logits.clone().requires_grad_(True)
        F.cross_entropy(z, targets).backward()
        return _close(fn(logits.clone(), targets.clone()), z.grad, atol=1e-6)

    g = _gen(1)
    cases = [("N=4, V=5", lambda: case(torch.randn(4, 5, generator=g), torch.tensor([0, 3, 4, 3]))),
             ("a single row, N=1, V=3", lambda: case(torch.randn(1, 3, generator=g), torch.tensor([2]))),
             ("N=6, V=7, logits in the hundreds", lambda: case(200 * torch.randn(6, 7, generator=g),
                                                               torch.randint(7, (6,), generator=g)))]
    return _report("cross_entropy_backward", fn, cases, HINTS["cross_entropy_backward"])


def adamw_step(fn: Callable) -> bool:
    """``fn(p, g, m, v, t, lr=, betas=, eps=, weight_decay=)`` returns (p, m, v) after one AdamW step."""
    def run(lr, betas, eps, wd, shape, steps=8, seed=2):
        g = _gen(seed)
        p0 = torch.randn(shape, generator=g)
        ref = torch.nn.Parameter(p0.clone())
        opt = torch.optim.AdamW([ref], lr=lr, betas=betas, eps=eps, weight_decay=wd)
        p, m, v = p0.clone(), torch.zeros(shape), torch.zeros(shape)
        for t in range(1, steps + 1):
            grad = torch.randn(shape, generator=g) * (0.1 if t % 2 else 2.0)
            ref.grad = grad.clone()
            opt.step()
            out = fn(p.clone(), grad.clone(), m.clone(), v.clone(), t, lr=lr, betas=betas, eps=eps,
                     weight_decay=wd)
            if out is None:
                return False, "your function returned None (it should return the new p, m and v)"
            if not isinstance(out, (tuple, list)) or len(out) != 3:
                return False, f"expected a triple (p, m, v), got {type(out).__name__}"
            p, m, v = (torch.as_tensor(x).detach() for x in out)
            state = opt.state[ref]
            for what, got, want in (("m", m, state["exp_avg"]), ("v", v, state["exp_avg_sq"]),
                                    ("p", p, ref.detach())):
                ok, detail = _close(got, want, atol=1e-6)
                if not ok:
                    return False, f"step {t}, {what}: {detail}"
        return True, ""

    cases = [("lr=1e-2, weight_decay=0.1, 8 steps", lambda: run(1e-2, (0.9, 0.999), 1e-8, 0.1, (3, 4))),
             ("betas=(0.9, 0.99), weight_decay=0.5", lambda: run(3e-3, (0.9, 0.99), 1e-8, 0.5, (5,))),
             ("weight_decay=0 (plain Adam)", lambda: run(1e-2, (0.8, 0.9), 1e-6, 0.0, (2, 2)))]
    return _report("adamw_step", fn, cases, HINTS["adamw_step"])


def train_step(fn: Callable) -> bool:
    """``fn(model, opt, x, y)`` takes one optimizer step on the cross-entropy; returns the loss (float)."""
    def run(make_opt, steps=4):
        torch.manual_seed(0)  # the model's initial weights (the caller's random state is restored below)
        model = torch.nn.Sequential(torch.nn.Linear(6, 16), torch.nn.Tanh(), torch.nn.Linear(16, 4))
        ref = copy.deepcopy(model)
        opt, ref_opt = make_opt(model), make_opt(ref)
        g = _gen(3)
        for step in range(steps):
            x, y = torch.randn(12, 6, generator=g), torch.randint(4, (12,), generator=g)
            ref_opt.zero_grad()
            want = F.cross_entropy(ref(x), y)
            want.backward()
            ref_opt.step()
            got = fn(model, opt, x.clone(), y.clone())
            if got is None:
                return False, "your function returned None (return the loss as a float)"
            try:
                got = float(got.detach() if isinstance(got, torch.Tensor) else got)
            except (TypeError, ValueError, RuntimeError):
                return False, f"expected the loss as a number, got {type(got).__name__}"
            if not math.isclose(got, want.item(), rel_tol=1e-5, abs_tol=1e-6):
                return False, f"step {step}: you returned the loss {got:.6f}, expected {want.item():.6f}"
            for (name, p), q in zip(model.named_parameters(), ref.parameters()):
                ok, detail = _close(p.detach(), q.detach(), atol=1e-6)
                if not ok:
                    return False, f"after step {step}, parameter {name}: {detail}"
        return True, ""

    def keep_rng(make_opt):
        state = torch.random.get_rng_state()
        try:
            return run(make_opt)
        finally:
            torch.random.set_rng_state(state)

    cases = [("SGD with momentum, 4 steps",
              lambda: keep_rng(lambda m: torch.optim.SGD(m.parameters(), lr=0.1, momentum=0.9))),
             ("AdamW, 4 steps",
              lambda: keep_rng(lambda m: torch.optim.AdamW(m.parameters(), lr=1e-2)))]
    return _report("train_step", fn, cases, HINTS["train_step"])
