"""lmkit.check.word_embeddings: right answers pass, typical wrong ones fail, and a check never raises."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from lmkit import check


def test_sgns_grad(capsys):
    def right(v, u_pos, u_neg):
        return (torch.sigmoid(u_pos @ v) - 1) * u_pos + (torch.sigmoid(u_neg @ v)[:, None] * u_neg).sum(0)

    def by_autograd(v, u_pos, u_neg):
        v = v.clone().requires_grad_(True)
        (-(F.logsigmoid(u_pos @ v) + F.logsigmoid(-(u_neg @ v)).sum())).backward()
        return v.grad

    assert check.sgns_grad(right)
    assert check.sgns_grad(by_autograd)
    assert check.sgns_grad(lambda v, u_pos, u_neg: right(v, u_pos, u_neg).numpy())  # numpy is accepted
    # the noise term with the wrong sign
    assert not check.sgns_grad(lambda v, u_pos, u_neg: (torch.sigmoid(u_pos @ v) - 1) * u_pos
                               - (torch.sigmoid(u_neg @ v)[:, None] * u_neg).sum(0))
    # the positive term's weight σ instead of σ - 1
    assert not check.sgns_grad(lambda v, u_pos, u_neg: torch.sigmoid(u_pos @ v) * u_pos
                               + (torch.sigmoid(u_neg @ v)[:, None] * u_neg).sum(0))
    # the gradient ascent direction
    assert not check.sgns_grad(lambda v, u_pos, u_neg: -right(v, u_pos, u_neg))
    # summed over the wrong axis: shape (K,) or error, reported
    assert not check.sgns_grad(lambda v, u_pos, u_neg: (torch.sigmoid(u_neg @ v)[:, None] * u_neg).sum(1))
    assert not check.sgns_grad(lambda v, u_pos, u_neg: None)
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "Hint" in out and "returned None" in out


def test_glove_weight(capsys):
    assert check.glove_weight(lambda x, x_max=100.0, alpha=0.75: torch.clamp(x / x_max, max=1) ** alpha)
    assert check.glove_weight(lambda x, x_max=100.0, alpha=0.75:
                              torch.where(x < x_max, (x / x_max) ** alpha, torch.ones_like(x)))
    assert check.glove_weight(lambda x, x_max=100.0, alpha=0.75:
                              np.minimum(1.0, np.asarray(x) / x_max) ** alpha)  # numpy is accepted
    assert not check.glove_weight(lambda x, x_max=100.0, alpha=0.75: (x / x_max) ** alpha)  # no cap
    assert not check.glove_weight(lambda x, x_max=100.0, alpha=0.75:
                                  torch.clamp(x / x_max, max=1) ** (1 / alpha))  # inverted power
    assert not check.glove_weight(lambda x, x_max=100.0, alpha=0.75:
                                  torch.clamp(x, max=x_max) ** alpha)  # forgot to divide
    assert not check.glove_weight(lambda x, x_max=100.0, alpha=0.75: float(x[0]))  # a scalar, reported

    def stub(x, x_max=100.0, alpha=0.75):
        raise NotImplementedError

    assert not check.glove_weight(stub)
    out = capsys.readouterr().out
    assert "not implemented yet" in out and "✅" in out and "❌" in out


def test_analogy(capsys):
    def right(E, a, b, c):
        En = F.normalize(torch.as_tensor(E, dtype=torch.float64), dim=1)
        s = En @ (En[b] - En[a] + En[c])
        s[[a, b, c]] = -math.inf
        return int(s.argmax())

    def numpy_right(E, a, b, c):  # numpy, with the target normalised too: the same argmax
        E = np.asarray(E)
        En = E / np.linalg.norm(E, axis=1, keepdims=True)
        t = En[b] - En[a] + En[c]
        s = En @ (t / np.linalg.norm(t))
        s[[a, b, c]] = -np.inf
        return np.int64(s.argmax())

    def no_exclusion(E, a, b, c):
        En = F.normalize(E, dim=1)
        return int((En @ (En[b] - En[a] + En[c])).argmax())

    def unnormalised(E, a, b, c):
        s = E @ (E[b] - E[a] + E[c])
        s[[a, b, c]] = -math.inf
        return int(s.argmax())

    assert check.analogy(right)
    assert check.analogy(numpy_right)
    assert not check.analogy(no_exclusion)
    assert not check.analogy(unnormalised)
    assert not check.analogy(lambda E, a, b, c: "queen")  # not an index: reported
    assert not check.analogy(lambda E, a, b, c: E[a + 10**6])  # raises IndexError: reported, not raised
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "IndexError" in out and "Hint" in out


def test_spearman(capsys):
    stats = pytest.importorskip("scipy.stats")  # scipy comes with the chapter's requirements, not lmkit's
    rankdata, spearmanr = stats.rankdata, stats.spearmanr

    assert check.spearman(lambda x, y: spearmanr(x, y).statistic)
    assert check.spearman(lambda x, y: np.corrcoef(rankdata(x), rankdata(y))[0, 1])
    # ties broken by position
    assert not check.spearman(lambda x, y: np.corrcoef(np.argsort(np.argsort(x)),
                                                       np.argsort(np.argsort(y)))[0, 1])
    assert not check.spearman(lambda x, y: np.corrcoef(x, y)[0, 1])  # Pearson on the values
    # the textbook formula 1 - 6 Σ d² / (n(n² - 1)), exact only without ties
    assert not check.spearman(lambda x, y: 1 - 6 * ((rankdata(x) - rankdata(y)) ** 2).sum()
                              / (len(x) * (len(x) ** 2 - 1)))
    assert not check.spearman(lambda x, y: None)
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "returned None" in out
