"""lmkit.check.machine_translation: right answers pass, typical wrong ones fail, and a check never raises.

The checks' references are tested against the libraries they stand for: the BLEU reference against
sacrebleu, the cross-attention reference against lmkit's CrossAttention module.
"""
import math
import random
from collections import Counter

import pytest
import torch

from lmkit import check
from lmkit.attention import CrossAttention
from lmkit.check import machine_translation as mt

# ----------------------------------------------------------------------------- teacher forcing


def _tf_right(seqs, bos, eos, pad):
    T = max(len(s) for s in seqs) + 1
    x = torch.full((len(seqs), T), pad)
    y = torch.full((len(seqs), T), -1)
    for b, s in enumerate(seqs):
        x[b, : len(s) + 1] = torch.tensor([bos] + s)
        y[b, : len(s) + 1] = torch.tensor(s + [eos])
    return x, y


def test_teacher_forcing_batch(capsys):
    from lmkit.data import pad_batch

    assert check.teacher_forcing_batch(_tf_right)

    def with_pad_batch(seqs, bos, eos, pad):  # the chapter's way: pad_batch, then -1 where the mask is False
        x, _ = pad_batch([[bos] + s for s in seqs], pad)
        y, m = pad_batch([s + [eos] for s in seqs], pad)
        return x, y.masked_fill(~m, -1)

    assert check.teacher_forcing_batch(with_pad_batch)

    def pad_in_targets(seqs, bos, eos, pad):  # targets padded with the pad id: the loss would learn padding
        x, y = _tf_right(seqs, bos, eos, pad)
        return x, y.masked_fill(y == -1, pad)

    def not_shifted(seqs, bos, eos, pad):  # the decoder sees the token it must predict
        x, _ = _tf_right(seqs, bos, eos, pad)
        return x, x.masked_fill(x == pad, -1)

    def no_eos(seqs, bos, eos, pad):  # the model never learns to stop
        x, y = _tf_right(seqs, bos, eos, pad)
        return x, y.masked_fill(y == eos, -1)

    for wrong in (pad_in_targets, not_shifted, no_eos, lambda s, b, e, p: _tf_right(s, b, e, p)[0],
                  lambda s, b, e, p: None):
        assert not check.teacher_forcing_batch(wrong)
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "Hint" in out and "returned None" in out


# -------------------------------------------------------------------------------------------- BLEU


def _sacrebleu(hyps, refs):
    sacrebleu = pytest.importorskip("sacrebleu")
    k = max(len(r) for r in refs)
    streams = [[r[i] if i < len(r) else None for r in refs] for i in range(k)]
    return sacrebleu.corpus_bleu(hyps, streams, tokenize="none", smooth_method="none").score


def test_bleu_reference_matches_sacrebleu():
    rng = random.Random(0)
    words = list("我你他的是了在有不这个人们好很")
    for trial in range(60):
        n = rng.randint(1, 6)
        refs = [[" ".join(rng.choices(words, k=rng.randint(3, 12))) for _ in range(rng.randint(1, 3))]
                for _ in range(n)]
        hyps = []
        for rs in refs:  # hypotheses that share n-grams with a reference, so that BLEU is not always 0
            toks = rng.choice(rs).split()
            toks = [t if rng.random() < 0.8 else rng.choice(words) for t in toks][: rng.randint(1, len(toks) + 2)]
            hyps.append(" ".join(toks + rng.choices(words, k=rng.randint(0, 3))))
        assert math.isclose(mt._bleu(hyps, refs), _sacrebleu(hyps, refs), rel_tol=1e-9, abs_tol=1e-9), trial
    some = sum(mt._bleu([r[0]], [r]) > 0 for r in refs)
    assert some  # exact matches score


def _bleu_parts(hyps, refs, clip=True, closest=True, geometric=True):
    match, total, c, r = [0] * 4, [0] * 4, 0, 0
    for h, rs in zip(hyps, refs):
        h, rs = h.split(), [x.split() for x in rs]
        c += len(h)
        r += (min((len(x) for x in rs), key=lambda n: (abs(n - len(h)), n)) if closest
              else sum(len(x) for x in rs) / len(rs))
        for n in range(1, 5):
            hc = Counter(tuple(h[i: i + n]) for i in range(len(h) - n + 1))
            most = Counter()
            for x in rs:
                most |= Counter(tuple(x[i: i + n]) for i in range(len(x) - n + 1))
            match[n - 1] += sum(min(k, most[g]) if clip else (k if g in most else 0) for g, k in hc.items())
            total[n - 1] += max(len(h) - n + 1, 0)
    if min(match) == 0:
        return 0.0
    p = [m / t for m, t in zip(match, total)]
    mean = math.exp(sum(map(math.log, p)) / 4) if geometric else sum(p) / 4
    return 100 * (1.0 if c >= r else math.exp(1 - r / c)) * mean


def test_corpus_bleu(capsys):
    assert check.corpus_bleu(mt._bleu)
    assert check.corpus_bleu(_bleu_parts)
    assert check.corpus_bleu(lambda h, r: _sacrebleu(h, r))
    assert not check.corpus_bleu(lambda h, r: _bleu_parts(h, r, clip=False))  # repeated words rewarded
    assert not check.corpus_bleu(lambda h, r: _bleu_parts(h, r, closest=False))  # mean reference length
    assert not check.corpus_bleu(lambda h, r: _bleu_parts(h, r, geometric=False))  # arithmetic mean
    assert not check.corpus_bleu(lambda h, r: _bleu_parts(h, r) / 100)  # a fraction, not 0-100
    # the mean of sentence BLEUs instead of corpus BLEU
    assert not check.corpus_bleu(lambda h, r: sum(_bleu_parts([a], [b]) for a, b in zip(h, r)) / len(h))
    # only the first reference of each sentence
    assert not check.corpus_bleu(lambda h, r: _bleu_parts(h, [x[:1] for x in r]))
    assert not check.corpus_bleu(lambda h, r: "high")
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "from 0 to 100" in out and "return a number" in out


# ------------------------------------------------------------------------------- cross-attention


def test_cross_attention_reference_matches_lmkit():
    torch.manual_seed(0)
    C, H = 16, 4
    layer = CrossAttention(C, H, bias=False).double().eval()
    x, memory = torch.randn(3, 5, C, dtype=torch.float64), torch.randn(3, 7, C, dtype=torch.float64)
    mask = torch.arange(7)[None, :] < torch.tensor([7, 3, 1])[:, None]
    w_q = layer.c_q.weight.T
    w_k, w_v = layer.c_kv.weight.T.split(C, dim=1)
    want = layer.c_proj(mt._cross_attention(x, memory, mask, w_q, w_k, w_v, H))
    assert torch.allclose(layer(x, memory, mask), want, atol=1e-10)


def _xattn(x, memory, mask, w_q, w_k, w_v, n_head, scale=True, use_mask=True, swap=False):
    if swap:  # queries from the source, keys and values from the target
        x, memory = memory, x
    B, T, C = x.shape
    S, D = memory.shape[1], C // n_head
    q = (x @ w_q).view(B, T, n_head, D).transpose(1, 2)
    k = (memory @ w_k).view(B, S, n_head, D).transpose(1, 2)
    v = (memory @ w_v).view(B, S, n_head, D).transpose(1, 2)
    s = q @ k.transpose(-2, -1) / (math.sqrt(D) if scale else 1.0)
    if use_mask and not swap:
        s = s.masked_fill(~mask[:, None, None, :], float("-inf"))
    return (s.softmax(-1) @ v).transpose(1, 2).reshape(B, T, C)


def test_cross_attention(capsys):
    assert check.cross_attention(_xattn)

    def with_sdpa(x, memory, mask, w_q, w_k, w_v, n_head):
        B, T, C = x.shape
        split = lambda t: t.view(B, -1, n_head, C // n_head).transpose(1, 2)  # noqa: E731
        y = torch.nn.functional.scaled_dot_product_attention(
            split(x @ w_q), split(memory @ w_k), split(memory @ w_v), attn_mask=mask[:, None, None, :])
        return y.transpose(1, 2).reshape(B, T, C)

    assert check.cross_attention(with_sdpa)
    assert not check.cross_attention(lambda *a: _xattn(*a, use_mask=False))  # attends to padding
    assert not check.cross_attention(lambda *a: _xattn(*a, scale=False))  # no 1/sqrt(d)
    assert not check.cross_attention(lambda *a: _xattn(*a, swap=True))  # wrong direction: shape error, reported
    assert not check.cross_attention(lambda x, m, k, wq, wk, wv, h: _xattn(x, m, k, wq, wk, wv, 1))  # one head
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "Hint" in out


def test_hints_are_graduated_and_give_no_code(hints_give_no_code, capsys):
    solution_code = ["masked_fill", "[bos] +", "[bos, *", "softmax(-1)", "math.exp(1 - r / c)", "Counter(",
                     "@ k.transpose", "sqrt(D)"]
    hints_give_no_code(mt, solution_code)
