"""lmkit.check.sentiment: right answers pass, typical wrong ones fail, and a check never raises."""
import math
import random
from collections import defaultdict

import pytest
import torch

from lmkit import check
from lmkit.seq2seq import Classifier


def _wilson(k, n, z=1.959964):
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_wilson_reference_matches_scipy():
    stats = pytest.importorskip("scipy.stats")
    for k, n in [(819, 1067), (0, 20), (20, 20), (5, 7)]:
        ci = stats.binomtest(k, n).proportion_ci(0.95, method="wilson")
        z = stats.norm.ppf(0.975)
        low, high = _wilson(k, n, z)
        assert abs(low - ci.low) < 1e-12 and abs(high - ci.high) < 1e-12


def test_wilson_interval(capsys):
    assert check.wilson_interval(_wilson)
    assert check.wilson_interval(lambda k, n, z: torch.tensor(_wilson(k, n, z)))  # a tensor of two is fine
    assert check.wilson_interval(lambda k, n, z: list(_wilson(k, n, z)))

    def wald(k, n, z):
        p = k / n
        return p - z * math.sqrt(p * (1 - p) / n), p + z * math.sqrt(p * (1 - p) / n)

    assert not check.wilson_interval(wald)
    assert not check.wilson_interval(lambda k, n, z: _wilson(k, n, 1.96 if z > 2 else z))  # ignores z
    assert not check.wilson_interval(lambda k, n, z: _wilson(k, n, z)[::-1])  # (high, low)
    assert not check.wilson_interval(lambda k, n, z: k / n)  # one number
    assert not check.wilson_interval(lambda k, n, z: None)
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "Hint" in out and "returned None" in out and "two numbers" in out


def test_masked_mean_pool(capsys):
    def right(h, mask):
        m = mask.unsqueeze(-1).to(h.dtype)
        return (h * m).sum(1) / m.sum(1)

    assert check.masked_mean_pool(right)
    # lmkit's Classifier pools the same way
    config = pytest.importorskip("lmkit").GPTConfig(vocab_size=5, block_size=8, n_layer=1, n_head=1, n_embd=4)
    assert check.masked_mean_pool(Classifier(config, 2).pool)
    assert not check.masked_mean_pool(lambda h, mask: h.mean(dim=1))  # pads averaged in
    assert not check.masked_mean_pool(lambda h, mask: (h * mask.unsqueeze(-1)).sum(1) / h.shape[1])  # divides by T
    assert not check.masked_mean_pool(lambda h, mask: h[:, 0])  # first position
    assert not check.masked_mean_pool(lambda h, mask: right(h, mask).unsqueeze(1))  # wrong shape
    assert not check.masked_mean_pool(lambda h, mask: h * mask)  # shape error: reported, not raised
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "raised RuntimeError" in out and "shape" in out


def test_occlusion_scores(capsys):
    def right(prob, words):
        full = prob(words)
        return [full - prob(words[:i] + words[i + 1:]) for i in range(len(words))]

    assert check.occlusion_scores(right)
    assert check.occlusion_scores(lambda prob, words: torch.tensor(right(prob, words)))

    def all_copies(prob, words):  # removes every copy of the word
        full = prob(words)
        return [full - prob([v for v in words if v != u]) for u in words]

    assert not check.occlusion_scores(all_copies)
    assert not check.occlusion_scores(lambda prob, words: [-v for v in right(prob, words)])  # sign
    assert not check.occlusion_scores(lambda prob, words: [prob(words[:i] + words[i + 1:])
                                                           for i in range(len(words))])  # no difference
    assert not check.occlusion_scores(lambda prob, words: right(prob, words)[:-1])  # one short
    assert not check.occlusion_scores(lambda prob, words: "scores")
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "Hint" in out


def _right_split(texts, labels, test_frac=0.2, seed=0):
    seen = defaultdict(set)
    for t, label in zip(texts, labels):
        seen[t].add(label)
    pairs = sorted((t, next(iter(ls))) for t, ls in seen.items() if len(ls) == 1)
    random.Random(seed).shuffle(pairs)
    n_test = round(test_frac * len(pairs))
    return pairs[n_test:], pairs[:n_test]


def test_leak_free_split(capsys):
    assert check.leak_free_split(_right_split)

    def split_then_dedup(texts, labels, test_frac=0.2, seed=0):
        pairs = list(zip(texts, labels))
        random.Random(seed).shuffle(pairs)
        n = round(test_frac * len(pairs))
        return list(dict.fromkeys(pairs[n:])), list(dict.fromkeys(pairs[:n]))

    def keeps_conflicts(texts, labels, test_frac=0.2, seed=0):
        pairs = sorted(set(zip(texts, labels)))
        random.Random(seed).shuffle(pairs)
        n = round(test_frac * len(pairs))
        return pairs[n:], pairs[:n]

    def no_shuffle(texts, labels, test_frac=0.2, seed=0):
        train, test = _right_split(texts, labels, test_frac, 0)
        return train, test

    def fraction_of_lines(texts, labels, test_frac=0.2, seed=0):  # test size from the raw line count
        train, test = _right_split(texts, labels, test_frac, seed)
        both = train + test
        n = round(test_frac * len(texts))
        return both[n:], both[:n]

    assert not check.leak_free_split(split_then_dedup)
    assert not check.leak_free_split(keeps_conflicts)
    assert not check.leak_free_split(no_shuffle)
    assert not check.leak_free_split(fraction_of_lines)
    assert not check.leak_free_split(lambda texts, labels, test_frac, seed: (texts, labels, []))
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "both the training and the test set" in out and "two lists" in out


def test_hints_are_graduated_and_give_no_code(capsys):
    from lmkit.check import _grader
    from lmkit.check import sentiment as module

    solution_code = ["math.sqrt", "z * z", "z**2", "unsqueeze(-1)", ".sum(1)", "sum(dim=1)", "words[:i]",
                     "words[i + 1", "defaultdict", "permutation(", "shuffle("]
    assert module.__all__ == ["wilson_interval", "masked_mean_pool", "occlusion_scores", "leak_free_split"]
    assert set(module.__all__) <= set(check.__all__)
    for name in module.__all__:
        hints = module.HINTS[name]
        assert isinstance(hints, list) and 2 <= len(hints) <= 3, name
        assert not [code for hint in hints for code in solution_code if code in hint], name

        def stub(*args):
            raise NotImplementedError

        _grader._failures.pop(name, None)
        fn = getattr(check, name)
        assert not fn(stub) and not fn(stub)
        out = capsys.readouterr().out
        assert "Hint 1 of" in out and "Hint 2 of" in out
