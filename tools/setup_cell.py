"""The Colab setup cell, generated from the one place the repository URL lives: `_config.yml`.

    python tools/setup_cell.py          # print the setup cell
    python tools/setup_cell.py --fix    # rewrite the first code cell of every notebook in chapters/ (and tag it)

`tests/test_book.py` fails if a notebook's setup cell or the Colab launch configuration disagrees.
"""
from __future__ import annotations

import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# The cell is tagged remove-cell: Colab runs it, the rendered page does not show it (the page starts with its title).
TAG = "remove-cell"
TEMPLATE = '''# Colab setup: install lmkit and the data packages the chapters use. Does nothing outside Colab.
import sys

if "google.colab" in sys.modules:
    import subprocess

    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "lmkit[course] @ git+{url}"], check=True)'''


def repository_url() -> str:
    """The repository URL from `_config.yml` (`repository: url:`)."""
    text = (ROOT / "_config.yml").read_text(encoding="utf-8")
    m = re.search(r"^repository:\s*\n(?:[ \t]+.*\n)*?[ \t]+url:\s*(\S+)", text, re.M)
    if not m:
        raise SystemExit("_config.yml has no repository: url:")
    return m.group(1).strip("\"'")


def setup_cell_source() -> str:
    return TEMPLATE.format(url=repository_url())


def fix_notebooks() -> None:
    src = setup_cell_source()
    for path in sorted((ROOT / "chapters").rglob("*.ipynb")):
        if ".ipynb_checkpoints" in path.parts:
            continue
        nb = json.loads(path.read_text(encoding="utf-8"))
        code = [c for c in nb["cells"] if c["cell_type"] == "code"]
        if not code:
            continue
        cell = code[0]
        old = "".join(cell["source"]) if isinstance(cell["source"], list) else cell["source"]
        tags = cell.setdefault("metadata", {}).setdefault("tags", [])
        if old != src or TAG not in tags:
            cell["source"] = src
            if TAG not in tags:
                tags.append(TAG)
            path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
            print("fixed", path.relative_to(ROOT))


if __name__ == "__main__":
    if "--fix" in sys.argv:
        fix_notebooks()
    else:
        print(setup_cell_source())
