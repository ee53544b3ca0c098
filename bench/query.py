"""Query benchmark: our query language (in-process ``run_query``) against hand-written DuckDB SQL
on the same data, in the same run, on the same engine.

    python -m bench.query --size smoke|50k|1M|10M [--seed 1] [--warm 7] [--rebuild]

Per operation (see :mod:`bench._ops`) four variants are timed, interleaved, 1 cold + N warm
(41 warm runs for a variant whose cold run took under 100 ms):

* ``ours``        — ``run_query(store, text)``: compile (cached after the first run, as in the
  product), execute, shape rows into Braintrust-style JSON;
* ``ours_engine`` — only the engine time of the SQL our compiler generated (``store.execute``,
  which includes the store's read-only guard); ``ours_sql_raw`` — the same SQL on a plain
  connection (no guard), to separate the guard from the shape of the SQL;
* ``store_sql``   — hand-written SQL on the store's ``rows`` table (fetch to Arrow);
* ``l0_sql``      — hand-written SQL on the narrow L0 ``spans`` table (fetch to Arrow).

Every variant's result is checked against the planted truth before its times are accepted.
Full-text operations also time our language's substring fallback (``scan_ours``). Compile
time is measured uncached for every query of the suite. Results go to
``bench/results/query-<size>.json``; ``python -m bench.report`` renders them.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import duckdb

from bench._load import ORG, PROJECT, Dataset, prepare
from bench._machine import load_1m, machine_facts, proc_peak_rss_mb
from bench._ops import Op, build_ops
from openloop.query import compile_query, run_query
from openloop.store.data.base import ObjectRef
from openloop.store.data.duckdb import DuckDBStore

__all__ = ["TARGETS", "main", "run_suite"]

logger = logging.getLogger(__name__)

NOISY_LOAD = 1.0  # 1-minute load average above which a phase is flagged as noisy (2 cores)
TARGETS = {"ratio": 1.5, "list_page_p95_ms": 200, "fulltext_p95_ms": 300, "fulltext_speedup": 20,
           "trace_p95_ms": 50, "compile_us": 1000}  # fmt: skip
_SLOW_MS = 1500  # variants slower than this get only 3 warm runs (brute-force scans at 10 M)
_QUICK_MS, _QUICK_RUNS = 100, 41


def _resolver(kind: str, name: str) -> list[tuple[str, str]]:
    return [("project_logs", PROJECT)]


def _percentile(xs: list[float], p: float) -> float:
    s = sorted(xs)
    return s[min(len(s) - 1, max(0, round(p * len(s) + 0.5) - 1))]


class _Runner:
    def __init__(self, ds: Dataset) -> None:
        self.store = DuckDBStore.open(ds.settings)
        self.store.wait_indexed(timeout=600)
        # Hand-written SQL on the store's table runs on a plain connection to the same database.
        self.raw = duckdb.connect(str(ds.settings.duckdb_path))
        self.l0 = duckdb.connect(str(ds.l0_path), read_only=True)

    def search(self, refs: list[tuple[str, str]], text: str, fields: list[str] | None,
               page: Any = None) -> Any:  # fmt: skip
        return self.store.search_ids([ObjectRef(ORG, PROJECT, t, i) for t, i in refs], text,
                                     fields=fields, page=page)  # fmt: skip

    def ours(self, text: str, *, indexed: bool = True) -> list[dict[str, Any]]:
        res = run_query(self.store, text, resolver=_resolver, search=self.search if indexed else None,
                        max_limit=10_000)  # fmt: skip
        return res["data"]

    def sql(self, con: duckdb.DuckDBPyConnection, sql: str, params: list[Any] | None = None) -> Any:
        return con.sql(sql, params=params or None).to_arrow_table()

    def close(self) -> None:
        self.raw.close()
        self.l0.close()
        self.store.close()


def _time(fn: Callable[[], Any]) -> tuple[float, Any]:
    t0 = time.perf_counter()
    out = fn()
    return (time.perf_counter() - t0) * 1000, out


def _rows(table: Any) -> list[dict[str, Any]]:
    return table.to_pylist() if hasattr(table, "to_pylist") else table


def run_op(r: _Runner, op: Op, warm: int) -> dict[str, Any]:
    compiled = compile_query(op.ours, dialect="duckdb", resolver=_resolver, search=r.search,
                             max_limit=10_000)  # fmt: skip
    variants: dict[str, Callable[[], Any]] = {
        "ours": lambda: r.ours(op.ours),
        "ours_engine": lambda: r.store.execute(compiled.sql, compiled.params or None),
        "ours_sql_raw": lambda: r.sql(r.raw, compiled.sql, compiled.params),
        "l0_sql": lambda: r.sql(r.l0, op.l0_sql),
    }
    if op.store_sql:
        store_sql = op.store_sql
        variants["store_sql"] = lambda: r.sql(r.raw, store_sql)
    if op.scan_ours:
        scan = op.scan_ours
        variants["scan_ours"] = lambda: r.ours(scan, indexed=False)
    rec: dict[str, Any] = {"name": op.name, "title": op.title, "kind": op.kind, "query": op.ours,
                           "compiled_sql": compiled.sql[:4000], "store_sql": op.store_sql,
                           "l0_sql": op.l0_sql, "load_1m_before": load_1m()}  # fmt: skip
    times: dict[str, list[float]] = {}
    checks: dict[str, str | None] = {}
    for name, fn in variants.items():  # cold runs, whose results are checked
        ms, out = _time(fn)
        times[name] = [ms]
        checks[name] = op.check(_rows(out)) if not name.startswith("ours_") else None
    accepted = all(v is None for v in checks.values())
    # A median of 7 runs of a few-millisecond query moves with every hiccup of a shared machine:
    # variants whose cold run took under _QUICK_MS get _QUICK_RUNS warm runs.
    for i in range(max(warm, _QUICK_RUNS)):
        for name, fn in variants.items():
            cold = times[name][0]
            if (i >= 3 and cold > _SLOW_MS) or (i >= warm and cold >= _QUICK_MS):
                continue
            ms, _ = _time(fn)
            times[name].append(ms)
    rec["checks"] = checks
    rec["accepted"] = accepted
    rec["times"] = {
        name: {"cold_ms": round(ts[0], 2), "p50_ms": round(statistics.median(ts[1:]), 2),
               "p95_ms": round(_percentile(ts[1:], 0.95), 2), "warm_runs": len(ts) - 1}
        for name, ts in times.items()
    }  # fmt: skip
    rec["load_1m_after"] = load_1m()
    rec["noisy"] = max(rec["load_1m_before"], rec["load_1m_after"]) > NOISY_LOAD
    t = rec["times"]
    rec["ratio_vs_l0"] = round(t["ours"]["p50_ms"] / max(t["l0_sql"]["p50_ms"], 1e-3), 2)
    if "store_sql" in t:
        rec["ratio_vs_store_sql"] = round(
            t["ours"]["p50_ms"] / max(t["store_sql"]["p50_ms"], 1e-3), 2
        )
        rec["engine_ratio_vs_store_sql"] = round(
            t["ours_engine"]["p50_ms"] / max(t["store_sql"]["p50_ms"], 1e-3), 2
        )
    logger.info("bench.query op=%s accepted=%s times=%s", op.name, accepted,
                {k: v["p50_ms"] for k, v in t.items()})  # fmt: skip
    return rec


def compile_times(r: _Runner, ops: list[Op], reps: int = 30) -> dict[str, Any]:
    """Uncached compile time per query (a unique trailing comment defeats the compile cache),
    as wall time and as CPU time of this process (compilation is single-threaded, so CPU time is
    what it costs even when other processes share the machine). The full-text callback is
    replaced by its precomputed answer, so the index lookup is not counted."""
    wall: dict[str, float] = {}
    cpu: dict[str, float] = {}
    for op in ops:
        keys: Any = []
        if "search(" in op.ours:  # what the store answers this query's search with
            seen: list[Any] = []

            def probe(
                refs: Any, text: str, fields: Any, page: Any = None, seen: list[Any] = seen
            ) -> Any:
                seen.append((refs, text, fields, page))
                return []

            compile_query(op.ours, dialect="duckdb", resolver=_resolver, search=probe,
                          max_limit=10_000)  # fmt: skip
            refs, text, fields, page = seen[0]
            keys = r.search(refs, text, fields, page=page)

        def stub(refs: Any, text: str, fields: Any, page: Any = None, keys: Any = keys) -> Any:
            return keys

        ws, cs = [], []
        for i in range(reps):
            t0, c0 = time.perf_counter(), time.process_time()
            compile_query(f"{op.ours}\n-- run {i}", dialect="duckdb", resolver=_resolver,
                          search=stub, max_limit=10_000)  # fmt: skip
            ws.append((time.perf_counter() - t0) * 1e6)
            cs.append((time.process_time() - c0) * 1e6)
        wall[op.name] = round(statistics.median(ws), 1)
        cpu[op.name] = round(statistics.median(cs), 1)
    return {"per_query_us": wall, "per_query_cpu_us": cpu, "suite_us": round(sum(wall.values()), 1),
            "suite_cpu_us": round(sum(cpu.values()), 1), "max_us": max(wall.values()),
            "max_cpu_us": max(cpu.values())}  # fmt: skip


def verdicts(ops: list[dict[str, Any]], comp: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for o in ops:
        t = o["times"]["ours"]
        if o["kind"] != "search":
            out.append({"target": f"{o['name']}: ours <= {TARGETS['ratio']}x hand-written L0 SQL",
                        "value": o["ratio_vs_l0"], "met": o["ratio_vs_l0"] <= TARGETS["ratio"]})  # fmt: skip
        if o["name"] == "list_page":
            out.append({"target": "list page p95 <= 200 ms", "value": t["p95_ms"],
                        "met": t["p95_ms"] <= TARGETS["list_page_p95_ms"]})  # fmt: skip
        if o["name"] == "trace":
            out.append({"target": "one trace p95 <= 50 ms", "value": t["p95_ms"],
                        "met": t["p95_ms"] <= TARGETS["trace_p95_ms"]})  # fmt: skip
        if o["name"] == "fulltext_page":
            speed = round(o["times"]["l0_sql"]["p50_ms"] / max(t["p50_ms"], 1e-3), 1)
            o["speedup_vs_scan"] = speed
            out.append({"target": "full-text p95 <= 300 ms", "value": t["p95_ms"],
                        "met": t["p95_ms"] <= TARGETS["fulltext_p95_ms"]})  # fmt: skip
            out.append({"target": "full-text >= 20x faster than an ILIKE scan (L0)", "value": speed,
                        "met": speed >= TARGETS["fulltext_speedup"]})  # fmt: skip
    out.append({"target": "compile <= 1 ms per query (slowest query of the suite, CPU time)",
                "value": comp["max_cpu_us"], "met": comp["max_cpu_us"] <= TARGETS["compile_us"]})  # fmt: skip
    plain = {k: v for k, v in comp["per_query_cpu_us"].items() if not k.startswith("fulltext")}
    worst = max(plain.values())
    out.append({"target": "compile <= 1 ms per query without full-text (CPU time)", "value": worst,
                "met": worst <= TARGETS["compile_us"]})  # fmt: skip
    for v in out:
        v["accepted"] = True
    accepted = {o["name"]: o["accepted"] for o in ops}
    for v in out:
        name = v["target"].split(":")[0]
        if name in accepted and not accepted[name]:
            v["accepted"] = False
    return out


def run_suite(size: str, seed: int = 1, *, warm: int = 7, base: Path = Path("bench/data"),
              rebuild: bool = False, workers: int = 2, compile_reps: int = 30) -> dict[str, Any]:  # fmt: skip
    """Prepare (or reuse) the dataset, run every operation, return the result record."""
    machine = machine_facts()
    ds = prepare(size, seed, base, workers=workers, rebuild=rebuild)
    r = _Runner(ds)
    try:
        ops = build_ops(ds.facts, lambda sql: r.l0.sql(sql).to_arrow_table().to_pylist())
        results = [run_op(r, op, warm) for op in ops]
        comp = compile_times(r, ops, compile_reps)
    finally:
        r.close()
    return {
        "bench": "query", "size": size, "seed": seed, "spans": ds.facts.spans,
        "traces": ds.facts.traces, "machine": machine, "phases": ds.phases,
        "needles": {"phrase_spans": len(ds.facts.phrase), "token_spans": 1,
                    "rare_model_spans": ds.facts.rare_model, "big_trace_spans": ds.facts.big_trace[1]
                    if ds.facts.big_trace else None},
        "ops": results, "compile": comp, "verdicts": verdicts(results, comp),
        "all_checks_passed": all(o["accepted"] for o in results),
        "peak_rss_mb": round(proc_peak_rss_mb(os.getpid()) or 0),
        "noisy_phases": [o["name"] for o in results if o["noisy"]],
    }  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--size", default="smoke", choices=["smoke", "50k", "1M", "10M"])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--warm", type=int, default=7)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("--data", type=Path, default=Path("bench/data"))
    ap.add_argument("--out", type=Path, default=Path("bench/results"))
    args = ap.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    logging.getLogger("openloop").setLevel(logging.WARNING)
    result = run_suite(args.size, args.seed, warm=args.warm, base=args.data, rebuild=args.rebuild,
                       workers=args.workers)  # fmt: skip
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / f"query-{args.size}.json"
    path.write_text(json.dumps(result, indent=2, default=str))
    logger.info("bench.query wrote %s checks_passed=%s", path, result["all_checks_passed"])


if __name__ == "__main__":
    main()
