"""lmkit.model: the GPT against Hugging Face's GPT2LMHeadModel, the KV cache, counts and errors."""
import pytest
import torch

from lmkit.check.gpt_from_scratch import _count_formula
from lmkit.model import GPT, GPTConfig

transformers = pytest.importorskip("transformers")


def small_hf(seed=0):
    torch.manual_seed(seed)
    cfg = transformers.GPT2Config(vocab_size=97, n_positions=32, n_embd=48, n_layer=3, n_head=4,
                                  resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    hf = transformers.GPT2LMHeadModel(cfg).eval()
    with torch.no_grad():  # make every parameter non-trivial (HF zeroes biases, sets LN to 1/0)
        for p in hf.parameters():
            p.add_(0.05 * torch.randn_like(p))
    return hf


def test_same_logits_as_hugging_face_gpt2():
    hf = small_hf()
    ours = GPT.from_hf_gpt2(hf).eval()
    idx = torch.randint(0, 97, (2, 32), generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        want = hf(idx).logits
        got, _ = ours(idx)
    assert (got - want).abs().max().item() < 1e-5
    # and the loss: HF shifts the labels itself
    with torch.no_grad():
        hf_loss = hf(idx, labels=idx).loss
        _, our_loss = ours(idx[:, :-1], idx[:, 1:])
    assert abs(hf_loss.item() - our_loss.item()) < 1e-5


def test_parameter_count_matches_formula_and_hugging_face():
    hf = small_hf()
    ours = GPT.from_hf_gpt2(hf)
    assert ours.num_params() == sum(p.numel() for p in hf.parameters())  # HF ties the head too
    for cfg in [GPTConfig(), GPTConfig(vocab_size=50257, block_size=1024, n_layer=12, n_head=12, n_embd=768)]:
        assert GPT(cfg).num_params() == _count_formula(cfg)
    assert GPT(GPTConfig(vocab_size=50257, block_size=1024, n_layer=12, n_head=12, n_embd=768)).num_params() \
        == 124_439_808  # GPT-2 small, as published counts it
    m = GPT(GPTConfig())
    assert m.num_params(non_embedding=True) == m.num_params() - (65 + 64) * 128


def test_weight_tying():
    m = GPT(GPTConfig())
    assert m.lm_head.weight is m.transformer.wte.weight


def test_kv_cache_gives_the_same_logits():
    torch.manual_seed(0)
    m = GPT(GPTConfig(vocab_size=20, block_size=16, n_layer=2, n_head=2, n_embd=16)).eval()
    idx = torch.randint(0, 20, (3, 10))
    with torch.no_grad():
        full, _ = m(idx)
        cache = m.new_cache()
        steps = [m(idx[:, :5], kv_cache=cache)[0]] + [m(idx[:, t:t + 1], kv_cache=cache)[0] for t in range(5, 10)]
    assert torch.allclose(torch.cat(steps, 1), full, atol=1e-5)


def test_save_and_load_round_trip(tmp_path):
    m = GPT(GPTConfig(vocab_size=30, block_size=8, n_layer=1, n_head=2, n_embd=8))
    m.save(tmp_path / "m.pt")
    m2 = GPT.load(tmp_path / "m.pt")
    assert m2.config == m.config
    for (n1, p1), (n2, p2) in zip(m.state_dict().items(), m2.state_dict().items()):
        assert n1 == n2 and torch.equal(p1, p2)
    (tmp_path / "junk.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(ValueError, match="not a checkpoint"):
        GPT.load(tmp_path / "junk.pt")


@pytest.mark.parametrize("idx,match", [
    (torch.zeros(1, 9, dtype=torch.long), "exceeds the context block_size=8"),
    (torch.zeros(1, 3), "integer token ids"),
    (torch.zeros(3, dtype=torch.long), r"a \(B, T\) tensor .* use ids\[None\]"),
    (torch.zeros(1, 0, dtype=torch.long), "empty"),
    (torch.tensor([[1, 30]]), "token id 30, out of range"),
    (torch.tensor([[-1, 3]]), "token id -1"),
    ([[1, 2]], "must be a .* tensor of token ids, got list"),
])
def test_bad_input_is_a_clear_error(idx, match):
    m = GPT(GPTConfig(vocab_size=30, block_size=8, n_layer=1, n_head=2, n_embd=8))
    with pytest.raises(ValueError, match=match):
        m(idx)


def test_bad_config_and_targets():
    with pytest.raises(ValueError, match="divisible"):
        GPTConfig(n_embd=10, n_head=3)
    with pytest.raises(ValueError, match="vocab_size must be a positive integer"):
        GPTConfig(vocab_size=0)
    m = GPT(GPTConfig(vocab_size=30, block_size=8, n_layer=1, n_head=2, n_embd=8))
    with pytest.raises(ValueError, match="targets must be a tensor of shape"):
        m(torch.zeros(1, 4, dtype=torch.long), torch.zeros(1, 3, dtype=torch.long))
