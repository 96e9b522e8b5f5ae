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

#: The graduated hints of each check: what is wrong and where to look first, then more specific; never
#: the answer.
HINTS: dict[str, list[str]] = {
    "bpe_pair_counts": [
        "each key of chunk_counts is a chunk that occurs f times in the text (f is its value), so every "
        "pair inside it occurs f times too, not once.",
        "walk over the adjacent pairs of each chunk (each id with the one after it) and add the chunk's "
        "count for every pair you meet: a pair that appears twice inside one chunk is added twice.",
        "a chunk of a single id holds no pair and adds nothing, and no chunks at all give empty counts; "
        "return the counts (a dict or a Counter), not None.",
    ],
    "bpe_encode_chunk": [
        "encoding replays the merges learned in training, in their order: it does not count pairs in the "
        "new chunk. A merge learned earlier (a smaller new id) has priority over a later one.",
        "repeat: among the adjacent pairs of the current ids, keep those that are keys of merges, take the "
        "one whose new id is smallest and replace all its occurrences, left to right (as `merge` does).",
        "stop as soon as no adjacent pair is a key of merges; a chunk of zero or one id has nothing to "
        "merge. (Applying every merge once, in the order learned, gives the same result.)",
    ],
    "bpe_vocab": [
        "the vocabulary has one entry per id: the 256 single bytes first, then one entry per merge, "
        "256 + len(merges) entries in all.",
        "id i below 256 stands for the one-byte string of value i; the new id of a merge (a, b) stands for "
        "the bytes of a followed by the bytes of b (bytes, not ids).",
        "build the entries in the order the merges were learned (a dict keeps it), so that a and b "
        "already have their bytes when a later merge uses them.",
    ],
    "embedding_onehot": [
        "a one-hot vector has V entries, a single 1 at the token's id; multiplying a (V,) one-hot by the "
        "(V, C) table W picks out one row of W. Do this for every (b, t) at once.",
        "take the number of classes V from W, not from the ids (a batch need not contain the largest id), "
        "and convert the one-hot tensor, which holds integers, to W's dtype before the product.",
        "shapes: (B, T) ids give (B, T, V) one-hots, and (B, T, V) @ (V, C) is (B, T, C).",
    ],
}

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
    return _report("bpe_pair_counts", fn, cases, HINTS["bpe_pair_counts"])


def bpe_encode_chunk(fn: Callable) -> bool:
    """``fn(ids, merges)`` applies learned merges to a list of ids.

    ``merges`` maps a pair to its new id, in the order the merges were learned (ids 256, 257, ...);
    the result must be what lmkit's :class:`~lmkit.BPETokenizer` produces for that chunk: the
    earliest-learned merge that applies goes first.
    """
    learned = _small_merges()
    # merges where the order decides: "bc" was learned before "ab", so "abc" is a|bc, not ab|c; a
    # leftmost-first, latest-first or most-frequent-first rule gets these wrong
    ordered = {(98, 99): 256, (97, 98): 257, (257, 99): 258, (120, 120): 259, (120, 97): 260}

    def case(s, merges):
        ids = list(s.encode("utf-8"))
        want = _tok.BPETokenizer(merges)._encode_chunk(list(ids))
        return _eq(fn(list(ids), dict(merges)), want)

    cases = [(repr(s), lambda s=s: case(s, learned))
             for s in [" the", " that", "x", "", " thethe", "你好你好", " cat sat"]]
    cases += [(f"{s!r} with merges {ordered}", lambda s=s: case(s, ordered))
              for s in ["abc", "xabcab", "xxabab"]]
    return _report("bpe_encode_chunk", fn, cases, HINTS["bpe_encode_chunk"])


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

    cases = [(f"{n} merges", lambda n=n: case(n)) for n in (0, 5, 40)]
    return _report("bpe_vocab", fn, cases, HINTS["bpe_vocab"])


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
    return _report("embedding_onehot", fn, cases, HINTS["embedding_onehot"])
