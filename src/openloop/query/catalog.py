"""The names a query can use, derived from :mod:`openloop.model.fields`.

Braintrust field names (``metadata.model``, ``metrics.prompt_tokens``, ``scores.Factuality``)
map onto the ``rows`` table: hot paths to their typed columns, other paths to JSON extraction
on the owning json column, unknown top-level names to a "did you mean" error. The summary shape
reads from a per-trace table with the same column names plus the trace aggregates below.
"""

from __future__ import annotations

import difflib
import functools

from openloop.model.fields import COLUMNS, hot_column_for_path

from . import ast

__all__ = [
    "AGGREGATES",
    "FUNCTIONS",
    "STAR_COLUMNS",
    "SUMMARY_METRICS",
    "SUMMARY_STAR",
    "TOP_LEVEL",
    "Namespace",
    "column_type",
]

_TYPE_OF_DUCKDB = {"VARCHAR": "str", "BIGINT": "int", "DOUBLE": "num", "BOOLEAN": "bool",
                   "TIMESTAMPTZ": "ts", "VARCHAR[]": "array", "MAP(VARCHAR, DOUBLE)": "map",
                   "JSON": "json"}  # fmt: skip


def column_type(name: str) -> str:
    for col in COLUMNS:
        if col.name == name:
            return _TYPE_OF_DUCKDB[col.duckdb]
    return "json"


#: Top-level row fields users write (Braintrust names) -> (column, type).
TOP_LEVEL: dict[str, tuple[str, str]] = {
    name: (name, column_type(name))
    for name in ("id", "span_id", "root_span_id", "span_parents", "is_root", "created", "_xact_id",
                 "_pagination_key", "project_id", "org_id", "tags", "scores", "input", "output",
                 "expected", "error", "metadata", "metrics", "span_attributes", "context", "origin")
}  # fmt: skip
#: Hot columns can also be named directly (``model``, ``span_type``, ``has_error`` ...).
HOT_NAMES: dict[str, str] = {c.name: column_type(c.name) for c in COLUMNS if c.kind == "hot"}
#: Top-level fields kept inside the ``extra`` json column.
EXTRA_FIELDS = ("facets", "classifications", "comment", "comments", "name", "slug",
                "description", "prompt_data", "function_data", "audit_data", "log_id",
                "experiment_id", "dataset_id", "function_type")  # fmt: skip
ALIASES: dict[str, tuple[str, str]] = {"latency": ("duration", "num")}

#: Trace aggregates of the summary shape: metrics.<name> -> column.
SUMMARY_METRICS: dict[str, tuple[str, str]] = {
    "prompt_tokens": ("prompt_tokens", "int"), "completion_tokens": ("completion_tokens", "int"),
    "tokens": ("total_tokens", "int"), "total_tokens": ("total_tokens", "int"),
    "prompt_cached_tokens": ("prompt_cached_tokens", "int"),
    "estimated_cost": ("estimated_cost", "num"), "llm_calls": ("llm_calls", "int"),
    "tool_calls": ("tool_calls", "int"), "errors": ("errors", "int"),
    "llm_errors": ("llm_errors", "int"), "tool_errors": ("tool_errors", "int"),
    "start": ("start_time", "num"), "end": ("end_time", "num"), "duration": ("duration", "num"),
    "llm_duration": ("llm_duration", "num"), "time_to_first_token": ("time_to_first_token", "num"),
}  # fmt: skip

#: What ``select *`` returns for the summary shape (one row per trace).
SUMMARY_STAR: tuple[tuple[str, str], ...] = (
    ("id", "str"),
    ("span_id", "str"),
    ("root_span_id", "str"),
    ("created", "ts"),
    ("_xact_id", "int"),
    ("_pagination_key", "int"),
    ("project_id", "str"),
    ("object_type", "str"),
    ("object_id", "str"),
    ("input", "json"),
    ("output", "json"),
    ("expected", "json"),
    ("error", "json"),
    ("metadata", "json"),
    ("span_attributes", "json"),
    ("tags", "array"),
    ("origin", "json"),
    ("_score_maps", "scorelist"),
    ("has_error", "bool"),
    *((col, typ) for col, typ in dict((v[0], v[1]) for v in SUMMARY_METRICS.values()).items()),
)

#: What ``select *`` returns for spans (column, output kind); post-processing reshapes it.
STAR_COLUMNS: tuple[tuple[str, str], ...] = (
    ("id", "str"), ("span_id", "str"), ("root_span_id", "str"), ("span_parents", "array"),
    ("is_root", "bool"), ("created", "ts"), ("_xact_id", "int"), ("_pagination_key", "int"),
    ("project_id", "str"), ("object_type", "str"), ("object_id", "str"), ("input", "json"),
    ("output", "json"), ("expected", "json"), ("error", "json"), ("scores", "map"),
    ("metadata", "json"), ("metrics", "json"), ("span_attributes", "json"), ("tags", "array"),
    ("context", "json"), ("origin", "json"), ("extra", "json"),
)  # fmt: skip

AGGREGATES = frozenset(("count", "count_distinct", "sum", "avg", "min", "max", "any_value",
                        "percentile"))  # fmt: skip
_TIME = ("second", "minute", "hour", "day", "week", "month", "year")
#: name -> (min args, max args); None = any number.
FUNCTIONS: dict[str, tuple[int, int | None]] = {
    **{u: (1, 1) for u in _TIME}, "date_trunc": (2, 2), "now": (0, 0), "current_timestamp": (0, 0),
    "current_date": (0, 0), "lower": (1, 1), "upper": (1, 1), "concat": (1, None),
    "length": (1, 1), "len": (1, 1), "contains": (2, 2), "includes": (2, 2),
    "json_extract": (2, 2), "coalesce": (1, None), "nullif": (2, 2), "least": (1, None),
    "greatest": (1, None), "round": (1, 2), "to_string": (1, 1), "to_number": (1, 1),
    "to_integer": (1, 1), "to_boolean": (1, 1), "to_date": (1, 1), "to_datetime": (1, 1),
    "count": (0, 1), "count_distinct": (1, 1), "sum": (1, 1), "avg": (1, 1), "min": (1, 1),
    "max": (1, 1), "any_value": (1, 1), "percentile": (2, 2), "estimated_cost": (0, 0),
    "search": (1, 1), "abs": (1, 1), "floor": (1, 1), "ceil": (1, 1),
}  # fmt: skip


class Namespace:
    """Binds a written path to a stored column or JSON path. ``summary`` switches to the
    per-trace table; ``extra`` adds names introduced by UNPIVOT (name -> (column, type))."""

    def __init__(self, *, summary: bool = False, extra: dict[str, ast.Expr] | None = None):
        self.summary = summary
        self.extra = dict(extra or {})
        self.score_keys: list[str] = []

    def knows(self, name: str) -> bool:
        return (name in TOP_LEVEL or name in HOT_NAMES or name in self.extra or name in ALIASES
                or name in EXTRA_FIELDS or (self.summary and name == "span_type_info"))  # fmt: skip

    def is_top_level(self, name: str) -> bool:
        return name in TOP_LEVEL or name in self.extra

    def names(self) -> list[str]:
        return [*TOP_LEVEL, *HOT_NAMES, *self.extra, *ALIASES, *EXTRA_FIELDS]

    def suggest(self, name: str, more: list[str] | None = None) -> list[str]:
        return difflib.get_close_matches(name, [*self.names(), *(more or [])], n=3, cutoff=0.6)

    def bind(self, path: tuple[str | int, ...]) -> ast.Expr | None:
        """The bound expression for ``path``, or None when its head is unknown."""
        if not self.summary and not self.extra:
            return _bind_rows(path)  # the same for every query: cached
        return self._bind(path)

    def _bind(self, path: tuple[str | int, ...]) -> ast.Expr | None:
        head, rest = path[0], path[1:]
        if not isinstance(head, str):
            return None
        if head in self.extra:
            bound = self.extra[head]
            if not rest:
                return bound
            if isinstance(bound, ast.Column) and bound.type == "json":
                return ast.JsonPath(bound.name, rest)
            return None
        if head in ALIASES and not rest:
            return ast.Column(*ALIASES[head])
        if self.summary:
            summary_bound = self._bind_summary(head, rest)
            if summary_bound is not None:
                return summary_bound
        if head in TOP_LEVEL:
            column, typ = TOP_LEVEL[head]
            if not rest:
                return ast.Column(column, typ)
            return self._bind_inside(column, typ, path)
        if head in HOT_NAMES and not rest:
            return ast.Column(head, HOT_NAMES[head])
        if head in EXTRA_FIELDS:
            return ast.JsonPath("extra", path)
        return None

    def _bind_inside(self, column: str, typ: str, path: tuple[str | int, ...]) -> ast.Expr | None:
        rest = path[1:]
        if typ == "array":
            return (
                ast.ArrayItem(column, rest[0])
                if len(rest) == 1 and isinstance(rest[0], int)
                else None
            )
        if typ == "map":
            return ast.MapValue(column, str(rest[0])) if len(rest) == 1 else None
        if typ != "json":
            return None
        hot = hot_column_for_path(tuple(str(p) for p in path))
        if hot is not None and all(isinstance(p, str) for p in path):
            return ast.Column(hot, HOT_NAMES[hot])
        return ast.JsonPath(column, rest)

    def _bind_summary(self, head: str, rest: tuple[str | int, ...]) -> ast.Expr | None:
        if head == "metrics" and len(rest) == 1 and rest[0] in SUMMARY_METRICS:
            return ast.Column(*SUMMARY_METRICS[str(rest[0])])
        if head == "scores" and len(rest) == 1:
            key = str(rest[0])
            if key not in self.score_keys:
                self.score_keys.append(key)
            return ast.Column(f"_score_{self.score_keys.index(key)}", "num")
        if head == "scores" and not rest:
            return ast.Column("_score_maps", "scorelist")
        if head == "span_type_info" and rest in (("has_error",),):
            return ast.Column("has_error", "bool")
        return None


@functools.lru_cache(maxsize=4096)
def _bind_rows(path: tuple[str | int, ...]) -> ast.Expr | None:
    """:meth:`Namespace.bind` of the plain spans table (no summary, no UNPIVOT names): a pure
    function of the path whose result, a frozen node, can be shared."""
    return Namespace()._bind(path)
