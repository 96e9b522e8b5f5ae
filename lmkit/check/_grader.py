"""The grading core shared by every check: run cases, print one ✅/❌ verdict with a hint, never raise."""
from __future__ import annotations

import traceback
from typing import Callable

import torch


def _report(name: str, fn: Callable, cases: list[tuple[str, Callable[[], tuple[bool, str]]]], hint: str) -> bool:
    """Run ``cases`` (description, test) where a test returns (ok, detail); print one verdict."""
    if not callable(fn):
        print(f"❌ {name}: expected a function, got {type(fn).__name__}.")
        return False
    for desc, case in cases:
        try:
            ok, detail = case()
        except NotImplementedError:
            print(f"❌ {name}: not implemented yet (your function raised NotImplementedError).\n   Hint: {hint}")
            return False
        except Exception as e:  # the learner's code failed: say where, not a traceback wall
            last = traceback.extract_tb(e.__traceback__)[-1]
            print(f"❌ {name}: {desc}: your function raised {e.__class__.__name__}: {e} "
                  f"(line {last.lineno}: {last.line}).\n   Hint: {hint}")
            return False
        if not ok:
            print(f"❌ {name}: {desc}: {detail}\n   Hint: {hint}")
            return False
    print(f"✅ {name}: all {len(cases)} checks passed.")
    return True


def _close(got, want, atol=1e-5) -> tuple[bool, str]:
    if got is None:
        return False, "your function returned None (did you forget `return`?)"
    got = torch.as_tensor(got)
    if got.shape != want.shape:
        return False, f"shape {tuple(got.shape)}, expected {tuple(want.shape)}"
    if got.dtype == torch.bool or want.dtype == torch.bool:
        same = torch.equal(got.bool(), want.bool())
        return same, "" if same else f"got\n{got.int()}\nexpected\n{want.int()}"
    got, want = got.double(), want.double()
    mismatch = (torch.isinf(got) | torch.isinf(want)) & (got != want)
    if mismatch.any():  # say so plainly rather than reporting a difference of 1.8e308
        i = tuple(int(j) for j in mismatch.nonzero()[0])
        return False, f"at index {i} you have {float(got[i]):g} where {float(want[i]):g} is expected"
    both_inf = torch.isinf(got) & torch.isinf(want) & (torch.sign(got) == torch.sign(want))
    diff = torch.where(both_inf, torch.zeros_like(got), (got - want).abs().nan_to_num(float("inf")))
    worst = float(diff.max())
    return worst <= atol, f"largest difference {worst:.3g} (tolerance {atol:g})"
