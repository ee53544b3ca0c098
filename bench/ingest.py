"""Ingest benchmark: realistic spans sent from separate processes over loopback to a real
``openloop serve``, for the SDK path (gzipped JSON batches to /v1/ingest) and OTLP protobuf
(/v1/traces). Reports sustained spans/s, request p50/p99, server CPU seconds per 1,000 spans and
peak server memory, then verifies with a count query that every acknowledged span was stored.

    python -m bench.ingest [--seconds 20] [--batch N] [--senders 4]

Requests carry what the clients send by default: the SDK's batch size
(``SenderConfig.batch_max_rows``) on the SDK path and 512 spans, the default export batch of
OpenTelemetry's ``BatchSpanProcessor``, on OTLP; ``--batch`` sets both.

Each path runs against its own fresh server, so background work one path sets off (index
merges, checkpoints) is not counted against the other. Each sender sends one unmeasured warm-up
request first (the first write of a fresh server pays
for imports and table set-up). The senders share the machine with the server: their CPU
seconds are reported too. ``python -m bench.report`` renders ``bench/results/ingest.json``.
"""

from __future__ import annotations

import argparse
import gzip
import json
import math
import multiprocessing as mp
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import orjson

from bench._machine import load_1m, machine_facts, proc_cpu_seconds, proc_peak_rss_mb
from bench._spans import make_batches
from openloop.sdk.transport import SenderConfig
from openloop.settings import Settings

OTEL_EXPORT_BATCH = 512  # BatchSpanProcessor's default max_export_batch_size

_MARK = "QQQQQQQQ"  # replaced per request so every request carries fresh ids
_BMARK = b"\xde\xad\xbe\xef"


def _sdk_payloads(project_id: str, batch: int, n_templates: int) -> list[bytes]:
    out = []
    for rows in make_batches(batch * n_templates, batch, seed=3):
        for r in rows:
            r["id"] = _MARK + r["id"][8:]
            r["span_id"] = _MARK + r["span_id"][8:]
            r["root_span_id"] = _MARK + r["root_span_id"][8:]
            r["span_parents"] = [_MARK + p[8:] for p in r["span_parents"]]
            r["project_id"], r["log_id"] = project_id, "g"
        out.append(orjson.dumps({"rows": rows}))
    return out


def _otlp_payloads(batch: int, n_templates: int) -> list[bytes]:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import ExportTraceServiceRequest
    from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue
    from opentelemetry.proto.trace.v1.trace_pb2 import Span

    def kv(k: str, v: Any) -> KeyValue:
        if isinstance(v, int):
            return KeyValue(key=k, value=AnyValue(int_value=v))
        return KeyValue(key=k, value=AnyValue(string_value=str(v)))

    out = []
    n = 0
    span_ids: dict[str, bytes] = {}
    for rows in make_batches(batch * n_templates, batch, seed=5):
        req = ExportTraceServiceRequest()
        rs = req.resource_spans.add()
        rs.resource.attributes.append(kv("service.name", "bench"))
        ss = rs.scope_spans.add()
        for r in rows:
            n += 1
            sp: Span = ss.spans.add()
            sp.trace_id = _BMARK + bytes.fromhex(r["root_span_id"])[4:]
            sp.span_id = span_ids[r["span_id"]] = _BMARK + n.to_bytes(4, "big")
            if r["span_parents"] and r["span_parents"][0] in span_ids:
                sp.parent_span_id = span_ids[r["span_parents"][0]]
            sp.name = r["span_attributes"]["name"]
            sp.start_time_unix_nano = int(r["metrics"]["start"] * 1e9)
            sp.end_time_unix_nano = int(r["metrics"]["end"] * 1e9)
            typ = r["span_attributes"]["type"]
            sp.attributes.append(
                kv("openinference.span.kind", {"llm": "LLM", "tool": "TOOL"}.get(typ, "CHAIN"))
            )
            sp.attributes.append(kv("input.value", json.dumps(r["input"])))
            sp.attributes.append(kv("output.value", json.dumps(r["output"])))
            if typ == "llm":
                sp.attributes.append(kv("gen_ai.request.model", r["metadata"]["model"]))
                sp.attributes.append(kv("gen_ai.usage.input_tokens", r["metrics"]["prompt_tokens"]))
                sp.attributes.append(
                    kv("gen_ai.usage.output_tokens", r["metrics"]["completion_tokens"])
                )
        out.append(req.SerializeToString())
    return out


def _sender(
    args: tuple[str, str, str, list[bytes], float, int, Any, int],
) -> tuple[list[tuple[float, int, int]], float, int]:
    url, key, kind, templates, seconds, worker, barrier, per_request = args
    headers = {"Authorization": f"Bearer {key}", "content-encoding": "gzip"}
    if kind == "sdk":
        path, headers["content-type"] = "/v1/ingest", "application/json"
    else:
        path, headers["content-type"] = "/v1/traces", "application/x-protobuf"
        headers["x-openloop-project"] = "bench-otlp"
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceResponse,
    )

    def body_for(i: int) -> bytes:
        tpl = templates[i % len(templates)]
        body = (
            tpl.replace(_MARK.encode(), f"{worker:02d}{i:06d}".encode())
            if kind == "sdk"
            else tpl.replace(_BMARK, (worker << 24 | i).to_bytes(4, "big"))
        )
        return gzip.compress(body, compresslevel=1)

    def stored(r: httpx.Response) -> int:
        if r.status_code != 200:
            return 0
        if kind == "sdk":
            return len(r.json()["ids"])
        # OTLP answers only with the rejected count; every template holds `per_request` spans
        resp = ExportTraceServiceResponse.FromString(r.content)
        return per_request - resp.partial_success.rejected_spans

    results = []
    warm = 0
    with httpx.Client(base_url=url, headers=headers, timeout=120) as client:
        warm = stored(client.post(path, content=body_for(999_999)))
        barrier.wait()
        cpu0 = time.process_time()
        deadline = time.monotonic() + seconds
        i = 0
        while time.monotonic() < deadline:
            body = body_for(i)
            t0 = time.perf_counter()
            r = client.post(path, content=body)
            dt = time.perf_counter() - t0
            results.append((dt, r.status_code, stored(r)))
            i += 1
    return results, time.process_time() - cpu0, warm


def run_phase(
    srv: Any, kind: str, templates: list[bytes], seconds: float, senders: int, per_request: int
) -> dict[str, Any]:
    ctx = mp.get_context("spawn")
    with ctx.Manager() as mgr:
        barrier = mgr.Barrier(senders + 1)
        with ctx.Pool(senders) as pool:
            jobs = pool.map_async(
                _sender,
                [
                    (srv.url, srv.api_key, kind, templates, seconds, w, barrier, per_request)
                    for w in range(senders)
                ],
            )
            load_before = load_1m()
            barrier.wait()
            t0 = time.perf_counter()
            cpu0 = proc_cpu_seconds(srv.proc.pid)
            per_worker = jobs.get()
            wall = time.perf_counter() - t0
    cpu = proc_cpu_seconds(srv.proc.pid) - cpu0
    drain, cpu_total = _drain(srv.proc.pid, cpu0)
    results = [x for w, _, _ in per_worker for x in w]
    lat = sorted(x[0] for x in results)
    spans = sum(x[2] for x in results)
    failures = sum(1 for x in results if x[1] != 200)
    return {
        "kind": kind,
        "requests": len(results),
        "failed_requests": failures,
        "spans_acked": spans,
        "warmup_spans_acked": sum(w for _, _, w in per_worker),
        "wall_s": round(wall, 2),
        "spans_per_s": round(spans / wall),
        "p50_ms": round(_pct(lat, 0.50) * 1e3, 1) if lat else None,
        "p99_ms": round(_pct(lat, 0.99) * 1e3, 1) if lat else None,
        "server_cpu_s": round(cpu, 2),
        "server_cpu_s_per_1k_spans": round(cpu / max(spans, 1) * 1000, 3),
        # work the phase left behind (full-text commits, merges, checkpoints) until idle
        "drain_s": round(drain, 2),
        "server_cpu_s_incl_drain": round(cpu_total, 2),
        "server_cpu_s_per_1k_spans_incl_drain": round(cpu_total / max(spans, 1) * 1000, 3),
        "spans_per_s_incl_drain": round(spans / (wall + drain)),
        "client_cpu_s": round(sum(c for _, c, _ in per_worker), 2),
        "server_peak_rss_mb": round(proc_peak_rss_mb(srv.proc.pid) or 0),
        "load_1m_before": load_before,
        "load_1m_after": load_1m(),
    }


def _drain(pid: int, cpu0: float, limit: float = 120.0) -> tuple[float, float]:
    """Wait until the server is idle (under 5 % of a core over half a second) and return the
    seconds that took and the server CPU seconds since ``cpu0``: the senders are done, but the
    index may still be committing and merging what they sent."""
    start = time.perf_counter()
    last = proc_cpu_seconds(pid)
    while time.perf_counter() - start < limit:
        time.sleep(0.5)
        now = proc_cpu_seconds(pid)
        if now - last < 0.025:
            return time.perf_counter() - start - 0.5, now - cpu0
        last = now
    return time.perf_counter() - start, proc_cpu_seconds(pid) - cpu0


def _pct(sorted_xs: list[float], p: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    return sorted_xs[min(len(sorted_xs) - 1, max(0, math.ceil(p * len(sorted_xs)) - 1))]


def main() -> None:
    from tests.server.live import start_server

    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20)
    ap.add_argument("--batch", type=int, default=None)
    ap.add_argument("--senders", type=int, default=4)
    ap.add_argument("--decode-processes", type=int, default=None,
                    help="the server's ingest_decode_processes (default: its own default)")  # fmt: skip
    ap.add_argument("--out", type=Path, default=Path("bench/results"))
    args = ap.parse_args()
    sdk_batch = args.batch or SenderConfig.batch_max_rows
    otlp_batch = args.batch or OTEL_EXPORT_BATCH
    machine = machine_facts()
    phases: dict[str, dict[str, Any]] = {}
    counts: dict[str, Any] = {}
    # Each path gets a fresh server: the index merges and checkpoints one path's spans set off
    # afterwards are not billed to the other.
    for kind, project in (("sdk", "bench-sdk"), ("otlp", "bench-otlp")):
        with tempfile.TemporaryDirectory() as tmp:
            srv = start_server(Path(tmp) / "data", decode_processes=args.decode_processes)
            try:
                h = {"Authorization": f"Bearer {srv.api_key}"}
                if kind == "sdk":
                    pid = httpx.post(
                        srv.url + "/v1/project/register", json={"name": project}, headers=h
                    ).json()["id"]
                    payloads, batch = _sdk_payloads(pid, sdk_batch, 8), sdk_batch
                else:
                    payloads, batch = _otlp_payloads(otlp_batch, 8), otlp_batch
                phases[kind] = run_phase(srv, kind, payloads, args.seconds, args.senders, batch)
                print(json.dumps(phases[kind]))
                q = {"query": f"SELECT count(1) AS n FROM project_logs('{project}')"}
                r = httpx.post(srv.url + "/btql", json=q, headers=h, timeout=60)
                counts[project] = (
                    r.json()["data"][0]["n"]
                    if r.status_code == 200
                    else f"query failed: {r.text[:200]}"
                )
            finally:
                srv.stop()
    print(json.dumps({"stored": counts}))
    sdk, otlp = phases["sdk"], phases["otlp"]
    expected = {
        "bench-sdk": sdk["spans_acked"] + sdk["warmup_spans_acked"],
        "bench-otlp": otlp["spans_acked"] + otlp["warmup_spans_acked"],
    }
    result = {
        "bench": "ingest",
        "machine": machine,
        "batch": {"sdk": sdk_batch, "otlp": otlp_batch},
        "senders": args.senders,
        "decode_processes": Settings(
            ingest_decode_processes=args.decode_processes
        ).resolved_ingest_decode_processes,
        "seconds": args.seconds,
        "sdk": sdk,
        "otlp": otlp,
        "stored": counts,
        "acked": expected,
        "verified": counts == expected,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ingest.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
