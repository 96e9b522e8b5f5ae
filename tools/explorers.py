"""List every explorer that moves on the book's static pages, with its frames and what it adds to the page.

    python tools/explorers.py            # a Markdown table: chapter, explorer (cell), controls, frames, KB

An explorer built with ``lmkit.widgets.explorer`` (or ``attention_explorer``) stores a static twin in its
cell's outputs when the notebook is executed with LMKIT_STATIC_EXPLORERS=1 (``bench/notebooks.py
--inplace`` sets it): its output drawn in advance for a grid of control values, switched in the browser by
``_static/lmkit-explorer.js``. The size column is the twin's HTML, which is what the page carries.
"""
from __future__ import annotations

import html
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
from chapters import chapters  # noqa: E402


def twins(path: Path) -> list[dict]:
    nb = json.loads(path.read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    found = []
    for i, cell in enumerate(code):
        for out in cell.get("outputs", []):
            page = "".join(out.get("data", {}).get("text/html", ""))
            if 'class="lmkit-static"' not in page:
                continue
            shape = json.loads(html.unescape(re.search(r'data-shape="([^"]*)"', page).group(1)))
            names = re.findall(r'aria-label="([^"]*)"', page) + re.findall(
                r'<span class="lmkit-static-fixed">([^:<]*):', page)
            found.append({"cell": i, "controls": ", ".join(html.unescape(n) for n in names),
                          "frames": page.count('class="lmkit-static-frame"'), "grid": shape,
                          "kb": len(page.encode("utf-8")) / 1024})
    return found


def main() -> int:
    rows = ["| chapter | code cell | controls (slider or fixed) | frames | KB |", "|---|---:|---|---:|---:|"]
    total, count = 0.0, 0
    for ch in chapters():
        if ch.path.suffix != ".ipynb":
            continue
        for t in twins(ch.path):
            rows.append(f"| {ch.number}. {ch.path.stem} | {t['cell']} | {t['controls']} | {t['frames']} | "
                        f"{t['kb']:,.0f} |")
            total += t["kb"]
            count += 1
    rows.append(f"| **{count} explorers** | | | | **{total:,.0f}** |")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
