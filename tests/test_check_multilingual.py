"""lmkit.check.multilingual: right answers pass, typical wrong ones fail, and a check never raises."""
import re

from lmkit import check


def test_strip_pos_tags(capsys):
    assert check.strip_pos_tags(lambda line: "".join(t.rsplit("/", 1)[0] for t in line.split()))
    assert check.strip_pos_tags(lambda line: re.sub(r"/[A-Za-z]+", "", line).replace(" ", ""))
    # lower-case tags only: misses Vg, Ng, ...
    assert not check.strip_pos_tags(lambda line: re.sub(r"/[a-z]+", "", line).replace(" ", ""))
    # words kept apart by spaces
    assert not check.strip_pos_tags(lambda line: " ".join(t.split("/")[0] for t in line.split()))
    # tags kept
    assert not check.strip_pos_tags(lambda line: line.replace(" ", ""))
    assert not check.strip_pos_tags(lambda line: line.split())  # a list, not a str
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "Hint" in out and "return a str" in out


def test_tokens_per_char(capsys):
    def right(tokenize, texts):
        return sum(len(tokenize(s)) for s in texts) / sum(len(s) for s in texts)

    assert check.tokens_per_char(right)
    # the mean of per-text ratios weighs a short text like a long one
    assert not check.tokens_per_char(
        lambda tok, xs: sum(len(tok(s)) / len(s) for s in xs) / len(xs))
    # bytes instead of characters in the denominator
    assert not check.tokens_per_char(
        lambda tok, xs: sum(len(tok(s)) for s in xs) / sum(len(s.encode()) for s in xs))
    # characters per token: the inverse
    assert not check.tokens_per_char(lambda tok, xs: 1 / right(tok, xs))
    assert not check.tokens_per_char(lambda tok, xs: [1.0])
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "Hint" in out and "return a number" in out


def test_premium(capsys):
    def right(tokenize, pairs):
        return sum(len(tokenize(z)) for _, z in pairs) / sum(len(tokenize(e)) for e, _ in pairs)

    assert check.premium(right)
    assert not check.premium(lambda tok, ps: 1 / right(tok, ps))  # English over Chinese
    assert not check.premium(  # mean of per-pair ratios
        lambda tok, ps: sum(len(tok(z)) / len(tok(e)) for e, z in ps) / len(ps))
    assert not check.premium(  # characters, whatever the tokenizer
        lambda tok, ps: sum(len(z) for _, z in ps) / sum(len(e) for e, _ in ps))

    def stub(tok, ps):
        raise NotImplementedError

    assert not check.premium(stub)
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "not implemented yet" in out
