"""lmkit.ngram against hand-computed values and a brute-force dictionary implementation."""
import math
from collections import Counter

import pytest
import torch

from lmkit.ngram import SMOOTHINGS, NGramModel

# ----------------------------------------------------------------------------------------------
# A brute-force reference: dictionaries of tuples, written straight from the textbook definitions.


def _ngram_counts(ids, m):
    """Counter of every (m+1)-gram (tuple) in ids."""
    return Counter(tuple(ids[i:i + m + 1]) for i in range(len(ids) - m))


def _ref_table(ids, n, m, continuation):
    """{(h, w): count} for contexts of length m; Kneser-Ney continuation counts when asked."""
    if not continuation:
        return dict(_ngram_counts(ids, m))
    longer = _ngram_counts(ids, m + 1)
    cont = Counter(g[1:] for g in longer)  # distinct left extensions of each (m+1)-gram
    return dict(cont)


def _ref_prob(ids, V, n, smoothing, k, ctx, w):
    """P(w | ctx) from first principles; ctx is a tuple of length <= n - 1."""
    c = len(ctx)
    if smoothing == "add_k":
        table = _ref_table(ids, n, c, False)
        total = sum(v for g, v in table.items() if g[:-1] == ctx)
        return (table.get(ctx + (w,), 0) + k) / (total + k * V)
    p = 1.0 / V
    for m in range(c + 1):
        table = _ref_table(ids, n, m, continuation=(smoothing == "kneser_ney" and m < c))
        h = ctx[c - m:]
        nexts = {g[-1]: v for g, v in table.items() if g[:-1] == h}
        total, types = sum(nexts.values()), len(nexts)
        if total == 0:
            continue  # unseen context: keep the lower-order estimate
        cnt = nexts.get(w, 0)
        if smoothing == "witten_bell":
            p = (cnt + types * p) / (total + types)
        else:
            values = list(table.values())
            n1, n2 = values.count(1), values.count(2)
            D = n1 / (n1 + 2 * n2) if n1 > 0 else 0.5
            p = (max(cnt - D, 0) + D * types * p) / total
    return p


@pytest.fixture(scope="module")
def data():
    g = torch.Generator().manual_seed(0)
    # a skewed Markov-ish source so that counts are uneven and some contexts go unseen
    V = 5
    trans = torch.rand(V, V, generator=g) ** 3
    ids = [0]
    for _ in range(299):
        ids.append(int(torch.multinomial(trans[ids[-1]], 1, generator=g)))
    held = [int(x) for x in torch.randint(0, V, (60,), generator=g)]
    return V, ids, held


# ----------------------------------------------------------------------------------------------
# Hand-computed values


def test_add_one_bigram_by_hand():
    m = NGramModel(2, vocab_size=2, smoothing="add_k", k=1.0).fit([0, 1, 0, 1, 1])
    # bigrams: (0,1) x2, (1,0) x1, (1,1) x1
    assert torch.allclose(m.next_token_probs([0]), torch.tensor([1 / 4, 3 / 4], dtype=torch.float64))
    assert torch.allclose(m.next_token_probs([1, 1, 1]), torch.tensor([2 / 4, 2 / 4], dtype=torch.float64))
    assert m.cross_entropy([0, 1, 1]) == pytest.approx(-(math.log(3 / 4) + math.log(2 / 4)) / 2)
    assert m.perplexity([0, 1, 1]) == pytest.approx(math.exp(m.cross_entropy([0, 1, 1])))
    assert m.counts([0]).tolist() == [0, 2]


def test_unigram_by_hand_ignores_context():
    m = NGramModel(1, vocab_size=3, k=0.5).fit(torch.tensor([0, 0, 1]))
    want = torch.tensor([2.5, 1.5, 0.5], dtype=torch.float64) / 4.5
    assert torch.allclose(m.next_token_probs(), want)
    assert torch.allclose(m.next_token_probs([2, 2]), want)
    assert m.cross_entropy([2]) == pytest.approx(-math.log(0.5 / 4.5))


def test_witten_bell_by_hand():
    # ids 0 1 0 2, V = 3. Unigram counts 2,1,1 (4 tokens, 3 types): P1(w) = (c + 3/3)/(4 + 3).
    m = NGramModel(2, vocab_size=3, smoothing="witten_bell").fit([0, 1, 0, 2])
    p1 = [(2 + 1) / 7, (1 + 1) / 7, (1 + 1) / 7]
    # after 0: 1 once, 2 once -> total 2, types 2
    want = [(0 + 2 * p1[0]) / 4, (1 + 2 * p1[1]) / 4, (1 + 2 * p1[2]) / 4]
    assert torch.allclose(m.next_token_probs([0]), torch.tensor(want, dtype=torch.float64))
    # context 2 never occurs as a context: back to the unigram level
    assert torch.allclose(m.next_token_probs([2]), torch.tensor(p1, dtype=torch.float64))


# ----------------------------------------------------------------------------------------------
# Against the brute-force reference


@pytest.mark.parametrize("smoothing", SMOOTHINGS)
@pytest.mark.parametrize("n", [1, 2, 3, 4])
def test_matches_brute_force(data, smoothing, n):
    V, ids, held = data
    k = 0.3
    m = NGramModel(n, V, smoothing=smoothing, k=k).fit(ids)
    contexts = [tuple(ids[i:i + n - 1]) for i in range(0, 40, 7)] + [tuple(held[i:i + n - 1]) for i in range(0, 20, 5)]
    contexts += [ctx[1:] for ctx in contexts if ctx]  # shorter contexts -> lower-order model
    for ctx in contexts:
        want = torch.tensor([_ref_prob(ids, V, n, smoothing, k, ctx, w) for w in range(V)], dtype=torch.float64)
        assert torch.allclose(m.next_token_probs(list(ctx)), want, atol=1e-12), (smoothing, n, ctx)
    ref_ce = -sum(math.log(_ref_prob(ids, V, n, smoothing, k, tuple(held[i - n + 1:i]), held[i]))
                  for i in range(n - 1, len(held))) / (len(held) - n + 1)
    assert m.cross_entropy(held) == pytest.approx(ref_ce, rel=1e-10)


@pytest.mark.parametrize("n", [1, 2, 3])
def test_counts_and_unseen_fraction_match_brute_force(data, n):
    V, ids, held = data
    m = NGramModel(n, V).fit(ids)
    table = _ngram_counts(ids, n - 1)
    for ctx in [tuple(ids[i:i + n - 1]) for i in range(5)]:
        assert m.counts(list(ctx)).tolist() == [table.get(ctx + (w,), 0) for w in range(V)]
    seen = {g[:-1] for g in table}
    contexts = [tuple(held[i - n + 1:i]) for i in range(n - 1, len(held))]
    want = sum(c not in seen for c in contexts) / len(contexts)
    assert m.unseen_context_fraction(held) == pytest.approx(want)
    assert m.seen_contexts(held).tolist() == [c in seen for c in contexts]


# ----------------------------------------------------------------------------------------------
# Properties


@pytest.mark.parametrize("smoothing", SMOOTHINGS)
def test_distributions_sum_to_one_and_are_positive(data, smoothing):
    V, ids, held = data
    m = NGramModel(4, V, smoothing=smoothing, k=0.01).fit(ids)
    T = len(held) - 3
    contexts = torch.stack([torch.tensor(held[j:j + T]) for j in range(3)], dim=1)  # (T, 3), many unseen
    p = m.probs(contexts)
    assert p.shape == (T, V)
    assert torch.allclose(p.sum(-1), torch.ones(T, dtype=torch.float64))
    assert (p > 0).all()
    assert torch.allclose(p[5], m.next_token_probs(held[5:8]))
    lp = m.log_probs(held)
    assert torch.allclose(lp, p[torch.arange(T), torch.tensor(held[3:])].log())
    for ctx in ([], [1], [1, 2]):
        assert m.next_token_probs(ctx).sum().item() == pytest.approx(1.0)


def test_longer_context_fits_training_data_better(data):
    V, ids, _ = data
    ces = [NGramModel(n, V, smoothing="witten_bell").fit(ids).cross_entropy(ids) for n in (1, 2, 3, 4)]
    assert all(a > b for a, b in zip(ces, ces[1:]))


def test_variant_equals_a_fresh_fit(data):
    V, ids, held = data
    big = NGramModel(4, V, smoothing="kneser_ney").fit(ids)
    for n in (1, 2, 3, 4):
        for smoothing in SMOOTHINGS:
            fresh = NGramModel(n, V, smoothing=smoothing, k=0.2).fit(ids)
            assert big.variant(n, smoothing, k=0.2).cross_entropy(held) == pytest.approx(fresh.cross_entropy(held))
    with pytest.raises(ValueError, match="at most the fitted order"):
        big.variant(5)


def test_sampling_frequencies_match_probabilities():
    g = torch.Generator().manual_seed(1)
    ids = [0, 1, 2, 0, 0, 1, 1, 2, 2, 2, 0, 1, 0]
    m = NGramModel(2, 3, smoothing="add_k", k=0.5).fit(ids)
    out = m.sample(6000, context=[0], generator=g)
    seq = [0] + out
    for a in range(3):
        nxt = Counter(b for x, b in zip(seq, seq[1:]) if x == a)
        total = sum(nxt.values())
        p = m.next_token_probs([a])
        for b in range(3):
            se = math.sqrt(p[b].item() * (1 - p[b].item()) / total)
            assert abs(nxt[b] / total - p[b].item()) < 4 * se + 1e-3, (a, b)


def test_sampling_reproducible_and_returns_only_new_ids(data):
    V, ids, _ = data
    m = NGramModel(3, V).fit(ids)
    a = m.sample(50, context=ids[:5], generator=torch.Generator().manual_seed(3))
    b = m.sample(50, context=ids[:5], generator=torch.Generator().manual_seed(3))
    assert a == b and len(a) == 50 and all(0 <= x < V for x in a)
    assert m.sample(0) == []
    assert len(m.sample(10)) == 10  # empty context: starts from lower orders


def test_fits_tiny_shakespeare_sized_data_fast():
    import time
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(0, 65, (300_000,), generator=g)
    t = time.perf_counter()
    m = NGramModel(7, 65, smoothing="kneser_ney").fit(ids)
    ce = m.cross_entropy(ids[:30_000])
    assert time.perf_counter() - t < 30
    assert ce < math.log(65) + 0.5  # sane


# ----------------------------------------------------------------------------------------------
# Errors


@pytest.mark.parametrize("kwargs, word", [
    (dict(n=0, vocab_size=5), "n must"),
    (dict(n=2.0, vocab_size=5), "n must"),
    (dict(n=2, vocab_size=0), "vocab_size"),
    (dict(n=2, vocab_size=5, smoothing="laplace"), "smoothing"),
    (dict(n=2, vocab_size=5, k=0), "k must"),
    (dict(n=2, vocab_size=5, k=-1.0), "k must"),
    (dict(n=2, vocab_size=5, k=float("nan")), "k must"),
    (dict(n=20, vocab_size=50_000), "int64"),
])
def test_bad_constructor_arguments(kwargs, word):
    with pytest.raises(ValueError, match=word):
        NGramModel(**kwargs)


def test_bad_ids():
    m = NGramModel(3, 5)
    with pytest.raises(ValueError, match="fit"):
        m.next_token_probs([1, 2])
    for bad, word in [([], "empty"), ([0, 1, 5], "outside"), ([0, -1, 2], "outside"), ([0, 1], "at least 3"),
                      (torch.zeros(2, 3, dtype=torch.long), "1-D"), (torch.tensor([0.0, 1.0, 2.0]), "integer"),
                      ([0, 1.5, 2], "integer"), ("abc", "encode"), (7, "sequence")]:
        with pytest.raises(ValueError, match=word):
            m.fit(bad)
    m.fit([0, 1, 2, 3, 4, 0, 1])
    with pytest.raises(ValueError, match="ids"):
        m.cross_entropy([0, 9, 1])
    with pytest.raises(ValueError, match="context"):
        m.next_token_probs([7])
    with pytest.raises(ValueError, match="contexts"):
        m.probs(torch.zeros(4, 3, dtype=torch.long))
    with pytest.raises(ValueError, match="length"):
        m.sample(-1)
    with pytest.raises(ValueError, match="generator"):
        m.sample(3, generator=0)
