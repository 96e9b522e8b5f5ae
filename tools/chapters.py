"""Chapter numbers come from the order of _toc.yml; this keeps every chapter's title and label in step.

    python tools/chapters.py          # list the chapters: number, label, file
    python tools/chapters.py --check  # exit 1 if a title or label is out of step (tests/test_book.py runs it)
    python tools/chapters.py --fix    # rewrite the titles and labels that are, the teachers' table of checks
                                      # and the page of learning objectives (chapters/teachers/objectives.md)

A chapter is a page under chapters/part<N>/ listed in _toc.yml, other than a part's landing page (index): a
notebook, or a MyST Markdown file for a chapter that is prose only. They are numbered in toc order from 1,
or from 0 when the first one is in chapters/part0/ (the preliminaries). The first Markdown cell of each
notebook (the first lines of a Markdown chapter) starts with its label and its numbered title::

    (ch-training-shakespeare)=
    # 14. Training on Tiny Shakespeare

Prose refers to a chapter by its label, ``{chapter}`ch-training-shakespeare``` (see _ext/course.py), so
inserting a chapter renumbers the titles here and every reference with them.
"""
from __future__ import annotations

import json
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat
import yaml

ROOT = Path(__file__).resolve().parent.parent
HEAD = re.compile(r"\A\((?P<label>[\w-]+)\)=\n# (?:(?P<number>\d+)\. )?(?P<title>[^\n]+)")


@dataclass
class Chapter:
    number: int
    path: Path

    @property
    def label(self) -> str:
        return "ch-" + self.path.stem.replace("_", "-")


def _files(node) -> list[str]:
    if isinstance(node, dict):
        return ([node["file"]] if "file" in node else []) + [f for v in node.values() for f in _files(v)]
    if isinstance(node, list):
        return [f for item in node for f in _files(item)]
    return []


def chapters() -> list[Chapter]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    paths = [next(p for p in (ROOT / f"{f}.ipynb", ROOT / f"{f}.md") if p.is_file()) for f in _files(toc)
             if re.match(r"chapters/part\d+/", f) and not f.endswith("/index")
             and ((ROOT / f"{f}.ipynb").is_file() or (ROOT / f"{f}.md").is_file())]
    start = 0 if paths and paths[0].parent.name == "part0" else 1
    return [Chapter(start + i, p) for i, p in enumerate(paths)]


def _first_markdown(nb: dict) -> dict:
    return next(c for c in nb["cells"] if c["cell_type"] == "markdown")


def problems(fix: bool = False) -> list[str]:
    found = []
    for ch in chapters():
        markdown = ch.path.suffix == ".md"
        if markdown:
            nb, cell, text = None, None, ch.path.read_text(encoding="utf-8")
        else:
            nb = json.loads(ch.path.read_text(encoding="utf-8"))
            cell = _first_markdown(nb)
            text = "".join(cell["source"])
        m = HEAD.match(text)
        if m and m["label"] == ch.label and m["number"] == str(ch.number):
            continue
        rel = ch.path.relative_to(ROOT)
        if m is None:
            title = re.match(r"\A(?:\([\w-]+\)=\n)?# (?:\d+\. )?([^\n]+)", text)
            if title is None:
                found.append(f"{rel}: the first Markdown cell does not start with a '# Title' line")
                continue
            rest = text[title.end():]
            title = title.group(1)
        else:
            rest, title = text[m.end():], m["title"]
        found.append(f"{rel}: its first Markdown cell should start with ({ch.label})= and '# {ch.number}. {title}'")
        if fix:
            new = f"({ch.label})=\n# {ch.number}. {title}{rest}"
            if markdown:
                ch.path.write_text(new, encoding="utf-8")
                continue
            cell["source"] = new.splitlines(keepends=True)
            nbformat.write(nbformat.from_dict(nb), ch.path)
    return found


TEACHERS = ROOT / "chapters" / "teachers" / "index.md"
TABLE_START, TABLE_END = "<!-- checks: start (tools/chapters.py --fix writes this table) -->", "<!-- checks: end -->"


def checks_table() -> str:
    """The teachers' table of every exercise check: chapter, check, what the student writes."""
    import lmkit.check

    rows = ["| chapter | check | what the student writes |", "|---|---|---|"]
    for module in lmkit.check.MODULES:
        label = "ch-" + module.__name__.rsplit(".", 1)[1].replace("_", "-")
        for name in module.__all__:
            doc = (getattr(module, name).__doc__ or "").strip().splitlines()[0].replace("|", "\\|")
            rows.append(f"| {{chapter}}`%s <{label}>` | `lmkit.check.{name}` | {doc} |")
    return "\n".join(rows)


OBJECTIVES = ROOT / "chapters" / "teachers" / "objectives.md"
OBJECTIVES_HEAD = """# Learning objectives

Every chapter's learning objectives in one place, as the chapter states them at its start (this page is
generated from the chapters by `python tools/chapters.py --fix`). Use them to plan a class, to write an
exam, or to tell students what a session is for; {doc}`index` maps the chapters to weeks.
"""


def objectives(path: Path) -> list[str]:
    """The bullets under a chapter's "**Learning objectives**" (its opening Markdown), joined into one line each."""
    if path.suffix == ".ipynb":
        nb = json.loads(path.read_text(encoding="utf-8"))
        text = "\n\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")
    else:
        text = path.read_text(encoding="utf-8")
    m = re.search(r"^\*\*Learning objectives\*\*\s*\n\n((?:- .*\n(?:  .*\n)*)+)", text + "\n", re.MULTILINE)
    if not m:
        return []
    return [" ".join(line.strip() for line in item.splitlines())
            for item in re.split(r"^- ", m.group(1), flags=re.MULTILINE) if item.strip()]


def _title(path: Path) -> str:
    """A chapter's title without its number."""
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".ipynb":
        text = "".join(_first_markdown(json.loads(text))["source"])
    m = HEAD.match(text)
    return m.group("title") if m else path.stem


def objectives_page() -> str:
    parts = [OBJECTIVES_HEAD]
    for ch in chapters():
        items = objectives(ch.path)
        parts.append(f"## {{chapter}}`Chapter %s <{ch.label}>`: {_title(ch.path)}\n\n"
                     + "\n".join(f"- {item}" for item in items) + "\n")
    return "\n".join(parts)


def teachers_problems(fix: bool = False) -> list[str]:
    found = [f"{ch.path.relative_to(ROOT)}: no **Learning objectives** list" for ch in chapters()
             if not objectives(ch.path)]
    page = objectives_page()
    if not OBJECTIVES.is_file() or OBJECTIVES.read_text(encoding="utf-8") != page:
        if fix:
            OBJECTIVES.write_text(page, encoding="utf-8")
        found.append(f"{OBJECTIVES.relative_to(ROOT)}: out of date")
    text = TEACHERS.read_text(encoding="utf-8")
    if TABLE_START not in text or TABLE_END not in text:
        return found + [f"{TEACHERS.relative_to(ROOT)}: no {TABLE_START} ... {TABLE_END} markers"]
    head, rest = text.split(TABLE_START, 1)
    old, tail = rest.split(TABLE_END, 1)
    new = "\n" + checks_table() + "\n"
    if old == new:
        return found
    if fix:
        TEACHERS.write_text(head + TABLE_START + new + TABLE_END + tail, encoding="utf-8")
    return found + [f"{TEACHERS.relative_to(ROOT)}: the table of checks is out of date"]


def main() -> int:
    if "--check" in sys.argv or "--fix" in sys.argv:
        found = problems(fix="--fix" in sys.argv) + teachers_problems(fix="--fix" in sys.argv)
        print("\n".join(found) if found else "titles, labels and the checks table follow _toc.yml and lmkit")
        return 1 if found and "--check" in sys.argv else 0
    for ch in chapters():
        print(f"{ch.number:>3}  {ch.label:<28} {ch.path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
