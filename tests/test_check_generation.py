"""The checks of generation's exercises accept the reference and reject typical wrong answers; their
hints are graduated and never give the answer away."""
import torch

from lmkit import check, generation
from lmkit.check.generation import HINTS


def cumsum_including_self(logits, p):  # drops the token that crosses p (and, for small p, the top token)
    sorted_logits, order = torch.sort(logits, dim=-1, descending=True)
    cum = torch.softmax(sorted_logits, dim=-1).cumsum(dim=-1)
    sorted_logits = sorted_logits.masked_fill(cum > p, float("-inf"))
    return torch.full_like(logits, float("-inf")).scatter(-1, order, sorted_logits)


def greedy_reference(m, idx, n):
    return generation.generate(m, idx, n, greedy=True, use_cache=False)


@torch.no_grad()
def greedy_with(model, idx, n, crop=lambda x, T: x[:, -T:], position=-1):
    """Greedy decoding with a chosen crop of the context and a chosen position's logits."""
    for _ in range(n):
        logits, _ = model(crop(idx, model.config.block_size))
        idx = torch.cat([idx, logits[:, position].argmax(-1, keepdim=True)], dim=1)
    return idx


def test_top_k_filter():
    with check.quiet():
        assert check.top_k_filter(generation.top_k_filter)
        assert not check.top_k_filter(lambda logits, k: logits)  # nothing filtered
        assert not check.top_k_filter(lambda logits, k: generation.top_k_filter(logits, k + 1))  # off by one
        assert not check.top_k_filter(lambda logits, k: logits.masked_fill(logits < 0, float("-inf")))


def test_top_p_filter():
    with check.quiet():
        assert check.top_p_filter(generation.top_p_filter)
        assert not check.top_p_filter(lambda logits, p: logits)
        assert not check.top_p_filter(cumsum_including_self)
        assert not check.top_p_filter(lambda logits, p: torch.sort(logits, -1, descending=True).values)


def test_greedy_decode():
    before = torch.random.get_rng_state()
    with check.quiet():
        assert check.greedy_decode(greedy_reference)
        assert check.greedy_decode(greedy_with)
        assert not check.greedy_decode(lambda m, idx, n: generation.generate(m, idx, n))  # sampled
        assert not check.greedy_decode(lambda m, idx, n: torch.cat([idx, idx[:, -1:].repeat(1, n)], 1))
        assert not check.greedy_decode(lambda m, idx, n: greedy_with(m, idx, n, crop=lambda x, T: x[:, :T]))
        assert not check.greedy_decode(lambda m, idx, n: greedy_with(m, idx, n, position=0))
        assert not check.greedy_decode(lambda m, idx, n: idx)
    assert torch.equal(before, torch.random.get_rng_state())  # the reader's random state is untouched


def _first_and_second_failure(capsys, name, right, wrong):
    """Fail a check twice after a pass: the first failure shows hint 1, the second hint 2."""
    fn = getattr(check, name)
    assert fn(right)  # a pass starts the hints again
    capsys.readouterr()
    assert not fn(wrong)
    first = capsys.readouterr().out
    assert not fn(wrong)
    second = capsys.readouterr().out
    return first, second


def test_hints_are_graduated_and_never_give_the_answer(capsys):
    assert set(HINTS) == set(check.generation.__all__)
    for name, hints in HINTS.items():
        assert isinstance(hints, list) and 2 <= len(hints) <= 3, name
        assert len(set(hints)) == len(hints), name
    answers = ["topk(logits", ".values[..., -1:]", "masked_fill(logits <", "cumsum(dim=-1) -",
               "before >= p", "scatter(-1", "idx[:, -block_size:]", "idx[:, -model.config",
               "argmax(dim=-1", "torch.cat([", "logits[:, -1"]
    for name, hints in HINTS.items():
        for hint in hints:
            assert not [a for a in answers if a in hint], (name, hint)

    cases = {"top_k_filter": (generation.top_k_filter, lambda logits, k: logits),
             "top_p_filter": (generation.top_p_filter, lambda logits, p: logits),
             "greedy_decode": (greedy_reference, lambda m, idx, n: idx)}
    for name, (right, wrong) in cases.items():
        first, second = _first_and_second_failure(capsys, name, right, wrong)
        k = len(HINTS[name])
        assert f"Hint 1 of {k}: {HINTS[name][0]}" in first, first
        assert f"Hint 2 of {k}: {HINTS[name][1]}" in second, second
        assert "Hint 2 of" not in first and "more specific hint" in first
