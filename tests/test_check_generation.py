"""The checks of generation's exercises accept the reference and reject typical wrong answers."""

from lmkit import check
from lmkit import generation

def test_filters_and_greedy_decoding():
    assert check.top_k_filter(generation.top_k_filter)
    assert check.top_p_filter(generation.top_p_filter)
    assert not check.top_p_filter(lambda logits, p: logits)
    assert check.greedy_decode(lambda m, idx, n: generation.generate(m, idx, n, greedy=True, use_cache=False))
