"""Tests of lmkit.tokenizers: round trips (hypothesis), BPE against brute-force references and a
hand-worked example, pre-tokenization against GPT-2's pattern, compression, save/load, and errors."""

from __future__ import annotations

import os
import re
from functools import cache
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from lmkit import datasets
from lmkit.tokenizers import GPT2_SPLIT_PATTERN, RE_SPLIT_PATTERN, BPETokenizer, CharTokenizer

needs_offline = pytest.mark.skipif(
    not os.environ.get("LMKIT_DATA"), reason="LMKIT_DATA is not set (CI sets it to ../shared/data)"
)

MIXED = (
    "The quick brown fox jumps over the lazy dog. The dog didn't care; the fox's 3 cubs did!\n"
    "我们今天学习语言模型。语言模型预测下一个词。今天天气很好，我们学习。\n"
    "Emoji: 😀😀 🚀🚀 naïve café — ü ö ä 123 456 123\n"
) * 5


@cache
def mixed_bpe() -> BPETokenizer:
    return BPETokenizer.train(MIXED, 400)


@cache
def shakespeare() -> str:
    return datasets.load_text("tinyshakespeare", progress=False)


@cache
def shakespeare_bpe() -> BPETokenizer:
    return BPETokenizer.train(shakespeare()[:100_000], 512)


# ----------------------------------------------------------------------------------------------
# References written independently of lmkit: the textbook loop, recounting every pair of every
# chunk occurrence at each step, and two formulations of encoding.


def split(text: str) -> list[str]:
    regex = pytest.importorskip("regex")
    return regex.findall(GPT2_SPLIT_PATTERN, text)


def merge_ref(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Left-to-right, non-overlapping replacement, written as a stack (the new id never equals pair[0])."""
    out: list[int] = []
    for i in ids:
        if out and out[-1] == pair[0] and i == pair[1]:
            out[-1] = new_id
        else:
            out.append(i)
    return out


def train_ref(text: str, vocab_size: int) -> dict[tuple[int, int], int]:
    """Brute force: every step recounts all pairs in all chunk occurrences; most frequent wins,
    ties go to the smallest pair; stop when no pair occurs twice."""
    chunks = [list(c.encode("utf-8")) for c in split(text)]
    merges: dict[tuple[int, int], int] = {}
    for new_id in range(256, vocab_size):
        counts: dict[tuple[int, int], int] = {}
        for ids in chunks:
            for i in range(len(ids) - 1):
                counts[(ids[i], ids[i + 1])] = counts.get((ids[i], ids[i + 1]), 0) + 1
        if not counts or max(counts.values()) < 2:
            break
        best = min(counts.items(), key=lambda kv: (-kv[1], kv[0]))[0]
        merges[best] = new_id
        chunks = [merge_ref(ids, best, new_id) for ids in chunks]
    return merges


def encode_lowest_rank_ref(merges: dict[tuple[int, int], int], text: str) -> list[int]:
    """GPT-2's rule, brute force: scan all adjacent pairs, merge the lowest-ranked one (first match)."""
    out: list[int] = []
    for chunk in split(text):
        ids = list(chunk.encode("utf-8"))
        while True:
            ranked = [(merges[(a, b)], i) for i, (a, b) in enumerate(zip(ids, ids[1:])) if (a, b) in merges]
            if not ranked:
                break
            rank, i = min(ranked)
            ids = ids[:i] + [rank] + ids[i + 2 :]
        out.extend(ids)
    return out


def encode_in_merge_order_ref(merges: dict[tuple[int, int], int], text: str) -> list[int]:
    """Another formulation: apply each merge, in the order learned, to the whole chunk."""
    out: list[int] = []
    for chunk in split(text):
        ids = list(chunk.encode("utf-8"))
        for pair, new_id in merges.items():
            ids = merge_ref(ids, pair, new_id)
        out.extend(ids)
    return out


def test_merge_ref_itself() -> None:
    assert merge_ref([1, 1, 1, 2, 1, 1], (1, 1), 9) == [9, 1, 2, 9]
    assert merge_ref([1, 1, 1, 1], (1, 1), 9) == [9, 9]


# ----------------------------------------------------------------------------------------------
# BPE: a hand-worked example and the references


def test_bpe_hand_worked_example() -> None:
    # "aaabdaaabac" (the Wikipedia example): aa occurs 4 times (overlaps counted) -> 256;
    # then (256, a) and (a, b) both occur twice: the smaller pair (97, 98) wins -> 257;
    # then (256, 257) twice -> 258 = b"aaab"; then no pair repeats.
    tok = BPETokenizer.train("aaabdaaabac", 1000)
    assert tok.merges == {(97, 97): 256, (97, 98): 257, (256, 257): 258}
    assert tok.vocab_size == len(tok) == 259
    assert tok.token_bytes(258) == b"aaab"
    assert tok.encode("aaabdaaabac") == [258, 100, 258, 97, 99]
    assert repr(tok) == "BPETokenizer(vocab_size=259, merges=3)"


def test_bpe_training_matches_brute_force_reference() -> None:
    text = "low lower lowest newer newest wider wide, the the the the. 你好你好，世界世界!! ok ok\n" * 3
    for vocab_size in (256, 260, 300, 400):
        assert list(BPETokenizer.train(text, vocab_size).merges.items()) == list(
            train_ref(text, vocab_size).items()
        )
    assert list(mixed_bpe().merges.items()) == list(train_ref(MIXED, 400).items())


@needs_offline
def test_bpe_training_matches_reference_on_shakespeare() -> None:
    text = shakespeare()[:4000]
    assert list(BPETokenizer.train(text, 320).merges.items()) == list(train_ref(text, 320).items())


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=sorted(set(MIXED))) | st.text())
def test_bpe_encode_matches_greedy_references(text: str) -> None:
    tok = mixed_bpe()
    ids = tok.encode(text)
    assert ids == encode_lowest_rank_ref(tok.merges, text) == encode_in_merge_order_ref(tok.merges, text)


@settings(max_examples=300, deadline=None)
@given(st.text())  # any unicode: Chinese, emoji, combining marks, control characters
def test_bpe_round_trip(text: str) -> None:
    tok = mixed_bpe()
    ids = tok.encode(text)
    assert all(0 <= i < tok.vocab_size for i in ids)
    assert tok.decode(ids) == text


@settings(max_examples=100, deadline=None)
@given(st.text(alphabet=sorted(set(MIXED)), min_size=1))
def test_bpe_round_trip_on_training_alphabet(text: str) -> None:
    tok = mixed_bpe()
    assert tok.decode(tok.encode(text)) == text


def test_bpe_learns_multibyte_characters() -> None:
    tok = mixed_bpe()
    assert tok.encode("语言模型") != list("语言模型".encode())  # merged below the byte level
    assert len(tok.encode("语言模型")) < len("语言模型".encode())
    learned = [t.decode("utf-8", errors="replace") for i, t in tok.vocab.items() if i >= 256]
    assert any(len(s) >= 2 and all("\u4e00" <= c <= "\u9fff" for c in s) for s in learned)  # whole words


def test_bpe_decode_invalid_utf8_is_replaced() -> None:
    tok = BPETokenizer()
    assert tok.decode([0xE4, 0xBD]) == "\ufffd"  # the first two bytes of a three-byte character
    assert tok.decode([104, 105, 0xFF]) == "hi\ufffd"
    assert tok.decode([]) == "" and tok.encode("") == []


def test_merges_never_cross_chunks() -> None:
    # "a" and "." are always separate chunks, so the frequent pair (a, .) must not be merged
    assert BPETokenizer.train("a.a.a.a.a.a.", 300).merges == {}
    tok = BPETokenizer.train("the cat the cat the cat the cat", 300)
    assert all(not t.endswith(b" ") for t in tok.vocab.values() if len(t) > 1)  # spaces only lead
    assert len(tok.encode(" the")) == len(tok.encode(" cat")) == 1 and len(tok.encode("the cat")) == 2


def test_train_stops_early_and_verbose(capsys: pytest.CaptureFixture) -> None:
    tok = BPETokenizer.train("abab", 1000, verbose=True)
    assert tok.merges == {(97, 98): 256}
    out = capsys.readouterr().out
    assert "merge 1/744: (97, 98) -> 256 b'ab' (2 occurrences)" in out
    assert "stopped at vocab_size=257" in out
    assert BPETokenizer.train("abcdef", 300).vocab_size == 256  # no pair occurs twice


# ----------------------------------------------------------------------------------------------
# Pre-tokenization


def test_split_pattern_hand_example() -> None:
    tok = BPETokenizer()
    chunks = tok._split.findall("Hello world's 123  !! 你好，世界 😀\n\n  x")
    assert chunks == ["Hello", " world", "'s", " 123", " ", " !!", " 你好", "，", "世界", " 😀", "\n\n ", " x"]


@pytest.mark.parametrize(
    "text",
    [
        "Hello world's 123  !! 你好，世界 😀\n\n  x",
        "I'll've they're we'VE  \t tabs\r\nwindows 3.14 x²+y² Ⅻ naïve e\u0301 __init__ ---",
        "   leading and trailing   ",
        "First Citizen:\nBefore we proceed any further, hear me speak.\n\nAll:\nSpeak, speak.\n",
    ],
)
def test_split_matches_hf_byte_level_pretokenizer(text: str) -> None:
    pre_tokenizers = pytest.importorskip("tokenizers.pre_tokenizers")
    hf = pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=True).pre_tokenize_str(text)
    ours = BPETokenizer()._split.findall(text)
    assert [text[a:b] for _, (a, b) in hf] == ours


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_re_fallback_pattern_covers_all_text(text: str) -> None:
    assert "".join(re.findall(RE_SPLIT_PATTERN, text)) == text


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126) | st.sampled_from("\n\t\r")))
def test_re_fallback_pattern_equals_gpt2_on_ascii(text: str) -> None:
    assert re.findall(RE_SPLIT_PATTERN, text) == split(text)


# ----------------------------------------------------------------------------------------------
# BPE on Tiny Shakespeare


@needs_offline
def test_bpe_compresses_shakespeare() -> None:
    text = shakespeare()
    tok = shakespeare_bpe()
    assert tok.vocab_size == 512
    held_out = text[-100_000:]  # not seen in training
    n_bytes = len(held_out.encode("utf-8"))
    n_512 = len(tok.encode(held_out))
    n_300 = len(BPETokenizer(dict(list(tok.merges.items())[:44])).encode(held_out))
    assert n_512 < n_300 < n_bytes  # more merges, fewer tokens
    assert tok.decode(tok.encode(held_out)) == held_out


@needs_offline
def test_shakespeare_tokens_are_within_chunks() -> None:
    tok = shakespeare_bpe()
    pieces = [t.decode("ascii") for i, t in tok.vocab.items() if i >= 256]
    assert all(len(tok._split.findall(p)) == 1 for p in pieces)  # no token spans two chunks
    assert b" the" in tok.vocab.values()


# ----------------------------------------------------------------------------------------------
# Save and load


def test_bpe_save_load(tmp_path: Path) -> None:
    tok = mixed_bpe()
    tok.save(tmp_path / "bpe.json")
    loaded = BPETokenizer.load(tmp_path / "bpe.json")
    assert list(loaded.merges.items()) == list(tok.merges.items())
    assert loaded.vocab == tok.vocab and loaded.pattern == tok.pattern
    assert loaded.encode(MIXED) == tok.encode(MIXED)


def test_char_save_load(tmp_path: Path) -> None:
    tok = CharTokenizer.train("héllo, 世界 😀\n")
    tok.save(tmp_path / "chars.json")
    loaded = CharTokenizer.load(tmp_path / "chars.json")
    assert loaded.chars == tok.chars and loaded.encode("世界 😀") == tok.encode("世界 😀")


def test_load_wrong_kind(tmp_path: Path) -> None:
    CharTokenizer("ab").save(tmp_path / "chars.json")
    with pytest.raises(ValueError, match="does not hold a BPETokenizer"):
        BPETokenizer.load(tmp_path / "chars.json")
    BPETokenizer().save(tmp_path / "bpe.json")
    with pytest.raises(ValueError, match="does not hold a CharTokenizer"):
        CharTokenizer.load(tmp_path / "bpe.json")


# ----------------------------------------------------------------------------------------------
# Characters


def test_char_tokenizer_basics() -> None:
    tok = CharTokenizer.train("hello world")
    assert tok.chars == [" ", "d", "e", "h", "l", "o", "r", "w"]  # sorted unique characters
    assert tok.vocab_size == len(tok) == 8
    assert tok.encode("hello") == [3, 2, 4, 4, 5]
    assert tok.decode([3, 2, 4, 4, 5]) == "hello"
    assert CharTokenizer("ba").encode("ab") == [1, 0]  # ids follow the given order
    assert repr(tok) == "CharTokenizer(vocab_size=8, chars=' dehlorw')"


def test_char_decode_accepts_tensor() -> None:
    torch = pytest.importorskip("torch")
    tok = CharTokenizer("abc")
    assert tok.decode(torch.tensor([2, 1, 0])) == "cba"


@needs_offline
def test_char_tokenizer_shakespeare() -> None:
    text = shakespeare()
    tok = CharTokenizer.train(text)
    assert tok.vocab_size == 65
    assert tok.decode(tok.encode(text)) == text


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_char_round_trip(draw) -> None:
    alphabet = draw.draw(st.text(min_size=1), label="training text")
    tok = CharTokenizer.train(alphabet)
    text = draw.draw(st.text(alphabet=sorted(set(alphabet))), label="text")
    assert tok.decode(tok.encode(text)) == text
    assert all(0 <= i < tok.vocab_size for i in tok.encode(text))


# ----------------------------------------------------------------------------------------------
# Errors


def test_char_unknown_character() -> None:
    tok = CharTokenizer.train("abc")
    with pytest.raises(ValueError, match=r"character 'z' at position 2 .*train the tokenizer on text that contains"):
        tok.encode("abzc")
    with pytest.raises(ValueError, match=r"character '😀' at position 0"):
        tok.encode("😀")


def test_empty_text() -> None:
    with pytest.raises(ValueError, match="text is empty"):
        CharTokenizer.train("")
    with pytest.raises(ValueError, match="text is empty"):
        BPETokenizer.train("", 300)
    with pytest.raises(ValueError, match="chars must hold at least one character"):
        CharTokenizer("")


@pytest.mark.parametrize("vocab_size", [0, 255, -1, 300.0, True, "512"])
def test_bpe_bad_vocab_size(vocab_size) -> None:
    with pytest.raises(ValueError, match=r"vocab_size must be an integer >= 256"):
        BPETokenizer.train("hello hello", vocab_size)


def test_out_of_range_ids() -> None:
    tok = CharTokenizer("abc")
    with pytest.raises(ValueError, match=r"id 3 in ids is out of range.*vocab_size=3"):
        tok.decode([0, 3])
    with pytest.raises(ValueError, match=r"id -1 in ids is out of range"):
        tok.decode([-1])
    bpe = BPETokenizer.train("aaabdaaabac", 1000)
    with pytest.raises(ValueError, match=r"id 259 in ids is out of range.*vocab_size=259"):
        bpe.decode([258, 259])
    with pytest.raises(ValueError, match=r"id -5 in ids is out of range"):
        bpe.decode([-5])
    with pytest.raises(ValueError, match=r"id 259 in id is out of range: ids must be integers in 0 \.\. 258"):
        bpe.token_bytes(259)


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="text must be a str, got bytes"):
        BPETokenizer.train(b"bytes", 300)
    with pytest.raises(ValueError, match="text must be a str, got list"):
        CharTokenizer("ab").encode(["a"])
    with pytest.raises(ValueError, match=r"chars must not repeat a character, got duplicates \['a'\]"):
        CharTokenizer("aba")
    with pytest.raises(ValueError, match="chars must be single characters, got 'ab'"):
        CharTokenizer(["ab", "c"])
    with pytest.raises(ValueError, match=r"merges must give ids 256, 257, \.\.\. in order"):
        BPETokenizer({(97, 98): 300})
    with pytest.raises(ValueError, match=r"merges must give ids 256, 257, \.\.\. in order"):
        BPETokenizer({(97, 400): 256})


@pytest.mark.parametrize("make", [
    lambda sp: CharTokenizer.train("hello world", specials=sp),
    lambda sp: BPETokenizer.train("hello hello world world " * 5, 262, specials=sp),
])
def test_special_tokens_take_the_last_ids_and_survive_save(make, tmp_path):
    plain, tok = make(()), make(("<pad>", "<eos>"))
    assert tok.vocab_size == plain.vocab_size + 2
    assert tok.specials == {"<pad>": plain.vocab_size, "<eos>": plain.vocab_size + 1}
    assert tok.special_id("<eos>") == plain.vocab_size + 1
    if isinstance(tok, BPETokenizer):  # the text "<pad>" is bytes, never the special token
        assert tok.encode("hello <pad>") == plain.encode("hello <pad>")
    ids = tok.encode("hello") + [tok.special_id("<eos>"), tok.special_id("<pad>")]
    assert tok.decode(ids) == "hello<eos><pad>"
    assert tok.decode(ids, skip_specials=True) == "hello"
    tok.save(tmp_path / "t.json")
    again = type(tok).load(tmp_path / "t.json")
    assert again.specials == tok.specials and again.decode(ids) == tok.decode(ids)
