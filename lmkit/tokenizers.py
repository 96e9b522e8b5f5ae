"""Tokenizers written from scratch: characters, and byte-level BPE as in GPT-2.

:class:`CharTokenizer` maps each character of a training text to an id. :class:`BPETokenizer`
starts from the 256 byte values and learns merges of frequent adjacent pairs (Sennrich et al.
2016, byte-level as in GPT-2, Radford et al. 2019; the code follows Karpathy's minbpe).

Introduced in chapter 3, Input encoding.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

from . import _validate as _v

try:  # GPT-2's pattern needs \p{L} and \p{N}, which only the third-party `regex` module knows.
    import regex as _re

    HAVE_REGEX = True
except ImportError:  # pragma: no cover - exercised only where `regex` is not installed
    import re as _re

    HAVE_REGEX = False

__all__ = ["GPT2_SPLIT_PATTERN", "RE_SPLIT_PATTERN", "SPLIT_PATTERN", "BPETokenizer", "CharTokenizer"]

#: GPT-2's pre-tokenization pattern (``encoder.py`` in openai/gpt-2): contractions, optional space +
#: letters, optional space + numbers, optional space + other symbols, and runs of whitespace.
GPT2_SPLIT_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""

#: The same pattern for the standard ``re`` module: a letter is ``[^\W\d_]`` (a word character that is
#: neither a decimal digit nor ``_``) and a number is ``\d``. It differs from GPT-2's only on rare
#: characters: numerals that are not decimal digits (``²``, ``Ⅻ``) count as letters, and combining
#: marks count as symbols. Every character is still matched, so no text is lost.
RE_SPLIT_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?[^\W\d_]+| ?\d+| ?(?:[^\s\w]|_)+|\s+(?!\S)|\s+"""

#: The pattern used by default here: GPT-2's with ``regex`` installed, else the ``re`` version.
SPLIT_PATTERN = GPT2_SPLIT_PATTERN if HAVE_REGEX else RE_SPLIT_PATTERN


# ----------------------------------------------------------------------------------------------
# Characters


class CharTokenizer:
    """One id per character, in the order of ``chars`` (``train`` sorts the characters of a text), then
    one id per special token such as ``"<pad>"`` or ``"<eos>"`` (:attr:`specials`; chapters/part5).

    Introduced in chapter 3, Input encoding.
    """

    def __init__(self, chars: str | list[str], specials: Iterable[str] = ()) -> None:
        chars, specials = list(chars), list(specials)
        _v.char_vocabulary("CharTokenizer", chars)
        _v.specials("CharTokenizer", specials, chars)
        self.chars: list[str] = chars
        self.stoi: dict[str, int] = {c: i for i, c in enumerate(chars)}
        self.itos: dict[int, str] = dict(enumerate(chars + specials))
        #: special token → id; specials take the ids after the characters and never come out of encode
        self.specials: dict[str, int] = {name: len(chars) + i for i, name in enumerate(specials)}

    @classmethod
    def train(cls, text: str, specials: Iterable[str] = ()) -> CharTokenizer:
        """A tokenizer whose vocabulary is the sorted set of characters of ``text``, then ``specials``.

        Introduced in chapter 3, Input encoding.
        """
        _v.text("CharTokenizer.train", "text", text, non_empty=True)
        return cls(sorted(set(text)), specials)

    @property
    def vocab_size(self) -> int:
        """The number of characters and special tokens (ids are ``0 .. vocab_size - 1``)."""
        return len(self.itos)

    def special_id(self, name: str) -> int:
        """The id of special token ``name`` (for example ``"<pad>"``)."""
        _v.special_name("CharTokenizer.special_id", name, self.specials)
        return self.specials[name]

    def __len__(self) -> int:
        return self.vocab_size

    def __repr__(self) -> str:
        shown = "".join(self.chars)
        shown = shown if len(shown) <= 40 else shown[:37] + "..."
        return f"CharTokenizer(vocab_size={self.vocab_size}, chars={shown!r})"

    def encode(self, text: str) -> list[int]:
        """The ids of the characters of ``text``.

        Introduced in chapter 3, Input encoding.
        """
        _v.known_chars("CharTokenizer.encode", text, self.stoi)
        return [self.stoi[c] for c in text]

    def decode(self, ids: Iterable[int], *, skip_specials: bool = False) -> str:
        """The text of a sequence of ids (a list or a 1-D tensor); a special token is written as its name,
        or left out with ``skip_specials=True``.

        Introduced in chapter 3, Input encoding.
        """
        ids = _v.id_list("CharTokenizer.decode", "ids", ids, self.vocab_size)
        skip = set(self.specials.values()) if skip_specials else set()
        return "".join(self.itos[i] for i in ids if i not in skip)

    def save(self, path: str | Path) -> None:
        """Write the tokenizer to a JSON file.

        Introduced in chapter 3, Input encoding.
        """
        data = {"type": "CharTokenizer", "chars": self.chars, "specials": list(self.specials)}
        Path(path).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> CharTokenizer:
        """Read a tokenizer written by :meth:`save`.

        Introduced in chapter 3, Input encoding.
        """
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        _v.saved_type("CharTokenizer.load", path, data, "CharTokenizer")
        return cls(data["chars"], data.get("specials", ()))


# ----------------------------------------------------------------------------------------------
# Byte-level BPE


def _merge(ids: list[int], pair: tuple[int, int], new_id: int) -> list[int]:
    """Replace every occurrence of ``pair`` in ``ids`` by ``new_id``, left to right."""
    out, i = [], 0
    while i < len(ids):
        if i + 1 < len(ids) and ids[i] == pair[0] and ids[i + 1] == pair[1]:
            out.append(new_id)
            i += 2
        else:
            out.append(ids[i])
            i += 1
    return out


def _compile(pattern: str):
    if not HAVE_REGEX and pattern == GPT2_SPLIT_PATTERN:  # pragma: no cover - needs `regex` absent
        pattern = RE_SPLIT_PATTERN
    return _re.compile(pattern)


class BPETokenizer:
    """Byte-level byte-pair encoding: 256 byte ids plus one new id per learned merge.

    Text is first cut into chunks by a regular expression (GPT-2's :data:`GPT2_SPLIT_PATTERN`
    where the ``regex`` module is installed, else :data:`RE_SPLIT_PATTERN`), so merges never cross
    a chunk boundary: a word and the space before it can merge, two words cannot.
    ``merges`` maps a pair of ids to the id it becomes, in the order the merges were learned.
    Special tokens (``specials``, such as GPT-2's ``"<|endoftext|>"``) take the ids after the merges;
    encode never produces them from text.

    Introduced in chapter 3, Input encoding.
    """

    def __init__(self, merges: dict[tuple[int, int], int] | None = None, pattern: str | None = None,
                 specials: Iterable[str] = ()) -> None:
        self.merges: dict[tuple[int, int], int] = {}
        self.vocab: dict[int, bytes] = {i: bytes([i]) for i in range(256)}
        _v.merges("BPETokenizer", merges or {})
        for (a, b), new_id in (merges or {}).items():
            self.merges[(a, b)] = new_id
            self.vocab[new_id] = self.vocab[a] + self.vocab[b]
        self.pattern = SPLIT_PATTERN if pattern is None else pattern
        self._split = _compile(self.pattern)
        self.specials: dict[str, int] = {}
        self._add_specials(specials)

    def _add_specials(self, specials: Iterable[str]) -> None:
        specials = list(specials)
        _v.specials("BPETokenizer", specials)
        for name in specials:
            self.specials[name] = len(self.vocab)
            self.vocab[self.specials[name]] = name.encode("utf-8")

    @classmethod
    def train(
        cls, text: str, vocab_size: int, *, verbose: bool = False, pattern: str | None = None,
        specials: Iterable[str] = (),
    ) -> BPETokenizer:
        """Learn ``vocab_size - 256`` merges from ``text``: each time, merge the most frequent pair;
        then add ``specials`` (not counted in ``vocab_size``).

        Ties go to the smallest pair of ids. Training stops early when no pair occurs twice, so
        the vocabulary can come out smaller than ``vocab_size``. Pairs are counted once per
        distinct chunk, weighted by how often the chunk occurs, and after a merge only the chunks
        that contained the pair are recounted.

        Introduced in chapter 3, Input encoding.
        """
        _v.text("BPETokenizer.train", "text", text, non_empty=True)
        _v.integer_at_least("BPETokenizer.train", "vocab_size", vocab_size, 256, " (the 256 byte values come first)")
        tok = cls(pattern=pattern)
        chunk_counts = Counter(tok._split.findall(text))
        words = [list(chunk.encode("utf-8")) for chunk in chunk_counts]  # distinct chunks as byte ids
        freqs = list(chunk_counts.values())

        stats: Counter[tuple[int, int]] = Counter()  # pair -> occurrences in the whole text
        where: defaultdict[tuple[int, int], set[int]] = defaultdict(set)  # pair -> words that hold it
        for w, (ids, f) in enumerate(zip(words, freqs)):
            for pair in zip(ids, ids[1:]):
                stats[pair] += f
                where[pair].add(w)

        for new_id in range(256, vocab_size):
            if not stats:
                break
            top = max(stats.values())
            if top < 2:
                break
            pair = min(p for p, n in stats.items() if n == top)
            tok.merges[pair] = new_id
            tok.vocab[new_id] = tok.vocab[pair[0]] + tok.vocab[pair[1]]
            for w in where.pop(pair):  # recount only the words that held the pair
                ids, f = words[w], freqs[w]
                for p in zip(ids, ids[1:]):
                    stats[p] -= f
                    if not stats[p]:
                        del stats[p]
                ids = words[w] = _merge(ids, pair, new_id)
                for p in zip(ids, ids[1:]):
                    stats[p] += f
                    where[p].add(w)
            if verbose:
                print(f"merge {new_id - 255}/{vocab_size - 256}: {pair} -> {new_id} "
                      f"{tok.vocab[new_id]!r} ({top} occurrences)")
        if verbose and len(tok.vocab) < vocab_size:
            print(f"stopped at vocab_size={len(tok.vocab)}: no pair occurs twice")
        tok._add_specials(specials)
        return tok

    @property
    def vocab_size(self) -> int:
        """256 byte ids plus the number of merges and of special tokens."""
        return len(self.vocab)

    def special_id(self, name: str) -> int:
        """The id of special token ``name`` (for example ``"<|endoftext|>"``)."""
        _v.special_name("BPETokenizer.special_id", name, self.specials)
        return self.specials[name]

    def __len__(self) -> int:
        return self.vocab_size

    def __repr__(self) -> str:
        return f"BPETokenizer(vocab_size={self.vocab_size}, merges={len(self.merges)})"

    def token_bytes(self, id: int) -> bytes:
        """The bytes that token ``id`` stands for.

        Introduced in chapter 3, Input encoding.
        """
        _v.id_list("BPETokenizer.token_bytes", "id", [id], self.vocab_size)
        return self.vocab[id]

    def _encode_chunk(self, ids: list[int]) -> list[int]:
        """GPT-2's rule: while some adjacent pair has a merge, apply the earliest-learned one."""
        while len(ids) >= 2:
            pair = min(zip(ids, ids[1:]), key=lambda p: self.merges.get(p, float("inf")))
            if pair not in self.merges:
                break
            ids = _merge(ids, pair, self.merges[pair])
        return ids

    def encode(self, text: str) -> list[int]:
        """The token ids of ``text``: split into chunks, then merge each chunk's bytes.

        Introduced in chapter 3, Input encoding.
        """
        _v.text("BPETokenizer.encode", "text", text)
        cache: dict[str, list[int]] = {}  # a text repeats its chunks ("the", " and") many times
        out: list[int] = []
        for chunk in self._split.findall(text):
            if chunk not in cache:
                cache[chunk] = self._encode_chunk(list(chunk.encode("utf-8")))
            out.extend(cache[chunk])
        return out

    def decode(self, ids: Iterable[int], *, skip_specials: bool = False) -> str:
        """The text of a sequence of ids; bytes that are not valid UTF-8 become U+FFFD. A special token
        is written as its name, or left out with ``skip_specials=True``.

        Introduced in chapter 3, Input encoding.
        """
        ids = _v.id_list("BPETokenizer.decode", "ids", ids, self.vocab_size)
        skip = set(self.specials.values()) if skip_specials else set()
        data = b"".join(self.vocab[i] for i in ids if i not in skip)
        return data.decode("utf-8", errors="replace")

    def save(self, path: str | Path) -> None:
        """Write the split pattern and the merges (in order) to a JSON file.

        Introduced in chapter 3, Input encoding.
        """
        data = {
            "type": "BPETokenizer",
            "pattern": self.pattern,
            "merges": [[a, b, new_id] for (a, b), new_id in self.merges.items()],
            "specials": list(self.specials),
        }
        Path(path).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    @classmethod
    def load(cls, path: str | Path) -> BPETokenizer:
        """Read a tokenizer written by :meth:`save`.

        Introduced in chapter 3, Input encoding.
        """
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        _v.saved_type("BPETokenizer.load", path, data, "BPETokenizer")
        merges = {(a, b): new_id for a, b, new_id in data["merges"]}
        return cls(merges, pattern=data.get("pattern"), specials=data.get("specials", ()))
