"""A fake OpenLoop server behind httpx.MockTransport, and loggers wired to it."""

from __future__ import annotations

import gzip
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from openloop.sdk import logger as logger_module
from openloop.sdk.logger import Logger, init_logger
from openloop.sdk.transport import SenderConfig

FAST = SenderConfig(backoff_base=0.01, backoff_max=0.05, exit_timeout=1.0, request_timeout=5.0)


class FakeServer:
    """Records what the SDK sends; ``script`` holds canned responses used before the default."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.bodies: list[dict[str, Any]] = []
        self.script: list[Callable[[httpx.Request], httpx.Response]] = []
        self.projects: dict[str, str] = {}
        self.lock = threading.Lock()

    def handler(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
            raw = request.content
            if request.headers.get("content-encoding") == "gzip":
                raw = gzip.decompress(raw)
            body = json.loads(raw)
            self.bodies.append(body)
            if self.script:
                return self.script.pop(0)(request)
        if request.url.path == "/v1/project/register":
            pid = self.projects.setdefault(body["name"], f"proj-{len(self.projects) + 1}")
            return httpx.Response(200, json={"id": pid, "name": body["name"]})
        if request.url.path == "/v1/ingest":
            ids = [row.get("id") for row in body["rows"]]
            return httpx.Response(200, json={"xact_id": "1", "ids": ids, "errors": []})
        return httpx.Response(404, json={"error": {"type": "NotFound", "message": "no route"}})

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handler)

    def ingest_bodies(self) -> list[dict[str, Any]]:
        return [
            b for r, b in zip(self.requests, self.bodies, strict=True) if r.url.path == "/v1/ingest"
        ]

    @property
    def rows(self) -> list[dict[str, Any]]:
        """Every row received by /v1/ingest in arrival order (as sent, unfolded)."""
        return [row for body in self.ingest_bodies() for row in body["rows"]]

    def folded(self) -> dict[str, dict[str, Any]]:
        """Rows by id after applying replace/merge the way the server does."""
        out: dict[str, dict[str, Any]] = {}
        for row in self.rows:
            if row.get("_is_merge") and row["id"] in out:
                _deep_merge(out[row["id"]], row)
            else:
                out[row["id"]] = json.loads(json.dumps(row))
        return out


def _deep_merge(into: dict[str, Any], src: dict[str, Any]) -> None:
    for k, v in src.items():
        if isinstance(v, dict) and isinstance(into.get(k), dict):
            _deep_merge(into[k], v)
        else:
            into[k] = v


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


@pytest.fixture(autouse=True)
def _reset_sdk_state() -> Iterator[None]:
    yield
    state = logger_module._STATE
    with state.lock:
        state.current = None
        state.by_handle.clear()


@pytest.fixture
def make_logger(server: FakeServer) -> Iterator[Callable[..., Logger]]:
    made: list[Logger] = []

    def make(project: str = "demo", *, config: SenderConfig = FAST, **kw: Any) -> Logger:
        kw.setdefault("transport", server.transport())
        kw.setdefault("api_key", "sk-test")
        kw.setdefault("base_url", "http://openloop.test")
        lg = init_logger(project, sender_config=config, **kw)
        made.append(lg)
        return lg

    yield make
    for lg in made:
        lg.close(timeout=2)


@pytest.fixture
def logger(make_logger: Callable[..., Logger]) -> Logger:
    return make_logger()


class _Recorder:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.auth: list[str | None] = []
        self.url = ""


@pytest.fixture
def http_server() -> Iterator[_Recorder]:
    """A real HTTP server on 127.0.0.1 speaking the ingest contract (for subprocess tests)."""
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    recorder = _Recorder()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers["Content-Length"]))
            if self.headers.get("Content-Encoding") == "gzip":
                raw = gzip.decompress(raw)
            body = json.loads(raw)
            recorder.auth.append(self.headers.get("Authorization"))
            if self.path == "/v1/project/register":
                # Slow enough that a process exiting right after logging loses its rows
                # unless the exit flush waits for them.
                time.sleep(0.3)
                reply = {"id": "proj-http", "name": body["name"]}
            else:
                recorder.rows.extend(body["rows"])
                reply = {"xact_id": "1", "ids": [r["id"] for r in body["rows"]], "errors": []}
            data = json.dumps(reply).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            return None

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    recorder.url = f"http://127.0.0.1:{httpd.server_address[1]}"
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield recorder
    httpd.shutdown()
    httpd.server_close()
