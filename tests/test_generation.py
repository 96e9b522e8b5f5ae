"""lmkit.generate: sampling filters against hand-computed cases, cached and uncached decoding agree."""
import pytest
import torch

from lmkit.generation import generate, sample_next, top_k_filter, top_p_filter
from lmkit.model import GPT, GPTConfig

INF = float("-inf")


def tiny(seed=0, block_size=8):
    torch.manual_seed(seed)
    return GPT(GPTConfig(vocab_size=13, block_size=block_size, n_layer=2, n_head=2, n_embd=16)).eval()


def test_top_k_keeps_the_k_largest():
    logits = torch.tensor([1.0, 3.0, 2.0, 0.0])
    assert top_k_filter(logits, 2).tolist() == [INF, 3.0, 2.0, INF]
    assert top_k_filter(logits, 10).tolist() == logits.tolist()


def test_top_p_keeps_the_smallest_nucleus():
    probs = torch.tensor([0.5, 0.2, 0.15, 0.1, 0.05])
    logits = probs.log()
    kept = lambda p: (top_p_filter(logits, p) > INF).tolist()  # noqa: E731
    assert kept(0.5) == [True, False, False, False, False]  # 0.5 alone reaches 0.5
    assert kept(0.6) == [True, True, False, False, False]
    assert kept(0.86) == [True, True, True, True, False]
    assert kept(1.0) == [True] * 5
    assert kept(0.01) == [True, False, False, False, False]  # the top token always stays


def test_sampling_follows_the_distribution():
    logits = torch.log(torch.tensor([[0.7, 0.2, 0.1]])).repeat(20000, 1)
    ids = sample_next(logits, generator=torch.Generator().manual_seed(0)).flatten()
    freq = torch.bincount(ids, minlength=3).float() / len(ids)
    assert torch.allclose(freq, torch.tensor([0.7, 0.2, 0.1]), atol=0.015)
    # temperature → 0 approaches greedy; top_k=1 is greedy
    assert torch.all(sample_next(logits[:50], top_k=1) == 0)
    assert torch.all(sample_next(logits[:5], greedy=True) == 0)


@pytest.mark.parametrize("prompt_len,n", [(3, 4), (3, 20), (10, 5)])  # inside, across and beyond the context
def test_greedy_with_and_without_cache_agree(prompt_len, n):
    m = tiny()
    idx = torch.randint(0, 13, (2, prompt_len), generator=torch.Generator().manual_seed(1))
    a = generate(m, idx, n, greedy=True, use_cache=False)
    b = generate(m, idx, n, greedy=True, use_cache=True)
    assert a.shape == (2, prompt_len + n)
    assert torch.equal(a, b)
    assert torch.equal(a[:, :prompt_len], idx)


def test_sampling_with_and_without_cache_agree_given_the_same_generator():
    m = tiny()
    idx = torch.zeros(1, 1, dtype=torch.long)
    a = generate(m, idx, 15, top_k=5, use_cache=False, generator=torch.Generator().manual_seed(3))
    b = generate(m, idx, 15, top_k=5, use_cache=True, generator=torch.Generator().manual_seed(3))
    assert torch.equal(a, b)


def test_bad_input():
    m = tiny()
    with pytest.raises(ValueError, match="temperature must be a number > 0"):
        sample_next(torch.zeros(1, 3), temperature=0)
    with pytest.raises(ValueError, match="k must be a positive integer"):
        top_k_filter(torch.zeros(3), 0)
    with pytest.raises(ValueError, match=r"p must be a number in \(0, 1\]"):
        top_p_filter(torch.zeros(3), 1.5)
    with pytest.raises(ValueError, match="NaN"):
        sample_next(torch.tensor([[float("nan"), 0.0]]))
    with pytest.raises(ValueError, match="max_new_tokens"):
        generate(m, torch.zeros(1, 1, dtype=torch.long), -1)
    with pytest.raises(ValueError, match=r"\(B, T\) tensor"):
        generate(m, torch.zeros(3, dtype=torch.long), 2)


ACCELERATOR = ("cuda" if torch.cuda.is_available()
               else "mps" if torch.backends.mps.is_available() else None)


@pytest.mark.skipif(ACCELERATOR is None, reason="needs a GPU (CUDA or Apple's MPS)")
def test_a_cpu_prompt_and_generator_work_with_a_model_on_the_gpu():
    """The chapters train on lmkit.pick_device() and sample with CPU prompts and CPU generators."""
    model, prompt = tiny(), torch.tensor([[1, 2, 3]])
    on_cpu = generate(model, prompt, 6, greedy=True)
    model_gpu = tiny().to(ACCELERATOR)
    on_gpu = generate(model_gpu, prompt, 6, greedy=True)
    assert on_gpu.device.type == ACCELERATOR and on_gpu.cpu().tolist() == on_cpu.tolist()
    a = generate(model_gpu, prompt, 6, temperature=0.8, generator=torch.Generator().manual_seed(1))
    b = generate(model_gpu, prompt, 6, temperature=0.8, generator=torch.Generator().manual_seed(1))
    assert a.shape == (1, 9) and a.tolist() == b.tolist()
