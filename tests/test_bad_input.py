"""Bad input across lmkit's public API gets a clear error that names the argument.

One table, one row per (function, bad input): wrong types, empty input, out-of-range ids, too-long
sequences, NaN values and mismatched shapes. Each row says which exception and which word the message
must contain. No public function may fail with an IndexError, a KeyError or a raw torch RuntimeError.
"""
from __future__ import annotations

import math

import pytest
import torch

from lmkit import (attention, data, datasets, generation, model, ngram, plot, positional, seq2seq, tokenizers, training,
                   widgets)

CFG = model.GPTConfig(vocab_size=11, block_size=8, n_layer=1, n_head=2, n_embd=8)


def _gpt():
    torch.manual_seed(0)
    return model.GPT(CFG)


def _char():
    return tokenizers.CharTokenizer.train("hello world")


def _bpe():
    return tokenizers.BPETokenizer.train("hello hello world " * 20, vocab_size=260)


ids = torch.zeros(1, 4, dtype=torch.long)
x4 = torch.randn(2, 4, 8)
nan = torch.full((1, 11), float("nan"))
sdpa = attention.scaled_dot_product_attention

# (label, call, exception, words the message must contain: the argument's name, and what was wrong)
CASES = [
    # attention
    ("causal_mask T=0", lambda: attention.causal_mask(0), ValueError, ["T"]),
    ("causal_mask T float", lambda: attention.causal_mask(2.5), (ValueError, TypeError), ["T"]),
    ("sdpa q not tensor", lambda: sdpa([[1.0]], x4, x4), (TypeError, ValueError), ["q"]),
    ("sdpa q/k last dim", lambda: sdpa(x4, torch.randn(2, 4, 7), x4), ValueError, ["k"]),
    ("sdpa k/v length", lambda: sdpa(x4, x4, torch.randn(2, 3, 8)), ValueError, ["v"]),
    ("sdpa mask shape", lambda: sdpa(x4, x4, x4, torch.ones(3, 3, dtype=torch.bool)),
     ValueError, ["mask"]),
    ("sdpa 1-D q", lambda: sdpa(torch.randn(8), x4, x4), ValueError, ["q"]),
    ("mha heads", lambda: attention.MultiHeadAttention(10, 3), ValueError, ["n_head"]),
    ("mha x channels", lambda: attention.MultiHeadAttention(8, 2)(torch.randn(1, 3, 5)), ValueError, ["x"]),
    ("mha x ndim", lambda: attention.MultiHeadAttention(8, 2)(torch.randn(3, 8)), ValueError, ["x"]),
    ("kvcache layers", lambda: attention.KVCache(0), ValueError, ["n_layer"]),
    ("kvcache layer index", lambda: attention.KVCache(1).update(3, x4, x4), ValueError, ["layer"]),
    # model
    ("config vocab", lambda: model.GPTConfig(vocab_size=0), ValueError, ["vocab_size"]),
    ("config heads", lambda: model.GPTConfig(n_embd=10, n_head=3), ValueError, ["n_head"]),
    ("config dropout", lambda: model.GPTConfig(dropout=1.5), ValueError, ["dropout"]),
    ("config block", lambda: model.GPTConfig(block_size=0), ValueError, ["block_size"]),
    ("gpt idx float", lambda: _gpt()(torch.zeros(1, 4)), ValueError, ["idx"]),
    ("gpt idx 1-D", lambda: _gpt()(torch.zeros(4, dtype=torch.long)), ValueError, ["idx"]),
    ("gpt idx too long", lambda: _gpt()(torch.zeros(1, 9, dtype=torch.long)), ValueError, ["block_size"]),
    ("gpt idx empty", lambda: _gpt()(torch.zeros(1, 0, dtype=torch.long)), ValueError, ["idx"]),
    ("gpt idx >= vocab", lambda: _gpt()(torch.full((1, 4), 11)), ValueError, ["vocab"]),
    ("gpt idx negative", lambda: _gpt()(torch.full((1, 4), -1)), ValueError, ["idx"]),
    ("gpt idx list", lambda: _gpt()([[1, 2]]), (TypeError, ValueError), ["idx"]),
    ("gpt targets shape", lambda: _gpt()(ids, torch.zeros(1, 3, dtype=torch.long)), ValueError, ["targets"]),
    ("gpt targets range", lambda: _gpt()(ids, torch.full((1, 4), 99)), ValueError, ["targets"]),
    ("gpt targets float", lambda: _gpt()(ids, torch.zeros(1, 4)), ValueError, ["targets"]),
    # generate
    ("top_k k=0", lambda: generation.top_k_filter(torch.randn(1, 11), 0), ValueError, ["k"]),
    ("top_k NaN", lambda: generation.top_k_filter(nan, 2), ValueError, ["logits"]),
    ("top_p p=0", lambda: generation.top_p_filter(torch.randn(1, 11), 0.0), ValueError, ["p"]),
    ("top_p p>1", lambda: generation.top_p_filter(torch.randn(1, 11), 1.5), ValueError, ["p"]),
    ("top_p NaN", lambda: generation.top_p_filter(nan, 0.9), ValueError, ["logits"]),
    ("sample temperature", lambda: generation.sample_next(torch.randn(1, 11), temperature=0.0), ValueError,
     ["temperature"]),
    ("sample NaN", lambda: generation.sample_next(nan), ValueError, ["logits"]),
    ("sample logits 0-D", lambda: generation.sample_next(torch.tensor(1.0)), ValueError, ["logits"]),
    ("sample logits list", lambda: generation.sample_next([[1.0, 2.0]]), (TypeError, ValueError), ["logits"]),
    ("generate n<0", lambda: generation.generate(_gpt(), ids, -1), ValueError, ["max_new_tokens"]),
    ("generate idx float", lambda: generation.generate(_gpt(), torch.zeros(1, 2), 3), ValueError, ["idx"]),
    ("generate idx range", lambda: generation.generate(_gpt(), torch.full((1, 2), 50), 3), ValueError, ["vocab"]),
    ("generate idx empty", lambda: generation.generate(_gpt(), torch.zeros(1, 0, dtype=torch.long), 3), ValueError,
     ["idx"]),
    ("generate top_k", lambda: generation.generate(_gpt(), ids, 2, top_k=0), ValueError, ["k"]),
    # data
    ("fetch unknown", lambda: datasets.fetch("no-such-dataset"), ValueError, ["no-such-dataset"]),
    ("load_text unknown", lambda: datasets.load_text("nope"), ValueError, ["nope"]),
    ("split frac 0", lambda: data.train_val_split("abc", 0.0), ValueError, ["frac"]),
    ("split frac 1.5", lambda: data.train_val_split("abc", 1.5), ValueError, ["frac"]),
    ("split empty", lambda: data.train_val_split("", 0.9), ValueError, ["data"]),
    ("batch too short", lambda: data.get_batch(torch.arange(5), 2, 8), ValueError, ["block_size"]),
    ("batch size 0", lambda: data.get_batch(torch.arange(50), 0, 8), ValueError, ["batch_size"]),
    ("batch 2-D data", lambda: data.get_batch(torch.zeros(5, 5, dtype=torch.long), 2, 2), ValueError, ["data"]),
    ("batch float data", lambda: data.get_batch(torch.zeros(50), 2, 2), ValueError, ["data"]),
    ("batch list data", lambda: data.get_batch([1, 2, 3, 4, 5, 6], 2, 2), (TypeError, ValueError), ["data"]),
    # tokenizers
    ("char train empty", lambda: tokenizers.CharTokenizer.train(""), ValueError, ["text"]),
    ("char unknown char", lambda: _char().encode("xyz"), ValueError, ["x"]),
    ("char decode range", lambda: _char().decode([99]), ValueError, ["99"]),
    ("char decode negative", lambda: _char().decode([-1]), ValueError, ["-1"]),
    ("char encode not str", lambda: _char().encode(123), (TypeError, ValueError), ["text"]),
    ("bpe train empty", lambda: tokenizers.BPETokenizer.train("", vocab_size=300), ValueError, ["text"]),
    ("bpe vocab small", lambda: tokenizers.BPETokenizer.train("abc", vocab_size=100), ValueError, ["vocab_size"]),
    ("bpe decode range", lambda: _bpe().decode([10**6]), ValueError, ["1000000"]),
    ("bpe encode not str", lambda: _bpe().encode(b"bytes"), (TypeError, ValueError), ["text"]),
    # train
    ("lr_schedule max_iters", lambda: training.lr_schedule(0, lr=1e-3, min_lr=1e-4, warmup_iters=10, max_iters=5),
     ValueError, ["max_iters"]),
    ("lr_schedule negative it", lambda: training.lr_schedule(-1, lr=1e-3, min_lr=1e-4, warmup_iters=1, max_iters=5),
     ValueError, ["it"]),
    ("train max_iters", lambda: training.TrainConfig(max_iters=0), ValueError, ["max_iters"]),
    ("train block too long", lambda: training.train(_gpt(), torch.arange(100) % 11,
                                                    config=training.TrainConfig(block_size=99), progress=False),
     ValueError, ["block_size"]),
    ("train lr", lambda: training.TrainConfig(lr=-1.0, max_iters=2), ValueError, ["lr"]),
    ("train compile", lambda: training.TrainConfig(compile="yes"), ValueError, ["compile", "True or False"]),
    ("train warmup", lambda: training.TrainConfig(max_iters=5, warmup_iters=10), ValueError, ["warmup_iters"]),
    ("train data range", lambda: training.train(_gpt(), torch.arange(100), progress=False,
                                                config=training.TrainConfig(max_iters=2, warmup_iters=0)),
     ValueError, ["vocab"]),
    ("train config type", lambda: training.train(_gpt(), torch.arange(100) % 11, config={"lr": 1e-3}),
     ValueError, ["config"]),
    ("train short val", lambda: training.train(_gpt(), torch.arange(100) % 11, torch.arange(4), progress=False),
     ValueError, ["val_data"]),
    ("evaluate one token", lambda: training.evaluate(_gpt(), torch.arange(1)), ValueError, ["data"]),
    ("evaluate float data", lambda: training.evaluate(_gpt(), torch.zeros(50)), ValueError, ["data"]),
    # plot
    ("heatmap labels", lambda: plot.attention_heatmap(torch.rand(3, 3), ["a", "b"]), ValueError, ["tokens"]),
    ("heatmap ndim", lambda: plot.attention_heatmap(torch.rand(3), ["a", "b", "c"]), ValueError, ["weights"]),
    ("prob_bars labels", lambda: plot.prob_bars(torch.rand(4), ["a"]), ValueError, ["labels"]),
    ("prob_bars NaN", lambda: plot.prob_bars(torch.tensor([0.5, math.nan]), ["a", "b"]), ValueError, ["probs"]),
    # ngram
    ("ngram n=0", lambda: ngram.NGramModel(0, 5), ValueError, ["n"]),
    ("ngram smoothing", lambda: ngram.NGramModel(2, 5, smoothing="magic"), ValueError, ["smoothing"]),
    ("ngram k<=0", lambda: ngram.NGramModel(2, 5, k=0.0), ValueError, ["k"]),
    ("ngram fit range", lambda: ngram.NGramModel(2, 5).fit([1, 2, 9]), ValueError, ["vocab_size"]),
    ("ngram fit empty", lambda: ngram.NGramModel(2, 5).fit([]), ValueError, ["empty"]),
    ("ngram fit str", lambda: ngram.NGramModel(2, 5).fit("abc"), ValueError, ["str"]),
    ("ngram fit float", lambda: ngram.NGramModel(2, 5).fit(torch.zeros(4)), ValueError, ["dtype"]),
    ("ngram unfitted", lambda: ngram.NGramModel(2, 5).next_token_probs([1]), ValueError, ["fit"]),
    ("ngram context range", lambda: ngram.NGramModel(2, 5).fit([1, 2, 3]).next_token_probs([7]), ValueError,
     ["vocab_size"]),
    ("ngram sample length", lambda: ngram.NGramModel(2, 5).fit([1, 2, 3]).sample(-1), ValueError, ["length"]),
    # positional
    ("sinusoidal odd C", lambda: positional.sinusoidal_encoding(4, 5), ValueError, ["C"]),
    ("sinusoidal T=0", lambda: positional.sinusoidal_encoding(0, 4), ValueError, ["T"]),
    ("sinusoidal base", lambda: positional.sinusoidal_encoding(4, 4, base=1.0), ValueError, ["base"]),
    ("sinusoidal NaN base", lambda: positional.sinusoidal_encoding(4, 4, base=math.nan), ValueError, ["base"]),
    ("positional too long", lambda: positional.PositionalEncoding(4, 8)(torch.zeros(1, 5, 8)), ValueError,
     ["block_size"]),
    ("positional channels", lambda: positional.PositionalEncoding(4, 8)(torch.zeros(1, 3, 6)), ValueError, ["x"]),
    ("positional kind", lambda: positional.PositionalEncoding(4, 8, kind="rotary"), ValueError, ["kind"]),
    # widgets
    ("explorer tokens", lambda: widgets.attention_stack([torch.rand(2, 3, 3)], ["a", "b"]), ValueError, ["tokens"]),
    ("explorer ndim", lambda: widgets.attention_stack([torch.rand(3, 3)], ["a", "b", "c"]), ValueError,
     ["attentions"]),
    ("explorer empty", lambda: widgets.attention_stack([], []), ValueError, ["attentions"]),
    ("explorer str tokens", lambda: widgets.attention_stack([torch.rand(1, 3, 3)], "abc"), ValueError, ["tokens"]),
    # padded batches, special tokens, encoders and encoder-decoders
    ("pad_batch empty", lambda: data.pad_batch([], 0), ValueError, ["seqs"]),
    ("pad_batch text", lambda: data.pad_batch(["abc"], 0), ValueError, ["seqs"]),
    ("pad_batch empty row", lambda: data.pad_batch([[1], []], 0), ValueError, ["seqs[1]"]),
    ("pad_batch pad_id", lambda: data.pad_batch([[1]], "<pad>"), ValueError, ["pad_id"]),
    ("specials clash", lambda: tokenizers.CharTokenizer("ab", specials=["a"]), ValueError, ["special"]),
    ("specials repeat", lambda: tokenizers.BPETokenizer(specials=["<s>", "<s>"]), ValueError, ["specials"]),
    ("special_id unknown", lambda: _char().special_id("<pad>"), ValueError, ["name", "specials"]),
    ("encoder mask shape", lambda: seq2seq.Encoder(CFG)(ids, torch.ones(1, 3, dtype=torch.bool)),
     ValueError, ["mask"]),
    ("encoder mask dtype", lambda: seq2seq.Encoder(CFG)(ids, torch.ones(1, 4)), ValueError, ["mask", "boolean"]),
    ("encoder mask empty row", lambda: seq2seq.Encoder(CFG)(ids, torch.zeros(1, 4, dtype=torch.bool)),
     ValueError, ["mask", "real token"]),
    ("encoder idx range", lambda: seq2seq.Encoder(CFG)(torch.full((1, 4), 11)), ValueError, ["idx", "vocab_size"]),
    ("classifier n_classes", lambda: seq2seq.Classifier(CFG, 1), ValueError, ["n_classes"]),
    ("classifier pooling", lambda: seq2seq.Classifier(CFG, 2, pooling="max"), ValueError, ["pooling"]),
    ("classifier targets", lambda: seq2seq.Classifier(CFG, 2)(ids, targets=torch.tensor([2])), ValueError,
     ["targets"]),
    ("classifier targets shape", lambda: seq2seq.Classifier(CFG, 2)(ids, targets=torch.zeros(1, 4).long()),
     ValueError, ["targets"]),
    ("seq2seq n_embd", lambda: seq2seq.EncoderDecoder(CFG, model.GPTConfig(n_embd=16, n_head=2)), ValueError,
     ["n_embd"]),
    ("seq2seq targets shape", lambda: seq2seq.EncoderDecoder(CFG, CFG)(ids, ids, targets=ids[:, :2]), ValueError,
     ["targets"]),
    ("seq2seq tgt too long", lambda: seq2seq.EncoderDecoder(CFG, CFG)(ids, torch.zeros(1, 9).long()), ValueError,
     ["block_size"]),
    ("cross memory width", lambda: attention.CrossAttention(8, 2)(x4, torch.randn(2, 3, 4)), ValueError,
     ["memory"]),
    ("cross memory batch", lambda: attention.CrossAttention(8, 2)(x4, torch.randn(1, 3, 8)), ValueError,
     ["batch"]),
]


@pytest.mark.parametrize("label, call, exc, words", CASES, ids=[c[0] for c in CASES])
def test_bad_input_gets_a_clear_error(label, call, exc, words):
    import matplotlib
    matplotlib.use("Agg")
    with pytest.raises(Exception) as info:
        call()
    err = info.value
    assert not isinstance(err, (IndexError, KeyError, AttributeError)), f"{label}: raw {type(err).__name__}: {err}"
    assert isinstance(err, exc), f"{label}: expected {exc}, got {type(err).__name__}: {err}"
    message = str(err)
    for word in words:
        assert word in message, f"{label}: message should name {word!r}: {message}"


def test_the_table_covers_every_public_module():
    """Every module of the public API has rows above (a new module must add its own)."""
    covered = {c[1].__code__.co_names for c in CASES}
    names = set().union(*covered)
    for module in ("attention", "model", "generation", "data", "datasets", "tokenizers", "training", "plot", "ngram",
                   "positional", "widgets"):
        assert module in names, module
