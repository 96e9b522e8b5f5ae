"""The rendered book: it builds with no warnings, no internal link is broken, every figure has a text
alternative, and in a real (headless) browser the pages show rendered math, figures and the Colab button.

The book is built once per test session into a temporary folder (the README's first command, minus the
installs). The browser test needs Chromium (Debian's package), the `playwright` Python package and the
npm packages that the pages load from CDNs (MathJax, the widget manager, RequireJS): `.ci/run` installs
them (see .ci/browser_deps.sh) and sets LMKIT_BROWSER_TEST=1, which turns a missing piece into a failure
instead of a skip; LMKIT_CHROMIUM names a Chromium binary elsewhere (GitHub's workflow uses playwright's).
Screenshots are saved under $LMKIT_ARTIFACTS (default: _build/test-artifacts).
"""
from __future__ import annotations

import functools
import html.parser
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
import urllib.parse
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
REQUIRE_BROWSER = os.environ.get("LMKIT_BROWSER_TEST") == "1"


@pytest.fixture(scope="session")
def site(tmp_path_factory) -> Path:
    """`jupyter-book build . -W` into a temporary folder; returns its _build/html (LMKIT_SITE: a prebuilt one)."""
    if os.environ.get("LMKIT_SITE"):
        return Path(os.environ["LMKIT_SITE"])
    jb = shutil.which("jupyter-book")
    if jb is None:
        pytest.skip("jupyter-book is not installed")
    out_dir = tmp_path_factory.mktemp("book")
    out = subprocess.run([jb, "build", str(ROOT), "-W", "--keep-going", "--path-output", str(out_dir)],
                         capture_output=True, text=True, timeout=1200, check=False)
    log = out.stdout + out.stderr
    warnings = [ln for ln in log.splitlines() if "WARNING" in ln or "ERROR" in ln]
    assert out.returncode == 0 and not warnings, "\n".join(warnings) or log[-6000:]
    html_dir = out_dir / "_build" / "html"
    assert (html_dir / "index.html").is_file()
    return html_dir


def test_book_builds_without_warnings(site):
    """-W turns every unresolved cross-reference, citation or {doc} link into a failure."""
    assert (site / "genindex.html").is_file()


class _Page(html.parser.HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()
        self.images: list[dict] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.add(a["id"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "img":
            self.images.append(a)


@functools.cache
def _parse(path: Path) -> _Page:
    page = _Page()
    page.feed(path.read_text(encoding="utf-8"))
    return page


def _book_pages(site: Path) -> list[Path]:
    """The pages of the book itself (not Sphinx's search and index pages)."""
    return sorted(p for p in site.rglob("*.html")
                  if p.parent.name != "_static" and p.name not in {"search.html", "genindex.html"})


def test_no_broken_internal_links(site):
    """Every relative link of every page points to a file of the site, and its #fragment to an id there."""
    broken = []
    for page in _book_pages(site):
        for href in _parse(page).links:
            url = urllib.parse.urlparse(href)
            if url.scheme or url.netloc or href.startswith(("mailto:", "javascript:")):
                continue  # external: not checked offline
            target = page if not url.path else (page.parent / urllib.parse.unquote(url.path)).resolve()
            if target.is_dir():
                target = target / "index.html"
            if not target.is_file():
                broken.append(f"{page.relative_to(site)}: {href} (no such file)")
            elif url.fragment and target.suffix == ".html" and url.fragment not in _parse(target).ids:
                broken.append(f"{page.relative_to(site)}: {href} (no id {url.fragment!r} there)")
    assert not broken, "\n".join(broken[:50])


def test_every_figure_has_a_text_alternative(site):
    """Every image has alt text that says something: not empty, not the image's own file name."""
    missing = []
    for page in _book_pages(site):
        for img in _parse(page).images:
            src, alt = img.get("src", ""), (img.get("alt") or "").strip()
            if not alt or alt == src or re.fullmatch(r"[\w./-]+\.(png|jpg|jpeg|gif|svg)", alt):
                missing.append(f"{page.relative_to(site)}: {src} (alt={alt!r})")
    assert not missing, f"{len(missing)} images without alt text:\n" + "\n".join(missing[:40])


# ------------------------------------------------------------------------------------------ browser

CDN = {  # what the pages load from CDNs -> the same files from npm packages, served locally
    "https://cdn.jsdelivr.net/npm/mathjax@3/": "mathjax/",
    "https://cdnjs.cloudflare.com/ajax/libs/require.js/2.3.4/require.min.js": "requirejs/require.js",
    "https://cdn.jsdelivr.net/npm/@jupyter-widgets/html-manager@1.0.6/": "@jupyter-widgets/html-manager/",
}


def _browser_pieces():
    """(playwright module, chromium path, node_modules folder) or a reason why not."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return "the playwright package is not installed (pip install playwright)"
    chromium = os.environ.get("LMKIT_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        return "Chromium is not installed (Debian: apt-get install chromium)"
    modules = Path(os.environ.get("LMKIT_NODE_MODULES", ROOT / ".ci" / "node_modules"))
    if not (modules / "mathjax" / "es5" / "tex-mml-chtml.js").is_file():
        return f"MathJax's npm package is not in {modules} (bash .ci/browser_deps.sh)"
    return sync_playwright, chromium, modules


@pytest.fixture(scope="session")
def browser_page(site):
    pieces = _browser_pieces()
    if isinstance(pieces, str):
        if REQUIRE_BROWSER:
            pytest.fail(pieces)
        pytest.skip(pieces)
    sync_playwright, chromium, modules = pieces
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    unserved: list[str] = []

    def route(r):
        url = r.request.url
        if url.startswith(base):
            return r.continue_()
        for prefix, local in CDN.items():
            if url.startswith(prefix):
                path = modules / (local + url[len(prefix):].split("?")[0] if local.endswith("/") else local)
                if path.is_file():
                    return r.fulfill(path=str(path))
        unserved.append(url)
        return r.abort()

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.route("**/*", route)
        yield page, base, unserved
        browser.close()
    server.shutdown()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


ARTIFACTS = Path(os.environ.get("LMKIT_ARTIFACTS", ROOT / "_build" / "test-artifacts"))


@pytest.mark.parametrize("path", ["intro.html", "chapters/part4/gpt_from_scratch.html",
                                  "chapters/part4/generation.html"])
def test_page_renders_in_a_browser(browser_page, path):
    page, base, unserved = browser_page
    page.goto(base + path, wait_until="load")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    if path != "intro.html":
        page.wait_for_selector("mjx-container", timeout=30_000)  # MathJax has typeset the math
        assert page.locator("mjx-container").count() > 0
        assert page.locator("span.math, div.math").filter(has_text=re.compile(r"\\\\")).count() == 0, "raw TeX left"
        figures = page.locator("img[src$='.png']")
        assert figures.count() > 0
        assert figures.first.evaluate("img => img.complete && img.naturalWidth > 0"), "a figure did not load"
        colab = page.locator("a[href*='colab.research.google.com']")
        assert colab.count() > 0, "no Colab launch link"
        assert path.replace(".html", ".ipynb") in colab.first.get_attribute("href")
    else:
        assert "Large Language Models" in page.title()
    page.screenshot(path=str(ARTIFACTS / (path.replace("/", "_").replace(".html", ".png"))), full_page=False)
    assert not [u for u in unserved if "mathjax" in u], unserved


def _static_explorers() -> dict[str, int]:
    """Each page whose notebook builds explorers with a static twin, and how many it builds."""
    import sys

    import nbformat

    sys.path.insert(0, str(Path(__file__).parent))
    from test_book import EXPLORER_CALL, toc_notebooks

    found = {}
    for nb_path in toc_notebooks():
        cells = [c for c in nbformat.read(nb_path, as_version=4).cells if c.cell_type == "code"]
        n = sum(bool(EXPLORER_CALL.search(c.source)) for c in cells)
        if n:
            found[nb_path.relative_to(ROOT).with_suffix(".html").as_posix()] = n
    return found


STATIC_EXPLORERS = _static_explorers()


@pytest.mark.parametrize("path", sorted(STATIC_EXPLORERS))
def test_explorers_move_on_the_static_page(browser_page, path):
    """On the rendered page, the precomputed twin is shown instead of the live widget (which needs a
    kernel), and moving its slider changes the figure or text that the reader sees."""
    page, base, _ = browser_page
    page.goto(base + path, wait_until="load")
    boxes = page.locator(".lmkit-static")
    assert boxes.count() == STATIC_EXPLORERS[path]
    for k in range(boxes.count()):
        box = boxes.nth(k)
        assert box.is_visible(), "the static explorer is hidden on the page"
        output = box.locator("xpath=ancestor::div[contains(concat(' ', @class, ' '), ' cell_output ')][1]")
        assert output.locator("script[type='application/vnd.jupyter.widget-view+json']").count() == 1
        assert output.locator(".widget-interact, .jupyter-widgets, .widget-vbox").filter(
            visible=True).count() == 0, "the live widget, which cannot move here, is still shown"

        def seen(box=box) -> str:
            frame = box.locator(".lmkit-static-frame:not([hidden])")
            assert frame.count() == 1, "exactly one frame should be visible"
            img = frame.locator("img")
            if img.count():
                assert img.first.evaluate("i => i.complete && i.naturalWidth > 0"), "a frame did not load"
            return frame.inner_html()

        before = seen()
        slider = box.locator("input[type=range]").first
        top = int(slider.get_attribute("max"))
        target = 0 if int(slider.input_value()) != 0 else top
        slider.evaluate("(e, v) => { e.value = v; e.dispatchEvent(new Event('input')); }", target)
        label = slider.locator("xpath=following-sibling::output").inner_text()
        assert seen() != before, f"moving the slider of explorer {k} did not change what the page shows"
        assert label == json.loads(slider.get_attribute("data-labels"))[target]
    page.screenshot(path=str(ARTIFACTS / (path.replace("/", "_").replace(".html", "-explorer.png"))))


def _readme_student_command() -> str:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = re.search(r"^## The student edition\s*$(.*?)(?=^## )", text, re.MULTILINE | re.DOTALL)
    assert section, "README.md has no '## The student edition' section"
    (command,) = re.findall(r"^```bash\n(.+?)\n```", section.group(1), re.MULTILINE)
    return command


def test_student_edition_builds_without_the_solutions(site, tmp_path):
    """The README's student-edition command, run on a copy of the book: it builds under -W, and every
    worked solution that the full book shows is gone while the exercise stubs stay."""
    command = _readme_student_command()
    assert command.startswith("LMKIT_STUDENT_EDITION=1 jupyter-book build . -W")
    book = tmp_path / "book"
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split("\0")
    for f in filter(None, files):
        if (ROOT / f).is_file():
            (book / f).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / f, book / f)
    env = {**os.environ, "LMKIT_STUDENT_EDITION": "1"}
    out = subprocess.run(command.split(" ", 1)[1], shell=True, cwd=book, env=env, capture_output=True,
                         text=True, timeout=1200, check=False)
    log = out.stdout + out.stderr
    warnings = [ln for ln in log.splitlines() if "WARNING" in ln or "ERROR" in ln]
    assert out.returncode == 0 and not warnings, "\n".join(warnings) or log[-6000:]
    student = book / "_build" / "student" / "_build" / "html"
    pages = sorted(p.relative_to(site) for p in site.rglob("chapters/part*/*.html"))
    with_solutions = [p for p in pages if "tag_solution" in (site / p).read_text(encoding="utf-8")]
    assert len(with_solutions) >= 10, "the full book should show worked solutions"
    for p in with_solutions:
        page = (student / p).read_text(encoding="utf-8")
        assert "tag_solution" not in page, f"{p}: a solution is still in the student edition"
        assert "NotImplementedError" in page, f"{p}: the exercise stubs are missing from the student edition"
