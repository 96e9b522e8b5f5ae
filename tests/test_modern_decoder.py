"""The switches that turn lmkit's GPT-2 into a Llama-style decoder: RMSNorm, SwiGLU, RoPE, grouped-query
attention, no biases. Each is tested against its formula or a reference, and the whole configuration against
Hugging Face's LlamaForCausalLM with the same weights (offline, a small random config)."""
from __future__ import annotations

import math

import pytest
import torch
import torch.nn.functional as F

import lmkit
from lmkit.model import GPT, LLAMA, GPTConfig, RMSNorm, SwiGLU
from lmkit.positional import Rotary, apply_rope, rope_cos_sin, rotate_half

SMALL = dict(vocab_size=37, block_size=16, n_layer=2, n_head=4, n_embd=32)


def test_rmsnorm_is_the_formula():
    torch.manual_seed(0)
    x = torch.randn(2, 5, 32)
    norm = RMSNorm(32)
    with torch.no_grad():
        norm.weight.uniform_(0.5, 1.5)
    want = x / torch.sqrt((x ** 2).mean(-1, keepdim=True) + 1e-5) * norm.weight
    assert torch.allclose(norm(x), want, atol=1e-6)
    if hasattr(torch.nn, "RMSNorm"):  # PyTorch >= 2.4
        ref = torch.nn.RMSNorm(32, eps=1e-5)
        ref.weight.data.copy_(norm.weight.data)
        assert torch.allclose(norm(x), ref(x), atol=1e-6)


def test_swiglu_is_the_formula_and_keeps_the_parameter_count():
    torch.manual_seed(0)
    cfg = GPTConfig(**SMALL, mlp="swiglu", bias=False)
    mlp = SwiGLU(cfg)
    x = torch.randn(3, 32)
    want = (F.silu(x @ mlp.c_gate.weight.T) * (x @ mlp.c_fc.weight.T)) @ mlp.c_proj.weight.T
    assert torch.allclose(mlp(x), want, atol=1e-6)
    for C in (32, 128, 768, 4096):
        gelu = 2 * C * 4 * C
        swiglu = 3 * C * GPTConfig(n_embd=C, n_head=1, mlp="swiglu").hidden
        assert abs(swiglu / gelu - 1) < 0.06, (C, swiglu / gelu)  # the 8/3 rule: about the same size


def test_rope_rotates_pairs_and_scores_depend_only_on_the_offset():
    D = 8
    cos, sin = rope_cos_sin(20, D)
    assert cos.shape == (20, D) and torch.equal(cos[0], torch.ones(D)) and torch.equal(sin[0], torch.zeros(D))
    x = torch.randn(D)
    assert torch.allclose(apply_rope(x, cos[7], sin[7]).norm(), x.norm(), atol=1e-5)  # a rotation keeps lengths
    assert torch.equal(rotate_half(rotate_half(x)), -x)  # a quarter turn twice is a half turn
    q, k = torch.randn(D, dtype=torch.float64), torch.randn(D, dtype=torch.float64)
    rot = Rotary(D, 64).double()

    def score(m, n):
        return float(rot(q[None, None, None], m)[0, 0, 0] @ rot(k[None, None, None], n)[0, 0, 0])

    for m, n, s in [(5, 2, 10), (0, 3, 40), (9, 9, 17)]:
        assert math.isclose(score(m, n), score(m + s, n + s), abs_tol=1e-6)  # angles kept in float32


def test_grouped_query_attention_equals_multi_head_when_every_query_has_its_head():
    torch.manual_seed(0)
    full = GPT(GPTConfig(**SMALL)).eval()
    gqa = GPT(GPTConfig(**SMALL, n_kv_head=4)).eval()
    gqa.load_state_dict(full.state_dict())
    idx = torch.randint(0, 37, (2, 10))
    assert torch.equal(full(idx)[0], gqa(idx)[0])
    shared = GPT(GPTConfig(**SMALL, n_kv_head=2))
    assert shared.transformer.h[0].attn.c_attn.weight.shape == (32 + 2 * 2 * 8, 32)  # q: 4 heads, k, v: 2 each


@pytest.mark.parametrize("n_kv_head, stored", [(None, 4), (2, 2), (1, 1)])
def test_the_cache_stores_only_the_shared_heads(n_kv_head, stored):
    model = GPT(GPTConfig(**SMALL, **LLAMA, n_kv_head=n_kv_head)).eval()
    cache = model.new_cache()
    model(torch.zeros(1, 6, dtype=torch.long), kv_cache=cache)
    assert cache.keys[0].shape == (1, stored, 6, 8) and cache.values[1].shape == (1, stored, 6, 8)


SWITCHES = [dict(), dict(norm="rmsnorm"), dict(mlp="swiglu"), dict(pos="rope"), dict(n_kv_head=2),
            dict(n_kv_head=1), dict(bias=False), dict(LLAMA, n_kv_head=2), dict(LLAMA, tie_weights=False)]


@pytest.mark.parametrize("switches", SWITCHES, ids=[str(s) for s in SWITCHES])
def test_every_switch_generates_the_same_tokens_with_and_without_the_cache(switches):
    torch.manual_seed(0)
    model = GPT(GPTConfig(**SMALL, **switches)).eval()
    prompt = torch.randint(0, 37, (2, 5))
    n = 30  # past the context edge (block_size 16): the window slides and the cache is rebuilt
    cached = lmkit.generate(model, prompt, n, greedy=True)
    assert torch.equal(cached, lmkit.generate(model, prompt, n, greedy=True, use_cache=False))
    logits, loss = model(prompt, prompt)
    assert logits.shape == (2, 5, 37) and torch.isfinite(loss)


@pytest.mark.parametrize("switches", SWITCHES[1:], ids=[str(s) for s in SWITCHES[1:]])
def test_every_switch_trains_and_round_trips(switches, tmp_path):
    torch.manual_seed(0)
    model = GPT(GPTConfig(**SMALL, **switches))
    data = torch.arange(400) % 37
    hist = lmkit.train(model, data, config=lmkit.TrainConfig(max_iters=30, warmup_iters=3, lr=1e-2,
                                                             eval_interval=0, batch_size=4), progress=False)
    assert hist.step_loss[-1] < hist.step_loss[0]
    model.save(tmp_path / "m.pt")
    again = GPT.load(tmp_path / "m.pt")
    idx = torch.randint(0, 37, (1, 8))
    assert torch.equal(model.eval()(idx)[0], again.eval()(idx)[0])


def _hf_llama(n_kv_head: int, tie: bool):
    transformers = pytest.importorskip("transformers")
    torch.manual_seed(0)
    cfg = transformers.LlamaConfig(
        vocab_size=53, hidden_size=64, intermediate_size=176, num_hidden_layers=2, num_attention_heads=4,
        num_key_value_heads=n_kv_head, max_position_embeddings=48, rms_norm_eps=1e-5, attention_bias=False,
        mlp_bias=False, tie_word_embeddings=tie, hidden_act="silu",
        rope_parameters={"rope_type": "default", "rope_theta": 10000.0})
    return transformers.LlamaForCausalLM(cfg).eval()


@pytest.mark.parametrize("n_kv_head, tie", [(4, True), (2, True), (1, False)])
def test_llama_configuration_equals_hugging_face(n_kv_head, tie):
    hf = _hf_llama(n_kv_head, tie)
    ours = GPT.from_hf_llama(hf).eval()
    assert (ours.config.norm, ours.config.mlp, ours.config.pos, ours.config.bias) == ("rmsnorm", "swiglu", "rope",
                                                                                      False)
    assert ours.num_params() == sum(p.numel() for p in hf.parameters())
    idx = torch.randint(0, 53, (2, 40), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want = hf(idx).logits
    assert (ours(idx)[0] - want).abs().max().item() < 1e-5
    prompt = idx[:1, :8]
    theirs = hf.generate(prompt, max_new_tokens=30, min_new_tokens=30, do_sample=False)  # with HF's cache
    assert torch.equal(lmkit.generate(ours, prompt, 30, greedy=True), theirs)


def test_bad_switches_are_clear_errors():
    with pytest.raises(ValueError, match="norm must be one of"):
        GPTConfig(norm="batchnorm")
    with pytest.raises(ValueError, match="n_kv_head"):
        GPTConfig(n_head=4, n_kv_head=3)
    with pytest.raises(ValueError, match="head size"):
        GPTConfig(n_embd=12, n_head=4, pos="rope")  # head size 3 is odd: RoPE rotates pairs
    with pytest.raises(ValueError, match="Llama model"):
        GPT.from_hf_llama(torch.nn.Linear(2, 2))
