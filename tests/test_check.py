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
        assert fn(answer) is False, f"{name} accepted {answer!r}"
        out = capsys.readouterr().out
        assert why in out and "✅" not in out, f"{name}({answer!r}) printed {out!r}"
