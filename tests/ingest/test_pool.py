"""Ingest decoding in worker processes: the same answer as decoding in the server process,
errors that keep their status, and a dead worker that costs nothing but time."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from bench._spans import make_batches
from bench.ingest import _otlp_payloads
from openloop.errors import InvalidInput
from openloop.ingest.columnar import decode_batch
from openloop.ingest.pool import DecodePool, decode_otlp
from openloop.ingest.rows import RowLimits

LIMITS = RowLimits()
PB = "application/x-protobuf"


@pytest.fixture(scope="module")
def pool() -> Iterator[DecodePool]:
    p = DecodePool(1)
    yield p
    p.close()


def _native_body() -> bytes:
    rows = next(iter(make_batches(50, 50, seed=11)))
    return orjson.dumps({"rows": [{**r, "project_id": "p1"} for r in rows]})


def test_a_worker_decodes_what_the_server_would(pool: DecodePool) -> None:
    body = _native_body()
    here = decode_batch(body, LIMITS, 1000)
    there = pool.run(decode_batch, body, LIMITS, 1000)
    assert here is not None and there == here
    assert pool.run(decode_batch, b'{"rows": [{"id": 1, "_is_merge": true}]}', LIMITS, 10) is None
    otlp = _otlp_payloads(40, 1)[0]
    kw = {"content_type": PB, "content_encoding": None, "max_bytes": 1 << 24, "limits": LIMITS}
    local, remote = decode_otlp(otlp, **kw), pool.run(decode_otlp, otlp, **kw)
    assert remote.columns is not None and remote.spans == 40
    assert remote == local


def test_errors_come_back_with_their_status(pool: DecodePool) -> None:
    kw = {"content_type": PB, "content_encoding": None, "max_bytes": 1 << 24, "limits": LIMITS}
    with pytest.raises(InvalidInput) as bad:
        pool.run(decode_otlp, b"\xff\x00not protobuf", **kw)
    with pytest.raises(InvalidInput) as media:
        pool.run(decode_otlp, b"x", **{**kw, "content_type": "text/plain"})
    assert bad.value.status == 400 and "protobuf" in bad.value.message
    assert media.value.status == 415


def test_a_dead_worker_is_replaced_and_the_request_still_decoded() -> None:
    pool = DecodePool(1)
    try:
        body = _native_body()
        expected = decode_batch(body, LIMITS, 1000)
        pid = pool.run(os.getpid)
        assert pid != os.getpid()
        os.kill(pid, signal.SIGKILL)
        assert pool.run(decode_batch, body, LIMITS, 1000) == expected  # decoded here instead
        new_pid = pool.run(os.getpid)
        assert new_pid not in (pid, os.getpid())  # a fresh worker for what follows
    finally:
        pool.close()


def test_no_processes_means_no_worker() -> None:
    pool = DecodePool(0)
    assert pool.run(os.getpid) == os.getpid()
    pool.warm()
    pool.close()
    closed = DecodePool(1)
    closed.close()
    assert closed.run(os.getpid) == os.getpid()  # a closed pool decodes in place


def test_workers_that_cannot_start_are_given_up(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Every new worker dies while starting (as where processes cannot be spawned): each request
    # is still decoded here, and after three lost pools the server stops trying.
    (tmp_path / "sitecustomize.py").write_text("raise SystemExit(3)\n")
    monkeypatch.setenv("PYTHONPATH", str(tmp_path))
    pool = DecodePool(1)
    try:
        body = _native_body()
        expected = decode_batch(body, LIMITS, 1000)
        for _ in range(3):
            assert pool.run(decode_batch, body, LIMITS, 1000) == expected
        assert pool.processes == 0
        assert pool.run(os.getpid) == os.getpid()
    finally:
        pool.close()
