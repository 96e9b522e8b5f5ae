"""lmkit.check.summarization: right answers pass, typical wrong ones fail, and a check never raises.

The ROUGE-L reference is compared with rouge-score, the library the chapter uses.
"""
from functools import cache

import numpy as np
import pytest
import torch

from lmkit import check
from lmkit.check import summarization as module

# --------------------------------------------------------------------------- the references themselves


def test_rouge_l_reference_matches_rouge_score():
    rouge_scorer = pytest.importorskip("rouge_score.rouge_scorer")
    tokenizers = pytest.importorskip("rouge_score.tokenizers")
    tok = tokenizers.DefaultTokenizer(use_stemmer=True)
    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=True)
    pairs = [
        ("The cat sat on the mat. The cat was happy.", "A cat was sitting on the mat."),
        ("Police said the the the driver was jailed for six years.", "The driver was jailed, police said."),
        ("Nothing in common here.", "Completely different words."),
        ("He was found guilty of causing death by dangerous driving.",
         "He was found guilty at Portsmouth Crown Court of causing death by dangerous driving."),
        ("jailed was the driver", "the driver was jailed"),
    ]
    for cand, ref in pairs:
        got = module._rouge_l_f1(tok.tokenize(cand), tok.tokenize(ref))
        assert got == pytest.approx(scorer.score(ref, cand)["rougeL"].fmeasure, abs=1e-12)


def test_directed_centrality_reference_by_hand():
    S = np.array([[1.0, 0.5, 0.2], [0.5, 1.0, 0.8], [0.2, 0.8, 1.0]])
    # beta = 0: the smallest off-diagonal similarity (0.2) becomes 0; E = [[0, .3, 0], [.3, 0, .6], [0, .6, 0]]
    assert module._directed_centrality(S, 0.0, 1.0, 0.0) == pytest.approx([0.3, 0.6, 0.0])
    assert module._directed_centrality(S, 1.0, 0.0, 0.0) == pytest.approx([0.0, 0.3, 0.6])
    # beta = 0.5: level 0.2 + 0.5 * (0.8 - 0.2) = 0.5, so only the pair (1, 2) keeps 0.3
    assert module._directed_centrality(S, -2.0, 1.0, 0.5) == pytest.approx([0.0, 0.3, -0.6])


def test_pointer_generator_reference_sums_to_one_and_copies_oov():
    g = torch.Generator().manual_seed(0)
    p_vocab = torch.softmax(torch.randn(2, 5, generator=g, dtype=torch.float64), -1)
    attn = torch.softmax(torch.randn(2, 3, generator=g, dtype=torch.float64), -1)
    src = torch.tensor([[0, 5, 5], [6, 1, 2]])
    p_gen = torch.tensor([[0.3], [0.8]], dtype=torch.float64)
    out = module._pointer_generator(p_vocab, attn, src, p_gen, 2)
    assert out.shape == (2, 7) and torch.allclose(out.sum(1), torch.ones(2, dtype=torch.float64))
    assert out[0, 5] == pytest.approx(0.7 * (attn[0, 1] + attn[0, 2]).item())  # OOV word at two positions
    assert out[0, 6] == 0.0  # an extra slot no source position uses


# ----------------------------------------------------------------------------------------- rouge_l_f1


def _f1(lcs, cand, ref):
    if lcs == 0:
        return 0.0
    p, r = lcs / len(cand), lcs / len(ref)
    return 2 * p * r / (p + r)


def _lcs_table(a, b):
    T = [[0] * (len(b) + 1) for _ in range(len(a) + 1)]
    for i, x in enumerate(a, 1):
        for j, y in enumerate(b, 1):
            T[i][j] = T[i - 1][j - 1] + 1 if x == y else max(T[i - 1][j], T[i][j - 1])
    return T[-1][-1]


def test_rouge_l_f1(capsys):
    assert check.rouge_l_f1(lambda c, r: _f1(_lcs_table(c, r), c, r))

    def recursive(c, r):  # the textbook recursion, memoised
        @cache
        def lcs(i, j):
            if i == len(c) or j == len(r):
                return 0
            return lcs(i + 1, j + 1) + 1 if c[i] == r[j] else max(lcs(i + 1, j), lcs(i, j + 1))
        return np.float64(_f1(lcs(0, 0), c, r))  # a NumPy float is fine

    assert check.rouge_l_f1(recursive)

    def longest_run(c, r):  # longest common substring: adjacent tokens only
        best = 0
        for i in range(len(c)):
            for j in range(len(r)):
                k = 0
                while i + k < len(c) and j + k < len(r) and c[i + k] == r[j + k]:
                    k += 1
                best = max(best, k)
        return _f1(best, c, r)

    def shared_words(c, r):  # bag of words: order ignored
        return _f1(len(set(c) & set(r)), c, r)

    def recall(c, r):
        return _lcs_table(c, r) / len(r) if r else 0.0

    assert not check.rouge_l_f1(longest_run)
    assert not check.rouge_l_f1(shared_words)
    assert not check.rouge_l_f1(recall)
    assert not check.rouge_l_f1(lambda c, r: 100 * _f1(_lcs_table(c, r), c, r))  # a percentage
    assert not check.rouge_l_f1(lambda c, r: _f1(_lcs_table(c, r), c, r) if c else None)
    assert not check.rouge_l_f1(lambda c, r: "high")
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "Hint" in out and "return a number" in out


# -------------------------------------------------------------------------------- directed_centrality


def _directed_right(S, lam1, lam2, beta):
    N = len(S)
    off = [S[i, j] for i in range(N) for j in range(N) if i != j]
    level = min(off) + beta * (max(off) - min(off))
    scores = []
    for i in range(N):
        e = [max(0.0, S[i, j] - level) if j != i else 0.0 for j in range(N)]
        scores.append(lam1 * sum(e[:i]) + lam2 * sum(e[i + 1:]))
    return scores  # a list is fine


def test_directed_centrality(capsys):
    assert check.directed_centrality(_directed_right)
    assert check.directed_centrality(lambda S, a, b, beta: torch.tensor(_directed_right(S, a, b, beta)))

    def swapped(S, lam1, lam2, beta):  # lam1 on the following sentences
        return _directed_right(S, lam2, lam1, beta)

    def no_threshold(S, lam1, lam2, beta):
        return _unthresholded(S, lam1, lam2)

    def with_diagonal(S, lam1, lam2, beta):  # counts each sentence's similarity to itself
        N = len(S)
        base = np.array(_directed_right(S, lam1, lam2, beta))
        off = S[~np.eye(N, dtype=bool)]
        level = off.min() + beta * (off.max() - off.min())
        return base + lam2 * np.clip(np.diag(S) - level, 0, None)

    def global_level(S, lam1, lam2, beta):  # includes the diagonal ones in the max
        N = len(S)
        level = S.min() + beta * (S.max() - S.min())
        E = np.clip(S - level, 0, None) * (1 - np.eye(N))
        before = np.tril(np.ones((N, N)), -1)
        return lam1 * (E * before).sum(1) + lam2 * (E * before.T).sum(1)

    assert not check.directed_centrality(swapped)
    assert not check.directed_centrality(no_threshold)
    assert not check.directed_centrality(with_diagonal)
    assert not check.directed_centrality(global_level)
    assert not check.directed_centrality(lambda S, a, b, beta: np.array(_directed_right(S, a, b, beta))[None])
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "shape" in out


def _unthresholded(S, lam1, lam2):
    N = len(S)
    E = S * (1 - np.eye(N))
    before = np.tril(np.ones((N, N)), -1)
    return lam1 * (E * before).sum(1) + lam2 * (E * before.T).sum(1)


# ---------------------------------------------------------------------------------- pointer_generator


def test_pointer_generator(capsys):
    def right(p_vocab, attn, src_ids, p_gen, n_oov):
        extended = torch.cat([p_gen * p_vocab, p_vocab.new_zeros(p_vocab.shape[0], n_oov)], dim=1)
        return extended.index_put((torch.arange(len(src_ids))[:, None].expand_as(src_ids), src_ids),
                                  (1 - p_gen) * attn, accumulate=True)

    def one_hot(p_vocab, attn, src_ids, p_gen, n_oov):  # the same through a one-hot matrix (B, S, V + n_oov)
        U = torch.nn.functional.one_hot(src_ids, p_vocab.shape[1] + n_oov).to(attn.dtype)
        copy = torch.einsum("bs,bsv->bv", attn, U)
        return torch.cat([p_gen * p_vocab, p_vocab.new_zeros(len(p_vocab), n_oov)], 1) + (1 - p_gen) * copy

    assert check.pointer_generator(right)
    assert check.pointer_generator(one_hot)

    def scatter(p_vocab, attn, src_ids, p_gen, n_oov):  # keeps one of several positions of a word
        out = torch.cat([p_gen * p_vocab, p_vocab.new_zeros(len(p_vocab), n_oov)], 1)
        return out.scatter(1, src_ids, out.gather(1, src_ids) + (1 - p_gen) * attn)

    def not_extended(p_vocab, attn, src_ids, p_gen, n_oov):  # drops the words outside the vocabulary
        V = p_vocab.shape[1]
        keep = src_ids < V
        return (p_gen * p_vocab).scatter_add(1, src_ids.clamp(max=V - 1), (1 - p_gen) * attn * keep)

    def no_one_minus(p_vocab, attn, src_ids, p_gen, n_oov):  # copy weighted by p_gen too
        out = torch.cat([p_gen * p_vocab, p_vocab.new_zeros(len(p_vocab), n_oov)], 1)
        return out.scatter_add(1, src_ids, p_gen * attn)

    assert not check.pointer_generator(scatter)
    assert not check.pointer_generator(not_extended)
    assert not check.pointer_generator(no_one_minus)
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "shape" in out


# --------------------------------------------------------------------------------------------- hints


def test_hints_are_graduated_and_give_no_code(hints_give_no_code, capsys):
    solution_code = ["scatter_add", "index_put", "np.clip", "np.tril", "max(prev", "prev[j", "cur[j",
                     "torch.cat", "for i in range", "2 * p * r", "[i][j]", "lcs(i"]
    hints_give_no_code(module, solution_code)
