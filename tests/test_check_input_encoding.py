"""The chapter 3 checks accept correct answers, reject typical wrong ones, and never raise."""
from collections import Counter

import torch.nn.functional as F

from lmkit import check
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

