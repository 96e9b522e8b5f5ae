"""Checks for the exercises of chapters/part7/privacy.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`.
"""
from __future__ import annotations

import math
import random
from typing import Callable

import numpy as np

from ._grader import _report

__all__: list[str] = ["exposure", "dedup_lines", "membership_auc"]

#: The graduated hints of each check: the k-th failure shows the k-th hint; none gives the code away.
HINTS: dict[str, list[str]] = {
    "exposure": [
        "exposure is the number of bits of the secret the model gives away: the log (base 2) of the number "
        "of candidates, minus the log (base 2) of the secret's rank among them.",
        "the rank of the best-scored candidate is 1, not 0: count the candidates whose score is strictly "
        "higher than the secret's, then add one. A secret ranked first among 1,024 has exposure 10.",
        "candidates tied with the secret do not push it down; and return a plain float, not a tuple or "
        "an array.",
    ],
    "dedup_lines": [
        "split the text into lines, walk through them in order, and drop a line only when it is long "
        "enough and the very same line has been kept before; join the kept lines back with newlines.",
        "remember the long lines you have already kept (a set is fast); short lines are always kept, even "
        "when they repeat, and the first copy of a long line is kept too.",
        "the order of the lines must not change, and a line exactly min_len characters long counts as "
        "long enough to be de-duplicated.",
    ],
    "membership_auc": [
        "the AUC is the probability that a randomly chosen member gets a *lower* loss than a randomly "
        "chosen non-member: compare every member with every non-member.",
        "count the pairs (member, non-member) in which the member's loss is lower, add half the pairs "
        "that are tied, and divide by the number of pairs; return a float between 0 and 1.",
        "with broadcasting, a column of member losses against a row of non-member losses gives the whole "
        "table of comparisons at once; a perfect attack scores 1.0 and its mirror image 0.0.",
    ],
}


def _exposure_ref(scores, i: int) -> float:
    s = np.asarray(scores, dtype=float)
    return math.log2(len(s)) - math.log2(1 + int((s > s[i]).sum()))


def exposure(fn: Callable) -> bool:
    """``fn(scores, secret_index)`` returns log2(len(scores)) - log2(rank), rank = 1 + #(higher scores)."""
    rng = np.random.default_rng(0)
    s = rng.normal(size=10_000)
    ties = np.array([0.0, 1.0, 1.0, 1.0, -2.0, 0.5, 1.0, 3.0])
    cases_in = [("the best candidate (rank 1 of 1,024)", np.arange(1024.0), 1023),
                ("the worst candidate", np.arange(1024.0), 0),
                ("a secret in the middle of 10,000", s, int(np.argsort(s)[5_000])),
                ("a secret tied with other candidates", ties, 2),
                ("a secret tied with other candidates, a higher one too", ties, 1)]

    def case(scores, i):
        got = fn(scores.copy(), i)
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        if isinstance(got, tuple) or np.size(got) != 1:
            return False, f"return one number, got {type(got).__name__}"
        want = _exposure_ref(scores, i)
        return math.isclose(float(got), want, abs_tol=1e-6), f"got {float(got):.4f}, expected {want:.4f}"

    cases = [(d, lambda s=s_, i=i: case(s, i)) for d, s_, i in cases_in]
    return _report("exposure", fn, cases, HINTS["exposure"])


def _dedup_ref(text: str, min_len: int) -> str:
    seen, out = set(), []
    for line in text.split("\n"):
        if len(line) >= min_len:
            if line in seen:
                continue
            seen.add(line)
        out.append(line)
    return "\n".join(out)


def dedup_lines(fn: Callable) -> bool:
    """``fn(text, min_len)`` keeps the first copy of each line of >= min_len characters, and every shorter
    line, in order."""
    r = random.Random(0)
    pool = ["Ay.", "My lord!", "To be, or not to be, that is the question:",
            "Alice's secret PIN is 2985.", "", "ROMEO:", "Whether 'tis nobler in the mind to suffer"]
    long_text = "\n".join(r.choice(pool) for _ in range(200))
    cases_in = [("no repeats", "a long line here\nanother long line\nshort", 5),
                ("an exact repeat of a long line", "secret PIN 1234\nhello\nsecret PIN 1234", 5),
                ("repeated short lines stay", "Ay.\nAy.\nMy lord!\nMy lord!", 5),
                ("a line exactly min_len long", "abcde\nabcde\nabcd\nabcd", 5),
                ("near duplicates are not exact duplicates", "PIN 1234.\nPIN 1234!\npin 1234.", 5),
                ("200 lines of a play with canaries", long_text, 20)]

    def case(text, m):
        got = fn(text, m)
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        if not isinstance(got, str):
            return False, f"return the de-duplicated text as one string, got {type(got).__name__}"
        want = _dedup_ref(text, m)
        if got == want:
            return True, ""
        return False, (f"{len(got.split(chr(10)))} lines kept, expected {len(want.split(chr(10)))}"
                       if got.count("\n") != want.count("\n") else "the right number of lines, but "
                       "not the right lines in the right order")

    cases = [(d, lambda t=t, m=m: case(t, m)) for d, t, m in cases_in]
    return _report("dedup_lines", fn, cases, HINTS["dedup_lines"])


def _auc_ref(a, b) -> float:
    a, b = np.asarray(a, dtype=float)[:, None], np.asarray(b, dtype=float)[None, :]
    return float((a < b).mean() + 0.5 * (a == b).mean())


def membership_auc(fn: Callable) -> bool:
    """``fn(member_losses, non_member_losses)`` returns P(member loss < non-member loss), ties counted ½."""
    rng = np.random.default_rng(0)
    cases_in = [("perfect separation", np.array([0.1, 0.2, 0.3]), np.array([1.0, 2.0])),
                ("the mirror image", np.array([1.0, 2.0]), np.array([0.1, 0.2, 0.3])),
                ("all tied", np.ones(4), np.ones(3)),
                ("some ties", np.array([1.0, 2.0, 2.0, 3.0]), np.array([2.0, 2.5])),
                ("overlapping losses, 300 and 80", rng.normal(1.5, 0.2, 300), rng.normal(1.6, 0.2, 80))]

    def case(a, b):
        got = fn(a.copy(), b.copy())
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        if np.size(got) != 1:
            return False, f"return one number, got {type(got).__name__} of size {np.size(got)}"
        want = _auc_ref(a, b)
        return math.isclose(float(got), want, abs_tol=1e-6), f"got {float(got):.4f}, expected {want:.4f}"

    cases = [(d, lambda a=a, b=b: case(a, b)) for d, a, b in cases_in]
    return _report("membership_auc", fn, cases, HINTS["membership_auc"])
