"""Execute every chapter of the book and print a table of run time and peak memory per chapter.

    LMKIT_DATA=../shared/data python bench/notebooks.py                 # every chapter in _toc.yml, once
    LMKIT_DATA=../shared/data python bench/notebooks.py --runs 3        # median of three runs per chapter
    LMKIT_DATA=../shared/data python bench/notebooks.py --inplace chapters/part2/self_attention.ipynb

Each notebook runs in a fresh kernel under ``/usr/bin/time -v`` (wall time, and the maximum resident set
size of the kernel and nbconvert together, as GNU time reports for the largest process), from its own
folder, as a reader's Jupyter would. Without ``--inplace`` the executed copy goes to a temporary folder and
the committed notebook is untouched; with it, the committed notebook is replaced by the executed one (this
is how authors re-execute a chapter: cell timing metadata is not recorded, so re-executing a notebook whose
outputs did not change leaves the file unchanged). ``--inplace`` also sets LMKIT_STATIC_EXPLORERS=1, so that
every ``lmkit.widgets.explorer`` stores its static twin for the book's pages (a reader's run skips it).
``--markdown FILE`` also writes the table as Markdown.
Budgets from the course plan: each chapter at most 180 s and 4 GB, the whole book at most 40 min.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHAPTER_BUDGET_S, CHAPTER_BUDGET_MB, BOOK_BUDGET_S = 180, 4096, 2400


def toc_notebooks() -> list[Path]:
    """The notebooks listed in _toc.yml, in book order."""
    files = re.findall(r"file:\s*(\S+)", (ROOT / "_toc.yml").read_text())
    return [ROOT / f"{f}.ipynb" for f in files if (ROOT / f"{f}.ipynb").exists()]


def normalize(path: Path) -> None:
    """Make an executed notebook a function of its outputs only, so that re-executing it changes nothing.

    Removes the per-cell execution timestamps, merges consecutive stream outputs of the same name (the
    kernel splits ``print`` output at whatever moments it flushes, which differ from run to run), and
    renames the widgets' random model ids to ids derived from the notebook's name and their order.
    """
    nb = json.loads(path.read_text(encoding="utf-8"))
    for cell in nb["cells"]:
        cell.get("metadata", {}).pop("execution", None)
        merged = []
        for out in cell.get("outputs", []):
            if (out.get("output_type") == "stream" and merged and merged[-1].get("output_type") == "stream"
                    and merged[-1]["name"] == out["name"]):
                text = "".join(merged[-1]["text"]) + "".join(out["text"])
                merged[-1]["text"] = text.splitlines(keepends=True)
            else:
                if out.get("output_type") == "stream":
                    out["text"] = "".join(out["text"]).splitlines(keepends=True)
                merged.append(out)
        if "outputs" in cell:
            cell["outputs"] = merged
    # widget model ids are random UUIDs, and the stored state is sorted by them: rename them in an order
    # that does not depend on them (the widgets in the order the cells display them, each followed by the
    # models it refers to), so that re-executing an unchanged notebook gives the same file
    widgets = nb.get("metadata", {}).get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
    state = widgets.get("state", {})
    order: list[str] = []

    def visit(model_id: str) -> None:
        todo = [model_id]
        while todo:
            m = todo.pop(0)
            if m in state and m not in order:
                order.append(m)
                todo += re.findall(r"IPY_MODEL_([0-9a-f]{32})", json.dumps(state[m], sort_keys=True))

    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            visit(out.get("data", {}).get("application/vnd.jupyter.widget-view+json", {}).get("model_id", ""))
    blank = re.compile(r"[0-9a-f]{32}")
    for m in sorted(set(state) - set(order), key=lambda m: blank.sub("", json.dumps(state[m], sort_keys=True))):
        visit(m)  # models no output shows, ordered by their content
    if state:
        widgets["state"] = {m: state[m] for m in order}
    text = json.dumps(nb, indent=1, ensure_ascii=False) + "\n"
    for i, old in enumerate(order):
        text = text.replace(old, hashlib.md5(f"{path.name}:{i}".encode()).hexdigest())
    path.write_text(text, encoding="utf-8")


def execute(nb: Path, inplace: bool, timeout: int) -> tuple[float, float]:
    """Run one notebook; return (wall seconds, peak RSS in MB)."""
    with tempfile.TemporaryDirectory() as tmp:
        # nbconvert runs the kernel in the input notebook's folder, as Jupyter does, in both modes
        where = ["--inplace"] if inplace else ["--output-dir", tmp]
        cmd = ["/usr/bin/time", "-v", sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
               *where, f"--ExecutePreprocessor.timeout={timeout}", "--ExecutePreprocessor.record_timing=False",
               str(nb)]
        proc = subprocess.run(cmd, cwd=nb.parent, capture_output=True, text=True)
        if proc.returncode != 0:
            sys.exit(f"{nb.relative_to(ROOT)} failed:\n{proc.stderr[-3000:]}")
        wall = _time_field(proc.stderr, "Elapsed (wall clock) time (h:mm:ss or m:ss)")
        rss_kb = float(_time_field(proc.stderr, "Maximum resident set size (kbytes)"))
        if inplace:
            normalize(nb)
        return _seconds(wall), rss_kb / 1024


def _time_field(stderr: str, name: str) -> str:
    m = re.search(rf"{re.escape(name)}: (\S+)", stderr)
    if not m:
        sys.exit(f"could not read '{name}' from /usr/bin/time -v output:\n{stderr[-2000:]}")
    return m.group(1)


def _seconds(hms: str) -> float:
    parts = [float(p) for p in hms.split(":")]
    return sum(p * 60 ** i for i, p in enumerate(reversed(parts)))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("notebooks", nargs="*", type=Path, help="default: every notebook in _toc.yml")
    ap.add_argument("--runs", type=int, default=1, help="runs per notebook; the table shows the median")
    ap.add_argument("--inplace", action="store_true", help="replace the committed notebook by the executed one")
    ap.add_argument("--timeout", type=int, default=600, help="per-cell timeout in seconds")
    ap.add_argument("--markdown", type=Path, help="also write the table to this Markdown file")
    args = ap.parse_args()
    if not shutil.which("/usr/bin/time"):
        sys.exit("needs GNU time at /usr/bin/time (Debian/Ubuntu: apt install time)")
    if "LMKIT_DATA" not in os.environ:
        print("note: LMKIT_DATA is not set: data sets are read from the cache or downloaded", file=sys.stderr)
    else:  # the kernels start in the chapters' folders: a relative path would point elsewhere there
        os.environ["LMKIT_DATA"] = str(Path(os.environ["LMKIT_DATA"]).expanduser().resolve())
    if args.inplace:
        os.environ["LMKIT_STATIC_EXPLORERS"] = "1"
    notebooks = [p.resolve() for p in args.notebooks] or toc_notebooks()
    rows, total = [], 0.0
    for nb in notebooks:
        walls, rss = [], []
        for _ in range(args.runs):
            w, r = execute(nb, args.inplace, args.timeout)
            walls.append(w)
            rss.append(r)
            print(f"  {nb.name}: {w:.1f} s, {r:.0f} MB", file=sys.stderr, flush=True)
        wall, peak = statistics.median(walls), max(rss)
        total += wall
        ok = "yes" if wall <= CHAPTER_BUDGET_S and peak <= CHAPTER_BUDGET_MB else "NO"
        rows.append((str(nb.relative_to(ROOT)), wall, min(walls), max(walls), peak, ok))
    lines = [f"Machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, "
             f"Python {platform.python_version()}; {args.runs} run(s) per notebook, median wall time.", "",
             "| notebook | wall (s, median) | min-max (s) | peak RSS (MB) | within 180 s and 4 GB |",
             "|---|---:|---:|---:|---|"]
    lines += [f"| {n} | {w:.1f} | {lo:.1f}-{hi:.1f} | {p:.0f} | {ok} |" for n, w, lo, hi, p, ok in rows]
    lines += [f"| **whole book** | {total:.1f} | | | {'yes' if total <= BOOK_BUDGET_S else 'NO'} (40 min) |"]
    table = "\n".join(lines)
    print(table)
    if args.markdown:
        args.markdown.write_text(table + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
