"""Book-level checks: the table of contents, the committed notebooks, the Colab wiring, README/CI.

These read files only; no notebook is executed here (nbval does that, see pyproject.toml), and
nothing is rendered here (tests/test_site.py builds the book once and checks the rendered pages).
"""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"
WIDGET_STATE = "application/vnd.jupyter.widget-state+json"

_spec = importlib.util.spec_from_file_location("setup_cell", ROOT / "tools" / "setup_cell.py")
setup_cell = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(setup_cell)


# ------------------------------------------------------------------------------------- helpers


def load_yaml(name: str) -> dict:
    return yaml.safe_load((ROOT / name).read_text(encoding="utf-8"))


def toc_entries(node=None) -> list[str]:
    """Every `root:` and `file:` of _toc.yml, in order (paths without extension)."""
    if node is None:
        node = load_yaml("_toc.yml")
    found = []
    if isinstance(node, dict):
        for key in ("root", "file"):
            if key in node:
                found.append(str(node[key]))
        for value in node.values():
            if isinstance(value, (list, dict)):
                found += toc_entries(value)
    elif isinstance(node, list):
        for item in node:
            found += toc_entries(item)
    return found


def page_path(entry: str) -> Path | None:
    """The file a toc entry names (`.ipynb` or `.md`), or None."""
    for suffix in ("", ".ipynb", ".md"):
        path = ROOT / (entry + suffix)
        if path.is_file():
            return path
    return None


def toc_pages() -> list[Path]:
    return [p for p in map(page_path, toc_entries()) if p is not None]


def toc_notebooks() -> list[Path]:
    return [p for p in toc_pages() if p.suffix == ".ipynb"]


def chapter_pages() -> list[Path]:
    """Every notebook and Markdown page under chapters/ (checkpoints excluded)."""
    return sorted(
        p for p in (ROOT / "chapters").rglob("*")
        if p.suffix in {".ipynb", ".md"} and p.is_file() and ".ipynb_checkpoints" not in p.parts
    )


def source(cell: dict) -> str:
    s = cell.get("source", "")
    return "".join(s) if isinstance(s, list) else s


def tags(cell: dict) -> set[str]:
    return set(cell.get("metadata", {}).get("tags", []))


def code_cells(nb: dict) -> list[dict]:
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def read_nb(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def rel(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def markdown_texts() -> list[tuple[Path, str]]:
    """The Markdown of every page in the toc: whole .md files and the markdown cells of notebooks."""
    texts = []
    for path in toc_pages():
        if path.suffix == ".md":
            texts.append((path, path.read_text(encoding="utf-8")))
        else:
            texts += [(path, source(c)) for c in read_nb(path)["cells"] if c["cell_type"] == "markdown"]
    return texts


def quick_start_commands() -> list[str]:
    """The commands in the README's "Quick start" section: one per fenced code block."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    m = re.search(r"^## Quick start\s*$(.*?)(?=^## )", text, re.MULTILINE | re.DOTALL)
    assert m, "README.md has no '## Quick start' section"
    blocks = re.findall(r"^```[a-z]*\n(.*?)^```", m.group(1), re.MULTILINE | re.DOTALL)
    commands = []
    for block in blocks:
        lines = [ln for ln in block.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
        assert len(lines) == 1, f"each Quick start block must be one command, got {lines}"
        commands.append(lines[0].strip())
    return commands


NOTEBOOKS = toc_notebooks()
NB_IDS = [rel(p) for p in NOTEBOOKS]


# ------------------------------------------------------------------------- table of contents


def test_every_toc_entry_exists():
    entries = toc_entries()
    assert entries and entries[0] == "intro"
    missing = [e for e in entries if page_path(e) is None]
    assert not missing, f"_toc.yml names pages that do not exist: {missing}"
    both = [e for e in entries if (ROOT / f"{e}.ipynb").is_file() and (ROOT / f"{e}.md").is_file()]
    assert not both, f"ambiguous toc entries (both .ipynb and .md exist): {both}"
    assert len(entries) == len(set(entries)), "a page is listed twice in _toc.yml"


def test_no_orphan_pages():
    listed = {p.resolve() for p in toc_pages()}
    orphans = [rel(p) for p in chapter_pages() if p.resolve() not in listed]
    assert not orphans, f"pages under chapters/ that _toc.yml does not list: {orphans}"


def test_every_part_has_a_landing_page():
    toc = load_yaml("_toc.yml")
    assert toc["format"] == "jb-book"
    for part in toc["parts"]:
        first = part["chapters"][0]["file"]
        assert first.endswith("/index"), f"part {part['caption']!r} does not start with its landing page"


# ------------------------------------------------------------------------- committed notebooks


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NB_IDS)
def test_notebook_executed_top_to_bottom(path):
    counts = []
    for i, cell in enumerate(code_cells(read_nb(path))):
        n = cell.get("execution_count")
        if n is None:
            assert "nbval-skip" in tags(cell) or not source(cell).strip(), (
                f"code cell {i} was not executed: re-execute the notebook (README)")
        else:
            counts.append(n)
    assert counts, "no executed code cell"
    assert counts[0] == 1, f"first execution count is {counts[0]}: execute in a fresh kernel"
    assert all(a < b for a, b in zip(counts, counts[1:])), f"execution counts not increasing: {counts}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NB_IDS)
def test_notebook_has_no_errors(path):
    for i, cell in enumerate(code_cells(read_nb(path))):
        if tags(cell) & {"raises-exception", "nbval-raises-exception"}:
            continue
        errors = [o.get("ename") for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        assert not errors, f"code cell {i} has an error output {errors} but no raises-exception tag"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NB_IDS)
def test_notebook_first_cell_is_the_setup_cell(path):
    first = code_cells(read_nb(path))[0]
    assert source(first) == setup_cell.setup_cell_source(), (
        "the first code cell is not the Colab setup cell: run `python tools/setup_cell.py --fix`")
    assert setup_cell.TAG in tags(first), (
        "the setup cell is not tagged remove-cell: run `python tools/setup_cell.py --fix`")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NB_IDS)
def test_notebook_saves_widget_state(path):
    nb = read_nb(path)
    shown = {
        o["data"][WIDGET_VIEW]["model_id"]
        for c in code_cells(nb) for o in c.get("outputs", [])
        if WIDGET_VIEW in o.get("data", {})
    }
    if not shown:
        return
    state = nb.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    missing = shown - set(state)
    assert not missing, (
        f"widgets {sorted(missing)} have no saved state, so the page would show them blank: "
        "re-execute with jupyter nbconvert --execute (README)")


#: A call that builds an explorer with a static twin (lmkit.widgets.explorer or attention_explorer).
EXPLORER_CALL = re.compile(r"\b(?:widgets\.explorer|attention_explorer)\(")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NB_IDS)
def test_explorers_store_their_static_twin(path):
    """Every `lmkit.widgets.explorer` also moves on the static page: its cell carries the twin drawn in
    advance (re-execute with `python bench/notebooks.py --inplace`, which sets LMKIT_STATIC_EXPLORERS=1)."""
    for i, c in enumerate(code_cells(read_nb(path))):
        if EXPLORER_CALL.search(source(c)):
            html = "".join("".join(o.get("data", {}).get("text/html", "")) for o in c.get("outputs", []))
            assert 'class="lmkit-static"' in html, (
                f"code cell {i}: the explorer has no static twin; re-execute the notebook with "
                "LMKIT_STATIC_EXPLORERS=1 (python bench/notebooks.py --inplace does)")
            assert "nbval-ignore-output" in tags(c), f"code cell {i}: tag the explorer nbval-ignore-output"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NB_IDS)
def test_explorers_are_built_to_move_without_a_kernel(path):
    """An explorer built with ipywidgets' `interact` or `interactive_output` alone would be a still picture
    on the book's pages; `lmkit.widgets.explorer` builds the same live explorer plus its static twin."""
    for i, c in enumerate(code_cells(read_nb(path))):
        found = re.search(r"\b(?:interact|interactive_output|interactive)\(", source(c))
        assert not found, (f"code cell {i}: {found.group(0)}...) builds an explorer that cannot move on the "
                           "book's pages; use lmkit.widgets.explorer(fn, controls, alt=...)")


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NB_IDS)
def test_hidden_checks_have_their_own_tag(path):
    """Cells that assert what the text claims are tagged `check` (removed from the page by _ext/course.py);
    `remove-cell` is the Colab setup cell's alone."""
    cells = code_cells(read_nb(path))
    checks = [c for c in cells if "check" in tags(c)]
    assert any(re.search(r"\bassert\b", source(c)) for c in checks), (
        "no hidden check: a code cell tagged `check` that asserts what the text claims")
    removed = [i for i, c in enumerate(cells) if "remove-cell" in tags(c)]
    assert removed == [0], f"code cells {removed[1:]} are tagged remove-cell; tag hidden checks `check`"
    quiet = [i for i, c in enumerate(cells) if "check" in tags(c) and not re.search(r"\bassert\b", source(c))]
    assert not quiet, f"code cells {quiet} are tagged `check` but assert nothing"


EXERCISE_CALL = re.compile(r"^lmkit\.check\.(\w+)\((\w+)\);?\s*$", re.MULTILINE)


def _output_text(cell: dict) -> str:
    return "".join("".join(o.get("text", "")) + "".join(o.get("data", {}).get("text/plain", ""))
                   for o in cell.get("outputs", []))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NB_IDS)
def test_exercises_follow_the_house_style(path):
    """A stub the learner fills in and its check, which fails with a first hint; a worked solution under
    another name, in a cell tagged `solution` and `hide-input` (collapsed on the page), which passes; a
    hidden check that runs the solution."""
    cells = code_cells(read_nb(path))
    stubs = [(i, c) for i, c in enumerate(cells) if "raise NotImplementedError" in source(c)]
    assert stubs, "no exercise with a check (a stub that raises NotImplementedError)"
    for i, stub in stubs:
        calls = EXERCISE_CALL.findall(source(stub))
        assert calls, f"code cell {i}: a stub without a `lmkit.check.<name>(your_function)` line"
        out = _output_text(stub)
        assert "❌" in out and "Hint 1 of" in out, f"code cell {i}: the stub's check should fail with a first hint"
        for check, fn in calls:
            solutions = [c for c in cells[i + 1:] if "solution" in tags(c)
                         and re.search(rf"lmkit\.check\.{check}\({fn}_solution\)", source(c))]
            assert solutions, f"code cell {i}: no cell tagged `solution` runs lmkit.check.{check}({fn}_solution)"
            sol = solutions[0]
            assert "hide-input" in tags(sol), f"the solution of {fn} is not collapsed (tag it hide-input)"
            assert not re.search(rf"^def {fn}\(", source(sol), re.MULTILINE), (
                f"the solution redefines the learner's {fn}; name it {fn}_solution")
            assert f"✅ {check}" in _output_text(sol), f"the solution of {fn} does not pass its check"
            assert any("check" in tags(c) and f"{fn}_solution" in source(c) for c in cells), (
                f"no hidden check (tag `check`) runs {fn}_solution")


def test_chapter_titles_and_labels_follow_the_toc():
    spec = importlib.util.spec_from_file_location("chapters", ROOT / "tools" / "chapters.py")
    chapters = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = chapters  # dataclasses look their module up there
    spec.loader.exec_module(chapters)
    found = chapters.problems() + chapters.teachers_problems()
    assert not found, "run `python tools/chapters.py --fix`:\n" + "\n".join(found)


def test_chapters_are_referenced_by_label():
    """Prose names a chapter with {chapter}`ch-...` (numbered from _toc.yml), never with a typed number,
    and every label it names is a chapter that exists."""
    labels = {"ch-" + p.stem.replace("_", "-") for p in toc_pages()
              if re.match(r"part\d+$", p.parent.name) and p.stem != "index"}
    problems = []
    for path, text in markdown_texts():
        prose = re.sub(r"```.*?```", "", text, flags=re.DOTALL)
        prose = re.sub(r"`[^`]*`", "", re.sub(r"\{chapter\}`[^`]*`", "", prose))
        problems += [f"{rel(path)}: typed chapter number {m.group(0)!r}"
                     for m in re.finditer(r"\b[Cc]hapters? \d+", prose)]
        for target in re.findall(r"\{chapter\}`(?:[^`<]*<)?([^`>]+)>?`", text):
            if target.strip() not in labels:
                problems.append(f"{rel(path)}: {{chapter}} reference to {target!r}, which is not a chapter")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NB_IDS)
def test_code_fits_the_page(path):
    """The rendered code column holds about 85 characters: longer lines scroll sideways."""
    long = [(i, len(line)) for i, c in enumerate(code_cells(read_nb(path))) if "remove-cell" not in tags(c)
            for line in source(c).splitlines() if len(line) > 85]
    assert not long, f"code lines over 85 characters (cell, length): {long[:10]}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NB_IDS)
def test_figures_have_alt_text(path):
    """Every figure a reader sees carries alt text (myst-nb's `mystnb.image.alt` cell metadata)."""
    missing = [i for i, c in enumerate(code_cells(read_nb(path)))
               if any("image/png" in o.get("data", {}) for o in c.get("outputs", []))
               and not tags(c) & {"remove-cell", "remove-output", "check"}
               and not c.get("metadata", {}).get("mystnb", {}).get("image", {}).get("alt")]
    assert not missing, f"code cells {missing} show a figure without alt text (metadata mystnb.image.alt)"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NB_IDS)
def test_notebook_has_no_svg(path):
    for i, cell in enumerate(code_cells(read_nb(path))):
        for out in cell.get("outputs", []):
            assert "image/svg+xml" not in out.get("data", {}), f"code cell {i} has an SVG output"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NB_IDS)
def test_notebook_is_stored_deterministically(path):
    """Re-executing an unchanged notebook must leave its file unchanged (bench/notebooks.py --inplace does it).

    No per-cell timestamps, print output not split at flush moments, widget ids not random, and
    nothing in any output that depends on the machine or the day: absolute paths, memory addresses, dates.
    """
    nb = read_nb(path)
    fix = f"re-execute with `python bench/notebooks.py --inplace {rel(path)}`"
    state = nb.get("metadata", {}).get("widgets", {}).get(WIDGET_STATE, {}).get("state", {})
    derived = {hashlib.md5(f"{path.name}:{i}".encode()).hexdigest() for i in range(len(state))}
    assert set(state) == derived, f"random widget ids: {fix}"  # (any order: nbformat sorts the keys)
    for i, cell in enumerate(code_cells(nb)):
        assert "execution" not in cell.get("metadata", {}), f"code cell {i} stores execution timestamps: {fix}"
        outs = cell.get("outputs", [])
        for a, b in zip(outs, outs[1:]):
            assert not (a.get("output_type") == b.get("output_type") == "stream" and a["name"] == b["name"]), (
                f"code cell {i} has its {a['name']} split in pieces: {fix}")
        for out in outs:
            text = "".join(out.get("text", "")) + "".join(out.get("data", {}).get("text/plain", ""))
            for pattern, what in [(r"(?<![\w.])/(?:work|tmp|home|root|Users|content)/", "an absolute path"),
                                  (r"\b0x[0-9a-f]{8,}\b", "a memory address"),
                                  (r"\b20\d\d-[01]\d-[0-3]\d\b", "a date")]:
                m = re.search(pattern, text)
                assert not m, f"code cell {i} prints {what} ({m.group(0)!r}), which changes between machines"


# ---------------------------------------------------------------------- Colab and configuration


def test_config_and_setup_cells_agree():
    config = load_yaml("_config.yml")
    url = config["repository"]["url"]
    assert url == setup_cell.repository_url()
    assert url.startswith("https://github.com/")
    assert config["launch_buttons"]["colab_url"] == "https://colab.research.google.com"
    assert config["execute"]["execute_notebooks"] == "off"
    assert config["only_build_toc_files"] is True


def test_readme_names_the_configured_repository_and_the_setup_cells_install():
    """The repository URL lives in _config.yml; the README quotes it, and the very install command that
    the Colab setup cell runs."""
    url = setup_cell.repository_url()
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for found in re.findall(r"https://github\.com/[\w.-]+/[\w.-]+", readme):
        if "github.com/llm-course/" in found or found.endswith("/llm-from-theory-to-practice"):
            assert found == url, f"README.md names {found}, _config.yml says {url}"
    spec = re.search(r'"(lmkit\[course\] @ git\+[^"]+)"', setup_cell.setup_cell_source()).group(1)
    assert spec in readme, f"README.md does not show the setup cell's install command ({spec})"
    for path in NOTEBOOKS:
        assert url in source(code_cells(read_nb(path))[0]), f"{rel(path)}: the setup cell does not install from {url}"


def test_bibliography_has_the_shared_keys():
    config = load_yaml("_config.yml")
    bib = "\n".join((ROOT / f).read_text(encoding="utf-8") for f in config["bibtex_bibfiles"])
    keys = re.findall(r"^@\w+\{([^,\s]+),", bib, re.MULTILINE)
    assert len(keys) == len(set(keys)), "duplicate keys in references.bib"
    shared = {
        "vaswani2017attention", "radford2019language", "karpathy2022nanogpt", "karpathy2015charrnn",
        "shannon1948mathematical", "bengio2003neural", "holtzman2020curious", "fan2018hierarchical",
        "loshchilov2019decoupled", "loshchilov2017sgdr", "xiong2020layer", "press2017using",
        "hendrycks2016gelu", "ba2016layer", "pope2022efficiently", "sennrich2016neural",
        "wolf2020transformers", "paszke2019pytorch", "kaplan2020scaling", "hoffmann2022training",
        "rush2018annotated", "zhang2023dive", "pang2005seeing", "tatoeba", "hermann2015teaching",
        "see2017get", "li2018analogical",
    }
    assert shared <= set(keys), f"missing from references.bib: {sorted(shared - set(keys))}"


def test_citations_and_doc_links_resolve():
    bib = (ROOT / "references.bib").read_text(encoding="utf-8")
    keys = set(re.findall(r"^@\w+\{([^,\s]+),", bib, re.MULTILINE))
    problems = []
    for path, text in markdown_texts():
        for group in re.findall(r"\{(?:foot)?cite(?::[a-z]+)?\}`([^`]+)`", text):
            problems += [f"{rel(path)}: unknown citation key {k!r}"
                         for k in (k.strip() for k in group.split(",")) if k not in keys]
        for target in re.findall(r"\{doc\}`(?:[^`<]*<)?([^`>]+)>?`", text):
            base = ROOT if target.startswith("/") else path.parent
            if page_path(str((base / target.lstrip("/")).resolve().relative_to(ROOT))) is None:
                problems.append(f"{rel(path)}: {{doc}} link to missing page {target!r}")
    assert not problems, "\n".join(problems)


def test_ref_labels_exist_and_untitled_refs_point_at_headings():
    """{ref}`label` takes its text from the heading after the label; a label before anything else (an
    admonition, a paragraph) needs {ref}`text <label>`, or Sphinx warns and the -W build fails."""
    texts = markdown_texts()
    following: dict[str, str] = {}  # label -> the first non-empty line after it
    for _, text in texts:
        for m in re.finditer(r"^\(([\w-]+)\)=[ \t]*\n\s*(\S.*)$", text, re.MULTILINE):
            following[m.group(1)] = m.group(2)
    problems = []
    for path, text in texts:
        for titled, label in re.findall(r"\{ref\}`([^`<]*<)?([^`>]+)>?`", text):
            if label not in following:
                problems.append(f"{rel(path)}: {{ref}} to unknown label {label!r}")
            elif not titled and not following[label].startswith("#"):
                problems.append(f"{rel(path)}: {{ref}}`{label}` needs its text ({{ref}}`the note <{label}>`): "
                                f"the label is not followed by a heading")
    assert not problems, "\n".join(problems)


# ---------------------------------------------------------------------------------- README and CI


def test_readme_quick_start_is_two_commands_and_ci_runs_the_second():
    commands = quick_start_commands()
    assert len(commands) == 2, f"the README's Quick start must have exactly two commands, has {commands}"
    build, test = commands
    assert "jupyter-book build . -W" in build
    assert "pytest" in test and "requirements-test.txt" in test
    ci = ROOT / ".ci" / "run"
    assert os.access(ci, os.X_OK), ".ci/run is not executable"
    ci_lines = [ln.strip() for ln in ci.read_text(encoding="utf-8").splitlines()]
    assert "set -euo pipefail" in ci_lines
    assert test in ci_lines, ".ci/run does not run the README's test command verbatim"


def test_requirements_do_not_pin_torch_tightly():
    reqs = (ROOT / "requirements.txt").read_text(encoding="utf-8")
    torch = [ln for ln in reqs.splitlines() if re.match(r"\s*torch\b", ln)]
    assert torch == ["torch>=2.1"], f"readers' torch requirement must be the lower bound torch>=2.1, got {torch}"


TRAINING_CALL = re.compile(r"\blmkit\.train\(|\b\w*opt\w*\.step\(\)")
# Chapters whose optimiser steps stay on the CPU on purpose, and why.
CPU_ON_PURPOSE: dict[str, str] = {
    "chapters/part0/preliminaries.ipynb": "writes its own pick_device to teach it; its examples are too small for a GPU",
    "chapters/part7/compute.ipynb": "measures the CPU itself: its peak, bf16 on it, its threads, two processes on it",
}


def test_chapters_that_train_pick_their_device():
    """A chapter that trains uses lmkit.pick_device(), so that in Colab the same notebook uses the GPU."""
    training, picking = set(), set()
    for path in NOTEBOOKS:
        code = "\n".join(source(c) for c in code_cells(read_nb(path)))
        if TRAINING_CALL.search(code):
            training.add(rel(path))
            if "lmkit.pick_device()" in code:
                picking.add(rel(path))
    assert len(training) >= 20, f"the pattern finds too few training chapters: {sorted(training)}"
    missing = training - picking - set(CPU_ON_PURPOSE)
    assert not missing, f"these chapters train without lmkit.pick_device(): {sorted(missing)}"
    stale = set(CPU_ON_PURPOSE) - (training - picking)
    assert not stale, f"CPU_ON_PURPOSE lists chapters that do not train or that do pick a device: {sorted(stale)}"


# ------------------------------------------------------------------------------------ repository


def test_shared_notebook_checks_pass():
    checker = ROOT.parent / "shared" / "tools" / "check_notebooks.py"
    if not checker.is_file():
        pytest.skip(f"{checker} is not present")
    out = subprocess.run([sys.executable, str(checker)], cwd=ROOT, capture_output=True, text=True, timeout=120,
                         check=False)
    assert out.returncode == 0 and not out.stdout.strip(), out.stdout + out.stderr


def repository_files() -> list[Path]:
    """Files that are, or would be, committed: tracked plus untracked-but-not-ignored."""
    try:
        out = subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=ROOT, capture_output=True, text=True, check=True,
        )
        return [ROOT / p for p in out.stdout.split("\0") if p and (ROOT / p).is_file()]
    except (OSError, subprocess.CalledProcessError):
        skip = {".git", "_build", "__pycache__", ".pytest_cache", ".hypothesis", ".ipynb_checkpoints"}
        return [p for p in ROOT.rglob("*") if p.is_file() and not skip & set(p.relative_to(ROOT).parts)]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_no_data_files_in_the_repository():
    data = os.environ.get("LMKIT_DATA")
    if not data or not Path(data).is_dir():
        pytest.skip("LMKIT_DATA is not set to a folder of data files")
    by_size: dict[int, dict[str, Path]] = {}
    for p in Path(data).rglob("*"):
        if p.is_file() and p.name != "README.md":
            by_size.setdefault(p.stat().st_size, {})[sha256(p)] = p
    assert by_size, f"no data files under LMKIT_DATA={data}"
    copies = []
    for p in repository_files():
        candidates = by_size.get(p.stat().st_size)
        if candidates and sha256(p) in candidates:
            copies.append(f"{rel(p)} is a copy of {candidates[sha256(p)]}")
    assert not copies, "data files must be downloaded or found through LMKIT_DATA, not committed:\n" + "\n".join(copies)


# ----------------------------------------------------------------------------------- the build


# The rendered book (build with -W, links, alt text, a headless browser) is checked in tests/test_site.py.


def test_glossary_and_book_agree():
    """Every term the book introduces (its Chinese beside its English) is in the glossary, and every
    glossary entry occurs in the book (tools/glossary.py --draft prints rows for missing terms)."""
    spec = importlib.util.spec_from_file_location("glossary", ROOT / "tools" / "glossary.py")
    glossary = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(glossary)
    assert len(glossary.entries()) >= 100
    found = glossary.problems()
    assert not found, "\n".join(found)


def test_teachers_page_lists_every_exercise_check():
    """Every lmkit.check function is listed, with its chapter, on the teachers' page; no name is defined twice."""
    import lmkit.check

    names = lmkit.check.CHECKS
    twice = sorted({n for n in names if names.count(n) > 1})
    assert not twice, f"a check name is defined twice: {twice}"
    page = (ROOT / "chapters" / "teachers" / "index.md").read_text(encoding="utf-8")
    missing = [n for n in names if f"`lmkit.check.{n}`" not in page]
    assert not missing, f"checks missing from chapters/teachers/index.md: {missing}"


# ---------------------------------------------------------------------------------- the teaching kit

NOTE_OPENING = "```{admonition} Design document note"


def design_document_notes() -> tuple[dict[str, str], list[str]]:
    """The labels of every design-document note (label -> its page), and the notes that lack one."""
    notes, unlabelled = {}, []
    for path, text in markdown_texts():
        for m in re.finditer(re.escape(NOTE_OPENING), text):
            before = text[:m.start()].rstrip("\n").splitlines()
            label = re.fullmatch(r"\(([\w-]+)\)=\s*", before[-1]) if before else None
            if label:
                notes[label.group(1)] = rel(path)
            else:
                unlabelled.append(f"{rel(path)}: {text[m.end():m.end() + 80]!r}")
    return notes, unlabelled


def errata_entries() -> list[str]:
    """The numbered entries of the corrections appendix, one string each."""
    text = (ROOT / "chapters" / "appendix" / "errata.md").read_text(encoding="utf-8")
    return [m.group(0) for m in re.finditer(r"^\d+\. .*?(?=^\d+\. |^#|\Z)", text, re.MULTILINE | re.DOTALL)]


def test_design_document_notes_and_corrections_agree():
    """Each design-document note in a chapter has its own label, directly before it, and an entry in the
    corrections appendix that links to it; each entry links to at least one note."""
    notes, unlabelled = design_document_notes()
    assert not unlabelled, "notes without a `(label)=` line directly before them:\n" + "\n".join(unlabelled)
    assert len(notes) >= 30
    entries = errata_entries()
    linked = [set(re.findall(r"\{ref\}`[^`<]*<([\w-]+)>`", e)) & set(notes) for e in entries]
    problems = [f"corrections entry links to no design-document note: {e[:90]!r}"
                for e, links in zip(entries, linked) if not links]
    every_link = set().union(*linked)
    problems += [f"{page}: note {label!r} has no entry in chapters/appendix/errata.md"
                 for label, page in notes.items() if label not in every_link]
    assert not problems, "\n".join(problems)


def test_every_check_passes_a_solution_and_rejects_a_wrong_answer():
    """Each lmkit.check function is run by a chapter's hidden check on its worked solution (and passes,
    or the notebook would fail) and on a wrong answer, which it must reject (`assert not`)."""
    import lmkit.check

    hidden = "\n".join(source(c) for p in NOTEBOOKS for c in code_cells(read_nb(p)) if "check" in tags(c))
    problems = []
    for name in lmkit.check.CHECKS:
        if not re.search(rf"^\s*assert lmkit\.check\.{name}\(\w+_solution\b", hidden, re.MULTILINE):
            problems.append(f"{name}: no hidden check asserts that the worked solution passes")
        if not re.search(rf"^\s*assert not lmkit\.check\.{name}\(", hidden, re.MULTILINE):
            problems.append(f"{name}: no hidden check asserts that a wrong answer fails")
    assert not problems, "\n".join(problems)


OPEN_ENDED = re.compile(r"\*\*[^*\n]*open-ended[^*\n]*\*\*", re.IGNORECASE)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=NB_IDS)
def test_every_chapter_has_an_open_ended_exercise(path):
    """Beside the checked exercises, at least one open-ended exercise (its bold heading says so) with a
    measurable target, in the Exercises section."""
    text = "\n\n".join(source(c) for c in read_nb(path)["cells"] if c["cell_type"] == "markdown")
    m = re.search(r"^## Exercises.*?(?=^## |\Z)", text, re.MULTILINE | re.DOTALL)
    assert m, "no '## Exercises' section"
    assert OPEN_ENDED.search(m.group(0)), "no open-ended exercise in the Exercises section"


def test_semester_plan_covers_every_chapter_and_check():
    """The 14-week plan on the teachers' page names every chapter and, in its labs, every checked exercise."""
    import lmkit.check

    page = (ROOT / "chapters" / "teachers" / "index.md").read_text(encoding="utf-8")
    m = re.search(r"^## A 14-week semester$(.*?)(?=^## )", page, re.MULTILINE | re.DOTALL)
    assert m, "no '## A 14-week semester' section on the teachers' page"
    rows = re.findall(r"^\| (\d+) \|", m.group(1), re.MULTILINE)
    assert rows == [str(w) for w in range(1, 15)], f"weeks {rows}"
    labels = ["ch-" + p.stem.replace("_", "-") for p in toc_pages()
              if re.match(r"part\d+$", p.parent.name) and p.stem != "index"]
    missing = [lb for lb in labels if f"{{chapter}}`{lb}`" not in m.group(1)]
    missing += [n for n in lmkit.check.CHECKS if f"`{n}`" not in m.group(1)]
    assert not missing, f"not in the semester plan: {missing}"
