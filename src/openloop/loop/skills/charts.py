"""Turning a query result into chart-ready series (Monitor charts and Loop's chart tool).

A chart is a query plus a type: ``timeseries`` (a time column, one or more numeric measures,
optionally split by a group column), ``bar`` (a category column and a numeric measure, a "top
list") or ``big_number`` (the first numeric value). The unit says how values are shown:
``count``, ``seconds``, ``usd``, ``percent`` or ``tokens``. Series are capped so a chart never
carries more points than a screen can show.
"""

from __future__ import annotations

import logging
import re
from typing import Any, Literal

from openloop.errors import InvalidInput

__all__ = ["CHART_TYPES", "MAX_POINTS", "MAX_SERIES", "UNITS", "build_series", "guess_unit"]

logger = logging.getLogger(__name__)

ChartType = Literal["timeseries", "bar", "big_number"]
CHART_TYPES: tuple[str, ...] = ("timeseries", "bar", "big_number")
UNITS: tuple[str, ...] = ("count", "seconds", "usd", "percent", "tokens")
#: Most series and points per series a preview returns.
MAX_SERIES = 20
MAX_POINTS = 1000
_TIME_NAMES = ("day", "hour", "time", "date", "bucket", "week", "month", "minute", "ts", "t")
_UNIT_HINTS = (
    ("usd", r"cost|usd|price|spend|\$"),
    ("percent", r"rate|percent|ratio|share|pct"),
    ("seconds", r"latency|duration|seconds|p\d\d|ttft|time_to"),
    ("tokens", r"token"),
)


def guess_unit(text: str) -> str:
    """The unit a measure's name or a description suggests (default ``count``)."""
    low = text.lower()
    for unit, pattern in _UNIT_HINTS:
        if re.search(pattern, low):
            return unit
    return "count"


def _is_num(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool)


def _columns(
    rows: list[dict[str, Any]], schema: dict[str, Any] | None
) -> tuple[list[str], list[str], list[str]]:
    """(time columns, numeric columns, other columns) in result order."""
    props = ((schema or {}).get("items") or {}).get("properties") or {}
    names: list[str] = list(props) if props or not rows else list(rows[0])
    time_cols, num_cols, other = [], [], []
    for name in names:
        spec = props.get(name) or {}
        values = [r.get(name) for r in rows if r.get(name) is not None]
        if spec.get("format") == "date-time" or (name.lower() in _TIME_NAMES and values
                                                 and all(isinstance(v, str) for v in values)):  # fmt: skip
            time_cols.append(name)
        elif (values and all(_is_num(v) for v in values)) or (
            not values and spec.get("type") in ("number", "integer")
        ):
            num_cols.append(name)
        else:
            other.append(name)
    return time_cols, num_cols, other


def build_series(rows: list[dict[str, Any]], chart_type: str, *, schema: dict[str, Any] | None = None,
                 group_by: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Chart data for ``rows``; raises :class:`InvalidInput` when the rows cannot make that
    type of chart (the message says which columns are missing)."""
    if chart_type not in CHART_TYPES:
        raise InvalidInput(f"unknown chart type {chart_type!r}; use {', '.join(CHART_TYPES)}",
                           field="chart_type")  # fmt: skip
    time_cols, num_cols, other = _columns(rows, schema)
    if group_by and group_by in num_cols:
        num_cols.remove(group_by)
        other.insert(0, group_by)
    if group_by and group_by not in other and rows:
        raise InvalidInput(f"group_by {group_by!r} is not a column of the result; columns: "
                           f"{', '.join(rows[0])}", field="group_by")  # fmt: skip
    if chart_type == "big_number":
        if not num_cols:
            raise InvalidInput("a big number needs a numeric column, e.g. `count(1) AS n`")
        value = rows[0].get(num_cols[0]) if rows else None
        return {"chart_type": chart_type, "measure": num_cols[0], "value": value, "series": []}
    if not num_cols:
        raise InvalidInput(f"a {chart_type} chart needs a numeric measure such as `count(1) AS n`; "
                           "aggregate with GROUP BY")  # fmt: skip
    if chart_type == "bar":
        cat = group_by or (other[0] if other else (time_cols[0] if time_cols else None))
        if cat is None:
            raise InvalidInput(
                "a bar chart needs a category column, e.g. `metadata.model AS model`"
            )
        measure = num_cols[0]
        points = [{"x": r.get(cat), "y": r.get(measure)} for r in rows[:MAX_POINTS]]
        return {"chart_type": chart_type, "x": cat, "measure": measure,
                "series": [{"name": measure, "points": points}], "truncated": len(rows) > MAX_POINTS}  # fmt: skip
    if not time_cols:
        raise InvalidInput("a time series needs a time column, e.g. `day(created) AS day` in "
                           "SELECT and GROUP BY")  # fmt: skip
    t = time_cols[0]
    group = group_by or (other[0] if other else None)
    series: dict[str, list[dict[str, Any]]] = {}
    for r in sorted(rows, key=lambda r: str(r.get(t))):
        for m in num_cols if group is None else num_cols[:1]:
            name = m if group is None else str(r.get(group))
            if group is not None and len(num_cols) > 1:
                name = f"{r.get(group)} {m}"
            pts = series.setdefault(name, [])
            if len(pts) < MAX_POINTS:
                pts.append({"x": r.get(t), "y": r.get(m)})
    names = list(series)
    truncated = len(names) > MAX_SERIES
    if truncated:
        totals = {n: sum(p["y"] or 0 for p in series[n]) for n in names}
        names = sorted(names, key=lambda n: -totals[n])[:MAX_SERIES]
    return {"chart_type": chart_type, "x": t, "measures": num_cols, "group_by": group,
            "series": [{"name": n, "points": series[n]} for n in names], "truncated": truncated}  # fmt: skip
