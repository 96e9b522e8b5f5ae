"""Checks for the exercises of chapters/part1/history.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`.
"""
from __future__ import annotations

import math
from typing import Callable

import torch

from ._grader import _report

__all__: list[str] = ["nats_to_bits", "bigram_sampler", "count_ngrams"]

#: The graduated hints of each check: the k-th failure shows the k-th (see :mod:`lmkit.check`).
HINTS: dict[str, list[str]] = {
    "nats_to_bits": [
        "nats and bits are the same quantity measured with different logarithms (natural log for nats, "
        "log base 2 for bits), so they differ by a constant factor. Which unit is larger?",
        "one nat is more than one bit (e > 2), so a cross-entropy has more bits than nats. Apply the "
        "change-of-base rule for logarithms, log_2 x = ln x / ln 2, to every -log p in the average.",
    ],
    "bigram_sampler": [
        "each new id is drawn at random from the row of the previous id, after normalizing that row "
        "to probabilities; the id you draw then becomes the previous id for the next draw.",
        "keep the previous id in a variable (it starts as `start`) and loop `length` times: turn "
        "counts[previous] into probabilities, draw one index with torch.multinomial and the generator "
        "you were given, and record it.",
        "torch.multinomial returns a tensor of shape (1,): convert it with int() before using it as a "
        "row index, and return only the new ids, not `start`.",
    ],
    "count_ngrams": [
        "an n-gram here is a run of n consecutive characters; count each distinct one once, however "
        "often it occurs.",
        "the n-grams start at positions 0, 1, ..., len(text) - n (the last one ends with the text); a "
        "Python set keeps one copy of each.",
        "a text shorter than n has no n-gram at all: the answer there is 0, and no shorter tail of the "
        "text counts as an n-gram.",
    ],
}


def nats_to_bits(fn: Callable[[float], float]) -> bool:
    """``fn(h)`` converts a cross-entropy ``h`` in nats into bits.

    One nat is ``1 / ln 2`` bits, so ``bits = nats / ln 2`` (the same number as ``log2 e · nats``).
    """
    cases = []
    for h in (math.log(2), 0.0, math.log(65), 1.0, 2.5):
        def case(h=h):
            got = fn(h)
            if got is None:
                return False, "your function returned None (did you forget `return`?)"
            want = h / math.log(2)
            return math.isclose(float(got), want, rel_tol=1e-9, abs_tol=1e-12), \
                f"{h:.4f} nats: got {float(got):.6g} bits, expected {want:.6g}"
        cases.append((f"h={h:.4f}", case))
    return _report("nats_to_bits", fn, cases, HINTS["nats_to_bits"])


def _ids(out) -> list[int]:
    out = out.tolist() if hasattr(out, "tolist") else list(out)
    return [int(i) for i in out]


def bigram_sampler(fn: Callable) -> bool:
    """``fn(counts, start, length, generator)`` samples ``length`` ids from a bigram table.

    ``counts`` is a (V, V) tensor, ``counts[a, b]`` the number of times b followed a; each next id is drawn
    from row ``counts[previous]`` normalized to probabilities, with ``generator``. Returns the new ids
    (without ``start``).
    """
    def make_gen(seed):
        return torch.Generator().manual_seed(seed)

    def follows_the_only_successor():
        perm = [2, 0, 3, 1]                     # 0 -> 2 -> 3 -> 1 -> 0 ...
        counts = torch.zeros(4, 4)
        counts[torch.arange(4), torch.tensor(perm)] = 5.0
        got = _ids(fn(counts, 0, 8, make_gen(0)))
        want, prev = [], 0
        for _ in range(8):
            prev = perm[prev]
            want.append(prev)
        if len(got) != 8:
            return False, f"asked for 8 new ids, got {len(got)} (do not include the start id)"
        return got == want, f"each row has one successor; expected {want}, got {got} (rows = previous id?)"

    def never_an_unseen_pair():
        g = torch.Generator().manual_seed(3)
        counts = (torch.rand(6, 6, generator=g) < 0.4).float() * torch.randint(1, 5, (6, 6), generator=g)
        counts[torch.arange(6), (torch.arange(6) + 1) % 6] += 1   # every row has at least one successor
        out = [1] + _ids(fn(counts, 1, 500, make_gen(1)))
        bad = [(a, b) for a, b in zip(out, out[1:]) if counts[a, b] == 0]
        return not bad, f"sampled the pair {bad[:1]} whose count is zero"

    def frequencies_follow_the_counts():
        counts = torch.tensor([[1.0, 3.0], [1.0, 3.0]])          # p(next = 1) = 3/4 whatever came before
        out = _ids(fn(counts, 0, 4000, make_gen(2)))
        frac = sum(out) / len(out)
        return abs(frac - 0.75) < 0.03, f"id 1 should be drawn 75 % of the time, got {frac:.1%} " \
                                        "(sample with torch.multinomial, do not take the arg-max)"

    def uses_the_generator():
        counts = torch.ones(5, 5)
        a = _ids(fn(counts, 0, 50, make_gen(7)))
        b = _ids(fn(counts, 0, 50, make_gen(7)))
        c = _ids(fn(counts, 0, 50, make_gen(8)))
        return a == b and a != c, "the same seed must give the same ids and another seed other ids: " \
                                  "pass generator=generator to torch.multinomial"

    return _report("bigram_sampler", fn,
                   [("a chain with one successor per row", follows_the_only_successor),
                    ("no pair with count zero", never_an_unseen_pair),
                    ("frequencies", frequencies_follow_the_counts),
                    ("seeded", uses_the_generator)],
                   HINTS["bigram_sampler"])


def count_ngrams(fn: Callable[[str, int], int]) -> bool:
    """``fn(text, n)`` returns the number of distinct n-grams (length-n substrings) of text."""
    def want(text, n):
        return len({text[i:i + n] for i in range(len(text) - n + 1)})

    cases = []
    for text, n in [("abab", 2), ("abab", 1), ("to be or not to be", 3), ("aaaa", 2), ("abc", 3), ("ab", 3),
                    ("the cat sat on the mat", 4)]:
        def case(text=text, n=n):
            got = fn(text, n)
            return got == want(text, n), f"{text!r}, n={n}: got {got}, expected {want(text, n)}"
        cases.append((f"{text!r}, n={n}", case))
    return _report("count_ngrams", fn, cases, HINTS["count_ngrams"])
