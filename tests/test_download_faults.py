"""Downloads against a misbehaving local HTTP server on 127.0.0.1.

A slow server, a connection dropped mid-file, a wrong sha256, a redirect, a redirect loop, a server
error that clears up, and two processes fetching the same file at once. Each case checks the
message (which file, which URL, what to do) and that no partial file is left behind.
"""
from __future__ import annotations

import hashlib
import multiprocessing
import os
import random
import time
from pathlib import Path

import pytest

from lmkit import datasets
from lmkit.datasets import DATASETS, DataFile, Dataset, DownloadError

BODY = random.Random(0).randbytes(200_000)  # the same in the child processes below
SHA = hashlib.sha256(BODY).hexdigest()


def faulty(plan: list[str]):
    """What the server does for each successive request to /file: "ok", "error", "drop", "stall" or "slow";
    /moved redirects to /file, /loop-a and /loop-b redirect to each other."""
    plan = list(plan)

    def respond(h) -> None:
        if h.path in ("/moved", "/loop-a", "/loop-b"):
            h.send_response(302)
            h.send_header("Location", {"/moved": "/file", "/loop-a": "/loop-b", "/loop-b": "/loop-a"}[h.path])
            h.send_header("Content-Length", "0")
            h.end_headers()
            return
        mode = plan.pop(0) if plan else "ok"
        if mode == "error":
            h.send_error(503, "Service Unavailable")
            return
        h.send_response(200)
        h.send_header("Content-Length", str(len(BODY)))
        h.send_header("Connection", "close")
        h.end_headers()
        if mode == "drop":  # half the file, then hang up
            h.wfile.write(BODY[: len(BODY) // 2])
            h.wfile.flush()
            h.connection.shutdown(2)
        elif mode == "stall":  # a little, then nothing for longer than the client waits
            h.wfile.write(BODY[:1000])
            h.wfile.flush()
            time.sleep(3)
        elif mode == "slow":  # the whole file, in small pieces with pauses shorter than the timeout
            for i in range(0, len(BODY), 20_000):
                h.wfile.write(BODY[i:i + 20_000])
                h.wfile.flush()
                time.sleep(0.05)
        else:
            h.wfile.write(BODY)

    return respond


@pytest.fixture
def serve(local_server):
    return lambda plan=(): local_server(faulty(plan))


def _files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def test_slow_but_steady_server_completes(serve, tmp_path):
    s = serve(["slow"])
    dest = datasets.download(f"{s.url}/file", tmp_path / "ds" / "f.bin", SHA, timeout=2, progress=False)
    assert dest.read_bytes() == BODY


def test_stalled_server_times_out_with_a_clear_message(serve, tmp_path):
    s = serve(["stall", "stall"])
    url = f"{s.url}/file"
    with pytest.raises(DownloadError) as e:
        datasets.download(url, tmp_path / "ds" / "f.bin", SHA, timeout=0.5, retries=1, progress=False)
    msg = str(e.value)
    assert "f.bin" in msg and url in msg and "timed out" in msg and "2 attempts" in msg and "LMKIT_DATA" in msg
    assert _files(tmp_path) == []
    assert len(s.hits) == 2


def test_dropped_connection_leaves_nothing_and_is_retried(serve, tmp_path):
    s = serve(["drop", "ok"])
    dest = datasets.download(f"{s.url}/file", tmp_path / "ds" / "f.bin", SHA, timeout=5, progress=False)
    assert dest.read_bytes() == BODY  # the second attempt starts the file again from its first byte
    assert len(s.hits) == 2 and _files(tmp_path) == ["f.bin"]


def test_dropped_connection_every_time(serve, tmp_path):
    s = serve(["drop", "drop"])
    url = f"{s.url}/file"
    with pytest.raises(DownloadError) as e:
        datasets.download(url, tmp_path / "ds" / "f.bin", SHA, timeout=5, retries=1, progress=False)
    msg = str(e.value)
    assert "f.bin" in msg and url in msg and "closed" in msg and "LMKIT_DATA" in msg
    assert _files(tmp_path) == []


def test_server_error_then_success(serve, tmp_path):
    s = serve(["error", "ok"])
    assert datasets.download(f"{s.url}/file", tmp_path / "f.bin", SHA, progress=False).read_bytes() == BODY


def test_wrong_sha256_is_refused_and_nothing_is_cached(serve, tmp_path, monkeypatch):
    s = serve()
    monkeypatch.delenv("LMKIT_DATA", raising=False)
    monkeypatch.setenv("LMKIT_CACHE", str(tmp_path / "cache"))
    monkeypatch.setitem(DATASETS, "faulty", Dataset("faulty", (DataFile("f.bin", f"{s.url}/file", "0" * 64,
                                                                          len(BODY)),), "t", "t", "t", "t"))
    with pytest.raises(DownloadError, match=r"f\.bin.*sha256.*not kept"):
        datasets.fetch("faulty", progress=False)
    assert _files(tmp_path / "cache") == [] and len(s.hits) == 1  # a hash mismatch is not retried


def test_redirect_is_followed(serve, tmp_path):
    s = serve()
    dest = datasets.download(f"{s.url}/moved", tmp_path / "f.bin", SHA, progress=False)
    assert dest.read_bytes() == BODY and s.hits == ["/moved", "/file"]


def test_redirect_loop_is_a_clear_error(serve, tmp_path):
    s = serve()
    url = f"{s.url}/loop-a"
    with pytest.raises(DownloadError) as e:
        datasets.download(url, tmp_path / "f.bin", SHA, progress=False)
    assert "f.bin" in str(e.value) and url in str(e.value) and "redirect" in str(e.value)
    assert _files(tmp_path) == []


def _fetch_in_child(cache: str, url: str, out: multiprocessing.Queue) -> None:
    os.environ.pop("LMKIT_DATA", None)
    os.environ["LMKIT_CACHE"] = cache
    DATASETS["faulty"] = Dataset("faulty", (DataFile("f.bin", url, SHA, len(BODY)),), "t", "t", "t", "t")
    try:
        out.put(str(datasets.fetch("faulty", progress=False)["f.bin"]))
    except Exception as e:  # report, do not hang the parent
        out.put(f"{type(e).__name__}: {e}")


def test_two_processes_fetching_at_once_leave_one_complete_file(serve, tmp_path):
    s = serve(["slow", "slow"])  # slow, so the two downloads overlap
    ctx = multiprocessing.get_context("spawn")
    out = ctx.Queue()
    procs = [ctx.Process(target=_fetch_in_child, args=(str(tmp_path / "cache"), f"{s.url}/file", out))
             for _ in range(2)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    path = tmp_path / "cache" / "faulty" / "f.bin"
    assert results == [str(path), str(path)]
    assert path.read_bytes() == BODY
    assert _files(tmp_path / "cache") == ["f.bin"]  # no temporary file left by either process


def test_bad_retries_argument(tmp_path):
    with pytest.raises(ValueError, match="retries"):
        datasets.download("http://127.0.0.1/x", tmp_path / "x", "0" * 64, retries=-1)
