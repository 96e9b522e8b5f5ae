"""Count, per lmkit module, the lines of code and how many of them only check input.

    python bench/code_lines.py            # a table: module, code lines, check lines, share

Code lines are the lines of statements (docstrings, comments and blank lines left out). A statement
counts as checking input when it is a ``raise``, an ``assert``, a call of a ``_check*``/``_validate*``
helper, the body of such a helper, an ``except`` clause that raises, or an ``if``/``for`` whose body does
nothing but check. This is how issue "lmkit reads like its anchors" measured the clutter.
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _is_check_name(name: str) -> bool:
    return name.lstrip("_").startswith(("check", "validate", "require"))


def _is_check(node: ast.stmt) -> bool:
    if isinstance(node, (ast.Raise, ast.Assert)):
        return True
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Call):
        f = node.value.func
        name = f.id if isinstance(f, ast.Name) else f.attr if isinstance(f, ast.Attribute) else ""
        return _is_check_name(name) or (isinstance(f, ast.Attribute) and isinstance(f.value, ast.Name)
                                        and f.value.id == "_v")
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        return _is_check_name(node.name)
    if isinstance(node, (ast.If, ast.For)):
        return all(map(_is_check, node.body)) and all(map(_is_check, node.orelse))
    return False


def _lines(node: ast.AST) -> set[int]:
    return set(range(node.lineno, node.end_lineno + 1))


def count(path: Path) -> tuple[int, int]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    code: set[int] = set()
    check: set[int] = set()
    docstrings: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr) \
                and isinstance(body[0].value, ast.Constant) and isinstance(body[0].value.value, str):
            docstrings |= _lines(body[0])
        if isinstance(node, ast.stmt):
            code |= _lines(node) if not hasattr(node, "body") else {node.lineno}
            if _is_check(node):
                check |= _lines(node)
        if isinstance(node, ast.ExceptHandler) and node.body and isinstance(node.body[-1], ast.Raise):
            check |= _lines(node)
    text = path.read_text(encoding="utf-8").splitlines()
    real = {n for n in code | check if n <= len(text) and text[n - 1].strip()
            and not text[n - 1].strip().startswith("#")} - docstrings
    return len(real), len(check & real)


def main() -> None:
    paths = sorted((ROOT / "lmkit").glob("*.py")) if len(sys.argv) < 2 else [Path(p) for p in sys.argv[1:]]
    print(f"{'module':<22}{'code':>6}{'checks':>8}{'share':>8}")
    for p in paths:
        n, c = count(p)
        print(f"{p.name:<22}{n:>6}{c:>8}{c / max(n, 1):>8.0%}")


if __name__ == "__main__":
    main()
