"""lmkit.check.positional_encoding: right answers pass, typical wrong ones fail, and a check never raises."""
import math

import torch

from lmkit import check


def test_add_positions(capsys):
    def right(idx, wte, wpe):
        return wte[idx] + wpe[: idx.shape[1]]

    assert check.add_positions(right)
    assert check.add_positions(lambda idx, wte, wpe: torch.nn.functional.embedding(idx, wte)
                               + torch.nn.functional.embedding(torch.arange(idx.shape[1]), wpe))
    assert not check.add_positions(lambda idx, wte, wpe: wte[idx])  # forgot the positions
    assert not check.add_positions(lambda idx, wte, wpe: wte[idx] + wpe[idx])  # positions looked up by token id
    assert not check.add_positions(lambda idx, wte, wpe: wte[idx] + wpe)  # whole table: shape error, reported
    assert not check.add_positions(lambda idx, wte, wpe: None)
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "Hint" in out and "returned None" in out


def test_pair_wavelength(capsys):
    assert check.pair_wavelength(lambda i, C, base: 2 * math.pi * base ** (2 * i / C))
    assert check.pair_wavelength(lambda i, C, base: torch.tensor(2 * math.pi * base ** (2 * i / C)))
    assert not check.pair_wavelength(lambda i, C, base: 2 * math.pi * base ** (i / C))  # forgot the 2
    assert not check.pair_wavelength(lambda i, C, base: base ** (2 * i / C))  # a period in radians, not positions
    assert not check.pair_wavelength(lambda i, C, base: 1 / base ** (2 * i / C))  # the frequency

    def stub(i, C, base):
        raise NotImplementedError

    assert not check.pair_wavelength(stub)
    assert "not implemented yet" in capsys.readouterr().out


def test_permutation_test(capsys):
    def right(f, x):
        for s in range(3):
            perm = torch.randperm(x.shape[1], generator=torch.Generator().manual_seed(s))
            if not torch.allclose(f(x[:, perm]), f(x)[:, perm], atol=1e-6):
                return False
        return True

    assert check.permutation_test(right)
    # invariance instead of equivariance: wrong for attention
    assert not check.permutation_test(lambda f, x: torch.allclose(f(x[:, torch.randperm(x.shape[1])]), f(x)))

    # permuting the output the wrong way (the inverse permutation) is caught too
    def inverse(f, x):
        perm = torch.tensor([1, 2, 3, 4, 5, 6, 0])
        return torch.allclose(f(x[:, perm]), f(x)[:, torch.argsort(perm)], atol=1e-6)

    assert not check.permutation_test(inverse)
    assert not check.permutation_test(lambda f, x: True)
    assert not check.permutation_test(lambda f, x: "yes")
    assert not check.permutation_test(lambda f, x: f(x)[0, 0, 0] + 1 / 0)  # raises: reported, not raised
    out = capsys.readouterr().out
    assert "✅" in out and "❌" in out and "Hint" in out and "ZeroDivisionError" in out
    assert {"add_positions", "pair_wavelength", "permutation_test"} <= set(check.__all__)


def test_hints_are_graduated_and_give_no_code(hints_give_no_code, capsys):
    from lmkit.check import positional_encoding as module

    solution_code = ["wpe[:", "wpe[torch.arange", "wte[idx]", "2 * math.pi", "2π·base", "f(x)[:, perm]",
                     "x[:, perm]", "**"]
    hints_give_no_code(module, solution_code)
