"""Chapter 2's exercise checks accept correct answers, reject typical wrong ones and never raise."""
import math

import torch
import torch.nn.functional as F

from lmkit import check
from lmkit.ngram import NGramModel


def test_softmax_temperature(capsys):
    def good(z, tau):
        z = z / tau
        e = (z - z.max(dim=-1, keepdim=True).values).exp()
        return e / e.sum(dim=-1, keepdim=True)

    def naive(z, tau):  # overflows for logits in the hundreds
        e = (z.float() / tau).exp()
        return e / e.sum(dim=-1, keepdim=True)

    assert check.softmax_temperature(good)
    assert check.softmax_temperature(lambda z, tau: torch.softmax(z / tau, dim=-1))
    assert not check.softmax_temperature(naive)
    assert not check.softmax_temperature(lambda z, tau: torch.softmax(z * tau, dim=-1))  # multiplies
    assert not check.softmax_temperature(lambda z, tau: torch.softmax(z / tau, dim=0))   # wrong dimension
    assert "❌" in capsys.readouterr().out


def test_kl_divergence(capsys):
    def good(p, q):
        m = p > 0
        return float((p[m] * torch.log(p[m] / q[m])).sum())

    assert check.kl_divergence(good)
    # the identity KL = H(p, q) - H(p), with 0 log 0 = 0
    assert check.kl_divergence(lambda p, q: float(-(p * q.log()).sum() + torch.special.xlogy(p, p).sum()))
    assert not check.kl_divergence(lambda p, q: float((p * torch.log(p / q)).sum()))  # nan where p = 0
    assert not check.kl_divergence(lambda p, q: good(q, p))                          # reversed
    assert not check.kl_divergence(lambda p, q: good(p, q) / math.log(2))            # bits
    capsys.readouterr()


def test_add_k_bigram(capsys):
    def good(ids, V, k):
        m = NGramModel(2, V, smoothing="add_k", k=k).fit(ids)
        return m.probs(torch.arange(V)[:, None])

    def no_k_in_denominator(ids, V, k):
        c = torch.zeros(V, V)
        for a, b in zip(ids, ids[1:]):
            c[a, b] += 1
        return (c + k) / (c.sum(1, keepdim=True) + k)

    assert check.add_k_bigram(good)
    assert not check.add_k_bigram(no_k_in_denominator)
    assert not check.add_k_bigram(lambda ids, V, k: good(ids, V, k).T)  # transposed
    assert not check.add_k_bigram(lambda ids, V, k: None)
    assert "returned None" in capsys.readouterr().out


def test_perplexity_from_logits(capsys):
    def good(logits, targets):
        lp = torch.log_softmax(logits, dim=-1)[torch.arange(len(targets)), targets]
        return math.exp(-float(lp.mean()))

    assert check.perplexity_from_logits(good)
    assert check.perplexity_from_logits(lambda z, t: float(F.cross_entropy(z, t).exp()))
    assert not check.perplexity_from_logits(lambda z, t: float(F.cross_entropy(z, t)))       # no exp
    assert not check.perplexity_from_logits(lambda z, t: 2 ** float(F.cross_entropy(z, t)))  # base mismatch
    capsys.readouterr()



def _good_softmax(z, tau):
    z = z / tau
    e = (z - z.max(dim=-1, keepdim=True).values).exp()
    return e / e.sum(dim=-1, keepdim=True)


def _good_kl(p, q):
    m = p > 0
    return float((p[m] * torch.log(p[m] / q[m])).sum())


def _good_bigram(ids, V, k):
    return NGramModel(2, V, smoothing="add_k", k=k).fit(ids).probs(torch.arange(V)[:, None])


def test_hints_are_graduated_and_never_give_the_answer(capsys):
    from lmkit.check.language_models import HINTS

    assert set(HINTS) == set(check.language_models.__all__)
    for name, hints in HINTS.items():
        assert isinstance(hints, list) and 2 <= len(hints) <= 3, name
        assert len(set(hints)) == len(hints), name
    answers = ["z.max(", "- z.max", ".values", "torch.softmax(", "p[m]", "torch.log(p", "(counts + k)",
               "+ k * V", "C[a].sum()", "log_softmax(logits", "F.cross_entropy", ".exp()", "math.exp("]
    for name, hints in HINTS.items():
        for hint in hints:
            assert not [a for a in answers if a in hint], (name, hint)

    cases = {
        "softmax_temperature": (_good_softmax, lambda z, tau: torch.softmax(z * tau, dim=-1)),
        "kl_divergence": (_good_kl, lambda p, q: _good_kl(q, p)),
        "add_k_bigram": (_good_bigram, lambda ids, V, k: _good_bigram(ids, V, k).T),
        "perplexity_from_logits": (lambda z, t: float(F.cross_entropy(z, t).exp()),
                                   lambda z, t: float(F.cross_entropy(z, t))),
    }
    for name, (right, wrong) in cases.items():
        fn = getattr(check, name)
        assert fn(right)                               # a pass starts the hints again
        assert not fn(wrong)
        first = capsys.readouterr().out
        assert not fn(wrong)
        second = capsys.readouterr().out
        k = len(HINTS[name])
        assert f"Hint 1 of {k}: {HINTS[name][0]}" in first, first
        assert f"Hint 2 of {k}: {HINTS[name][1]}" in second, second


def test_quiet_solution_checks_pass_silently(capsys):
    with check.quiet():
        assert check.softmax_temperature(_good_softmax)
        assert check.kl_divergence(_good_kl)
        assert check.add_k_bigram(_good_bigram)
        assert not check.kl_divergence(lambda p, q: float((p * torch.log(p / q)).sum()))
    assert capsys.readouterr().out == ""
