"""The exercise checks of chapter 1 accept correct answers, reject typical wrong ones and never raise."""
import math
from collections import Counter

import torch

from lmkit import check


def test_nats_to_bits(capsys):
    assert check.nats_to_bits(lambda h: h / math.log(2))
    assert check.nats_to_bits(lambda h: h * math.log2(math.e))      # the same number, written differently
    assert not check.nats_to_bits(lambda h: h * math.log(2))        # the wrong way round
    assert not check.nats_to_bits(lambda h: math.log2(h))           # raises on h = 0: reported, not raised
    assert not check.nats_to_bits(lambda h: None)
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out


def _reference_sampler(counts, start, length, generator):
    out, prev = [], start
    for _ in range(length):
        p = counts[prev] / counts[prev].sum()
        prev = int(torch.multinomial(p, 1, generator=generator))
        out.append(prev)
    return out


def test_bigram_sampler_accepts_correct_implementations():
    assert check.bigram_sampler(_reference_sampler)

    def cumulative(counts, start, length, generator):  # inverse-CDF sampling: other draws, same distribution
        out, prev = [], start
        for _ in range(length):
            cdf = torch.cumsum(counts[prev] / counts[prev].sum(), 0)
            u = torch.rand(1, generator=generator)
            prev = min(int(torch.searchsorted(cdf, u)), len(cdf) - 1)
            out.append(prev)
        return torch.tensor(out)                            # a tensor is accepted too
    assert check.bigram_sampler(cumulative)


def test_bigram_sampler_rejects_typical_mistakes(capsys):
    def argmax(counts, start, length, generator):
        out, prev = [], start
        for _ in range(length):
            prev = int(counts[prev].argmax())
            out.append(prev)
        return out

    def columns(counts, start, length, generator):          # reads the column of the previous id
        return _reference_sampler(counts.T.contiguous(), start, length, generator)

    def uniform(counts, start, length, generator):
        return torch.randint(counts.shape[0], (length,), generator=generator).tolist()

    def unseeded(counts, start, length, generator):
        return _reference_sampler(counts, start, length, None)

    def with_start(counts, start, length, generator):
        return [start] + _reference_sampler(counts, start, length - 1, generator)

    for wrong in (argmax, columns, uniform, unseeded, with_start):
        assert not check.bigram_sampler(wrong), wrong.__name__

    def stub(*args):
        raise NotImplementedError
    assert not check.bigram_sampler(stub)
    out = capsys.readouterr().out
    assert "not implemented yet" in out and "Hint" in out


def test_bigram_reference_samples_with_the_right_frequencies():
    # the property the check relies on, measured on the reference: p(1 | anything) = 3/4
    counts = torch.tensor([[1.0, 3.0], [1.0, 3.0]])
    out = _reference_sampler(counts, 0, 4000, torch.Generator().manual_seed(2))
    assert abs(Counter(out)[1] / 4000 - 0.75) < 0.03


def test_count_ngrams(capsys):
    assert check.count_ngrams(lambda t, n: len({t[i:i + n] for i in range(len(t) - n + 1)}))
    assert check.count_ngrams(lambda t, n: len(set(zip(*(t[i:] for i in range(n))))))  # tuples of characters
    assert not check.count_ngrams(lambda t, n: max(len(t) - n + 1, 0))   # counts occurrences, not distinct ones
    assert not check.count_ngrams(lambda t, n: len({t[i:i + n] for i in range(len(t))}))  # keeps short tails
    assert not check.count_ngrams(lambda t, n: None)
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out


def _second_failure(capsys, name, right, wrong):
    """Fail a check twice after a pass: the first failure shows hint 1, the second hint 2."""
    fn = getattr(check, name)
    assert fn(right)                                   # a pass starts the hints again
    assert not fn(wrong)
    first = capsys.readouterr().out
    assert not fn(wrong)
    second = capsys.readouterr().out
    return first, second


def test_hints_are_graduated_and_never_give_the_answer(capsys):
    from lmkit.check.history import HINTS

    assert set(HINTS) == set(check.history.__all__)
    for name, hints in HINTS.items():
        assert isinstance(hints, list) and 2 <= len(hints) <= 3, name
        assert len(set(hints)) == len(hints), name
    answers = ["/ math.log(2)", "math.log2(math.e)", "multinomial(p", "counts[prev] / counts[prev].sum()",
               "text[i:i + n]", "text[i:i+n]", "len({", "range(len(text) - n + 1)"]
    for name, hints in HINTS.items():
        for hint in hints:
            assert not [a for a in answers if a in hint], (name, hint)

    cases = {
        "nats_to_bits": (lambda h: h / math.log(2), lambda h: h * math.log(2)),
        "bigram_sampler": (_reference_sampler, lambda c, s, n, g: [s] * n),
        "count_ngrams": (lambda t, n: len({t[i:i + n] for i in range(len(t) - n + 1)}),
                         lambda t, n: max(len(t) - n + 1, 0)),
    }
    for name, (right, wrong) in cases.items():
        first, second = _second_failure(capsys, name, right, wrong)
        k = len(HINTS[name])
        assert f"Hint 1 of {k}: {HINTS[name][0]}" in first, first
        assert f"Hint 2 of {k}: {HINTS[name][1]}" in second, second
        assert "more specific hint" in first


def test_quiet_checks_print_nothing_and_keep_the_hint_count(capsys):
    assert check.count_ngrams(lambda t, n: len({t[i:i + n] for i in range(len(t) - n + 1)}))
    capsys.readouterr()
    with check.quiet():
        assert not check.count_ngrams(lambda t, n: 0)
        assert not check.count_ngrams(lambda t, n: 0)
    assert capsys.readouterr().out == ""
    assert not check.count_ngrams(lambda t, n: 0)
    assert "Hint 1 of" in capsys.readouterr().out
