"""Experiment summaries and baseline comparison, as pure functions over root rows.

A *root row* is the ``eval`` span of one case: ``id``, ``input``, ``expected``, ``output``,
``error``, ``scores`` and ``metrics`` (``start``/``end`` plus token and cost totals of the whole
trace, which the caller adds up). Rows of two experiments are matched by their ``input``
(compared as canonical JSON, so key order does not matter); several rows with the same input —
trials — are averaged first. For every score:

* ``score`` — the mean over rows that have a value;
* ``diff`` — ``score`` minus the baseline's ``score``;
* ``improvements`` / ``regressions`` — matched inputs whose score went up / down.

Metrics work the same way, except that for every metric here (duration, tokens, cost) *lower*
is better, so a drop counts as an improvement.

>>> cur = [{"id": "a", "input": 1, "scores": {"acc": 1.0}}]
>>> base = [{"id": "b", "input": 1, "scores": {"acc": 0.0}}]
>>> summarize(cur, base)["scores"]["acc"]["improvements"]
1
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

logger = logging.getLogger(__name__)

__all__ = ["METRICS", "canonical_key", "compare", "row_metrics", "summarize"]

#: Metrics summarized per experiment: name -> (unit, source metric keys tried in order).
METRICS: dict[str, tuple[str, tuple[str, ...]]] = {
    "duration": ("s", ("duration",)),
    "prompt_tokens": ("tok", ("prompt_tokens",)),
    "completion_tokens": ("tok", ("completion_tokens",)),
    "total_tokens": ("tok", ("tokens", "total_tokens")),
    "estimated_cost": ("$", ("estimated_cost", "cost")),
}
_EPS = 1e-9


def canonical_key(value: Any) -> str:
    """The text two inputs share exactly when they are the same JSON value."""
    try:
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS).decode()
    except TypeError:
        return repr(value)


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return None if math.isnan(number) else number


def _mean(values: Iterable[float | None]) -> float | None:
    present = [v for v in values if v is not None]
    return sum(present) / len(present) if present else None


def row_metrics(row: Mapping[str, Any]) -> dict[str, float]:
    """The summarized metrics of one root row (duration from ``end - start``)."""
    metrics = row.get("metrics") or {}
    out: dict[str, float] = {}
    start, end = _number(metrics.get("start")), _number(metrics.get("end"))
    if start is not None and end is not None and end >= start:
        out["duration"] = end - start
    for name, (_unit, keys) in METRICS.items():
        if name in out:
            continue
        for key in keys:
            value = _number(metrics.get(key))
            if value is not None:
                out[name] = value
                break
    return out


def _scores(row: Mapping[str, Any]) -> dict[str, float | None]:
    raw = row.get("scores") or {}
    return {str(k): _number(v) for k, v in raw.items()}


def _groups(rows: Sequence[Mapping[str, Any]]) -> dict[str, list[Mapping[str, Any]]]:
    groups: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        groups.setdefault(canonical_key(row.get("input")), []).append(row)
    return groups


def _group_values(
    groups: Mapping[str, list[Mapping[str, Any]]], pick: Any
) -> dict[str, dict[str, float]]:
    """key -> name -> mean of that name's values over the group's rows."""
    out: dict[str, dict[str, float]] = {}
    for key, members in groups.items():
        names: dict[str, list[float | None]] = {}
        for row in members:
            for name, value in pick(row).items():
                names.setdefault(name, []).append(value)
        out[key] = {n: m for n, vs in names.items() if (m := _mean(vs)) is not None}
    return out


def _column_means(rows: Sequence[Mapping[str, Any]], pick: Any) -> dict[str, float | None]:
    values: dict[str, list[float | None]] = {}
    for row in rows:
        for name, value in pick(row).items():
            values.setdefault(name, []).append(value)
    return {name: _mean(vs) for name, vs in values.items()}


def _tally(
    current: Mapping[str, dict[str, float]],
    baseline: Mapping[str, dict[str, float]],
    name: str,
    lower_is_better: bool,
) -> tuple[int, int]:
    up = down = 0
    for key, values in current.items():
        base = baseline.get(key)
        if base is None or name not in values or name not in base:
            continue
        delta = values[name] - base[name]
        if lower_is_better:
            delta = -delta
        if delta > _EPS:
            up += 1
        elif delta < -_EPS:
            down += 1
    return up, down


def summarize(
    rows: Sequence[Mapping[str, Any]],
    baseline: Sequence[Mapping[str, Any]] | None = None,
) -> dict[str, Any]:
    """``{"scores": {name: {name, score, diff, improvements, regressions}}, "metrics": {name:
    {name, metric, unit, diff, improvements, regressions}}}`` for ``rows``, compared with
    ``baseline`` when given (``diff`` is None without one)."""
    base_rows = list(baseline or [])
    cur_groups = _group_values(_groups(rows), _scores)
    base_groups = _group_values(_groups(base_rows), _scores)
    base_means = _column_means(base_rows, _scores)
    scores: dict[str, Any] = {}
    for name, mean in sorted(_column_means(rows, _scores).items()):
        base = base_means.get(name)
        up, down = _tally(cur_groups, base_groups, name, lower_is_better=False)
        scores[name] = {
            "name": name,
            "score": mean,
            "diff": (mean - base) if (mean is not None and base is not None) else None,
            "improvements": up,
            "regressions": down,
        }
    cur_metric_groups = _group_values(_groups(rows), row_metrics)
    base_metric_groups = _group_values(_groups(base_rows), row_metrics)
    base_metric_means = _column_means(base_rows, row_metrics)
    metrics: dict[str, Any] = {}
    cur_metric_means = _column_means(rows, row_metrics)
    for name, (unit, _keys) in METRICS.items():
        mean = cur_metric_means.get(name)
        if mean is None:
            continue
        base = base_metric_means.get(name)
        up, down = _tally(cur_metric_groups, base_metric_groups, name, lower_is_better=True)
        metrics[name] = {
            "name": name,
            "metric": mean,
            "unit": unit,
            "diff": (mean - base) if base is not None else None,
            "improvements": up,
            "regressions": down,
        }
    errors = sum(1 for r in rows if r.get("error"))
    return {"scores": scores, "metrics": metrics, "row_count": len(rows), "error_count": errors}


def compare(
    rows: Sequence[Mapping[str, Any]],
    baseline: Sequence[Mapping[str, Any]],
    *,
    score: str | None = None,
    sort: str | None = None,
) -> dict[str, Any]:
    """Row-by-row comparison of ``rows`` against ``baseline``, matched by input.

    Each match has the current and baseline outputs and, per score, ``{score, baseline,
    diff}``; ``improved``/``regressed`` list the matches where some score (or only ``score``)
    went up/down. ``sort``: ``"diff"`` (biggest regression first), ``"-diff"`` (biggest
    improvement first) or ``"input"``; default keeps the current experiment's order.
    """
    cur_groups, base_groups = _groups(rows), _groups(baseline)
    cur_vals = _group_values(cur_groups, _scores)
    base_vals = _group_values(base_groups, _scores)
    matches: list[dict[str, Any]] = []
    for key, members in cur_groups.items():
        first = members[0]
        base_members = base_groups.get(key)
        entry: dict[str, Any] = {
            "key": key,
            "input": first.get("input"),
            "expected": first.get("expected"),
            "ids": [m.get("id") for m in members],
            "output": first.get("output"),
            "error": first.get("error"),
            "baseline_ids": [m.get("id") for m in base_members or []],
            "baseline_output": base_members[0].get("output") if base_members else None,
            "matched": base_members is not None,
            "scores": {},
            "improved": [],
            "regressed": [],
        }
        names = sorted(set(cur_vals.get(key, {})) | set(base_vals.get(key, {})))
        for name in names:
            cur = cur_vals.get(key, {}).get(name)
            base = base_vals.get(key, {}).get(name)
            diff = cur - base if cur is not None and base is not None else None
            entry["scores"][name] = {"score": cur, "baseline": base, "diff": diff}
            if diff is not None and (score is None or name == score):
                if diff > _EPS:
                    entry["improved"].append(name)
                elif diff < -_EPS:
                    entry["regressed"].append(name)
        matches.append(entry)
    if sort:
        matches = _sorted(matches, sort, score)
    unmatched_baseline = [
        {"key": k, "input": m[0].get("input"), "ids": [x.get("id") for x in m]}
        for k, m in base_groups.items()
        if k not in cur_groups
    ]
    return {
        "matches": matches,
        "improved": [m["ids"][0] for m in matches if m["improved"]],
        "regressed": [m["ids"][0] for m in matches if m["regressed"]],
        "matched_count": sum(1 for m in matches if m["matched"]),
        "unmatched_baseline": unmatched_baseline,
    }


def _total_diff(match: Mapping[str, Any], score: str | None) -> float:
    diffs = [
        v["diff"]
        for name, v in match["scores"].items()
        if v["diff"] is not None and (score is None or name == score)
    ]
    return sum(diffs) if diffs else 0.0


def _sorted(matches: list[dict[str, Any]], sort: str, score: str | None) -> list[dict[str, Any]]:
    if sort == "input":
        return sorted(matches, key=lambda m: m["key"])
    if sort in ("diff", "-diff"):
        reverse = sort == "-diff"
        return sorted(matches, key=lambda m: _total_diff(m, score), reverse=reverse)
    from openloop.errors import InvalidInput

    raise InvalidInput(f"unknown sort {sort!r}; use diff, -diff or input")
