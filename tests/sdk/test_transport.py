"""The background sender: what goes over the wire, batching, retries, overflow, failures."""

from __future__ import annotations

import gzip
import logging
import time

import httpx
import pytest

from openloop.sdk._util import merge_row_batch
from openloop.sdk.transport import BackgroundSender, ProjectRef, SenderConfig

from .conftest import FAST, FakeServer


def _sender(server: FakeServer, **config: object) -> BackgroundSender:
    cfg = SenderConfig(**{**FAST.__dict__, **config})
    return BackgroundSender(
        "http://openloop.test", "sk-test", config=cfg, transport=server.transport(),
        async_flush=False,
    )  # fmt: skip


def test_logged_row_reaches_ingest_with_auth_project_and_all_fields(server, logger):
    row_id = logger.log(
        input={"q": "2+2"}, output="4", expected="4", scores={"exact": True},
        metadata={"user": "u1"}, metrics={"latency": 0.2}, tags=["a", "a", "b"],
    )  # fmt: skip
    assert logger.flush(timeout=5)

    register = [r for r in server.requests if r.url.path == "/v1/project/register"]
    assert len(register) == 1 and server.bodies[0] == {"name": "demo"}
    assert all(r.headers["authorization"] == "Bearer sk-test" for r in server.requests)
    row = server.folded()[row_id]
    assert row["project_id"] == "proj-1" and row["log_id"] == "g"
    assert row["input"] == {"q": "2+2"} and row["output"] == "4" and row["expected"] == "4"
    assert row["scores"] == {"exact": 1.0}
    assert row["tags"] == ["a", "b"]
    assert row["metadata"] == {"user": "u1"}
    assert row["span_id"] == row["root_span_id"] and row["span_parents"] == []
    assert row["metrics"]["latency"] == 0.2
    assert row["metrics"]["start"] <= row["metrics"]["end"]
    assert row["created"].endswith("+00:00")
    assert row["context"]["caller_filename"] == __file__


def test_span_rows_fold_client_side_into_one_replace(server, make_logger):
    lg = make_logger(async_flush=False)
    span = lg.start_span(name="work")
    span.log(input="in")
    span.log(metadata={"a": 1})
    span.log(metadata={"b": 2}, output="out")
    span.end()  # async_flush=False: the end sends everything queued, in one request

    assert len(server.ingest_bodies()) == 1
    [row] = server.rows
    assert row["_is_merge"] is False
    assert row["metadata"] == {"a": 1, "b": 2}
    assert row["input"] == "in" and row["output"] == "out"
    assert set(row["metrics"]) == {"start", "end"}
    assert row["span_attributes"] == {"name": "work"}


def test_merge_row_batch_keeps_linkage_and_lets_a_replace_override():
    first = {"id": "r", "project_id": "p", "span_id": "s1", "root_span_id": "s1",
             "span_parents": [], "created": "t1", "input": 1, "metrics": {"start": 1},
             "_is_merge": False}  # fmt: skip
    merge = {
        "id": "r",
        "project_id": "p",
        "metrics": {"end": 2},
        "span_id": "zz",
        "_is_merge": True,
    }
    replace = {"id": "r", "project_id": "p", "output": 9, "created": "t2", "_is_merge": False}
    other_project = {"id": "r", "project_id": "q", "output": 0, "_is_merge": True}

    merged = merge_row_batch([first, merge, other_project])
    assert len(merged) == 2
    assert merged[0]["metrics"] == {"start": 1, "end": 2}
    assert merged[0]["span_id"] == "s1" and merged[0]["_is_merge"] is False

    replaced = merge_row_batch([first, merge, replace])
    assert len(replaced) == 1
    assert "input" not in replaced[0] and replaced[0]["output"] == 9
    assert replaced[0]["created"] == "t1" and replaced[0]["root_span_id"] == "s1"


def test_batches_respect_row_limit(server):
    sender = _sender(server, batch_max_rows=2)
    ref = ProjectRef(id="p1")
    for i in range(5):
        sender.enqueue(ref, {"id": f"r{i}", "_is_merge": False})
    assert sender.flush(timeout=5)
    sizes = [len(b["rows"]) for b in server.ingest_bodies()]
    assert sizes == [2, 2, 1]
    assert [r["id"] for r in server.rows] == [f"r{i}" for i in range(5)]
    assert not [r for r in server.requests if r.url.path == "/v1/project/register"]


def test_large_bodies_are_gzipped_small_ones_are_not(server):
    sender = _sender(server)
    ref = ProjectRef(id="p1")
    sender.enqueue(ref, {"id": "small"})
    sender.flush()
    sender.enqueue(ref, {"id": "big", "input": "x" * 5000})
    sender.flush()
    small, big = server.requests
    assert "content-encoding" not in small.headers
    assert big.headers["content-encoding"] == "gzip"
    assert len(big.content) < 1000
    assert b"x" * 5000 in gzip.decompress(big.content)
    assert server.rows[1]["input"] == "x" * 5000


def test_retries_503_then_succeeds(server):
    server.script = [lambda r: httpx.Response(503, text="busy")]
    sender = _sender(server)
    sender.enqueue(ProjectRef(id="p1"), {"id": "r1"})
    assert sender.flush(timeout=5)
    assert len(server.requests) == 2
    assert sender.failed_count == 0


def test_429_waits_for_retry_after(server):
    server.script = [lambda r: httpx.Response(429, headers={"Retry-After": "0.3"})]
    stamps: list[float] = []
    inner = server.handler

    def timed(request: httpx.Request) -> httpx.Response:
        stamps.append(time.monotonic())
        return inner(request)

    sender = BackgroundSender(
        "http://openloop.test", "k", config=SenderConfig(backoff_base=0.01, backoff_max=5),
        transport=httpx.MockTransport(timed), async_flush=False,
    )  # fmt: skip
    sender.enqueue(ProjectRef(id="p1"), {"id": "r1"})
    assert sender.flush(timeout=5)
    assert len(stamps) == 2
    assert stamps[1] - stamps[0] >= 0.29
    assert server.rows[0]["id"] == "r1"


def test_overflow_drops_oldest_counts_and_warns_once(server, caplog):
    caplog.set_level(logging.WARNING, logger="openloop.sdk.transport")
    sender = _sender(server, queue_size=3)
    ref = ProjectRef(id="p1")
    for i in range(6):
        sender.enqueue(ref, {"id": f"r{i}"})
    assert sender.dropped_count == 3
    sender.flush()
    assert [r["id"] for r in server.rows] == ["r3", "r4", "r5"]
    warnings = [r for r in caplog.records if "queue_full" in r.getMessage()]
    assert len(warnings) == 1


def test_logger_exposes_dropped_count(make_logger):
    lg = make_logger(config=SenderConfig(queue_size=2), async_flush=True)
    lg._sender._ensure_thread = lambda: None  # keep rows queued: no thread drains them
    for _ in range(4):
        lg.log(input="x")
    assert lg.dropped_count > 0


def test_server_down_never_raises_and_gives_up(caplog):
    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    import openloop

    cfg = SenderConfig(num_retries=2, backoff_base=0.001, backoff_max=0.01)
    lg = openloop.init_logger(
        "demo", transport=httpx.MockTransport(down), sender_config=cfg, base_url="http://x"
    )

    @openloop.traced
    def work(x: int) -> int:
        with openloop.start_span(name="inner") as span:
            span.log(output=x)
        return x * 2

    assert work(2) == 4
    assert lg.log(input="still fine")
    assert lg.flush(timeout=5)  # the sender gave up; nothing is left pending
    assert lg._sender.failed_count > 0
    assert any("giveup" in r.getMessage() for r in caplog.records)
    lg.close()


def test_4xx_is_logged_once_and_the_batch_dropped(server, caplog):
    bad = httpx.Response(400, json={"error": {"type": "InvalidInput", "message": "bad row"}})
    server.script = [lambda r: bad, lambda r: bad]
    sender = _sender(server)
    ref = ProjectRef(id="p1")
    for i in range(3):
        sender.enqueue(ref, {"id": f"r{i}"})
        sender.flush()
    assert len(server.requests) == 3  # no retries of a 400
    assert [r["id"] for r in server.ingest_bodies()[-1]["rows"]] == ["r2"]
    errors = [
        r for r in caplog.records if r.levelno >= logging.ERROR and "status=400" in r.getMessage()
    ]
    assert len(errors) == 1 and "bad row" in errors[0].getMessage()
    assert sender.failed_count == 2


def test_row_errors_in_a_200_are_logged(server, caplog):
    server.script = [
        lambda r: httpx.Response(
            200, json={"xact_id": "1", "ids": [], "errors": [{"index": 0, "id": "r0", "message": "scores must be numbers"}]},
        )
    ]  # fmt: skip
    sender = _sender(server)
    sender.enqueue(ProjectRef(id="p1"), {"id": "r0"})
    sender.flush()
    assert any("scores must be numbers" in r.getMessage() for r in caplog.records)


def test_asgi_transport_is_supported():
    received: list[bytes] = []

    async def app(scope, receive, send):
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        received.append(body)
        payload = (
            b'{"id": "p-asgi", "name": "demo"}'
            if scope["path"].endswith("register")
            else b'{"xact_id": "1", "ids": [], "errors": []}'
        )
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})  # fmt: skip
        await send({"type": "http.response.body", "body": payload})

    import openloop

    lg = openloop.init_logger("demo", transport=httpx.ASGITransport(app=app), sender_config=FAST)
    lg.log(input="via asgi")
    assert lg.flush(timeout=5)
    assert lg.project_id == "p-asgi"
    # the row and its end-time merge may go out in one batch or two; both reach the app
    assert any(b"via asgi" in body for body in received[1:])
    lg.close()


@pytest.mark.parametrize("queue_size", ["7", "junk"])
def test_queue_size_from_env(monkeypatch, queue_size):
    monkeypatch.setenv("OPENLOOP_QUEUE_SIZE", queue_size)
    expected = 7 if queue_size == "7" else 10_000
    assert SenderConfig.from_env().queue_size == expected
