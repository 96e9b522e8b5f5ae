"""lmkit is a clean package: `python -m build` makes a wheel and an sdist that `twine check` accepts, the
wheel installs into a fresh virtual environment and runs there without the repository, and the version,
the URLs and the typing marker are where packaging tools look for them."""
from __future__ import annotations

import re
import subprocess
import sys
import tarfile
import zipfile
from pathlib import Path

import pytest

import lmkit

ROOT = Path(__file__).resolve().parent.parent
pytest.importorskip("build")
pytest.importorskip("twine")


@pytest.fixture(scope="module")
def dist(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    # --no-isolation: build with the setuptools already installed (no network needed)
    subprocess.run([sys.executable, "-m", "build", "--no-isolation", "--outdir", str(out), str(ROOT)],
                   check=True, capture_output=True, text=True, timeout=600)
    return out


def test_wheel_and_sdist_pass_twine_check(dist):
    files = sorted(dist.iterdir())
    assert sorted(f.suffix for f in files) == [".gz", ".whl"], files
    out = subprocess.run([sys.executable, "-m", "twine", "check", "--strict", *map(str, files)],
                         capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.count("PASSED") == 2, out.stdout + out.stderr


def test_wheel_holds_the_package_and_its_typing_marker(dist):
    (wheel,) = dist.glob("*.whl")
    assert wheel.name.startswith(f"lmkit-{lmkit.__version__}-")
    names = zipfile.ZipFile(wheel).namelist()
    modules = {p.stem for p in (ROOT / "lmkit").glob("*.py")}
    modules |= {"check/" + p.stem for p in (ROOT / "lmkit/check").glob("*.py")}
    assert {f"lmkit/{m}.py" for m in modules} <= set(names)
    assert "lmkit/py.typed" in names
    assert not [n for n in names if n.startswith(("tests/", "chapters/", "bench/"))]
    meta = zipfile.ZipFile(wheel).read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert f"Version: {lmkit.__version__}" in meta and "Typing :: Typed" in meta
    (sdist,) = dist.glob("*.tar.gz")
    assert any(n.endswith("lmkit/py.typed") for n in tarfile.open(sdist).getnames())


def test_wheel_installs_and_runs_in_a_fresh_environment(dist, tmp_path):
    """A virtual environment that sees the installed torch and numpy (system site packages) but gets lmkit
    only from the wheel, run from a folder outside the repository."""
    (wheel,) = dist.glob("*.whl")
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=300)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", str(wheel)],
                   check=True, timeout=300, capture_output=True)
    script = """
import lmkit, torch, sys
assert lmkit.__file__.startswith(sys.prefix), lmkit.__file__
lmkit.set_seed(0)
data = torch.tensor(lmkit.CharTokenizer.train("abcab" * 200).encode("abcab" * 200))
model = lmkit.GPT(lmkit.GPTConfig(vocab_size=3, block_size=8, n_layer=1, n_head=1, n_embd=16))
hist = lmkit.train(model, data, config=lmkit.TrainConfig(max_iters=60, batch_size=8, block_size=8,
                   lr=1e-2, warmup_iters=5, eval_interval=0), progress=False)
assert hist.train_loss[-1] < 0.5, hist.train_loss[-1]
print("ok", lmkit.__version__, lmkit.__file__)
"""
    out = subprocess.run([str(py), "-c", script], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0 and out.stdout.startswith("ok"), out.stdout + out.stderr


def test_public_api_is_listed_and_typed():
    assert re.fullmatch(r"\d+\.\d+\.\d+", lmkit.__version__)
    for name in lmkit.__all__:
        assert hasattr(lmkit, name), name
    for module in (lmkit.attention, lmkit.data, lmkit.datasets, lmkit.generation, lmkit.model, lmkit.ngram,
                   lmkit.plot, lmkit.positional, lmkit.seq2seq, lmkit.tokenizers, lmkit.training, lmkit.widgets):
        assert all(hasattr(module, n) for n in module.__all__), module.__name__
    assert (ROOT / "lmkit" / "py.typed").is_file()
