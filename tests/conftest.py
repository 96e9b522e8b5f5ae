"""Fixtures shared by the unit tests: a local HTTP server for the download tests, and a fresh hint count for
every test of the exercise checks."""
from __future__ import annotations

import http.server
import threading
from collections.abc import Callable

import pytest

from lmkit.check import _grader


class LocalServer:
    """An HTTP server on 127.0.0.1, in a thread. ``respond(handler)`` answers each GET (``handler.path`` is the
    path; write the response with the handler's send_* methods and ``wfile``); ``hits`` lists the paths asked."""

    def __init__(self, respond: Callable[[http.server.BaseHTTPRequestHandler], None]) -> None:
        self.hits: list[str] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # the name http.server calls
                owner.hits.append(self.path)
                respond(self)

            def log_message(self, *args: object) -> None:  # keep the test output quiet
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def local_server():
    """``local_server(respond)`` starts a :class:`LocalServer`; every one is closed after the test."""
    servers: list[LocalServer] = []

    def start(respond):
        servers.append(LocalServer(respond))
        return servers[-1]

    yield start
    for s in servers:
        s.close()


@pytest.fixture(autouse=True)
def fresh_hints():
    """Each test starts with no failures counted, so that every check shows its first hint first."""
    _grader._failures.clear()
    yield
    _grader._failures.clear()


@pytest.fixture
def hints_give_no_code(capsys):
    """``hints_give_no_code(module, solution_code)``: every check of a chapter's check module has two or three
    hints, none containing a fragment of ``solution_code``, and two failures show the first two in turn.
    (tests/test_check.py checks the rest of what every check does with answers that are not answers yet.)"""
    from lmkit import check

    def verify(module, solution_code: list[str]) -> None:
        assert set(module.HINTS) == set(module.__all__), module.__name__

        def stub(*args, **kwargs):
            raise NotImplementedError

        for name in module.__all__:
            hints = module.HINTS[name]
            assert isinstance(hints, list) and 2 <= len(hints) <= 3, name
            leaked = [code for hint in hints for code in solution_code if code in hint]
            assert not leaked, f"{name}: a hint contains solution code {leaked}"
            _grader._failures.pop(name, None)
            fn = getattr(check, name)
            assert not fn(stub) and not fn(stub)
            out = capsys.readouterr().out
            assert f"Hint 1 of {len(hints)}: {hints[0]}" in out and f"Hint 2 of {len(hints)}: {hints[1]}" in out

    return verify
