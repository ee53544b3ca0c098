"""Checking a proposed filter expression before a user sees it.

A filter (the Logs page's WHERE-only box, or what Loop proposes from "only LLM spans from
John") is valid when ``select: id | from: project_logs('<project>') | filter: <expr> |
limit: 1`` compiles. The check also refuses text that would smuggle in other clauses
(``x = 1 | limit: 100000``), counts the matching spans over a bounded window, and, when the
expression does not compile, says which field names exist so the model can fix its call.
"""

from __future__ import annotations

import difflib
import logging
import re
from dataclasses import dataclass, field
from typing import Any

from openloop.errors import QueryError

from .querying import DEFAULT_DAYS, Scope, compile_text, logs_from, run, since
from .schema import COMMON_FIELDS

__all__ = ["FilterCheck", "check_filter", "field_hints", "filter_query", "retry_message"]

logger = logging.getLogger(__name__)

_UNKNOWN = re.compile(r"unknown field '([^']+)'")


@dataclass
class FilterCheck:
    expr: str
    query: str
    matches: int | None = None
    window_days: int | None = None
    warnings: list[dict[str, Any]] = field(default_factory=list)


def filter_query(project: str, expr: str) -> str:
    """The probe query a filter must compile in."""
    return f"select: id | from: {logs_from(project)} | filter: {expr} | limit: 1"


def check_filter(scope: Scope, expr: str, *, count: bool = True,
                 days: int = DEFAULT_DAYS) -> FilterCheck:  # fmt: skip
    """Validate ``expr``; raise :class:`QueryError` (with ``suggestions``) when it is not a
    single filter expression over the project's logs. With ``count``, also count matches (in
    the last ``days`` days unless the expression has its own range on ``created``)."""
    from openloop.query import parse

    expr = re.sub(r"^\s*(filter\s*:|where\b)", "", expr, flags=re.IGNORECASE).strip()
    if not expr:
        raise QueryError("the filter is empty", suggestions=list(COMMON_FIELDS)[:12])
    text = filter_query(scope.project, expr)
    start = text.index(f"filter: {expr}") + len("filter: ")
    try:
        q = parse(text)
    except QueryError as err:
        raise _shift(err, start) from None
    if (len(q.select) != 1 or q.limit != 1 or q.group_by is not None or q.having is not None
            or q.sort or q.sample or q.unpivot or q.pivot or q.cursor or q.preview_length is not None):  # fmt: skip
        raise QueryError("write only a filter expression (no `|`, clauses, limit or sort)")
    try:
        compiled = compile_text(scope, text)
    except QueryError as err:
        raise _shift(err, start) from None
    check = FilterCheck(expr, text, warnings=list(compiled.warnings))
    if count:
        ranged = not any(w.get("code") == "no_range_filter" for w in compiled.warnings)
        where = f"({expr})" if ranged else f"({expr}) AND {since(days)}"
        data = run(scope, f"SELECT count(1) AS n FROM {logs_from(scope.project)} WHERE {where}")[
            "data"
        ]
        check.matches = int(data[0]["n"]) if data else 0
        check.window_days = None if ranged else days
    logger.info("loop.filter_check project=%s matches=%s", scope.project_id, check.matches)
    return check


def _shift(err: QueryError, start: int) -> QueryError:
    """The error with its column counted from the start of the filter expression."""
    if err.line != 1 or not err.column or err.column <= start:
        return err
    return QueryError(err.message, line=1, column=err.column - start, suggestions=err.suggestions)


def field_hints(err: QueryError, known: list[str] | None = None) -> list[str]:
    """Field names to offer after ``err``: the error's own suggestions, close matches among
    ``known`` paths (e.g. from :func:`~.schema.describe_source`), then the common fields."""
    out = list(dict.fromkeys(err.suggestions))
    pool = list(dict.fromkeys([*(known or []), *COMMON_FIELDS]))
    m = _UNKNOWN.search(err.message)
    if m:
        bad = m.group(1)
        out += difflib.get_close_matches(bad, pool, n=3, cutoff=0.5)
        out += [p for p in pool if p.split(".")[-1] == bad.split(".")[-1]]
    out += pool
    return list(dict.fromkeys(out))[:25]


def retry_message(err: QueryError, known: list[str] | None = None) -> str:
    """What the model reads when its filter failed: the error, where, and valid fields."""
    where = f" (column {err.column})" if err.column else ""
    hints = ", ".join(field_hints(err, known))
    return (f"The filter does not compile: {err.message}{where}. Fix it and call again. "
            f"Valid fields include: {hints}. Quote text values with single quotes.")  # fmt: skip
