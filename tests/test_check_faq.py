"""lmkit.check.faq: right answers pass, typical wrong ones fail, and a check never raises."""
import math

import numpy as np
import torch

from lmkit import check


def _crossover(sizes, a, b):
    d = np.asarray(b, dtype=float) - np.asarray(a, dtype=float)
    if d[-1] <= 0:
        return None
    not_above = np.nonzero(d <= 0)[0]
    if len(not_above) == 0:
        return sizes[0]
    i = not_above[-1]
    t = d[i] / (d[i] - d[i + 1])
    return float(np.exp(np.log(sizes[i]) + t * np.log(sizes[i + 1] / sizes[i])))


def test_crossover_point(capsys):
    assert check.crossover_point(_crossover)
    # the crossing by hand, in log10 instead of the natural log: the same point
    def log10_version(sizes, a, b):
        d = [y - x for x, y in zip(a, b)]
        if d[-1] <= 0:
            return None
        idx = [i for i, v in enumerate(d) if v <= 0]
        if not idx:
            return sizes[0]
        i = idx[-1]
        t = d[i] / (d[i] - d[i + 1])
        return 10 ** (math.log10(sizes[i]) + t * (math.log10(sizes[i + 1]) - math.log10(sizes[i])))

    assert check.crossover_point(log10_version)

    def first_sign_change(sizes, a, b):
        return next((s for s, x, y in zip(sizes, a, b) if y > x), None)

    def linear_in_size(sizes, a, b):  # interpolates in size, not in log(size)
        d = [y - x for x, y in zip(a, b)]
        if d[-1] <= 0:
            return None
        idx = [i for i, v in enumerate(d) if v <= 0]
        if not idx:
            return sizes[0]
        i = idx[-1]
        t = d[i] / (d[i] - d[i + 1])
        return sizes[i] + t * (sizes[i + 1] - sizes[i])

    def never_none(sizes, a, b):
        r = _crossover(sizes, a, b)
        return sizes[-1] if r is None else r

    assert not check.crossover_point(first_sign_change)
    assert not check.crossover_point(linear_in_size)
    assert not check.crossover_point(never_none)
    assert not check.crossover_point(lambda s, a, b: None)
    assert not check.crossover_point(lambda s, a, b: "1000")
    assert not check.crossover_point(lambda s, a, b: 1 / 0)  # raises: reported, not raised

    def stub(sizes, a, b):
        raise NotImplementedError

    assert not check.crossover_point(stub)
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "Hint" in out and "not implemented yet" in out
    assert "ZeroDivisionError" in out


def test_max_trainable_params(capsys):
    assert check.max_trainable_params(lambda m, a: max(0, int(m - a) // 16))
    assert check.max_trainable_params(lambda m, a: max(0, math.floor((m - a) / 16)))
    assert not check.max_trainable_params(lambda m, a: int(m - a) // 4)  # fp32 weights only
    assert not check.max_trainable_params(lambda m, a: int(m) // 16)  # activations forgotten
    assert not check.max_trainable_params(lambda m, a: int(m - a) // 16)  # negative when nothing fits
    assert not check.max_trainable_params(lambda m, a: (m - a) / 16)  # not a whole number
    assert not check.max_trainable_params(lambda m, a: math.ceil(max(0, m - a) / 16))  # rounds up
    assert not check.max_trainable_params(lambda m, a: None)
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "returned None" in out


def test_repetition_penalty(capsys):
    def right(logits, history, theta):
        out = logits.clone()
        for i in set(history):
            out[i] = out[i] / theta if out[i] > 0 else out[i] * theta
        return out

    assert check.repetition_penalty(right)

    def vectorised(logits, history, theta):
        seen = torch.zeros_like(logits, dtype=torch.bool)
        seen[list(history)] = True
        pen = torch.where(logits > 0, logits / theta, logits * theta)
        return torch.where(seen, pen, logits)

    assert check.repetition_penalty(vectorised)

    def divide_all(logits, history, theta):
        out = logits.clone()
        out[list(set(history))] /= theta
        return out

    def per_occurrence(logits, history, theta):  # penalises a token once per occurrence
        out = logits.clone()
        for i in history:
            out[i] = out[i] / theta if out[i] > 0 else out[i] * theta
        return out

    def in_place(logits, history, theta):
        for i in set(history):
            logits[i] = logits[i] / theta if logits[i] > 0 else logits[i] * theta
        return logits

    assert not check.repetition_penalty(divide_all)
    assert not check.repetition_penalty(per_occurrence)
    assert not check.repetition_penalty(in_place)
    assert not check.repetition_penalty(lambda logits, history, theta: logits)
    assert not check.repetition_penalty(lambda logits, history, theta: None)
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "Hint" in out and "work on a copy" in out
