"""Checks for the exercises of chapters/part6/pretrained_models.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`.
"""
from __future__ import annotations

import math
import random
from typing import Callable

from ._grader import _report

__all__: list[str] = ["wordpiece_tokenize", "roc_auc", "bert_param_count"]

#: The graduated hints of each check: the k-th failure shows the k-th hint; none gives the code away.
HINTS: dict[str, list[str]] = {
    "wordpiece_tokenize": [
        "WordPiece reads the word from left to right and always takes the LONGEST piece of the vocabulary "
        "that starts where it stands, then carries on after that piece.",
        "a piece that does not start the word is looked up with the continuation mark in front of it "
        "('##' + piece); the first piece is looked up as it is.",
        "if at some position no piece at all (not even one character) is in the vocabulary, the whole word "
        "becomes the single token '[UNK]', not only the part that failed.",
    ],
    "roc_auc": [
        "the ROC AUC is the probability that a randomly chosen positive example gets a higher score than a "
        "randomly chosen negative one; it does not depend on any threshold.",
        "compare every positive score with every negative score (or use ranks): count the pairs where the "
        "positive is higher and divide by (number of positives × number of negatives).",
        "a tie between a positive and a negative score counts one half, not 0 and not 1.",
    ],
    "bert_param_count": [
        "count module by module: the embeddings (three tables and a LayerNorm), then one encoder layer "
        "times num_hidden_layers, then the pooler.",
        "the embeddings are words (V × C), positions (max_position_embeddings × C), token types "
        "(type_vocab_size × C) and a LayerNorm (a weight and a bias of C each).",
        "every nn.Linear has a bias: one layer has query, key, value and output (C × C + C each), two "
        "LayerNorms (2C each) and the feed-forward pair (C × F + F and F × C + C); the pooler is one "
        "more C × C + C.",
    ],
}


def _wordpiece(word: str, vocab, unk: str = "[UNK]", max_chars: int = 100) -> list[str]:
    """Greedy longest-match-first WordPiece, as BERT's tokenizer applies it to one word."""
    if len(word) > max_chars:
        return [unk]
    pieces, start = [], 0
    while start < len(word):
        end, piece = len(word), None
        while start < end:
            sub = word[start:end] if start == 0 else "##" + word[start:end]
            if sub in vocab:
                piece = sub
                break
            end -= 1
        if piece is None:
            return [unk]
        pieces.append(piece)
        start = end
    return pieces


_TOY_VOCAB = {"un", "una", "##a", "##f", "##fa", "##ff", "##able", "##ble", "##b", "##l", "##e",
              "##aff", "a", "play", "##ing", "##s", "##ed", "##in", "##g", "p", "##ay", "##y", "[UNK]",
              "t", "##o", "##k", "##en", "to", "##ken", "##ize", "##r"}


def wordpiece_tokenize(fn: Callable) -> bool:
    """``fn(word, vocab)`` returns the WordPiece tokens of one word (a list of str).

    ``vocab`` is a set of pieces; pieces that continue a word carry the prefix ``##``. Greedy
    longest-match-first from the left; a word that cannot be covered becomes ``["[UNK]"]``.
    """
    cases_in = [
        ("a word that is a piece itself", "play", _TOY_VOCAB),
        ("a suffix: the continuation needs '##'", "playing", _TOY_VOCAB),
        ("the longest piece first ('una', not 'un')", "unaffable", _TOY_VOCAB),
        ("a longer word", "tokenizers", _TOY_VOCAB),
        ("a word with no possible split", "xylophone", _TOY_VOCAB),
        ("a word that fails only at its end", "playq", _TOY_VOCAB),
        ("one character", "a", _TOY_VOCAB),
    ]
    rng = random.Random(0)
    letters = "abcdefg"
    vocab = {c for c in letters[:5]} | {"##" + c for c in letters[:6]} | {"ab", "##bc", "##cde", "abc", "##de"}
    for i in range(6):
        w = "".join(rng.choice(letters[:6] if i < 5 else letters) for _ in range(rng.randint(3, 9)))
        cases_in.append((f"random word {w!r} over a small vocabulary", w, vocab))

    def case(word, vocab):
        got = fn(word, set(vocab))
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        want = _wordpiece(word, vocab)
        got = list(got) if isinstance(got, (list, tuple)) else got
        return got == want, f"{word!r}: got {got!r}, expected a list of {len(want)} piece(s)"

    cases = [(desc, lambda w=w, v=v: case(w, v)) for desc, w, v in cases_in]
    return _report("wordpiece_tokenize", fn, cases, HINTS["wordpiece_tokenize"])


def _auc(scores, labels) -> float:
    """ROC AUC as the Mann-Whitney probability P(positive > negative) + P(tie) / 2."""
    pos = [s for s, y in zip(scores, labels) if y]
    neg = [s for s, y in zip(scores, labels) if not y]
    wins = sum((p > n) + 0.5 * (p == n) for p in pos for n in neg)
    return wins / (len(pos) * len(neg))


def roc_auc(fn: Callable) -> bool:
    """``fn(scores, labels)`` returns the area under the ROC curve (a float).

    ``scores`` is a list of floats, ``labels`` a list of 0/1 of the same length (1 = positive).
    Equal to the probability that a random positive scores higher than a random negative, ties
    counting one half; the check compares it with that definition.
    """
    rng = random.Random(3)
    cases_in = [
        ("perfectly separated", [0.9, 0.8, 0.7, 0.2, 0.1], [1, 1, 1, 0, 0]),
        ("perfectly reversed", [0.1, 0.2, 0.7, 0.8], [1, 1, 0, 0]),
        ("scores far from 0.5 (no threshold is involved)", [3.0, 5.0, 4.0, 6.0, 7.0], [0, 1, 0, 1, 1]),
        ("ties between a positive and a negative", [0.5, 0.5, 0.5, 0.9, 0.1], [1, 0, 0, 1, 0]),
        ("all scores equal", [0.3] * 6, [1, 0, 1, 0, 1, 0]),
    ]
    n = 40
    labels = [int(rng.random() < 0.3) for _ in range(n)]
    labels[0], labels[1] = 1, 0
    scores = [round(rng.gauss(0.6 * y, 1.0), 1) for y in labels]  # rounded: some ties
    cases_in.append(("40 noisy scores with ties, 30% positives", scores, labels))

    def case(scores, labels):
        got = fn(list(scores), list(labels))
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        want = _auc(scores, labels)
        got = float(got)
        return math.isclose(got, want, abs_tol=1e-9), f"got {got:.6f}, expected {want:.6f}"

    cases = [(desc, lambda s=s, y=y: case(s, y)) for desc, s, y in cases_in]
    return _report("roc_auc", fn, cases, HINTS["roc_auc"])


def _bert_count(cfg: dict) -> int:
    """Parameters of transformers' ``BertModel`` (with its pooler) for a config dict."""
    V, C, F = cfg["vocab_size"], cfg["hidden_size"], cfg["intermediate_size"]
    P, S, L = cfg["max_position_embeddings"], cfg["type_vocab_size"], cfg["num_hidden_layers"]
    embeddings = (V + P + S) * C + 2 * C
    layer = 4 * (C * C + C) + 2 * C + (C * F + F) + (F * C + C) + 2 * C
    pooler = C * C + C
    return embeddings + L * layer + pooler


#: Configs as in config.json: MiniLM (all-MiniLM-L6-v2), BERT-base and a tiny one.
BERT_CONFIGS: dict[str, dict] = {
    "MiniLM-L6-H384": dict(vocab_size=30522, hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
                           intermediate_size=1536, max_position_embeddings=512, type_vocab_size=2),
    "BERT-base": dict(vocab_size=30522, hidden_size=768, num_hidden_layers=12, num_attention_heads=12,
                      intermediate_size=3072, max_position_embeddings=512, type_vocab_size=2),
    "tiny": dict(vocab_size=100, hidden_size=8, num_hidden_layers=2, num_attention_heads=2,
                 intermediate_size=20, max_position_embeddings=16, type_vocab_size=1),
}


def bert_param_count(fn: Callable) -> bool:
    """``fn(config)`` returns the number of parameters of a BERT encoder (``BertModel``, pooler included).

    ``config`` is a dict with the keys of BERT's ``config.json``: vocab_size, hidden_size,
    num_hidden_layers, num_attention_heads, intermediate_size, max_position_embeddings, type_vocab_size.
    """
    def case(cfg):
        got = fn(dict(cfg))
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        want = _bert_count(cfg)
        return int(got) == want, f"got {int(got):,}, expected {want:,} (off by {int(got) - want:+,})"

    cases = [(f"config {name}", lambda c=c: case(c)) for name, c in BERT_CONFIGS.items()]
    return _report("bert_param_count", fn, cases, HINTS["bert_param_count"])
