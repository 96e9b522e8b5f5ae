"""The checks of gpt_from_scratch's exercises accept the reference and reject typical wrong answers."""
import torch

from lmkit import check
from lmkit import attention
from lmkit.model import GPT

def test_attention_and_parameter_count():
    assert check.attention(lambda q, k, v, causal: attention.scaled_dot_product_attention(q, k, v, causal=causal)[0])
    assert not check.attention(lambda q, k, v, causal: torch.softmax(q @ k.transpose(-2, -1), -1) @ v)
    assert check.gpt_param_count(lambda c: GPT(c).num_params())
    assert not check.gpt_param_count(lambda c: GPT(c).num_params() + c.vocab_size * c.n_embd)  # untied
