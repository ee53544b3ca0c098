"""Render ``bench/results/*.json`` into the tables of ``docs/benchmarks.md``.

    python -m bench.report [--results bench/results] [--doc docs/benchmarks.md]

Only the text between ``<!-- bench:results:begin -->`` and ``<!-- bench:results:end -->`` is
replaced, so the reading of the numbers around it is kept. Every table carries the date and
the machine facts of its run.
"""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import Any

__all__ = ["main", "render"]

logger = logging.getLogger(__name__)

BEGIN, END = "<!-- bench:results:begin -->", "<!-- bench:results:end -->"
_SIZES = ("smoke", "50k", "1M", "10M")
_NOISY = 1.0


def _machine(m: dict[str, Any]) -> str:
    v = m.get("versions", {})
    vers = ", ".join(f"{k} {v[k]}" for k in ("duckdb", "tantivy", "sqlglot", "pyarrow") if k in v)
    return (f"Run {m.get('date', '?')} on {m.get('cpu', '?')}, {m.get('cores', '?')} cores, "
            f"{m.get('mem_gb', '?')} GB RAM ({m.get('mem_available_gb', '?')} GB free), "
            f"Python {m.get('python', '?')}, {vers}. Load average at start: "
            f"{m.get('load_1m')} / {m.get('load_5m')} / {m.get('load_15m')} (1 / 5 / 15 min).")  # fmt: skip


def _ms(x: float | None) -> str:
    if x is None:
        return "—"
    return f"{x:,.0f}" if x >= 100 else f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def _load(o: dict[str, Any]) -> str:
    flag = " ⚠" if max(o.get("load_1m_before", 0), o.get("load_1m_after", 0)) > _NOISY else ""
    return f"{o.get('load_1m_before')}{flag}"


def render_query(r: dict[str, Any]) -> str:
    out = [f"### Query benchmark — `{r['size']}`: {r['spans']:,} spans, {r['traces']:,} traces "
           f"(seed {r['seed']})", "", _machine(r["machine"]), ""]  # fmt: skip
    ph = r.get("phases", {})
    steps = ", ".join(f"{k} {v['seconds']} s (load {v.get('load_1m_before')})"
                      for k, v in ph.items() if isinstance(v, dict) and "seconds" in v)  # fmt: skip
    sizes = ph.get("bytes", {})
    if steps:
        out += [f"Preparation (cached after the first run): {steps}. On disk: Parquet "
                f"{sizes.get('parts', 0) / 1e6:,.0f} MB, store (DuckDB + full-text index) "
                f"{sizes.get('store', 0) / 1e6:,.0f} MB, L0 table {sizes.get('l0.duckdb', 0) / 1e6:,.0f} MB.", ""]  # fmt: skip
    n = r.get("needles", {})
    out += [f"Planted: phrase in {n.get('phrase_spans')} spans, one unique token, rare model on "
            f"{n.get('rare_model_spans')} spans, a {n.get('big_trace_spans')}-span trace. "
            f"All results checked against the planted truth: **{'yes' if r['all_checks_passed'] else 'NO'}**.", ""]  # fmt: skip
    out += ["All times in ms. *our SQL*: the generated SQL alone, through `store.execute` (with its "
            "read-only guard) / on a plain connection.", "",
            "| Operation | ours p50 / p95 | ours cold | our SQL p50 (store.execute / plain) | hand SQL, store table, p50 | hand SQL, L0, p50 | ours ÷ L0 | checked | load before |",
            "|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for o in r["ops"]:
        t = o["times"]
        ours = t["ours"]
        ratio = (
            o["ratio_vs_l0"]
            if o["kind"] != "search"
            else f"{o.get('speedup_vs_scan', '—')}x faster"
            if o["name"] == "fulltext_page"
            else f"{round(t['l0_sql']['p50_ms'] / max(ours['p50_ms'], 1e-3), 1)}x faster"
        )
        out.append(
            f"| {o['title']} | {_ms(ours['p50_ms'])} / {_ms(ours['p95_ms'])} | {_ms(ours['cold_ms'])} "
            f"| {_ms(t['ours_engine']['p50_ms'])} / {_ms(t.get('ours_sql_raw', {}).get('p50_ms'))} "
            f"| {_ms(t.get('store_sql', {}).get('p50_ms'))} "
            f"| {_ms(t['l0_sql']['p50_ms'])} | {ratio} | {'ok' if o['accepted'] else 'FAILED'} | {_load(o)} |"
        )  # fmt: skip
    scans = [o for o in r["ops"] if "scan_ours" in o["times"]]
    for o in scans:
        out += ["", f"Without the index, the same full-text page through our language's substring "
                f"fallback takes {_ms(o['times']['scan_ours']['p50_ms'])} ms (p50); the L0 ILIKE scan "
                f"{_ms(o['times']['l0_sql']['p50_ms'])} ms."]  # fmt: skip
    c = r["compile"]
    cpu = c.get("per_query_cpu_us", {})
    per = ", ".join(f"{k} {v:,.0f}" + (f" ({cpu[k]:,.0f})" if k in cpu else "")
                    for k, v in c["per_query_us"].items())  # fmt: skip
    out += ["", f"Compile time, uncached, µs per query, wall (CPU) median of the runs: {per}; whole "
            f"suite {c['suite_us']:,.0f} µs wall, {c.get('suite_cpu_us', 0):,.0f} µs CPU.", ""]  # fmt: skip
    if r["size"] == "smoke":
        out += [
            "At toy size the numbers check the harness, not the targets (stated at 10 M spans)."
        ]
        return "\n".join(out)
    out += ["| Target | Value | Met |", "|---|---|---|"]
    for v in r["verdicts"]:
        met = "yes" if v["met"] else "**no**"
        if not v.get("accepted", True):
            met += " (result check failed)"
        out.append(f"| {v['target']} | {v['value']} | {met} |")
    noisy = r.get("noisy_phases") or []
    if noisy:
        out += ["", f"⚠ = 1-minute load average above {_NOISY} (2 cores) around the operation: "
                f"other processes were using the machine during {len(noisy)} of {len(r['ops'])} "
                "operations."]  # fmt: skip
    return "\n".join(out)


def _num(v: Any) -> str:
    return "—" if v is None else f"{v:,}"


def render_ingest(r: dict[str, Any]) -> str:
    b = r["batch"]
    per = (f"{b['sdk']:,} SDK / {b['otlp']:,} OTLP spans per request" if isinstance(b, dict)
           else f"{b} spans per request")  # fmt: skip
    workers = r.get("decode_processes")
    decode = ("" if workers is None else
              f", decoding in {workers} worker process{'es' if workers != 1 else ''}" if workers
              else ", decoding in the server process")  # fmt: skip
    out = [f"### Ingest benchmark — {r['senders']} sender processes, {per}, "
           f"{r['seconds']:.0f} s per phase{decode}", "", _machine(r["machine"]), "",
           "| Path | sustained spans/s | spans/s incl. drain | request p50 ms | request p99 ms | "
           "server CPU-s per 1,000 spans (incl. drain) | server CPU-s (share of wall) | drain s | "
           "client CPU-s | server peak RSS MB (with workers) | load before |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]  # fmt: skip
    for key, name in (
        ("sdk", "SDK batches (gzip JSON, /v1/ingest)"),
        ("otlp", "OTLP/HTTP protobuf (/v1/traces)"),
    ):
        p = r[key]
        share = p.get("server_cpu_s", 0) / max(p["wall_s"], 1e-9)
        out.append(
            f"| {name} | {p['spans_per_s']:,} | {_num(p.get('spans_per_s_incl_drain'))} "
            f"| {_ms(p['p50_ms'])} | {_ms(p['p99_ms'])} "
            f"| {p['server_cpu_s_per_1k_spans']} ({p.get('server_cpu_s_per_1k_spans_incl_drain', '—')}) "
            f"| {p.get('server_cpu_s', '—')} ({share:.0%}) | {p.get('drain_s', '—')} "
            f"| {p.get('client_cpu_s', '—')} | {p['server_peak_rss_mb']} | {_load(p)} |"
        )  # fmt: skip
    ok = r.get("verified")
    counts = ", ".join(f"{k} {v:,} stored / {r.get('acked', {}).get(k, 0):,} acknowledged"
                       for k, v in r["stored"].items())  # fmt: skip
    out += ["", "Server CPU and memory include the decoding worker processes.", "",
            "*Drain*: after the senders stop, the server keeps working on what they sent (full-text "
            "commits and merges, checkpoints) until it is idle; *incl. drain* counts that time and CPU.",
            "", f"Count query after the run: {counts} (warm-up requests included): "
            f"**{'every acknowledged span was stored' if ok else 'MISMATCH'}**."]  # fmt: skip
    return "\n".join(out)


def render(results: Path) -> str:
    parts = []
    for size in _SIZES:
        path = results / f"query-{size}.json"
        if path.exists():
            parts.append(render_query(json.loads(path.read_text())))
    ingest = results / "ingest.json"
    if ingest.exists():
        parts.append(render_ingest(json.loads(ingest.read_text())))
    return "\n\n".join(parts)


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--results", type=Path, default=Path("bench/results"))
    ap.add_argument("--doc", type=Path, default=Path("docs/benchmarks.md"))
    args = ap.parse_args()
    body = render(args.results)
    text = args.doc.read_text() if args.doc.exists() else f"# Benchmarks\n\n{BEGIN}\n{END}\n"
    if BEGIN not in text or END not in text:
        text = text.rstrip() + f"\n\n{BEGIN}\n{END}\n"
    head, rest = text.split(BEGIN, 1)
    tail = rest.split(END, 1)[1]
    args.doc.write_text(f"{head}{BEGIN}\n{body}\n{END}{tail}")
    logging.basicConfig(level=logging.INFO)
    logger.info("bench.report wrote %s", args.doc)


if __name__ == "__main__":
    main()
