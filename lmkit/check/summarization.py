"""Checks for the exercises of chapters/part5/summarization.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`. The references are written here in a
few lines each; tests/test_check_summarization.py tests them against ``rouge-score`` where it can.
"""
from __future__ import annotations

import math
from typing import Callable

import numpy as np
import torch

from ._grader import _close, _report

__all__: list[str] = ["rouge_l_f1", "directed_centrality", "pointer_generator"]

#: The graduated hints of each check: the k-th failure shows the k-th hint; none gives the code away.
HINTS: dict[str, list[str]] = {
    "rouge_l_f1": [
        "ROUGE-L rests on the longest common subsequence (LCS): the longest list of tokens that occurs in "
        "both texts in the same order, not necessarily next to each other. Precision is its length over "
        "the candidate's length, recall its length over the reference's, and F1 their harmonic mean.",
        "a subsequence may skip tokens, so it is not the longest common run of adjacent tokens. Compute it "
        "by dynamic programming: a table whose cell (i, j) holds the LCS length of the first i candidate "
        "tokens and the first j reference tokens, filled row by row from the empty prefixes.",
        "when token i of the candidate equals token j of the reference, cell (i, j) extends the cell "
        "diagonally before it by one; otherwise it keeps the larger of its upper and left neighbours. "
        "An empty text or no common token gives F1 = 0.0; return a float between 0 and 1.",
    ],
    "directed_centrality": [
        "first threshold the similarities: over the off-diagonal entries of S take the smallest and the "
        "largest value, subtract the level min + beta * (max - min) from every entry, and set what falls "
        "below zero to zero. The diagonal (a sentence with itself) never counts.",
        "then score each sentence i by two sums of its thresholded similarities: lam1 times the sum over "
        "the sentences BEFORE it (j < i) plus lam2 times the sum over the sentences AFTER it (j > i). "
        "Return one score per sentence, shape (N,).",
        "check the direction with a small case: with lam1 = 0 and lam2 = 1 the LAST sentence scores 0 "
        "(nothing follows it), and with beta = 0 the smallest similarity is exactly zero after "
        "thresholding. Negative values of lam1 are allowed and must lower the score.",
    ],
    "pointer_generator": [
        "the result is a distribution over the EXTENDED vocabulary: the V words of the vocabulary followed "
        "by the n_oov source words that are not in it, shape (B, V + n_oov). Each row sums to 1.",
        "it mixes two distributions: p_gen times the vocabulary distribution (zero on the extra words) "
        "plus (1 - p_gen) times the copy distribution, which puts the attention weight of each source "
        "position on that position's word id.",
        "a word that occurs at several source positions receives the SUM of their attention weights: an "
        "indexed assignment keeps only one of them (look for an operation that adds into an index).",
    ],
}


# ----------------------------------------------------------------------------------------- ROUGE-L


def _lcs_length(a: list[str], b: list[str]) -> int:
    """Length of the longest common subsequence, by dynamic programming over prefixes."""
    prev = [0] * (len(b) + 1)
    for x in a:
        cur = [0]
        for j, y in enumerate(b):
            cur.append(prev[j] + 1 if x == y else max(prev[j + 1], cur[j]))
        prev = cur
    return prev[-1]


def _rouge_l_f1(cand: list[str], ref: list[str]) -> float:
    """ROUGE-L F1 between token lists, as rouge-score's ``rougeL`` computes it."""
    lcs = _lcs_length(cand, ref)
    if lcs == 0:
        return 0.0
    p, r = lcs / len(cand), lcs / len(ref)
    return 2 * p * r / (p + r)


def rouge_l_f1(fn: Callable) -> bool:
    """``fn(candidate, reference)`` returns the ROUGE-L F1 (a float in [0, 1]) of two lists of tokens."""
    cases_in = [
        ("identical texts", "police said he was jailed".split(), "police said he was jailed".split()),
        ("a gap in the middle (a subsequence, not a run)", "the driver was jailed".split(),
         "the drunk driver was later jailed".split()),
        ("reordered words", "jailed was the driver".split(), "the driver was jailed".split()),
        ("repeated tokens", "the cat the cat the".split(), "the the dog the".split()),
        ("no common token", "red green blue".split(), "one two three".split()),
        ("an empty candidate", [], "a whole reference sentence".split()),
        ("a longer pair", "he was found guilty of causing death by dangerous driving at court".split(),
         "he was found guilty at portsmouth crown court of causing death by dangerous driving".split()),
    ]

    def case(cand, ref):
        got = fn(list(cand), list(ref))
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        try:
            got = float(got)
        except (TypeError, ValueError):
            return False, f"return a number, got {type(got).__name__}"
        want = _rouge_l_f1(cand, ref)
        return math.isclose(got, want, abs_tol=1e-9), f"got {got:.6g}, expected {want:.6g}"

    cases = [(desc, lambda a=(c, r): case(*a)) for desc, c, r in cases_in]
    return _report("rouge_l_f1", fn, cases, HINTS["rouge_l_f1"])


# -------------------------------------------------------------------------------- directed centrality


def _directed_centrality(S: np.ndarray, lam1: float, lam2: float, beta: float) -> np.ndarray:
    """Position-aware centrality after Zheng and Lapata (2019): thresholded similarities, summed with
    weight lam1 over the preceding sentences and lam2 over the following ones."""
    N = len(S)
    off = ~np.eye(N, dtype=bool)
    lo, hi = S[off].min(), S[off].max()
    E = np.where(off, np.clip(S - (lo + beta * (hi - lo)), 0.0, None), 0.0)
    before = np.tril(np.ones((N, N), dtype=bool), k=-1)  # j < i
    return lam1 * (E * before).sum(1) + lam2 * (E * before.T).sum(1)


def _similarity_matrix(n: int, seed: int) -> np.ndarray:
    """Cosine similarities between n random unit vectors (symmetric, ones on the diagonal)."""
    x = np.random.default_rng(seed).standard_normal((n, 16))
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    return x @ x.T


def directed_centrality(fn: Callable) -> bool:
    """``fn(S, lam1, lam2, beta)`` returns the position-aware centrality (N,) of N sentences in order.

    ``S`` (N, N) is a symmetric NumPy array of similarities. Thresholded similarities are
    ``max(0, S_ij - (m + beta * (M - m)))`` with m and M the smallest and largest off-diagonal entries;
    the score of sentence i is ``lam1`` times the sum of its thresholded similarities to the sentences
    before it plus ``lam2`` times the sum over the sentences after it.
    """
    tiny = np.array([[1.0, 0.5, 0.2], [0.5, 1.0, 0.8], [0.2, 0.8, 1.0]])
    cases_in = [
        ("3 sentences, forward only (lam1 = 0, lam2 = 1, beta = 0)", tiny, 0.0, 1.0, 0.0),
        ("3 sentences, backward only (lam1 = 1, lam2 = 0, beta = 0)", tiny, 1.0, 0.0, 0.0),
        ("8 sentences, lam1 = -1, lam2 = 1, beta = 0", _similarity_matrix(8, 0), -1.0, 1.0, 0.0),
        ("10 sentences, lam1 = -2, lam2 = 1, beta = 0.3", _similarity_matrix(10, 1), -2.0, 1.0, 0.3),
        ("6 sentences, both directions, beta = 0.6", _similarity_matrix(6, 2), 1.0, 1.0, 0.6),
    ]

    def case(S, lam1, lam2, beta):
        got = fn(S.copy(), lam1, lam2, beta)
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        want = _directed_centrality(S, lam1, lam2, beta)
        return _close(torch.as_tensor(np.asarray(got, dtype=np.float64)), torch.as_tensor(want), atol=1e-9)

    cases = [(desc, lambda a=(S, l1, l2, b): case(*a)) for desc, S, l1, l2, b in cases_in]
    return _report("directed_centrality", fn, cases, HINTS["directed_centrality"])


# ------------------------------------------------------------------------------- pointer-generator


def _pointer_generator(p_vocab, attn, src_ids, p_gen, n_oov):
    B, V = p_vocab.shape
    out = torch.cat([p_gen * p_vocab, torch.zeros(B, n_oov, dtype=p_vocab.dtype)], dim=1)
    return out.scatter_add(1, src_ids, (1 - p_gen) * attn)


def pointer_generator(fn: Callable) -> bool:
    """``fn(p_vocab, attn, src_ids, p_gen, n_oov)`` returns the final distribution (B, V + n_oov).

    ``p_vocab`` (B, V) is the decoder's distribution over the vocabulary, ``attn`` (B, S) its attention over
    the S source positions, ``src_ids`` (B, S) the source tokens' ids in the extended vocabulary (ids V to
    V + n_oov - 1 are source words missing from the vocabulary), ``p_gen`` (B, 1) the probability of
    generating rather than copying (See et al., 2017).
    """
    g = torch.Generator().manual_seed(3)

    def dist(*shape):
        return torch.softmax(torch.randn(*shape, generator=g, dtype=torch.float64), dim=-1)

    def case(p_vocab, attn, src_ids, p_gen, n_oov):
        want = _pointer_generator(p_vocab, attn, src_ids, p_gen, n_oov)
        got = fn(p_vocab.clone(), attn.clone(), src_ids.clone(), p_gen.clone(), n_oov)
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        return _close(torch.as_tensor(got).double(), want, atol=1e-9)

    V = 6
    one = (dist(1, V), dist(1, 4), torch.tensor([[2, 6, 3, 1]]), torch.tensor([[0.7]], dtype=torch.float64), 1)
    repeat = (dist(1, V), dist(1, 5), torch.tensor([[2, 6, 2, 7, 2]]), torch.tensor([[0.4]], dtype=torch.float64), 2)
    batch = (dist(3, V), dist(3, 5), torch.randint(0, V + 2, (3, 5), generator=g),
             torch.tensor([[0.9], [0.5], [0.1]], dtype=torch.float64), 2)
    only_gen = (dist(2, V), dist(2, 3), torch.tensor([[0, 6, 5], [7, 7, 1]]),
                torch.tensor([[1.0], [1.0]], dtype=torch.float64), 2)
    only_copy = (dist(2, V), dist(2, 3), torch.tensor([[0, 6, 5], [7, 7, 1]]),
                 torch.tensor([[0.0], [0.0]], dtype=torch.float64), 2)
    cases = [
        ("one example, one word outside the vocabulary", lambda: case(*one)),
        ("a source word at three positions", lambda: case(*repeat)),
        ("a batch of 3 with different p_gen", lambda: case(*batch)),
        ("p_gen = 1: generate only", lambda: case(*only_gen)),
        ("p_gen = 0: copy only", lambda: case(*only_copy)),
    ]
    return _report("pointer_generator", fn, cases, HINTS["pointer_generator"])
