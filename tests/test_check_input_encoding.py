"""The input_encoding checks accept correct answers, reject typical wrong ones, never raise, and hint
in steps without giving the answer away."""
from collections import Counter

import pytest
import torch.nn.functional as F

from lmkit import check
from lmkit.check import input_encoding
from lmkit.tokenizers import BPETokenizer, _merge


def pair_counts(chunk_counts):
    c = Counter()
    for ids, f in chunk_counts.items():
        for p in zip(ids, ids[1:]):
            c[p] += f
    return c


def encode_by_priority(ids, merges):  # GPT-2's rule, written independently of lmkit
    while len(ids) >= 2:
        ranked = [(merges[p], p) for p in zip(ids, ids[1:]) if p in merges]
        if not ranked:
            return ids
        new_id, pair = min(ranked)
        ids = _merge(ids, pair, new_id)
    return ids


def encode_in_order(ids, merges):  # every merge once, in the order learned: the same result
    for pair, new_id in merges.items():
        ids = _merge(ids, pair, new_id)
    return ids


def test_bpe_pair_counts(capsys):
    assert check.bpe_pair_counts(pair_counts)
    assert check.bpe_pair_counts(lambda cc: dict(pair_counts(cc)))
    assert not check.bpe_pair_counts(lambda cc: Counter(p for ids in cc for p in zip(ids, ids[1:])))  # unweighted
    assert not check.bpe_pair_counts(lambda cc: Counter(p for ids, f in cc.items() for p in set(zip(ids, ids[1:]))
                                                        for _ in range(f)))  # a pair counted once per chunk
    assert "❌" in capsys.readouterr().out


def test_bpe_encode_chunk(capsys):
    assert check.bpe_encode_chunk(encode_by_priority)
    assert check.bpe_encode_chunk(encode_in_order)
    assert not check.bpe_encode_chunk(lambda ids, merges: encode_in_order(ids, dict(reversed(merges.items()))))
    assert not check.bpe_encode_chunk(lambda ids, merges: ids)  # no merge applied

    def by_rule(pick):  # merge the mergeable pair that `pick` chooses, until none is left
        def encode(ids, merges):
            while True:
                found = [p for p in zip(ids, ids[1:]) if p in merges]
                if not found:
                    return ids
                pair = pick(found, merges)
                ids = _merge(ids, pair, merges[pair])
        return encode

    # the order of the merges matters: these rules are wrong, though they pass on plain English
    assert not check.bpe_encode_chunk(by_rule(lambda found, merges: found[0]))  # leftmost first
    assert not check.bpe_encode_chunk(by_rule(lambda found, merges: max(found, key=merges.get)))
    assert not check.bpe_encode_chunk(by_rule(lambda found, merges: Counter(found).most_common(1)[0][0]))
    assert "❌" in capsys.readouterr().out


def test_bpe_vocab(capsys):
    def vocab(merges):
        v = {i: bytes([i]) for i in range(256)}
        for (a, b), new_id in merges.items():
            v[new_id] = v[a] + v[b]
        return v

    assert check.bpe_vocab(vocab)
    assert check.bpe_vocab(lambda m: BPETokenizer(m).vocab)
    assert not check.bpe_vocab(lambda m: {**vocab(m), **{n: vocab(m)[b] + vocab(m)[a] for (a, b), n in m.items()}})
    assert not check.bpe_vocab(lambda m: {i: bytes([i]) for i in range(256)})  # merges forgotten
    assert "❌" in capsys.readouterr().out


def test_embedding_onehot(capsys):
    assert check.embedding_onehot(lambda idx, W: F.one_hot(idx, W.shape[0]).to(W.dtype) @ W)
    assert check.embedding_onehot(lambda idx, W: F.embedding(idx, W))
    assert not check.embedding_onehot(lambda idx, W: F.one_hot(idx).to(W.dtype) @ W[: int(idx.max()) + 1] * 2)
    assert not check.embedding_onehot(lambda idx, W: W[idx].transpose(0, 1))  # wrong shape
    assert "❌" in capsys.readouterr().out



# solution code that no hint may contain (the hints point the way, they do not give the answer)
ANSWERS = ["zip(ids, ids[1:])", "counts[", "+= f", "bytes([i])", "vocab[a] + vocab[b]", "F.one_hot(",
           "num_classes=", "W.shape[0]", ".to(W.dtype)", "merges.get(", "min(", "for (a, b)"]


def test_hints_are_graduated_and_never_the_answer():
    assert set(input_encoding.HINTS) == set(input_encoding.__all__)
    for name, hints in input_encoding.HINTS.items():
        assert isinstance(hints, list) and 2 <= len(hints) <= 3, name
        assert len(set(hints)) == len(hints), f"{name}: a hint is repeated"
        for hint in hints:
            leaked = [a for a in ANSWERS if a in hint]
            assert not leaked, f"{name}: a hint contains solution code {leaked}: {hint!r}"


def _vocab(merges):
    v = {i: bytes([i]) for i in range(256)}
    for (a, b), new_id in merges.items():
        v[new_id] = v[a] + v[b]
    return v


@pytest.mark.parametrize("name, right, wrong", [
    ("bpe_pair_counts", pair_counts, lambda cc: Counter(p for ids in cc for p in zip(ids, ids[1:]))),
    ("bpe_encode_chunk", encode_by_priority, lambda ids, merges: ids),
    ("bpe_vocab", _vocab, lambda m: {i: bytes([i]) for i in range(256)}),
    ("embedding_onehot", lambda idx, W: F.embedding(idx, W), lambda idx, W: W[idx].transpose(0, 1)),
])
def test_each_failure_gives_the_next_hint(name, right, wrong, capsys):
    fn = getattr(check, name)
    n = len(input_encoding.HINTS[name])
    assert fn(right)                                    # a pass starts the count again
    capsys.readouterr()
    for k in range(1, n + 2):
        assert not fn(wrong)
        out = capsys.readouterr().out
        assert f"Hint {min(k, n)} of {n}:" in out, out  # then it stays at the last, most specific one
        assert input_encoding.HINTS[name][min(k, n) - 1] in out
    with check.quiet():                                 # quiet runs print nothing and do not count
        assert not fn(wrong)
    assert capsys.readouterr().out == ""
    assert fn(right)
    capsys.readouterr()
    assert not fn(wrong)
    assert "Hint 1 of" in capsys.readouterr().out
