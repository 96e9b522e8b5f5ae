"""lmkit.check.pretrained_models: right answers pass, typical wrong ones fail, and a check never raises."""
import pytest

from lmkit import check
from lmkit.check import pretrained_models as pm


def _right_wordpiece(word, vocab):
    pieces, start = [], 0
    while start < len(word):
        for end in range(len(word), start, -1):
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                break
        else:
            return ["[UNK]"]
        pieces.append(piece)
        start = end
    return pieces


def test_wordpiece_tokenize(capsys):
    assert check.wordpiece_tokenize(_right_wordpiece)
    assert check.wordpiece_tokenize(lambda w, v: tuple(_right_wordpiece(w, v)))

    def no_marks(word, vocab):  # forgets the ## of continuation pieces
        return [p.replace("##", "") for p in _right_wordpiece(word, vocab)]

    def shortest_first(word, vocab):
        pieces, start = [], 0
        while start < len(word):
            for end in range(start + 1, len(word) + 1):
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in vocab:
                    break
            else:
                return ["[UNK]"]
            pieces.append(piece)
            start = end
        return pieces

    def partial_unk(word, vocab):  # keeps the pieces found before the failure
        pieces, start = [], 0
        while start < len(word):
            for end in range(len(word), start, -1):
                piece = word[start:end] if start == 0 else "##" + word[start:end]
                if piece in vocab:
                    break
            else:
                return pieces + ["[UNK]"]
            pieces.append(piece)
            start = end
        return pieces

    for wrong in (no_marks, shortest_first, partial_unk, lambda w, v: list(w), lambda w, v: None):
        assert not check.wordpiece_tokenize(wrong)
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "Hint" in out and "returned None" in out


def _right_auc(scores, labels):
    pos = [s for s, y in zip(scores, labels) if y == 1]
    neg = [s for s, y in zip(scores, labels) if y == 0]
    return sum((p > n) + 0.5 * (p == n) for p in pos for n in neg) / (len(pos) * len(neg))


def test_roc_auc(capsys):
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    assert check.roc_auc(_right_auc)
    assert check.roc_auc(lambda s, y: sklearn_metrics.roc_auc_score(y, s))  # the library agrees

    def ties_lose(scores, labels):
        pos = [s for s, y in zip(scores, labels) if y]
        neg = [s for s, y in zip(scores, labels) if not y]
        return sum(p > n for p in pos for n in neg) / (len(pos) * len(neg))

    def accuracy(scores, labels):  # a threshold at 0.5 is not the AUC
        return sum((s > 0.5) == bool(y) for s, y in zip(scores, labels)) / len(labels)

    def flipped(scores, labels):
        return 1 - _right_auc(scores, labels)

    for wrong in (ties_lose, accuracy, flipped):
        assert not check.roc_auc(wrong)
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "Hint" in out


def test_the_reference_auc_matches_sklearn():
    sklearn_metrics = pytest.importorskip("sklearn.metrics")
    scores = [0.1, 0.4, 0.4, 0.35, 0.8, 0.8, 0.2]
    labels = [0, 0, 1, 1, 1, 0, 1]
    assert abs(pm._auc(scores, labels) - sklearn_metrics.roc_auc_score(labels, scores)) < 1e-12


def _right_count(cfg):
    V, C, F = cfg["vocab_size"], cfg["hidden_size"], cfg["intermediate_size"]
    emb = (V + cfg["max_position_embeddings"] + cfg["type_vocab_size"] + 2) * C
    layer = 4 * C * C + 2 * C * F + 9 * C + F
    return emb + cfg["num_hidden_layers"] * layer + C * C + C


def test_bert_param_count(capsys):
    assert check.bert_param_count(_right_count)

    def no_pooler(cfg):
        C = cfg["hidden_size"]
        return _right_count(cfg) - C * C - C

    def no_biases(cfg):
        C, F, L = cfg["hidden_size"], cfg["intermediate_size"], cfg["num_hidden_layers"]
        return _right_count(cfg) - L * (4 * C + F + C) - C

    def no_token_types(cfg):
        return _right_count(cfg) - cfg["type_vocab_size"] * cfg["hidden_size"]

    def gpt_style(cfg):  # 12 C² per layer, as if F were always 4C, and no pooler
        C = cfg["hidden_size"]
        return (cfg["vocab_size"] + cfg["max_position_embeddings"]) * C + cfg["num_hidden_layers"] * 12 * C * C

    for wrong in (no_pooler, no_biases, no_token_types, gpt_style):
        assert not check.bert_param_count(wrong)
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "Hint" in out


@pytest.mark.parametrize("name", sorted(pm.BERT_CONFIGS))
def test_the_reference_count_matches_transformers(name):
    transformers = pytest.importorskip("transformers")
    cfg = pm.BERT_CONFIGS[name]
    if name == "BERT-base":
        assert pm._bert_count(cfg) == 109_482_240  # BERT-base's published 110 M, counted exactly
        return
    model = transformers.BertModel(transformers.BertConfig(**cfg))
    assert pm._bert_count(cfg) == sum(p.numel() for p in model.parameters())


def test_the_reference_wordpiece_matches_bert_tokenizer():
    transformers = pytest.importorskip("transformers")
    vocab = sorted(pm._TOY_VOCAB | {"[PAD]", "[CLS]", "[SEP]", "[MASK]"})
    import tempfile
    from pathlib import Path
    with tempfile.TemporaryDirectory() as d:
        (Path(d) / "vocab.txt").write_text("\n".join(vocab) + "\n", encoding="utf-8")
        tok = transformers.BertTokenizer(str(Path(d) / "vocab.txt"))
        for word in ["play", "playing", "unaffable", "tokenizers", "xylophone", "playq", "a", "played"]:
            assert tok.tokenize(word) == pm._wordpiece(word, pm._TOY_VOCAB), word
