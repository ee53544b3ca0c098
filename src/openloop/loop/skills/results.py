"""Reading a query result for a person: plain-words facts about the rows, and follow-up
queries worth running next (each one checked to compile before it is offered)."""

from __future__ import annotations

import logging
import math
from collections import Counter
from typing import Any

from openloop.errors import QueryError

from .querying import Scope, compile_text, literal

__all__ = ["follow_ups", "summarize_rows"]

logger = logging.getLogger(__name__)


def _is_number(v: Any) -> bool:
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _fmt(v: Any) -> str:
    if isinstance(v, float):
        return f"{v:.4g}" if abs(v) < 1e5 else f"{v:,.0f}"
    text = str(v)
    return text if len(text) <= 60 else text[:57] + "..."


def summarize_rows(rows: list[dict[str, Any]], *, max_columns: int = 8) -> list[str]:
    """Plain-words facts about a result: row count, top values of text columns, ranges of
    numeric columns. Values are shortened; nothing is interpreted as an instruction."""
    if not rows:
        return ["The query returned no rows."]
    lines = [f"{len(rows)} row{'s' if len(rows) != 1 else ''}."]
    columns: list[str] = []
    for r in rows[:50]:
        for k in r:
            if k not in columns:
                columns.append(k)
    for col in columns[:max_columns]:
        values = [r.get(col) for r in rows]
        present = [v for v in values if v is not None]
        if not present:
            lines.append(f"`{col}`: always empty.")
            continue
        nums = [v for v in present if _is_number(v)]
        if len(nums) == len(present):
            lo, hi = min(nums), max(nums)
            mean = sum(nums) / len(nums)
            lines.append(f"`{col}`: {_fmt(lo)} to {_fmt(hi)} (mean {_fmt(mean)}).")
            continue
        scalars = [v for v in present if isinstance(v, str | bool | int | float)]
        if not scalars:
            lines.append(f"`{col}`: nested values in {len(present)} rows.")
            continue
        counts = Counter(str(v) for v in scalars)
        if len(counts) == len(scalars) and len(scalars) > 3:
            lines.append(f"`{col}`: {len(counts)} distinct values.")
            continue
        top = ", ".join(f"{_fmt(v)} ({n})" for v, n in counts.most_common(3))
        lines.append(f"`{col}`: {len(counts)} distinct; most common {top}.")
    if len(columns) > max_columns:
        lines.append(f"({len(columns) - max_columns} more columns not summarized.)")
    return lines


def _source_text(q: Any) -> str:
    src = q.source
    args = ", ".join(literal(a) for a in src.args)
    shape = f", shape => {literal(src.shape)}" if src.shape != "spans" else ""
    return f"{src.kind}({args}{shape})"


def follow_ups(scope: Scope, text: str, rows: list[dict[str, Any]], *, n: int = 3) -> list[str]:
    """Two or three next queries for ``text``: a breakdown over time, by model or by error
    type, the failing rows, or the rows behind the top group. Only queries that compile."""
    from openloop.query import parse
    from openloop.query.describe import to_text

    try:
        q = parse(text)
    except QueryError:
        return []
    if q.source is None:
        return []
    src = _source_text(q)
    cond = to_text(q.filter) if q.filter is not None else ""
    where = f" WHERE {cond}" if cond else ""
    both = lambda extra: f" WHERE ({cond}) AND {extra}" if cond else f" WHERE {extra}"  # noqa: E731
    grouped = q.group_by is not None
    dims = [to_text(g) for g in (q.group_by or ())]
    out: list[str] = []
    if not any("created" in d for d in dims):
        out.append(f"SELECT day(created) AS day, count(1) AS n, count(error) AS errors FROM {src}{where} "
                   "GROUP BY 1 ORDER BY day ASC")  # fmt: skip
    if q.source.kind == "project_logs" and not any("model" in d for d in dims):
        out.append(f"SELECT metadata.model AS model, count(1) AS n, percentile(latency, 0.95) AS p95, "
                   f"sum(estimated_cost()) AS cost FROM {src}{both('metadata.model IS NOT NULL')} "
                   "GROUP BY 1 ORDER BY n DESC")  # fmt: skip
    if "error" not in cond:
        out.append(f"SELECT error_type, count(1) AS n FROM {src}{both('error IS NOT NULL')} "
                   "GROUP BY 1 ORDER BY n DESC")  # fmt: skip
    if grouped and rows and len(q.group_by or ()) == 1 and dims:
        first = next(iter(rows[0].values()))
        if isinstance(first, str):
            out.insert(0, f"SELECT id, created, input, output, error FROM {src}"
                          f"{both(f'{dims[0]} = {literal(first)}')} ORDER BY created DESC LIMIT 20")  # fmt: skip
    good = []
    for candidate in out:
        try:
            compile_text(scope, candidate)
        except QueryError as err:
            logger.info("loop.follow_up dropped error=%r", err.message)
            continue
        good.append(candidate)
        if len(good) >= n:
            break
    return good
