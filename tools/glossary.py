"""The English-Chinese glossary (chapters/appendix/glossary.md) and the bilingual terms of the book.

    python tools/glossary.py           # list the problems: terms of the book missing from the glossary, and
                                       # glossary entries that the book never uses
    python tools/glossary.py --draft   # print draft rows for the missing terms, to edit and paste in

A term is *introduced* where the prose puts its Chinese beside its English, in one of the book's three
forms: 自注意力 (*self-attention*), (自注意力, self-attention) or self-attention (自注意力). Quotations of
the design document, 「...」, are not definitions and are skipped. tests/test_book.py runs ``problems()``.
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
GLOSSARY = ROOT / "chapters" / "appendix" / "glossary.md"

ZH = r"[\u4e00-\u9fff][\u4e00-\u9fff·、-]*"
PATTERNS = [
    re.compile(rf"({ZH})\s*\(\*([^*()]+?)\*\)"),             # 中文 (*english*)
    re.compile(rf"\(({ZH}),\s*\*?([A-Za-z][^()*]*?)\*?\)"),   # (中文, english)
    re.compile(rf"([A-Za-z][A-Za-z' -]*?)\s*\(({ZH})\)"),     # english (中文)
]
#: Chinese words that the prose glosses in passing but that are not terms the book teaches: ordinary
#: words in a worked example, proper names, and the titles of the design document's sections.
NOT_TERMS = {
    "我们", "知道", "打分", "可微", "发散", "核", "数据集", "大规模语言模型", "中文资源", "人民日报", "商品评论",
    "结巴分词", "形态学", "语义学", "课程和教材", "数据规模", "计算资源", "安全与隐私", "多语言处理", "没关系",
}


def _pages() -> list[Path]:
    import yaml

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))

    def files(node):
        if isinstance(node, dict):
            return ([node["file"]] if "file" in node else []) + [f for v in node.values() for f in files(v)]
        if isinstance(node, list):
            return [f for item in node for f in files(item)]
        return []

    out = []
    for f in [toc["root"], *files(toc)]:
        for suffix in (".md", ".ipynb"):
            if (ROOT / f"{f}{suffix}").is_file():
                out.append(ROOT / f"{f}{suffix}")
                break
    return out


def _markdown(path: Path) -> str:
    if path.suffix == ".md":
        return path.read_text(encoding="utf-8")
    import json

    nb = json.loads(path.read_text(encoding="utf-8"))
    return "\n\n".join("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def book_texts() -> list[tuple[Path, str]]:
    """The prose of every page in the table of contents except the glossary, in book order."""
    return [(p, _markdown(p)) for p in _pages() if p != GLOSSARY]


def terms() -> dict[str, tuple[str, Path]]:
    """Every Chinese term the book introduces: {中文: (the English beside it, the first page)}."""
    found: dict[str, tuple[str, Path]] = {}
    for path, text in book_texts():
        text = re.sub(r"「[^」]*」", "", text)
        for k, pattern in enumerate(PATTERNS):
            for m in pattern.finditer(text):
                zh, en = (m.group(1), m.group(2)) if k < 2 else (m.group(2), m.group(1))
                if zh not in NOT_TERMS:
                    found.setdefault(zh, (" ".join(en.split()), path))
    return found


def entries() -> dict[str, str]:
    """The glossary's rows: {中文: English}."""
    rows = {}
    for line in GLOSSARY.read_text(encoding="utf-8").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) >= 2 and re.fullmatch(ZH, cells[1]):
            rows[cells[1]] = cells[0]
    return rows


def problems() -> list[str]:
    book, glossary = terms(), entries()
    prose = "\n".join(text for _, text in book_texts())
    out = [f"{zh} ({en}), introduced in {path.relative_to(ROOT)}, is not in the glossary"
           for zh, (en, path) in book.items() if zh not in glossary]
    out += [f"the glossary's {zh} ({en}) does not occur in the book" for zh, en in glossary.items() if zh not in prose]
    return out


def where(path: Path) -> str:
    """How the glossary names the page that introduces a term."""
    if path.suffix == ".ipynb" and re.match(r"part\d+$", path.parent.name):
        return "{chapter}`ch-" + path.stem.replace("_", "-") + "`"
    rel = Path(os.path.relpath(path.with_suffix(""), GLOSSARY.parent))
    return "{doc}`" + rel.as_posix() + "`"


def main() -> int:
    if "--draft" in sys.argv:
        glossary = entries()
        for zh, (en, path) in terms().items():
            if zh not in glossary:
                print(f"| {en} | {zh} | {where(path)} |")
        return 0
    found = problems()
    print("\n".join(found) if found else "the glossary and the book agree")
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
