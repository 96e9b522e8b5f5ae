"""Checks for the exercises of chapters/part5/machine_translation.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`. The references are written here in a
few lines each; tests/test_check_machine_translation.py tests the BLEU reference against ``sacrebleu``
and the cross-attention reference against :class:`lmkit.attention.CrossAttention`.
"""
from __future__ import annotations

import math
from collections import Counter
from typing import Callable

import torch

from ._grader import _close, _report

__all__: list[str] = ["teacher_forcing_batch", "corpus_bleu", "cross_attention"]

#: The graduated hints of each check: the k-th failure shows the k-th hint; none gives the code away.
HINTS: dict[str, list[str]] = {
    "teacher_forcing_batch": [
        "the decoder reads the reference one position late: its input starts with the start token and "
        "its target at each position is the token that comes next, with the end token after the last "
        "one. Input and target have the same length, one more than the longest sentence.",
        "pad both on the right to the longest sentence plus one: the input with the pad id, the targets "
        "with -1, which the loss ignores. A pad id in the targets would train the model to predict padding.",
        "look at one sentence: its input row is the start token followed by the sentence, its target row "
        "is the sentence followed by the end token, and both rows continue with padding. Return two "
        "LongTensors of shape (B, T).",
    ],
    "corpus_bleu": [
        "BLEU is computed on the whole corpus at once: add up the n-gram matches and the n-gram counts of "
        "every sentence first (n = 1 to 4), then take one precision per n, not one score per sentence.",
        "a hypothesis n-gram counts as a match at most as many times as it occurs in the reference that "
        "has it most often (clipping), so repeating a correct word does not help. The precisions are "
        "combined by a geometric mean (the mean of their logarithms), and any zero precision makes BLEU 0.",
        "the brevity penalty is exp(1 - r / c) when the total hypothesis length c is below r, else 1; r "
        "adds up, for each sentence, the length of the reference closest in length to its hypothesis (the "
        "shorter one on a tie). Return a number from 0 to 100.",
    ],
    "cross_attention": [
        "in cross-attention the queries come from the decoder's states x (B, T, C) and the keys and values "
        "from the encoder's output memory (B, S, C), so the weights have shape (B, H, T, S): one row per "
        "target position, one column per source position.",
        "split the C channels of the projected queries, keys and values into n_head heads of C / n_head "
        "channels, scale the scores by one over the square root of the head size, and set the scores of "
        "padded source positions (mask False) to minus infinity before the softmax over S.",
        "after the softmax, weight the values, then put the heads back side by side to get (B, T, C). No "
        "causal mask here: every target position may look at every real source position.",
    ],
}


# ------------------------------------------------------------------------------- teacher forcing


def _teacher_forcing(seqs: list[list[int]], bos: int, eos: int, pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    T = max(len(s) for s in seqs) + 1
    dec_in = torch.full((len(seqs), T), pad, dtype=torch.long)
    targets = torch.full((len(seqs), T), -1, dtype=torch.long)
    for b, s in enumerate(seqs):
        dec_in[b, : len(s) + 1] = torch.tensor([bos, *s])
        targets[b, : len(s) + 1] = torch.tensor([*s, eos])
    return dec_in, targets


def teacher_forcing_batch(fn: Callable) -> bool:
    """``fn(seqs, bos_id, eos_id, pad_id)`` returns ``(decoder_input, targets)``, two LongTensors (B, T).

    ``seqs`` is a list of B target sentences as lists of token ids (no special tokens); T is the
    longest length plus one. Row b of the input is ``[bos, *seqs[b]]`` padded with ``pad_id``; row b of
    the targets is ``[*seqs[b], eos]`` padded with -1.
    """
    cases_in = [
        ("one sentence", [[5, 6, 7]], 1, 2, 0),
        ("two sentences of different lengths", [[5, 6, 7, 8], [9]], 1, 2, 0),
        ("special ids after the characters", [[3, 4], [0, 1, 2], [7, 7, 7, 7, 7]], 10, 11, 9),
        ("an empty sentence in the batch", [[4, 4], []], 7, 8, 6),
    ]

    def case(seqs, bos, eos, pad):
        got = fn([list(s) for s in seqs], bos, eos, pad)
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        if not isinstance(got, (tuple, list)) or len(got) != 2:
            return False, f"return a pair (decoder_input, targets), got {type(got).__name__}"
        want_in, want_tg = _teacher_forcing(seqs, bos, eos, pad)
        ok, detail = _close(got[0], want_in, atol=0)
        if not ok:
            return False, f"the decoder input: {detail}"
        ok, detail = _close(got[1], want_tg, atol=0)
        return ok, "" if ok else f"the targets: {detail}"

    cases = [(f"{d} (bos={b}, eos={e}, pad={p})", lambda a=(s, b, e, p): case(*a)) for d, s, b, e, p in cases_in]
    return _report("teacher_forcing_batch", fn, cases, HINTS["teacher_forcing_batch"])


# ------------------------------------------------------------------------------------------ BLEU


def _ngrams(tokens: list[str], n: int) -> Counter:
    return Counter(tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1))


def _bleu(hyps: list[str], refs: list[list[str]], max_n: int = 4) -> float:
    """Corpus BLEU (Papineni et al. 2002) on whitespace tokens, no smoothing, as ``sacrebleu`` computes it
    with ``tokenize="none"``: clipped n-gram precisions over the corpus, their geometric mean, and a
    brevity penalty against the closest reference length (the shorter on a tie)."""
    match, total = [0] * max_n, [0] * max_n
    c = r = 0
    for hyp, rs in zip(hyps, refs):
        h = hyp.split()
        ref_toks = [x.split() for x in rs]
        c += len(h)
        r += min((len(x) for x in ref_toks), key=lambda n: (abs(n - len(h)), n))
        for n in range(1, max_n + 1):
            most = Counter()
            for x in ref_toks:
                most |= _ngrams(x, n)  # the largest count of each n-gram in any one reference
            hc = _ngrams(h, n)
            match[n - 1] += sum(min(k, most[g]) for g, k in hc.items())
            total[n - 1] += max(len(h) - n + 1, 0)
    if c == 0 or min(match) == 0:
        return 0.0
    log_p = sum(math.log(m / t) for m, t in zip(match, total)) / max_n
    bp = 1.0 if c >= r else math.exp(1 - r / c)
    return 100 * bp * math.exp(log_p)


def corpus_bleu(fn: Callable) -> bool:
    """``fn(hyps, refs)`` returns corpus BLEU (0-100) of the hypotheses against their references.

    ``hyps`` is a list of N strings, ``refs`` a list of N lists of reference strings (one or more per
    sentence); tokens are separated by spaces. No smoothing: any zero n-gram precision gives 0.
    """
    corpora = [
        ("one sentence, exact match", ["我 有 很 多 朋 友 。"], [["我 有 很 多 朋 友 。"]]),
        ("a repeated word (clipping)",
         ["我 我 我 是 一 个 学 生 。", "他 在 家 里 。"],
         [["我 是 一 个 学 生 。"], ["他 在 家 里 。"]]),
        ("a short hypothesis (brevity penalty)",
         ["我 爱 你 。", "我 们 走 吧 ！"],
         [["我 真 的 很 爱 你 。"], ["我 们 现 在 就 走 吧 ！"]]),
        ("several references per sentence",
         ["他 告 诉 了 我 一 个 故 事 。", "今 天 很 冷 。", "你 为 什 么 学 英 文 ？"],
         [["他 告 诉 我 一 个 有 趣 的 故 事 。", "他 给 我 讲 了 一 个 故 事 。"],
          ["今 天 很 冷 。"],
          ["你 为 什 么 每 天 学 英 语 ？", "你 为 什 么 学 英 文 ？", "为 什 么 你 学 英 文"]]),
        ("a longer hypothesis than every reference",
         ["我 的 妈 妈 现 在 在 医 院 里 面 呢 。", "我 们 明 天 见 。"],
         [["我 妈 妈 现 在 在 医 院 。", "妈 妈 在 医 院 。"], ["明 天 见 。"]]),
        ("no 4-gram in common", ["天 很 冷 今", "好 的 你"], [["今 天 很 冷 。"], ["你 好 。"]]),
    ]

    def case(hyps, refs):
        got = fn(list(hyps), [list(r) for r in refs])
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        try:
            got = float(got)
        except (TypeError, ValueError):
            return False, f"return a number, got {type(got).__name__}"
        want = _bleu(hyps, refs)
        if 0 < got <= 1 and want > 1:
            return False, f"got {got:.4f}, expected {want:.4f}: BLEU is reported from 0 to 100"
        return math.isclose(got, want, rel_tol=1e-6, abs_tol=1e-6), f"got {got:.4f}, expected {want:.4f}"

    cases = [(d, lambda a=(h, r): case(*a)) for d, h, r in corpora]
    return _report("corpus_bleu", fn, cases, HINTS["corpus_bleu"])


# ------------------------------------------------------------------------------- cross-attention


def _cross_attention(x, memory, mask, w_q, w_k, w_v, n_head):
    B, T, C = x.shape
    S, D = memory.shape[1], C // n_head
    q = (x @ w_q).view(B, T, n_head, D).transpose(1, 2)  # (B, H, T, D)
    k = (memory @ w_k).view(B, S, n_head, D).transpose(1, 2)  # (B, H, S, D)
    v = (memory @ w_v).view(B, S, n_head, D).transpose(1, 2)  # (B, H, S, D)
    scores = q @ k.transpose(-2, -1) / math.sqrt(D)  # (B, H, T, S)
    scores = scores.masked_fill(~mask[:, None, None, :], float("-inf"))
    return (scores.softmax(-1) @ v).transpose(1, 2).reshape(B, T, C)  # (B, T, C)


def cross_attention(fn: Callable) -> bool:
    """``fn(x, memory, mask, w_q, w_k, w_v, n_head)`` returns multi-head cross-attention (B, T, C).

    ``x`` (B, T, C) are the decoder's states, ``memory`` (B, S, C) the encoder's output, ``mask`` (B, S)
    True at real source tokens; ``w_q``, ``w_k``, ``w_v`` (C, C) project x to queries and memory to
    keys and values (``x @ w_q``). No output projection.
    """
    g = torch.Generator().manual_seed(17)
    C = 8
    w = [torch.randn(C, C, generator=g, dtype=torch.float64) / math.sqrt(C) for _ in range(3)]

    def make(B, T, S, lengths):
        x = torch.randn(B, T, C, generator=g, dtype=torch.float64)
        memory = torch.randn(B, S, C, generator=g, dtype=torch.float64)
        mask = torch.arange(S)[None, :] < torch.tensor(lengths)[:, None]  # (B, S)
        return x, memory, mask

    def case(data, n_head):
        x, memory, mask = data
        want = _cross_attention(x, memory, mask, *w, n_head)
        got = fn(x.clone(), memory.clone(), mask.clone(), *(t.clone() for t in w), n_head)
        return _close(got, want, atol=1e-6)

    shapes = [("one head, no padding, T != S", (1, 3, 5, [5]), 1),
              ("two heads, no padding", (2, 4, 6, [6, 6]), 2),
              ("four heads, padded sources", (3, 5, 7, [7, 4, 2]), 4),
              ("one target position", (2, 1, 4, [3, 4]), 2)]
    data = [make(*shape) for _, shape, _ in shapes]
    cases = [(desc, lambda d=d, h=h: case(d, h)) for (desc, _, h), d in zip(shapes, data)]
    return _report("cross_attention", fn, cases, HINTS["cross_attention"])
