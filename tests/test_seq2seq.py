"""Encoders, padding masks, cross-attention and encoder-decoders (lmkit.seq2seq), tested against
PyTorch's own Transformer layers and against the properties that define them."""
from __future__ import annotations

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import lmkit
from lmkit.attention import CrossAttention
from lmkit.data import pad_batch
from lmkit.seq2seq import Classifier, Encoder, EncoderDecoder

CFG = lmkit.GPTConfig(vocab_size=23, block_size=16, n_layer=2, n_head=4, n_embd=32)
TGT = lmkit.GPTConfig(vocab_size=31, block_size=12, n_layer=2, n_head=4, n_embd=32)
SEQS = [[1, 2, 3, 4, 5, 6], [7, 8], [9, 10, 11, 12]]


def _model(cls, *args, **kwargs):
    torch.manual_seed(0)
    return cls(*args, **kwargs).eval()


@pytest.mark.parametrize("config", [CFG, lmkit.GPTConfig(**{**CFG.__dict__, **lmkit.model.LLAMA, "n_kv_head": 2})])
@pytest.mark.parametrize("formula", [False, True])
def test_padding_does_not_change_the_real_positions(config, formula):
    enc = _model(Encoder, config)
    ids, mask = pad_batch(SEQS, pad_id=0)
    with torch.no_grad():
        if formula:
            with lmkit.capture_attention(enc) as weights:
                h = enc(ids, mask)
            assert all(float(w[~mask[:, None, None, :].expand_as(w)].abs().max()) == 0 for w in weights)
        else:
            h = enc(ids, mask)
        for b, s in enumerate(SEQS):
            alone = enc(torch.tensor([s]))[0]
            torch.testing.assert_close(h[b, : len(s)], alone, atol=1e-5, rtol=0)


def test_without_the_mask_padding_leaks_in():
    enc = _model(Encoder, CFG)
    ids, _ = pad_batch(SEQS, pad_id=0)
    with torch.no_grad():
        assert (enc(ids)[1, :2] - enc(torch.tensor([SEQS[1]]))[0]).abs().max() > 1e-3


def test_encoder_is_bidirectional_and_gpt_is_not():
    enc, gpt = _model(Encoder, CFG), _model(lmkit.GPT, CFG)
    a = torch.tensor([[1, 2, 3, 4]])
    b = torch.tensor([[1, 2, 3, 5]])  # only the last token differs
    with torch.no_grad():
        assert (enc(a)[0, 0] - enc(b)[0, 0]).abs().max() > 1e-4  # the first position sees the last
        torch.testing.assert_close(gpt(a)[0][0, :3], gpt(b)[0][0, :3])  # a decoder's past does not


def test_encoder_block_equals_pytorchs_transformer_encoder_layer():
    enc = _model(Encoder, CFG)
    blk = enc.transformer.h[0]
    ref = nn.TransformerEncoderLayer(CFG.n_embd, CFG.n_head, dim_feedforward=4 * CFG.n_embd, dropout=0.0,
                                     activation=lambda x: F.gelu(x, approximate="tanh"), batch_first=True,
                                     norm_first=True, layer_norm_eps=1e-5).eval()
    with torch.no_grad():
        ref.self_attn.in_proj_weight.copy_(blk.attn.c_attn.weight)  # rows: q, k, v, as in c_attn
        ref.self_attn.in_proj_bias.copy_(blk.attn.c_attn.bias)
        ref.self_attn.out_proj.weight.copy_(blk.attn.c_proj.weight)
        ref.self_attn.out_proj.bias.copy_(blk.attn.c_proj.bias)
        for mine, theirs in [(blk.mlp.c_fc, ref.linear1), (blk.mlp.c_proj, ref.linear2),
                             (blk.ln_1, ref.norm1), (blk.ln_2, ref.norm2)]:
            theirs.weight.copy_(mine.weight)
            theirs.bias.copy_(mine.bias)
        x = torch.randn(3, 6, CFG.n_embd)
        _, mask = pad_batch(SEQS, pad_id=0)
        want = ref(x, src_key_padding_mask=~mask)
        got = blk(x, mask=mask)
    torch.testing.assert_close(got[mask], want[mask], atol=1e-5, rtol=1e-5)


def test_cross_attention_equals_pytorchs_multihead_attention():
    torch.manual_seed(0)
    cross = CrossAttention(32, 4).eval()
    ref = nn.MultiheadAttention(32, 4, batch_first=True).eval()
    with torch.no_grad():
        ref.in_proj_weight.copy_(torch.cat([cross.c_q.weight, cross.c_kv.weight]))  # q, then k and v
        ref.in_proj_bias.copy_(torch.cat([cross.c_q.bias, cross.c_kv.bias]))
        ref.out_proj.weight.copy_(cross.c_proj.weight)
        ref.out_proj.bias.copy_(cross.c_proj.bias)
        x, memory = torch.randn(3, 5, 32), torch.randn(3, 6, 32)
        _, mask = pad_batch(SEQS, pad_id=0)
        want, want_w = ref(x, memory, memory, key_padding_mask=~mask, average_attn_weights=False)
        torch.testing.assert_close(cross(x, memory, mask), want, atol=1e-5, rtol=1e-5)
        with lmkit.capture_attention([cross]) as weights:
            cross(x, memory, mask)
    torch.testing.assert_close(weights[0], want_w, atol=1e-6, rtol=1e-5)


@pytest.mark.parametrize("pooling", ["mean", "first"])
def test_classifier_pools_only_real_tokens(pooling):
    clf = _model(Classifier, CFG, 3, pooling=pooling)
    ids, mask = pad_batch(SEQS, pad_id=0)
    longer, longer_mask = pad_batch(SEQS + [[1] * 10], pad_id=0)  # more padding for the first three
    with torch.no_grad():
        logits, _ = clf(ids, mask)
        torch.testing.assert_close(clf(longer, longer_mask)[0][:3], logits, atol=1e-5, rtol=0)
        for b, s in enumerate(SEQS):
            torch.testing.assert_close(clf(torch.tensor([s]))[0][0], logits[b], atol=1e-5, rtol=0)
    y = torch.tensor([0, 2, 1])
    _, loss = clf(ids, mask, y)
    torch.testing.assert_close(loss, F.cross_entropy(logits, y))


def test_classifier_learns_a_toy_task():
    torch.manual_seed(0)
    clf = Classifier(lmkit.GPTConfig(vocab_size=8, block_size=8, n_layer=1, n_head=2, n_embd=16), 2)
    opt = torch.optim.AdamW(clf.parameters(), lr=1e-2)
    seqs = [[int(t) for t in torch.randint(2, 8, (int(torch.randint(1, 7, ())),))] for _ in range(64)]
    y = torch.tensor([int(5 in s) for s in seqs])  # is token 5 anywhere in the sentence?
    ids, mask = pad_batch(seqs, pad_id=0)
    for _ in range(150):
        _, loss = clf(ids, mask, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.1


def _seq2seq():
    m = _model(EncoderDecoder, CFG, TGT)
    src, src_mask = pad_batch(SEQS, pad_id=0)
    tgt = torch.randint(0, TGT.vocab_size, (3, 7), generator=torch.Generator().manual_seed(1))
    return m, src, src_mask, tgt


def test_decoder_is_causal_and_ignores_source_padding():
    m, src, src_mask, tgt = _seq2seq()
    with torch.no_grad():
        logits, _ = m(src, tgt, src_mask)
        later = tgt.clone()
        later[:, 4:] = (later[:, 4:] + 1) % TGT.vocab_size
        torch.testing.assert_close(m(src, later, src_mask)[0][:, :4], logits[:, :4])
        noisy = src.clone()
        noisy[~src_mask] = 5  # other tokens where the padding is
        torch.testing.assert_close(m(noisy, tgt, src_mask)[0], logits, atol=1e-6, rtol=0)
        other = src.clone()
        other[0, 0] = 3  # a real source token changes: the translation depends on it
        assert (m(other, tgt, src_mask)[0][0] - logits[0]).abs().max() > 1e-4


def test_cached_decoding_equals_the_full_pass():
    m, src, src_mask, tgt = _seq2seq()
    with torch.no_grad():
        full, _ = m(src, tgt, src_mask)
        memory, cache = m.encode(src, src_mask), m.new_cache()
        steps = [m.decode(tgt[:, t : t + 1], memory, src_mask, kv_cache=cache) for t in range(tgt.shape[1])]
    torch.testing.assert_close(torch.cat(steps, dim=1), full, atol=1e-5, rtol=0)


def test_loss_ignores_padded_targets_and_output_is_tied():
    m, src, src_mask, tgt = _seq2seq()
    targets = tgt.clone()
    targets[1, 3:] = -1
    logits, loss = m(src, tgt, src_mask, targets)
    keep = targets != -1
    torch.testing.assert_close(loss, F.cross_entropy(logits[keep], targets[keep]))
    assert m.decoder.lm_head.weight is m.decoder.transformer.wte.weight
    loss.backward()
    assert all(p.grad is not None for p in m.parameters())


def test_encoder_decoder_learns_to_copy():
    torch.manual_seed(0)
    small = lmkit.GPTConfig(vocab_size=8, block_size=8, n_layer=1, n_head=2, n_embd=32)
    m = EncoderDecoder(small, small)
    opt = torch.optim.AdamW(m.parameters(), lr=3e-3)
    for _ in range(300):
        src = torch.randint(2, 8, (32, 5))
        tgt_in = torch.cat([torch.ones(32, 1, dtype=torch.long), src[:, :-1]], dim=1)  # 1 = start token
        _, loss = m(src, tgt_in, targets=src)
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert loss.item() < 0.05
