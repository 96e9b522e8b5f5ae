"""The grading core shared by every check: run the cases, print one ✅/❌ verdict, never raise.

Hints are graduated: each check has a few, from "what is wrong and where to look" to a more specific
pointer, and never the answer. The first failure of a check shows its first hint, the next failure
the next one, and so on; a pass starts the count again.
"""
from __future__ import annotations

import traceback
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Callable

import torch

_failures: Counter[str] = Counter()  # failures of each check since it last passed
_quiet = False


@contextmanager
def quiet() -> Iterator[None]:
    """Run checks without printing and without moving on to their next hint (for verifying a solution)."""
    global _quiet
    before, _quiet = _quiet, True
    try:
        yield
    finally:
        _quiet = before


def _say(text: str) -> None:
    if not _quiet:
        print(text)


def _hint(name: str, hints: str | list[str]) -> str:
    hints = [hints] if isinstance(hints, str) else hints
    if _quiet:
        return ""
    _failures[name] += 1
    n = min(_failures[name], len(hints))
    more = "\n   (Change your function and run the check again for a more specific hint.)" if n < len(hints) else ""
    return f"\n   Hint {n} of {len(hints)}: {hints[n - 1]}{more}"


class Verdict:
    """What a check returns: true when every case passed. As the last line of a notebook cell it displays
    nothing (the check has already printed its ✅ or ❌), so the page shows no stray ``True``/``False``."""

    def __init__(self, passed: bool) -> None:
        self.passed = passed

    def __bool__(self) -> bool:
        return self.passed

    def __repr__(self) -> str:
        return "passed" if self.passed else "failed"

    def _ipython_display_(self) -> None:  # Jupyter: show nothing more
        pass


def _report(name: str, fn: Callable, cases: list[tuple[str, Callable[[], tuple[bool, str]]]],
            hints: str | list[str]) -> Verdict:
    """Run ``cases`` (description, test), where a test returns (ok, detail); print one verdict."""
    if not callable(fn):
        _say(f"❌ {name}: expected a function, got {type(fn).__name__}.")
        return Verdict(False)
    for desc, case in cases:
        try:
            ok, detail = case()
        except NotImplementedError:
            _say(f"❌ {name}: not implemented yet (your function raised NotImplementedError)."
                 + _hint(name, hints))
            return Verdict(False)
        except Exception as e:  # the learner's code failed: say where, not a traceback wall
            last = traceback.extract_tb(e.__traceback__)[-1]
            _say(f"❌ {name}: {desc}: your function raised {e.__class__.__name__}: {e} "
                 f"(line {last.lineno}: {last.line})." + _hint(name, hints))
            return Verdict(False)
        if not ok:
            _say(f"❌ {name}: {desc}: {detail}" + _hint(name, hints))
            return Verdict(False)
    if not _quiet:
        _failures.pop(name, None)
    _say(f"✅ {name}: all {len(cases)} checks passed.")
    return Verdict(True)


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
