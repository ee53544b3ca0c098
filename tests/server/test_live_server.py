"""End to end against a real ``openloop serve`` process: first-run output, durability when the
server is killed mid-write, and a clear message for a busy port."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.server.live import start_server

pytestmark = pytest.mark.slow


def test_first_run_prints_key_and_login_link(tmp_path):
    srv = start_server(tmp_path / "d")
    try:
        assert srv.api_key, srv.output
        assert srv.login_link, srv.output
        # the address it serves on is noted for commands run beside it (openloop login-link)
        note = json.loads((tmp_path / "d" / "server.json").read_text())
        assert note == {"url": srv.url, "pid": srv.proc.pid}
        link = subprocess.run(
            [sys.executable, "-m", "openloop.cli.main", "login-link", "--data-dir",
             str(tmp_path / "d")],
            capture_output=True, text=True, timeout=60,
            env={**os.environ, "OPENLOOP_SECRET_KEY": "live-test-secret"},
        )  # fmt: skip
        assert link.stdout.startswith(srv.url + "/auth/link/"), link.stderr
        h = {"Authorization": f"Bearer {srv.api_key}"}
        assert httpx.get(srv.url + "/v1/project", headers=h).status_code == 200
        with httpx.Client(base_url=srv.url) as c:
            r = c.get(srv.login_link.replace(srv.url, ""), follow_redirects=False)
            assert r.status_code == 303
            assert c.get("/v1/project").status_code == 200
        # the same port again: a clear message, not a traceback
        port = srv.url.rsplit(":", 1)[1]
        busy = subprocess.run(
            [
                sys.executable,
                "-m",
                "openloop.cli.main",
                "serve",
                "--port",
                port,
                "--data-dir",
                str(tmp_path / "d2"),
                "--no-demo",
            ],
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert busy.returncode != 0
        assert f"port {port}" in busy.stderr and "already in use" in busy.stderr
        assert "Traceback" not in busy.stderr
    finally:
        srv.stop()


def test_kill_during_batch_writes_loses_no_acknowledged_row(tmp_path):
    data_dir = tmp_path / "d"
    srv = start_server(data_dir)
    acked: list[str] = []
    stop = threading.Event()
    h = {"Authorization": f"Bearer {srv.api_key}"}

    def writer() -> None:
        n = 0
        with httpx.Client(base_url=srv.url, headers=h, timeout=10) as c:
            while not stop.is_set():
                rows = [
                    {
                        "project_name": "durable",
                        "id": f"r{n}-{i}",
                        "input": {"i": i},
                        "output": "x" * 200,
                    }
                    for i in range(200)
                ]
                n += 1
                try:
                    r = c.post("/v1/ingest", json={"rows": rows})
                except httpx.HTTPError:
                    return
                if r.status_code == 200:
                    acked.extend(r.json()["ids"])

    t = threading.Thread(target=writer)
    t.start()
    try:
        while len(acked) < 2000 and t.is_alive():
            threading.Event().wait(0.05)
        srv.proc.send_signal(signal.SIGKILL)
        srv.proc.wait(10)
    finally:
        stop.set()
        t.join(20)
        srv.stop()
    assert len(acked) >= 2000
    # reopen the data directory and look for every acknowledged row
    with _reopened_logs(data_dir, "durable") as (svc, ref):
        stored = {r["id"] for batch in svc.data.iter_rows(ref, batch_size=5000) for r in batch}
    missing = set(acked) - stored
    assert not missing, f"{len(missing)} acknowledged rows lost, e.g. {sorted(missing)[:3]}"


def test_acknowledged_spans_are_queryable_and_searchable_at_once(tmp_path):
    """Freshness: a span is in query results, full-text search included, as soon as its
    request is answered (native batches and OTLP, both decoded by the worker process)."""
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    srv = start_server(tmp_path / "d")
    h = {"Authorization": f"Bearer {srv.api_key}"}

    def found(project: str, where: str) -> list[str]:
        q = f"select: id | from: project_logs('{project}') | filter: {where} | limit: 1000"
        r = httpx.post(srv.url + "/btql", headers=h, json={"query": q}, timeout=30)
        assert r.status_code == 200, r.text
        return [row["id"] for row in r.json()["data"]]

    try:
        for i in range(5):
            word = f"freshword{i}x"
            rows = [{"project_name": "fresh", "id": f"n{i}-{j}", "input": f"a {word} b"}
                    for j in range(200)]  # fmt: skip
            r = httpx.post(srv.url + "/v1/ingest", headers=h, json={"rows": rows}, timeout=30)
            assert r.status_code == 200, r.text
            assert len(found("fresh", f"search('{word}')")) == 200
            assert found("fresh", f"id = 'n{i}-7'") == [f"n{i}-7"]

            req = ExportTraceServiceRequest()
            spans = req.resource_spans.add().scope_spans.add()
            span = spans.spans.add(trace_id=bytes([i + 1]) * 16, span_id=bytes([i + 1]) * 8)
            span.name = f"otelword{i}x"
            span.start_time_unix_nano = span.end_time_unix_nano = 1_700_000_000_000_000_000
            r = httpx.post(srv.url + "/v1/traces", content=req.SerializeToString(), timeout=30,
                           headers={**h, "content-type": "application/x-protobuf",
                                    "x-openloop-project": "fresh-otel"})  # fmt: skip
            assert r.status_code == 200, r.text
            assert found("fresh-otel", f"span_attributes.name = 'otelword{i}x'") == [
                (bytes([i + 1]) * 8).hex()
            ]
    finally:
        srv.stop()


def test_sigterm_closes_the_stores_cleanly(tmp_path):
    """``docker stop`` / systemd send SIGTERM: the server checkpoints its stores and stops its
    decoding workers before it exits, so nothing is left to replay or re-index."""
    data_dir = tmp_path / "d"
    srv = start_server(data_dir)
    try:
        h = {"Authorization": f"Bearer {srv.api_key}"}
        rows = [{"project_name": "stop", "id": f"s{i}", "input": f"needle {i}"} for i in range(50)]
        r = httpx.post(srv.url + "/v1/ingest", headers=h, json={"rows": rows}, timeout=30)
        assert r.status_code == 200, r.text
        assert (data_dir / "data.duckdb.wal").exists()  # written, not yet checkpointed
        srv.proc.send_signal(signal.SIGTERM)
        srv.proc.wait(30)
    finally:
        srv.stop()
    assert not (data_dir / "data.duckdb.wal").exists(), "the data store was not checkpointed"
    assert not (data_dir / "control.db-wal").exists(), "the control store was not closed"
    assert not (data_dir / "server.json").exists(), "the server's address note was left behind"

    with _reopened_logs(data_dir, "stop") as (svc, ref):
        assert len(svc.data.search_ids([ref], "needle")) == 50


@contextmanager
def _reopened_logs(data_dir: Path, project: str) -> Iterator[tuple[Any, Any]]:
    """The services of a stopped server's data directory, and the logs of ``project``."""
    from openloop.services import Services
    from openloop.settings import Settings
    from openloop.store.data.base import ObjectRef

    svc = Services.open(Settings(data_dir=data_dir, secret_key="live-test-secret"))
    try:
        org = svc.control.list_orgs()[0]
        p = svc.control.get_project(org.id, project)
        yield svc, ObjectRef(org.id, p.id, "project_logs", p.id)
    finally:
        svc.close()
