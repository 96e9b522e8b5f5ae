"""lmkit.check.scaling: right answers pass, typical wrong ones fail, and a check never raises."""
import math

import numpy as np

from lmkit import check


def _count(c):
    C, L = c.n_embd, c.n_layer
    block = 2 * 2 * C + (C * 3 * C + 3 * C) + (C * C + C) + (C * 4 * C + 4 * C) + (4 * C * C + C)
    return L * block + c.vocab_size * C + c.block_size * C + 2 * C


def test_count_params_gpt(capsys):
    assert check.count_params_gpt(_count)
    # the textbook formula 12·L·C² + 13·L·C + (V + T + 2)·C, written differently
    assert check.count_params_gpt(
        lambda c: 12 * c.n_layer * c.n_embd ** 2 + 13 * c.n_layer * c.n_embd
        + (c.vocab_size + c.block_size + 2) * c.n_embd)
    assert not check.count_params_gpt(lambda c: 12 * c.n_layer * c.n_embd ** 2)  # the matrices only
    # the output layer counted a second time (it is tied to the token table)
    assert not check.count_params_gpt(lambda c: _count(c) + c.vocab_size * c.n_embd)
    assert not check.count_params_gpt(lambda c: _count(c) - c.block_size * c.n_embd)  # no position table
    assert not check.count_params_gpt(lambda c: str(_count(c)))
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "Hint" in out and "expected a number" in out


def test_fit_power_law(capsys):
    def right(x, y):
        slope, intercept = np.polyfit(np.log(x), np.log(y), 1)
        return -slope, math.exp(intercept)

    def by_hand(x, y):  # least squares written out, base-10 logs
        lx, ly = np.log10(x), np.log10(y)
        s = ((lx - lx.mean()) * (ly - ly.mean())).sum() / ((lx - lx.mean()) ** 2).sum()
        return -s, 10 ** (ly.mean() - s * lx.mean())

    assert check.fit_power_law(right)
    assert check.fit_power_law(by_hand)
    assert not check.fit_power_law(lambda x, y: (right(x, y)[1], right(x, y)[0]))  # swapped
    assert not check.fit_power_law(lambda x, y: (-right(x, y)[0], right(x, y)[1]))  # the slope, not -slope
    assert not check.fit_power_law(lambda x, y: (right(x, y)[0], math.log(right(x, y)[1])))  # log a
    # a straight line through the raw values, not the logs
    assert not check.fit_power_law(lambda x, y: tuple(np.polyfit(x, y, 1)))
    assert not check.fit_power_law(lambda x, y: 0.5)
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "Hint" in out and "return a pair" in out


def test_chinchilla_optimal(capsys):
    def right(C, tokens_per_param=20):
        N = math.sqrt(C / (6 * tokens_per_param))
        return N, tokens_per_param * N

    assert check.chinchilla_optimal(right)
    assert check.chinchilla_optimal(lambda C, r=20: (np.sqrt(C / 6 / r), np.sqrt(C * r / 6)))
    assert not check.chinchilla_optimal(lambda C, r=20: right(C, r)[::-1])  # (D, N)
    assert not check.chinchilla_optimal(lambda C, r=20: (math.sqrt(C / r), r * math.sqrt(C / r)))  # no 6
    assert not check.chinchilla_optimal(lambda C, r=20: right(C))  # ignores the ratio
    assert not check.chinchilla_optimal(lambda C: right(C))  # no ratio argument: TypeError, reported
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "Hint" in out and "TypeError" in out
