"""Every exercise check in lmkit.check behaves like an autograder: it never raises, whatever the student hands in.

Chapter-specific tests (tests/test_check_<chapter>.py) check that right answers pass and typical
wrong ones fail; this file checks, for every check at once, the answers that are not answers yet.
"""
from __future__ import annotations

import pytest

from lmkit import check


def _stub(*args, **kwargs):
    raise NotImplementedError


def _broken(*args, **kwargs):
    return 1 / 0


def _returns_none(*args, **kwargs):
    return None


@pytest.mark.parametrize("name", check.CHECKS)
def test_check_never_raises_and_says_why(name, capsys):
    fn = getattr(check, name)
    for answer, why in [(_stub, "not implemented yet"), (_broken, "ZeroDivisionError"),
                        (_returns_none, "❌"), ("not a function", "expected a function")]:
        assert not fn(answer), f"{name} accepted {answer!r}"
        out = capsys.readouterr().out
        assert why in out and "✅" not in out, f"{name}({answer!r}) printed {out!r}"


def test_a_verdict_shows_nothing_in_a_notebook():
    """The last line of an exercise cell is a check: Jupyter must not print True or False after its verdict."""
    verdict = check.make_xy(_stub)
    assert not verdict and repr(verdict) == "failed"
    assert verdict._ipython_display_() is None
    from IPython.core.formatters import DisplayFormatter
    assert DisplayFormatter().format(verdict) == ({}, {})


@pytest.mark.parametrize("name", check.CHECKS)
def test_hints_are_graduated(name, capsys):
    """The first failure shows the first of two or more hints, the next failure the next one; a quiet run
    prints nothing and does not move the hints on."""
    fn = getattr(check, name)
    assert not fn(_stub)
    first = capsys.readouterr().out
    assert "Hint 1 of " in first, first
    total = int(first.split("Hint 1 of ")[1].split(":")[0])
    assert total >= 2, f"{name} has a single hint"
    with check.quiet():
        assert not fn(_stub)
    assert capsys.readouterr().out == ""
    assert not fn(_stub)
    assert "Hint 2 of " in capsys.readouterr().out
