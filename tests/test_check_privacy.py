"""lmkit.check.privacy: right answers pass, typical wrong ones fail, and a check never raises."""
import math

import numpy as np
import pytest

from lmkit import check


def _exposure(scores, i):
    s = np.asarray(scores, dtype=float)
    return float(np.log2(len(s)) - np.log2(1 + (s > s[i]).sum()))


def test_exposure(capsys):
    assert check.exposure(_exposure)
    # a rank from sorting, ties broken in the secret's favour: also right
    assert check.exposure(lambda s, i: math.log2(len(s)) - math.log2(
        1 + len(s) - int(np.searchsorted(np.sort(s), s[i], side="right"))))
    assert not check.exposure(lambda s, i: float(np.log2(len(s)) - np.log2(max(1, (s > s[i]).sum()))))  # rank 0
    assert not check.exposure(lambda s, i: float(np.log2(len(s)) - np.log2(1 + (s >= s[i]).sum())))  # ties
    assert not check.exposure(lambda s, i: float(np.log(len(s)) - np.log(1 + (s > s[i]).sum())))  # nats
    assert not check.exposure(lambda s, i: (_exposure(s, i), 1))  # a tuple
    assert not check.exposure(lambda s, i: None)
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "Hint" in out and "returned None" in out


def _dedup(text, min_len):
    seen, out = set(), []
    for line in text.split("\n"):
        if len(line) >= min_len:
            if line in seen:
                continue
            seen.add(line)
        out.append(line)
    return "\n".join(out)


def test_dedup_lines(capsys):
    assert check.dedup_lines(_dedup)
    assert check.dedup_lines(lambda t, m: "\n".join(
        x for j, x in enumerate(t.split("\n")) if len(x) < m or x not in t.split("\n")[:j]))
    assert not check.dedup_lines(lambda t, m: "\n".join(dict.fromkeys(t.split("\n"))))  # short lines too
    assert not check.dedup_lines(lambda t, m: "\n".join(sorted(set(t.split("\n")))))  # order lost
    assert not check.dedup_lines(lambda t, m: _dedup(t, m + 1))  # min_len itself excluded
    assert not check.dedup_lines(lambda t, m: _dedup(t.lower(), m))  # case folded
    assert not check.dedup_lines(lambda t, m: _dedup(t, m).split("\n"))  # a list
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "Hint" in out


def _auc(a, b):
    a, b = np.asarray(a, dtype=float)[:, None], np.asarray(b, dtype=float)[None, :]
    return float((a < b).mean() + 0.5 * (a == b).mean())


def test_membership_auc(capsys):
    assert check.membership_auc(_auc)
    out = capsys.readouterr().out
    assert "✅" in out


def test_membership_auc_agrees_with_scikit_learn(capsys):
    metrics = pytest.importorskip("sklearn.metrics", reason="scikit-learn is a course requirement")
    roc_auc_score = metrics.roc_auc_score
    assert check.membership_auc(lambda a, b: roc_auc_score(
        np.r_[np.ones(len(a)), np.zeros(len(b))], -np.r_[a, b]))
    assert "✅" in capsys.readouterr().out


def test_membership_auc_rejects_wrong_answers(capsys):
    assert not check.membership_auc(lambda a, b: float((np.asarray(a)[:, None] > np.asarray(b)).mean()))
    assert not check.membership_auc(lambda a, b: float((np.asarray(a)[:, None] < np.asarray(b)).mean()))  # ties
    assert not check.membership_auc(lambda a, b: float(np.mean(a) < np.mean(b)))
    assert not check.membership_auc(lambda a, b: np.asarray(a)[:, None] < np.asarray(b))  # the table
    out = capsys.readouterr().out
    assert "✅" not in out and "❌" in out and "Hint" in out


def test_hints_give_no_code():
    from lmkit.check import privacy as module

    solution_code = ["np.log2", "math.log2", "(s > s[", ".sum()", "seen.add", "in seen", "[:, None]",
                     "0.5 *", "roc_auc_score"]
    assert set(module.__all__) == {"exposure", "dedup_lines", "membership_auc"} <= set(check.__all__)
    for name in module.__all__:
        hints = module.HINTS[name]
        assert isinstance(hints, list) and 2 <= len(hints) <= 3, name
        assert not [code for hint in hints for code in solution_code if code in hint], name
