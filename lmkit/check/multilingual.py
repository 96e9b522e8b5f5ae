"""Checks for the exercises of chapters/part7/multilingual.

Each is ``name(your_function) -> bool``; see :mod:`lmkit.check`.
"""
from __future__ import annotations

import math
from typing import Callable

from ._grader import _report

__all__: list[str] = ["strip_pos_tags", "tokens_per_char", "premium"]

#: The graduated hints of each check: the k-th failure shows the k-th hint; none gives the code away.
HINTS: dict[str, list[str]] = {
    "strip_pos_tags": [
        "each item of a line is a word, a slash and a part-of-speech tag, and the items are separated by "
        "spaces; the text you want is the words only, written one after another as Chinese is written.",
        "split the line on whitespace, keep from each item what comes before its tag, and join the words "
        "with no separator: Chinese puts no spaces between words.",
        "tags are not all lower case: the corpus has tags such as Vg, Ng and Tg, so remove everything after "
        "the last slash of an item rather than a fixed set of letters; an empty line gives an empty string.",
    ],
    "tokens_per_char": [
        "the answer is one number for the whole collection: how many tokens the texts make in all, for how "
        "many characters they hold in all.",
        "count len(tokenize(s)) for every text and len(s) for every text, add each up, and divide the two "
        "totals; characters are Python characters (code points), not UTF-8 bytes.",
        "an average of the per-text ratios is not the same number: it gives a two-character text as much "
        "weight as a thousand-character one. Divide the totals instead.",
    ],
    "premium": [
        "the premium compares the two sides of the same sentences: tokens needed for the second language "
        "over tokens needed for English, the first element of each pair.",
        "add up the tokens of every second element and of every first element separately, then divide the "
        "second total by the first; a premium above 1 means the second language costs more.",
        "check the direction (second language over English, not the inverse) and do not average per-pair "
        "ratios: a pair of short sentences must not weigh as much as a pair of long ones.",
    ],
}


def strip_pos_tags(fn: Callable) -> bool:
    """``fn(line)`` turns one line of the People's Daily corpus, ``"迈向/v  充满/v  希望/n"``, into the
    plain text ``"迈向充满希望"``: every ``word/tag`` item loses its tag, and the words are joined with
    no space."""
    lines = [
        ("迈向/v  充满/v  希望/n  的/u  新/a  世纪/n", "迈向充满希望的新世纪"),
        ("１２月/t  ３１日/t  ，/w  江/nr  泽民/nr  发表/v  讲话/n  。/w", "１２月３１日，江泽民发表讲话。"),
        ("（/w  新华社/nt  记者/n  兰/nr  红光/nr  摄/Vg  ）/w", "（新华社记者兰红光摄）"),
        ("同胞/n  们/k  、/w  朋友/n  们/k  ：/w", "同胞们、朋友们："),
        ("中/j  美/j  关系/n  稳步/d  发展/v", "中美关系稳步发展"),
        ("好/a", "好"),
        ("", ""),
    ]

    def case(line, want):
        got = fn(line)
        if got is None:
            return False, "your function returned None (did you forget `return`?)"
        if not isinstance(got, str):
            return False, f"return a str, got {type(got).__name__}"
        return got == want, f"for {line!r} you returned {got!r}, expected {want!r}"

    cases = [(f"line {i + 1}", lambda a=(line, want): case(*a)) for i, (line, want) in enumerate(lines)]
    return _report("strip_pos_tags", fn, cases, HINTS["strip_pos_tags"])


def _utf8_bytes(s: str) -> list[int]:
    return list(s.encode("utf-8"))


def _words(s: str) -> list[str]:
    return s.split()


def _chars(s: str) -> list[str]:
    return list(s)


def _ratio_case(fn: Callable, args: tuple, want: float, what: str):
    got = fn(*args)
    if got is None:
        return False, "your function returned None (did you forget `return`?)"
    try:
        got = float(got)
    except (TypeError, ValueError):
        return False, f"return a number, got {type(got).__name__}"
    return math.isclose(got, want, rel_tol=1e-9), f"{what}: got {got:.6g}, expected {want:.6g}"


def tokens_per_char(fn: Callable) -> bool:
    """``fn(tokenize, texts)`` returns the total number of tokens of ``texts`` under ``tokenize``
    (a function from a string to a list of tokens) divided by their total number of characters."""
    texts = [
        ["abcd", "中"],
        ["The cat sat.", "我喜欢猫。", "Hi"],
        ["我们明天去北京。", "Tom is reading a long book about the history of tea."],
    ]
    tokenizers = [("UTF-8 bytes", _utf8_bytes), ("words split at spaces", _words), ("characters", _chars)]

    def want(tok, xs):
        return sum(len(tok(s)) for s in xs) / sum(len(s) for s in xs)

    cases = [(f"{name}, texts {xs!r}", lambda t=tok, xs=xs, n=name: _ratio_case(fn, (t, xs), want(t, xs), n))
             for xs in texts for name, tok in tokenizers]
    return _report("tokens_per_char", fn, cases, HINTS["tokens_per_char"])


def premium(fn: Callable) -> bool:
    """``fn(tokenize, pairs)`` returns the tokenization premium of the second language of
    ``pairs`` (a list of ``(english, other)`` translations): the total tokens of the second elements
    divided by the total tokens of the first."""
    pairs = [
        [("I see.", "我明白了。")],
        [("Hi.", "你好。"), ("Tom is reading a long book about tea.", "汤姆在读一本关于茶的长书。")],
        [("Where is the station?", "车站在哪里？"), ("Thanks!", "谢谢！"), ("Who are you?", "你是谁？")],
    ]
    tokenizers = [("UTF-8 bytes", _utf8_bytes), ("characters", _chars)]

    def want(tok, ps):
        return sum(len(tok(z)) for _, z in ps) / sum(len(tok(e)) for e, _ in ps)

    cases = [(f"{name}, pairs {ps!r}", lambda t=tok, ps=ps, n=name: _ratio_case(fn, (t, ps), want(t, ps), n))
             for ps in pairs for name, tok in tokenizers]
    return _report("premium", fn, cases, HINTS["premium"])
