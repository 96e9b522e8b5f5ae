"""Tests of lmkit.data: the registry against the offline mirror, fetch/download against a local
HTTP server (good, corrupt, missing and unreachable files), train_val_split and get_batch."""

from __future__ import annotations

import hashlib
import os
import re
import socket
from pathlib import Path

import pytest
import torch

from lmkit import data, datasets
from lmkit.datasets import DATASETS, DataFile, Dataset, DownloadError

OFFLINE = os.environ.get("LMKIT_DATA")
needs_offline = pytest.mark.skipif(not OFFLINE, reason="LMKIT_DATA is not set (CI sets it to ../shared/data)")


# ----------------------------------------------------------------------------------------------
# The registry against the offline mirror


@needs_offline
@pytest.mark.parametrize("name", sorted(DATASETS))
def test_registry_matches_offline_files(name: str) -> None:
    for f in DATASETS[name].files:
        path = Path(OFFLINE) / name / f.name
        assert path.is_file(), path
        assert path.stat().st_size == f.size
        assert hashlib.sha256(path.read_bytes()).hexdigest() == f.sha256


@needs_offline
def test_registry_matches_mirror_readme() -> None:
    """Every row of the mirror's README table (dataset/file, URL, bytes, sha256) is in DATASETS."""
    readme = Path(OFFLINE) / "README.md"
    if not readme.is_file():
        pytest.skip("no README.md in LMKIT_DATA")
    rows = re.findall(r"^\| ([\w.-]+)/([\w.-]+) \| (https://\S+) \| ([\d,]+) \| ([0-9a-f]{64}) \|",
                      readme.read_text(encoding="utf-8"), flags=re.MULTILINE)
    assert len(rows) == sum(len(d.files) for d in DATASETS.values()) == 8
    for name, file, url, size, sha in rows:
        (f,) = [f for f in DATASETS[name].files if f.name == file]
        assert (f.url, f.size, f.sha256) == (url, int(size.replace(",", "")), sha)


def test_registry_entries_are_complete() -> None:
    for name, d in DATASETS.items():
        assert d.name == name and d.files and d.description and d.licence and d.citation
        assert d.homepage.startswith("https://")
        for f in d.files:
            assert f.url.startswith("https://") and f.url.endswith("/" + f.name.split("/")[-1])
            assert re.fullmatch(r"[0-9a-f]{64}", f.sha256) and f.size > 0


@needs_offline
def test_fetch_uses_offline_copy(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("LMKIT_CACHE", str(tmp_path / "cache"))
    paths = datasets.fetch("CA8", progress=False)
    assert paths == {f.name: Path(OFFLINE).resolve() / "CA8" / f.name for f in DATASETS["CA8"].files}
    assert not (tmp_path / "cache").exists()  # nothing downloaded or copied


@needs_offline
def test_load_text_tinyshakespeare() -> None:
    text = datasets.load_text("tinyshakespeare", progress=False)
    assert len(text) == 1_115_394 and len(set(text)) == 65  # ASCII: 1 byte per character
    assert text.startswith("First Citizen:")


def test_load_text_rejects_multi_file_and_zip() -> None:
    with pytest.raises(ValueError, match=r"name='CA8'.*fetch\('CA8'\)"):
        datasets.load_text("CA8")
    with pytest.raises(ValueError, match="name='cnn-dailymail-sample'"):
        datasets.load_text("cnn-dailymail-sample")


def test_unknown_name() -> None:
    with pytest.raises(ValueError, match=r"name must be one of 'tinyshakespeare', .*'CA8', got 'shakespeare'"):
        datasets.fetch("shakespeare")


# ----------------------------------------------------------------------------------------------
# Downloads from a local HTTP server


class Server:
    """Serves ``files`` (path -> bytes) from a :class:`LocalServer` (tests/conftest.py)."""

    def __init__(self, local_server) -> None:
        self.files: dict[str, bytes] = {}
        self._server = local_server(self._respond)
        self.url, self.hits = self._server.url, self._server.hits

    def _respond(self, handler) -> None:
        body = self.files.get(handler.path)
        if body is None:
            handler.send_error(404)
            return
        handler.send_response(200)
        handler.send_header("Content-Length", str(len(body)))
        handler.end_headers()
        handler.wfile.write(body)


@pytest.fixture
def server(local_server):
    return Server(local_server)


def _sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def _register(monkeypatch: pytest.MonkeyPatch, server: Server, files: dict[str, bytes],
              sha: dict[str, str] | None = None) -> Dataset:
    """Serve ``files`` and register them as data set "testset" (``sha`` overrides their hashes)."""
    entries = []
    for name, content in files.items():
        server.files[f"/files/{name}"] = content
        entries.append(DataFile(name, f"{server.url}/files/{name}", (sha or {}).get(name, _sha(content)),
                                len(content)))
    d = Dataset("testset", tuple(entries), "test", "none", "none", "https://example.org")
    monkeypatch.setitem(DATASETS, "testset", d)
    return d


@pytest.fixture
def cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """An empty cache folder and no offline copy."""
    monkeypatch.delenv("LMKIT_DATA", raising=False)
    monkeypatch.setenv("LMKIT_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache"


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_download_good_file(server: Server, tmp_path: Path) -> None:
    content = os.urandom(300_000)
    server.files["/good.bin"] = content
    dest = tmp_path / "ds" / "good.bin"
    assert datasets.download(f"{server.url}/good.bin", dest, _sha(content), progress=False) == dest
    assert dest.read_bytes() == content
    assert _leftovers(tmp_path) == ["good.bin"]  # no temporary file left


def test_download_progress_bar(server: Server, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    server.files["/good.bin"] = b"x" * 1000
    datasets.download(f"{server.url}/good.bin", tmp_path / "good.bin", _sha(b"x" * 1000))
    assert "good.bin" in capsys.readouterr().err  # tqdm writes its bar to stderr


def test_download_corrupt_file(server: Server, tmp_path: Path) -> None:
    content = b"not what was pinned"
    server.files["/bad.txt"] = content
    expected = _sha(b"the pinned content")
    url = f"{server.url}/bad.txt"
    with pytest.raises(DownloadError) as e:
        datasets.download(url, tmp_path / "ds" / "bad.txt", expected, progress=False)
    msg = str(e.value)
    assert "bad.txt" in msg and url in msg and "sha256" in msg
    assert expected in msg and _sha(content) in msg
    assert _leftovers(tmp_path) == []  # neither the bad file nor a temporary file


def test_download_missing_file(server: Server, tmp_path: Path) -> None:
    url = f"{server.url}/nothere.txt"
    dest = tmp_path / "mydata" / "nothere.txt"
    with pytest.raises(DownloadError) as e:
        datasets.download(url, dest, "0" * 64, progress=False)
    msg = str(e.value)
    assert "404" in msg and "nothere.txt" in msg and url in msg
    assert str(dest) in msg and "LMKIT_DATA" in msg and "mydata/nothere.txt" in msg
    assert _leftovers(tmp_path) == []


def test_download_unreachable(tmp_path: Path) -> None:
    with socket.socket() as s:  # a port that was free a moment ago: nothing listens there
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"http://127.0.0.1:{port}/input.txt"
    with pytest.raises(DownloadError, match=r"input\.txt.*127\.0\.0\.1.*network.*LMKIT_DATA"):
        datasets.download(url, tmp_path / "ds" / "input.txt", "0" * 64, timeout=5, progress=False)
    assert _leftovers(tmp_path) == []


def test_download_timeout(tmp_path: Path) -> None:
    with socket.socket() as s:  # accepts connections (backlog) but never answers
        s.bind(("127.0.0.1", 0))
        s.listen()
        url = f"http://127.0.0.1:{s.getsockname()[1]}/slow.txt"
        with pytest.raises(DownloadError, match=r"slow\.txt.*timed out.*LMKIT_DATA"):
            datasets.download(url, tmp_path / "ds" / "slow.txt", "0" * 64, timeout=0.5, progress=False)
    assert _leftovers(tmp_path) == []


def test_download_bad_arguments(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="sha256 must be 64 hexadecimal"):
        datasets.download("http://127.0.0.1/x", tmp_path / "x", "abc")
    with pytest.raises(ValueError, match="timeout must be a number of seconds > 0"):
        datasets.download("http://127.0.0.1/x", tmp_path / "x", "0" * 64, timeout=0)


def test_fetch_downloads_then_uses_cache(
    server: Server, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files = {"one.txt": b"first file\n" * 50, "two.bin": os.urandom(5000)}
    _register(monkeypatch, server, files)
    paths = datasets.fetch("testset", progress=False)
    assert paths == {name: cache / "testset" / name for name in files}
    assert {name: p.read_bytes() for name, p in paths.items()} == files
    assert sorted(server.hits) == ["/files/one.txt", "/files/two.bin"]
    assert datasets.fetch("testset", progress=False) == paths  # second call: from the cache
    assert len(server.hits) == 2
    assert _leftovers(cache) == ["one.txt", "two.bin"]


def test_fetch_replaces_damaged_cache_entry(
    server: Server, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    content = b"the right bytes\n"
    _register(monkeypatch, server, {"a.txt": content})
    (cache / "testset").mkdir(parents=True)
    (cache / "testset" / "a.txt").write_bytes(b"the wrong bytes\n")
    path = datasets.fetch("testset", progress=False)["a.txt"]
    assert path.read_bytes() == content and server.hits == ["/files/a.txt"]


def test_fetch_corrupt_download_leaves_nothing(
    server: Server, cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _register(monkeypatch, server, {"a.txt": b"served bytes"}, sha={"a.txt": _sha(b"pinned bytes")})
    with pytest.raises(DownloadError, match=r"a\.txt.*/files/a\.txt.*sha256"):
        datasets.fetch("testset", progress=False)
    assert _leftovers(cache) == []


def test_fetch_missing_file_message(server: Server, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = _register(monkeypatch, server, {"gone.txt": b"content"})
    del server.files["/files/gone.txt"]
    with pytest.raises(DownloadError) as e:
        datasets.fetch("testset", progress=False)
    msg = str(e.value)
    assert "gone.txt" in msg and d.files[0].url in msg and "404" in msg
    assert "LMKIT_DATA" in msg and "testset/gone.txt" in msg and str(cache / "testset" / "gone.txt") in msg


def test_fetch_offline_folder_without_the_file_falls_back(server: Server, cache: Path, tmp_path: Path,
                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    _register(monkeypatch, server, {"a.txt": b"abc"})
    monkeypatch.setenv("LMKIT_DATA", str(tmp_path / "empty"))
    assert datasets.fetch("testset", progress=False)["a.txt"] == cache / "testset" / "a.txt"


def test_fetch_offline_without_copy(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    f = DataFile("input.txt", f"http://127.0.0.1:{port}/input.txt", "0" * 64, 10)
    monkeypatch.setitem(DATASETS, "testset", Dataset("testset", (f,), "t", "t", "t", "https://example.org"))
    with pytest.raises(DownloadError, match=r"input\.txt.*network.*testset/input\.txt"):
        datasets.fetch("testset", progress=False)
    assert _leftovers(cache) == []


def test_cache_dir_order(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("LMKIT_CACHE", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    assert datasets.cache_dir() == Path.home() / ".cache" / "lmkit"
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert datasets.cache_dir() == tmp_path / "xdg" / "lmkit"
    monkeypatch.setenv("LMKIT_CACHE", str(tmp_path / "mine"))
    assert datasets.cache_dir() == tmp_path / "mine"


def test_corrupt_offline_copy_is_reported_and_kept(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                                   server: Server) -> None:
    content = b"hello, world\n" * 100
    _register(monkeypatch, server, {"a.txt": content})
    bad = tmp_path / "offline" / "testset" / "a.txt"
    bad.parent.mkdir(parents=True)
    bad.write_bytes(content[:-1] + b"?")  # right size, wrong bytes
    monkeypatch.setenv("LMKIT_DATA", str(tmp_path / "offline"))
    monkeypatch.setenv("LMKIT_CACHE", str(tmp_path / "cache"))
    with pytest.raises(ValueError, match=r"offline copy .*a\.txt.*LMKIT_DATA.* is corrupt.*sha256"):
        datasets.fetch("testset", progress=False)
    assert bad.read_bytes() == content[:-1] + b"?"  # the user's file is left alone
    bad.write_bytes(b"short")
    with pytest.raises(ValueError, match="corrupt: it has 5 bytes, expected 1,300 bytes"):
        datasets.fetch("testset", progress=False)
    assert server.hits == []


# ----------------------------------------------------------------------------------------------
# train_val_split


@pytest.mark.parametrize("seq", ["abcdefghij", list(range(10)), torch.arange(10)])
def test_train_val_split(seq) -> None:
    train, val = data.train_val_split(seq)
    assert len(train) == 9 and len(val) == 1
    assert list(train) + list(val) == list(seq)  # in order, nothing lost
    assert type(train) is type(seq)
    train, val = data.train_val_split(seq, frac=0.5)
    assert list(train) == list(seq[:5]) and list(val) == list(seq[5:])


@needs_offline
def test_train_val_split_tinyshakespeare() -> None:
    text = datasets.load_text(progress=False)
    train, val = data.train_val_split(text)
    assert len(train) == int(0.9 * len(text)) == 1_003_854 and train + val == text


@pytest.mark.parametrize("frac", [0, 1, 1.5, -0.1, "0.9", True])
def test_train_val_split_bad_frac(frac) -> None:
    with pytest.raises(ValueError, match=r"frac must be a number in \(0, 1\)"):
        data.train_val_split("abcdef", frac)


def test_train_val_split_bad_data() -> None:
    with pytest.raises(ValueError, match=r"data has 0 items"):
        data.train_val_split("")
    with pytest.raises(ValueError, match=r"data has 1 items"):
        data.train_val_split([1])
    with pytest.raises(ValueError, match="data must be a 1-D tensor"):
        data.train_val_split(torch.zeros(4, 4))
    with pytest.raises(ValueError, match="data must be a str, list or 1-D tensor"):
        data.train_val_split(123)


# ----------------------------------------------------------------------------------------------
# get_batch


def test_get_batch_blocks_and_shifted_targets() -> None:
    source = torch.randperm(1000)  # distinct values: each x row can be located in the source
    x, y = data.get_batch(source, 16, 8, generator=torch.Generator().manual_seed(0))
    assert x.shape == y.shape == (16, 8) and x.dtype == y.dtype == torch.long
    for row_x, row_y in zip(x, y):
        i = int((source == row_x[0]).nonzero())
        assert torch.equal(row_x, source[i : i + 8])
        assert torch.equal(row_y, source[i + 1 : i + 9])  # y[:, t] is the token after x[:, t]


@needs_offline
def test_get_batch_on_tinyshakespeare() -> None:
    text = datasets.load_text(progress=False)
    stoi = {c: i for i, c in enumerate(sorted(set(text)))}
    source = torch.tensor([stoi[c] for c in text[:20_000]], dtype=torch.int32)
    itos = {i: c for c, i in stoi.items()}
    x, y = data.get_batch(source, 4, 32, generator=torch.Generator().manual_seed(1))
    for row_x, row_y in zip(x.tolist(), y.tolist()):
        sx, sy = "".join(itos[i] for i in row_x), "".join(itos[i] for i in row_y)
        assert sx[1:] == sy[:-1]
        i = text[:20_000].find(sx + sy[-1])
        assert i >= 0  # the block plus its last target is a real stretch of the play


def test_get_batch_covers_every_start_and_the_last_token() -> None:
    source = torch.arange(6)
    x, y = data.get_batch(source, 400, 3, generator=torch.Generator().manual_seed(0))
    assert set(x[:, 0].tolist()) == {0, 1, 2}  # starts 0 .. len - block_size - 1
    assert y.max() == 5
    x, y = data.get_batch(torch.arange(4), 2, 3)  # exactly block_size + 1 tokens: one possible block
    assert x.tolist() == [[0, 1, 2]] * 2 and y.tolist() == [[1, 2, 3]] * 2


def test_get_batch_generator_and_device() -> None:
    source = torch.arange(500)
    a = data.get_batch(source, 4, 10, generator=torch.Generator().manual_seed(3))
    b = data.get_batch(source, 4, 10, generator=torch.Generator().manual_seed(3), device="cpu")
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1]) and b[0].device.type == "cpu"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((torch.zeros(10, 2, dtype=torch.long), 2, 3), "data must be a 1-D tensor"),
        (([1, 2, 3, 4, 5], 2, 3), "data must be a 1-D tensor"),
        ((torch.rand(100), 2, 3), "data must hold integer token ids"),
        ((torch.ones(100, dtype=torch.bool), 2, 3), "data must hold integer token ids"),
        ((torch.arange(8), 2, 8), r"data has 8 tokens, too few for block_size=8"),
        ((torch.arange(100), 0, 8), "batch_size must be a positive integer"),
        ((torch.arange(100), 2.0, 8), "batch_size must be a positive integer"),
        ((torch.arange(100), 2, -1), "block_size must be a positive integer"),
    ],
)
def test_get_batch_bad_input(args, message) -> None:
    with pytest.raises(ValueError, match=message):
        data.get_batch(*args)


@needs_offline
def test_part5_loaders_read_the_published_files() -> None:
    texts, labels = datasets.load_polarity(progress=False)
    assert len(texts) == len(labels) == 10_662 and sum(labels) == 5_331
    assert labels[0] == 1 and labels[-1] == 0 and all(isinstance(t, str) and t for t in texts)
    pairs = datasets.load_translation_pairs(progress=False)
    assert len(pairs) == 20_133 and pairs[0] == ("Hi.", "嗨。")
    assert all(en and zh and "\t" not in en + zh for en, zh in pairs)
    articles = datasets.load_cnn_dailymail(progress=False)
    assert len(articles) == 100 and len({a["id"] for a in articles}) == 100
    assert all(len(a["article"]) > len(a["highlights"]) > 0 for a in articles)


def test_pad_batch_pads_on_the_right_and_masks_the_padding() -> None:
    ids, mask = data.pad_batch([[5, 6, 7], [8], torch.tensor([9, 10])], pad_id=0)
    assert ids.tolist() == [[5, 6, 7], [8, 0, 0], [9, 10, 0]] and ids.dtype == torch.long
    assert mask.tolist() == [[True] * 3, [True, False, False], [True, True, False]]
    ids, mask = data.pad_batch([[5, 6, 7], [8]], pad_id=1, max_len=2)
    assert ids.tolist() == [[5, 6], [8, 1]] and mask.sum().item() == 3
