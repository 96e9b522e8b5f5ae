"""Checks for the exercises of chapters/part2/input_encoding.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`.
"""
from __future__ import annotations

from collections import Counter
from typing import Callable

import torch

from .. import tokenizers as _tok
from ._grader import _close, _report

__all__: list[str] = ["bpe_pair_counts", "bpe_encode_chunk", "bpe_vocab", "embedding_onehot"]

_TEXT = ("the cat sat on the mat; the rat ate the oat. that hat? a thin thing then, these those. "
         "naïve café, 你好你好, 🙂🙂 ") * 3


def _small_merges(n: int = 40) -> dict[tuple[int, int], int]:
    """Merges learned on a small text (lmkit's tested trainer), used as fixed test data."""
    return _tok.BPETokenizer.train(_TEXT, 256 + n).merges


def _eq(got, want) -> tuple[bool, str]:
    if got is None:
        return False, "your function returned None (did you forget `return`?)"
    return got == want, f"got {got!r}, expected {want!r}"


def bpe_pair_counts(fn: Callable) -> bool:
    """``fn(chunk_counts)`` counts adjacent pairs over distinct chunks.

    ``chunk_counts`` maps a chunk, as a tuple of token ids, to how often it occurs in the text; the
    result maps each pair ``(a, b)`` to its number of occurrences in the whole text (a dict or a
    ``Counter``; pairs that do not occur are absent).
    """
    def want(cc):
        c: Counter = Counter()
        for ids, f in cc.items():
            for p in zip(ids, ids[1:]):
                c[p] += f
        return dict(c)

    def case(cc):
        got = fn(dict(cc))
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        got = {tuple(k): int(v) for k, v in dict(got).items() if v}
        return _eq(got, want(cc))

    cc1 = {(104, 105): 1}
    cc2 = {(32, 116, 104, 101): 5, (116, 104, 101): 2, (97,): 7, (32, 97, 97, 97): 3}
    words = _tok.BPETokenizer()._split.findall(_TEXT)
    cc3 = dict(Counter(tuple(w.encode("utf-8")) for w in words))
    cases = [("one chunk, one pair", lambda: case(cc1)), ("weighted chunks, a repeated pair", lambda: case(cc2)),
             ("a real text's chunks", lambda: case(cc3)), ("no chunks", lambda: case({}))]
    return _report("bpe_pair_counts", fn, cases,
                   "for each chunk ids with count f, add f to counts[(a, b)] for every (a, b) in zip(ids, ids[1:]); "
                   "a pair that occurs twice inside one chunk counts twice (times f); one-id chunks add nothing.")


def bpe_encode_chunk(fn: Callable) -> bool:
    """``fn(ids, merges)`` applies learned merges to a list of ids.

    ``merges`` maps a pair to its new id, in the order the merges were learned (ids 256, 257, ...);
    the result must be what lmkit's :class:`~lmkit.BPETokenizer` produces for that chunk: the
    earliest-learned merge that applies goes first.
    """
    merges = _small_merges()
    ref = _tok.BPETokenizer(merges)

    def case(s):
        ids = list(s.encode("utf-8"))
        return _eq(fn(list(ids), dict(merges)), ref._encode_chunk(list(ids)))

    cases = [(repr(s), lambda s=s: case(s)) for s in [" the", " that", "x", "", " thethe", "你好你好", " cat sat"]]
    return _report("bpe_encode_chunk", fn, cases,
                   "repeat: among the adjacent pairs of ids, find the one with the smallest new id in merges; "
                   "stop if none is in merges; else replace it everywhere, left to right. (Applying every merge "
                   "once, in the order learned, gives the same result.)")


def bpe_vocab(fn: Callable) -> bool:
    """``fn(merges)`` returns the vocabulary ``{id: bytes}`` of byte-level BPE.

    Ids 0..255 are the single bytes; each merge ``(a, b) -> new_id`` adds ``vocab[a] + vocab[b]``.
    """
    def case(n):
        merges = _small_merges(n)
        got = fn(dict(merges))
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        want = _tok.BPETokenizer(merges).vocab
        if len(got) != len(want):
            return False, f"{len(got)} entries, expected {len(want)} (256 bytes + {n} merges)"
        bad = next((i for i in want if got.get(i) != want[i]), None)
        return bad is None, "" if bad is None else f"id {bad}: got {got.get(bad)!r}, expected {want[bad]!r}"

    return _report("bpe_vocab", fn, [(f"{n} merges", lambda n=n: case(n)) for n in (0, 5, 40)],
                   "start with {i: bytes([i]) for i in range(256)}; then for (a, b), new_id in merges.items() "
                   "(in order): vocab[new_id] = vocab[a] + vocab[b].")


def embedding_onehot(fn: Callable) -> bool:
    """``fn(idx, W)`` computes the embedding of ids ``idx`` (B, T) as one-hot @ W.

    ``W`` is the (V, C) table; the result is (B, T, C) and must equal ``W[idx]``.
    """
    g = torch.Generator().manual_seed(3)
    W = torch.randn(11, 6, generator=g)

    def case(idx):
        return _close(fn(idx, W), W[idx], atol=1e-6)

    batch = torch.randint(0, 11, (4, 7), generator=g)
    batch[:, 2] = 10  # the last row of the table must be reachable
    cases = [("one sequence", lambda: case(torch.tensor([[3, 1, 4, 1, 5]]))),
             ("a batch with the last id", lambda: case(batch)),
             ("one token", lambda: case(torch.tensor([[0]])))]
    return _report("embedding_onehot", fn, cases,
                   "F.one_hot(idx, num_classes=W.shape[0]) is (B, T, V) of ints: convert it to W.dtype, then @ W "
                   "gives (B, T, C). Use V = W.shape[0], not idx.max() + 1.")
