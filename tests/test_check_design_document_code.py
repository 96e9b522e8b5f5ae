"""The checks of design_document_code's exercises accept the reference and reject typical wrong answers;
their hints are graduated and never give the answer away."""
import torch

from lmkit import attention, check
from lmkit.check.design_document_code import HINTS


def sinusoidal(T, d):  # vectorised, unlike the checker's element-by-element reference
    angle = torch.arange(T)[:, None] / 10000 ** (torch.arange(0, d, 2) / d)
    pe = torch.zeros(T, d)
    pe[:, 0::2], pe[:, 1::2] = torch.sin(angle), torch.cos(angle)
    return pe


def test_causal_mask():
    with check.quiet():
        assert check.causal_mask(attention.causal_mask)
        assert check.causal_mask(lambda T: torch.arange(T)[None, :] <= torch.arange(T)[:, None])
        assert not check.causal_mask(lambda T: torch.ones(T, T, dtype=torch.bool))  # no mask
        assert not check.causal_mask(lambda T: ~attention.causal_mask(T))  # PyTorch's convention
        assert not check.causal_mask(lambda T: torch.ones(T, T).tril(-1).bool())  # not itself
        assert not check.causal_mask(lambda T: torch.ones(T, T).triu().bool())  # the future


def test_sinusoidal_encoding():
    with check.quiet():
        assert check.sinusoidal_encoding(sinusoidal)
        assert not check.sinusoidal_encoding(lambda T, d: sinusoidal(T, d).flip(1))  # columns reversed
        assert not check.sinusoidal_encoding(lambda T, d: sinusoidal(T, d)[:, torch.arange(d) ^ 1])  # sin/cos swapped

        def per_column(T, d):  # exponent j/d for every column j, not 2i/d for both columns of a pair
            j = torch.arange(d)
            angle = torch.arange(T)[:, None] / 10000 ** (j / d)
            return torch.where(j % 2 == 0, torch.sin(angle), torch.cos(angle))
        assert not check.sinusoidal_encoding(per_column)


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
    assert set(HINTS) == set(check.design_document_code.__all__)
    for name, hints in HINTS.items():
        assert isinstance(hints, list) and 2 <= len(hints) <= 3, name
        assert len(set(hints)) == len(hints), name
    answers = ["torch.tril(", ".tril(", "torch.ones(T, T", "dtype=torch.bool)", "arange(T)[:, None] <=",
               "torch.sin(", "torch.cos(", "10000 **", "0::2", "1::2", "pe[:,"]
    for name, hints in HINTS.items():
        for hint in hints:
            assert not [a for a in answers if a in hint], (name, hint)

    cases = {"causal_mask": (attention.causal_mask, lambda T: torch.ones(T, T, dtype=torch.bool)),
             "sinusoidal_encoding": (sinusoidal, lambda T, d: torch.zeros(T, d))}
    for name, (right, wrong) in cases.items():
        first, second = _first_and_second_failure(capsys, name, right, wrong)
        k = len(HINTS[name])
        assert f"Hint 1 of {k}: {HINTS[name][0]}" in first, first
        assert f"Hint 2 of {k}: {HINTS[name][1]}" in second, second
        assert "Hint 2 of" not in first and "more specific hint" in first
