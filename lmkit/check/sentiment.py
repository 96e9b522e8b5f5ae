"""Checks for the exercises of chapters/part5/sentiment.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Callable

import torch

from ._grader import _close, _report

__all__: list[str] = ["wilson_interval", "masked_mean_pool", "occlusion_scores", "leak_free_split"]

#: The graduated hints of each check: the k-th failure shows the k-th hint; none gives the code away.
HINTS: dict[str, list[str]] = {
    "wilson_interval": [
        "return two numbers, (low, high): an interval for the true success rate p given k successes "
        "in n trials. The observed rate k / n lies inside it, but in general not at its centre.",
        "the Wilson interval's centre is pulled from k / n towards 1/2 by a term z²/(2n) in the "
        "numerator, and both the centre and the half-width are divided by 1 + z²/n.",
        "try k = 0: the interval must still have a positive width, because the square root holds a "
        "term z²/(4n²) besides p̂(1 - p̂)/n. If your upper end is 0 there, you have Wald's interval.",
    ],
    "masked_mean_pool": [
        "the result has one vector per sentence, shape (B, C): an average over the time axis "
        "(dimension 1), but only over the positions where the mask is True.",
        "turn the mask into numbers with a trailing axis of size 1 so that it broadcasts over C, "
        "multiply, sum over time, and divide by each sentence's number of real tokens, not by T.",
        "a sentence with a single real token must pool to exactly that token's state, whatever the "
        "padded positions hold.",
    ],
    "occlusion_scores": [
        "return one number per position: the probability for the whole list of words minus the "
        "probability for the list with that one position left out.",
        "leave a position out by taking everything before it and everything after it, so that "
        "other copies of the same word stay in the sentence.",
        "mind the sign: a word that pushes towards positive makes the probability drop when it is "
        "removed, so its score is positive (whole sentence minus the sentence without it).",
    ],
    "leak_free_split": [
        "remove the duplicates before splitting, not after: a text that occurs twice must end up in "
        "the training set or in the test set, never in both.",
        "group the pairs by text first (each text with the set of its labels), drop the texts that "
        "have two different labels, keep one (text, label) pair per remaining text, then shuffle "
        "those and cut.",
        "the test set holds about test_frac of the distinct texts, not of the input lines; every "
        "distinct text with a single label appears exactly once in train + test, and the seed "
        "decides the shuffle.",
    ],
}


def _wilson(k: int, n: int, z: float) -> tuple[float, float]:
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def wilson_interval(fn: Callable) -> bool:
    """``fn(k, n, z)`` returns the Wilson score interval ``(low, high)`` for ``k`` successes in ``n``
    trials at the normal quantile ``z`` (1.959964 for 95%)."""
    cases_in = [(800, 1000, 1.959964), (537, 1067, 1.959964), (0, 20, 1.959964), (20, 20, 1.959964),
                (5, 7, 2.575829), (1, 1, 1.0)]

    def case(k, n, z):
        got = fn(k, n, z)
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        try:
            low, high = (float(v) for v in got)
        except (TypeError, ValueError):
            return False, f"return two numbers (low, high), got {got!r}"
        want = _wilson(k, n, z)
        ok = all(math.isclose(a, b, rel_tol=1e-6, abs_tol=1e-9) for a, b in zip((low, high), want))
        return ok, f"k={k}, n={n}, z={z:g}: got ({low:.6f}, {high:.6f}), expected ({want[0]:.6f}, {want[1]:.6f})"

    cases = [(f"k={k}, n={n}, z={z:g}", lambda a=(k, n, z): case(*a)) for k, n, z in cases_in]
    return _report("wilson_interval", fn, cases, HINTS["wilson_interval"])


def masked_mean_pool(fn: Callable) -> bool:
    """``fn(h, mask)`` returns the mean of the states ``h`` (B, T, C) over the positions where the boolean
    ``mask`` (B, T) is True: shape (B, C)."""
    g = torch.Generator().manual_seed(16)

    def want(h, mask):
        return torch.stack([h[b, mask[b]].mean(0) for b in range(h.shape[0])])

    def case(h, mask):
        h = h.masked_fill(~mask.unsqueeze(-1), 100.0)  # padded states hold large values
        return _close(fn(h.clone(), mask.clone()), want(h, mask), atol=1e-5)

    mask1 = torch.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1], [1, 0, 0, 0, 0]], dtype=torch.bool)
    cases = [
        ("three sentences of 3, 5 and 1 real tokens, T=5",
         lambda: case(torch.randn(3, 5, 4, generator=g), mask1)),
        ("one sentence, no padding",
         lambda: case(torch.randn(1, 6, 8, generator=g), torch.ones(1, 6, dtype=torch.bool))),
        ("float64 states, B=4, T=7",
         lambda: case(torch.randn(4, 7, 3, generator=g, dtype=torch.float64),
                      torch.arange(7)[None, :] < torch.tensor([[7], [2], [5], [1]]))),
    ]
    return _report("masked_mean_pool", fn, cases, HINTS["masked_mean_pool"])


_WEIGHTS = {"good": 2.0, "great": 2.5, "bad": -2.0, "dull": -1.5, "not": -0.5, "film": 0.2, "a": 0.0}


def _prob(words: Sequence[str]) -> float:
    """A toy sentiment model: a logistic on word weights, with "not" flipping the word after it."""
    z = 0.0
    for i, w in enumerate(words):
        weight = _WEIGHTS.get(w, 0.0)
        if i > 0 and words[i - 1] == "not":
            weight = -weight
        z += weight
    return 1 / (1 + math.exp(-z))


def occlusion_scores(fn: Callable) -> bool:
    """``fn(prob, words)`` returns, for each position i of ``words``, ``prob(words) - prob(words without
    position i)``, where ``prob`` maps a list of words to P(positive)."""
    sentences = [["a", "good", "film"], ["good", "good", "bad"], ["not", "good", "but", "not", "dull"],
                 ["bad"], ["great", "film", "not", "great"]]

    def case(words):
        want = [_prob(words) - _prob(words[:i] + words[i + 1:]) for i in range(len(words))]
        got = fn(_prob, list(words))
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        try:
            got = torch.as_tensor([float(v) for v in got], dtype=torch.float64)
        except (TypeError, ValueError):
            return False, f"return one number per word, got {got!r}"
        return _close(got, torch.tensor(want, dtype=torch.float64), atol=1e-6)

    cases = [(" ".join(s), lambda s=s: case(s)) for s in sentences]
    return _report("occlusion_scores", fn, cases, HINTS["occlusion_scores"])


def _split_data() -> tuple[list[str], list[int], set[str], dict[str, int]]:
    g = torch.Generator().manual_seed(5)
    texts, labels, label_of = [], [], {}
    for i in range(200):
        text, label = f"review {i}", i % 2
        label_of[text] = label
        for _ in range(int(torch.randint(1, 4, (1,), generator=g))):  # 1-3 copies
            texts.append(text)
            labels.append(label)
    conflicting = {f"review {i}" for i in range(0, 200, 40)}  # 5 texts also with the other label
    for text in conflicting:
        texts.append(text)
        labels.append(1 - label_of[text])
    order = torch.randperm(len(texts), generator=g).tolist()
    clean = {t: label for t, label in label_of.items() if t not in conflicting}
    return [texts[i] for i in order], [labels[i] for i in order], conflicting, clean


def leak_free_split(fn: Callable) -> bool:
    """``fn(texts, labels, test_frac, seed)`` removes duplicate texts and texts with both labels, then
    splits the rest at random: ``(train, test)``, two lists of ``(text, label)`` pairs."""
    texts, labels, conflicting, clean = _split_data()

    def run(seed, frac=0.2):
        out = fn(list(texts), list(labels), frac, seed)
        if out is None:
            return None, "your function returned None (did you forget `return`?)"
        try:
            train, test = out
            train = [(str(t), int(label)) for t, label in train]
            test = [(str(t), int(label)) for t, label in test]
        except (TypeError, ValueError):
            return None, "return (train, test): two lists of (text, label) pairs"
        return (train, test), ""

    def case_valid(seed, frac):
        split, why = run(seed, frac)
        if split is None:
            return False, why
        train, test = split
        tr, te = {t for t, _ in train}, {t for t, _ in test}
        if tr & te:
            return False, f"{len(tr & te)} texts are in both the training and the test set (leakage)"
        if len(tr) != len(train) or len(te) != len(test):
            return False, "a text occurs more than once within the training or the test set"
        if (tr | te) & conflicting:
            return False, f"texts with both labels were kept, e.g. {sorted((tr | te) & conflicting)[0]!r}"
        if tr | te != set(clean):
            return False, f"{len(set(clean) - tr - te)} distinct texts with a single label were lost"
        wrong = [t for t, label in train + test if clean[t] != label]
        if wrong:
            return False, f"{wrong[0]!r} has the wrong label"
        share = len(te) / len(clean)
        return abs(share - frac) < 0.03, f"the test set holds {share:.0%} of the distinct texts, expected {frac:.0%}"

    def case_random():
        a, why = run(0)
        if a is None:
            return False, why
        b, why = run(1)
        if b is None:
            return False, why
        test_a, test_b = {t for t, _ in a[1]}, {t for t, _ in b[1]}
        return test_a != test_b, "seeds 0 and 1 gave the same test set: shuffle with the seed"

    cases = [("seed 0, test_frac 0.2", lambda: case_valid(0, 0.2)),
             ("seed 3, test_frac 0.1", lambda: case_valid(3, 0.1)),
             ("different seeds, different splits", case_random)]
    return _report("leak_free_split", fn, cases, HINTS["leak_free_split"])
