"""Deterministic experiment reports: a summary (score means, pass rates, metrics, worst rows,
comparison with the baseline), a row-by-row comparison of two experiments, and rows drilled by
score. Every function takes root rows as :func:`openloop.services.experiments.experiment_root_rows`
returns them; rows are named by their dataset row id (``origin.id``) when they have one, so a
change reads the same in both experiments.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from typing import Any

from openloop.evals.compare import compare, row_metrics, summarize

from .evals_common import fmt_num, row_key, snippet

__all__ = [
    "changes",
    "compare_markdown",
    "drill",
    "mean_score",
    "summary_markdown",
    "summary_report",
]

logger = logging.getLogger(__name__)

_WORST = 5


def mean_score(row: Mapping[str, Any]) -> float | None:
    values = [
        float(v) for v in (row.get("scores") or {}).values()
        if isinstance(v, int | float) and not isinstance(v, bool) and not math.isnan(v)
    ]  # fmt: skip
    return sum(values) / len(values) if values else None


def changes(
    rows: Sequence[Mapping[str, Any]], baseline: Sequence[Mapping[str, Any]]
) -> dict[str, Any]:
    """Per score: which rows (by :func:`row_key`) improved and regressed against the baseline
    (matched by input), plus every changed row with its per-score diffs, biggest first."""
    by_id = {str(r.get("id")): r for r in rows}
    result = compare(rows, baseline)
    per_score: dict[str, dict[str, list[str]]] = {}
    changed: list[dict[str, Any]] = []
    for match in result["matches"]:
        first = by_id.get(str(match["ids"][0]), {})
        key = row_key(first) if first else str(match["ids"][0])
        diffs = {n: v["diff"] for n, v in match["scores"].items() if v["diff"] is not None}
        for name, diff in diffs.items():
            slot = per_score.setdefault(name, {"improved": [], "regressed": []})
            if diff > 1e-9:
                slot["improved"].append(key)
            elif diff < -1e-9:
                slot["regressed"].append(key)
        moved = {n: d for n, d in diffs.items() if abs(d) > 1e-9}
        if moved:
            changed.append({
                "row": key, "id": match["ids"][0], "input": match["input"],
                "output": match["output"], "baseline_output": match["baseline_output"],
                "diffs": moved, "total": sum(moved.values()),
            })  # fmt: skip
    changed.sort(key=lambda c: (-abs(c["total"]), c["row"]))
    return {
        "scores": per_score,
        "changed": changed,
        "matched": result["matched_count"],
        "unmatched_baseline": len(result["unmatched_baseline"]),
    }


def summary_report(
    rows: Sequence[Mapping[str, Any]],
    baseline: Sequence[Mapping[str, Any]] | None,
    thresholds: Mapping[str, float],
) -> dict[str, Any]:
    """The numbers of a summary: :func:`openloop.evals.compare.summarize` plus pass rates,
    the worst rows and, with a baseline, the rows that changed per score."""
    body = summarize(rows, baseline)
    for name, entry in body["scores"].items():
        values = [
            v for r in rows if isinstance(v := (r.get("scores") or {}).get(name), int | float)
        ]  # fmt: skip
        cut = thresholds.get(name, 0.5)
        entry["threshold"] = cut
        entry["scored_rows"] = len(values)
        entry["pass_rate"] = (sum(1 for v in values if v >= cut) / len(values)) if values else None
    ranked = [(m, r) for r in rows if (m := mean_score(r)) is not None]
    ranked.sort(key=lambda mr: (mr[0], row_key(mr[1])))
    body["worst"] = [
        {"row": row_key(r), "id": r.get("id"), "mean": m, "scores": r.get("scores") or {},
         "input": snippet(r.get("input")), "output": snippet(r.get("output")),
         "error": snippet(r.get("error")) if r.get("error") else None}
        for m, r in ranked[:_WORST]
    ]  # fmt: skip
    body["errors"] = [
        {"row": row_key(r), "error": snippet(r.get("error"), 160)} for r in rows if r.get("error")
    ][:_WORST]
    body["changes"] = changes(rows, baseline) if baseline else None
    return body


def _metric_text(name: str, entry: Mapping[str, Any]) -> str:
    unit = entry["unit"]
    value = entry["metric"]
    shown = f"${value:.6f}" if unit == "$" else f"{fmt_num(value)} {unit}"
    if entry.get("diff") is not None:
        sign = "+" if entry["diff"] >= 0 else ""
        diff = f"${entry['diff']:.6f}" if unit == "$" else fmt_num(entry["diff"])
        shown += f" ({sign}{diff} vs baseline)"
    return f"- {name}: {shown}"


def summary_markdown(title: str, report: Mapping[str, Any], baseline_name: str | None) -> str:
    lines = [f"## Experiment {title}", ""]
    lines.append(f"{report['row_count']} rows, {report['error_count']} with errors.")
    if baseline_name:
        lines.append(f"Compared with baseline **{baseline_name}** (rows matched by input).")
    lines += ["", "### Scores", "", "| score | mean | pass rate | vs baseline | improved | regressed |",
              "|---|---|---|---|---|---|"]  # fmt: skip
    for name, s in report["scores"].items():
        rate = "—" if s["pass_rate"] is None else f"{s['pass_rate']:.0%} (≥{s['threshold']:g})"
        diff = "—" if s["diff"] is None else f"{s['diff']:+.3f}"
        lines.append(
            f"| {name} | {fmt_num(s['score'])} | {rate} | {diff} | {s['improvements']} | "
            f"{s['regressions']} |"
        )
    if report["metrics"]:
        lines += ["", "### Metrics (mean per row; lower is better)", ""]
        lines += [_metric_text(n, m) for n, m in report["metrics"].items()]
    ch = report.get("changes")
    if ch:
        lines += ["", "### Changed rows (by dataset row)", ""]
        for name, slot in ch["scores"].items():
            if slot["improved"] or slot["regressed"]:
                lines.append(
                    f"- {name}: improved {len(slot['improved'])} "
                    f"({', '.join(slot['improved'][:8])}{'…' if len(slot['improved']) > 8 else ''}); "
                    f"regressed {len(slot['regressed'])} ({', '.join(slot['regressed'][:8])}"
                    f"{'…' if len(slot['regressed']) > 8 else ''})"
                )
    if report["worst"]:
        lines += ["", "### Worst rows", ""]
        for w in report["worst"]:
            scores = ", ".join(f"{k}={fmt_num(v)}" for k, v in w["scores"].items())
            lines.append(f"- `{w['row']}` mean {fmt_num(w['mean'])} ({scores}): {w['input']!r}")
    if report["errors"]:
        lines += ["", "### Errors", ""]
        lines += [f"- `{e['row']}`: {e['error']}" for e in report["errors"]]
    return "\n".join(lines)


def compare_markdown(
    name: str, base_name: str, body: Mapping[str, Any], ch: Mapping[str, Any], top: int
) -> str:
    lines = [f"## {name} vs {base_name}", "",
             f"{ch['matched']} rows matched by input; {ch['unmatched_baseline']} baseline rows "
             "have no match.", "", "| score | mean | baseline | diff | improved | regressed |",
             "|---|---|---|---|---|---|"]  # fmt: skip
    for score, s in body["scores"].items():
        base = None if s["diff"] is None or s["score"] is None else s["score"] - s["diff"]
        diff = "—" if s["diff"] is None else f"{s['diff']:+.3f}"
        lines.append(
            f"| {score} | {fmt_num(s['score'])} | {fmt_num(base)} | {diff} | "
            f"{s['improvements']} | {s['regressions']} |"
        )
    if ch["changed"]:
        lines += ["", f"### Top changed rows (of {len(ch['changed'])})", ""]
        for c in ch["changed"][:top]:
            moves = ", ".join(f"{k} {d:+.2f}" for k, d in c["diffs"].items())
            lines.append(f"- `{c['row']}` ({moves}): {snippet(c['input'])!r}")
    else:
        lines += ["", "No row changed score."]
    return "\n".join(lines)


def drill(
    rows: Sequence[Mapping[str, Any]],
    *,
    score: str | None,
    min_score: float | None,
    max_score: float | None,
    errors_only: bool,
    sort: str,
    limit: int,
) -> list[dict[str, Any]]:
    """Rows filtered by one score's range (or the row mean when ``score`` is None) and errors,
    sorted by ``score``/``-score``/``created``, as compact dicts."""
    picked: list[tuple[float | None, Mapping[str, Any]]] = []
    for row in rows:
        if errors_only and not row.get("error"):
            continue
        value = mean_score(row) if score is None else (row.get("scores") or {}).get(score)
        if min_score is not None or max_score is not None:
            if value is None:
                continue
            if min_score is not None and value < min_score:
                continue
            if max_score is not None and value > max_score:
                continue
        picked.append((value, row))
    if sort in ("score", "-score"):
        missing = math.inf if sort == "score" else -math.inf
        picked.sort(key=lambda vr: (missing if vr[0] is None else vr[0], row_key(vr[1])),
                    reverse=sort == "-score")  # fmt: skip
    else:
        picked.sort(key=lambda vr: str(vr[1].get("created") or ""))
    out = []
    for value, row in picked[:limit]:
        m = row_metrics(row)
        out.append({
            "row": row_key(row), "id": row.get("id"), "value": value,
            "scores": row.get("scores") or {}, "input": snippet(row.get("input"), 200),
            "output": snippet(row.get("output"), 200), "expected": snippet(row.get("expected"), 200),
            "error": snippet(row.get("error"), 200) if row.get("error") else None,
            "duration": m.get("duration"), "tokens": m.get("total_tokens"),
        })  # fmt: skip
    return out
