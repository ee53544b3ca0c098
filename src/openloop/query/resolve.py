"""Semantic pass: bind names, check types and aggregates, apply limits.

Turns a parsed :class:`~openloop.query.ast.Query` into a :class:`Plan` whose expressions contain
only bound leaves (columns, JSON paths, map values), so the compiler never guesses. Every
problem is a :class:`~openloop.errors.QueryError` pointing at the offending text.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass, field

from . import ast
from .binder import (
    Binder,
    Item,
    bucket_unit,
    children,
    contains_aggregate,
    parse_timestamp,
    type_of,
)
from .catalog import STAR_COLUMNS, Namespace
from .tokens import error_at

__all__ = ["SEARCH_FIELDS", "SOURCE_KINDS", "Item", "Plan", "bucket_unit", "parse_timestamp", "resolve",
           "type_of"]  # fmt: skip

SOURCE_KINDS = ("project_logs", "experiment", "dataset", "project_prompts", "project_functions",
                "prompt", "function", "org_prompts", "org_functions")  # fmt: skip
_RANGE_COLUMNS = {"created", "_xact_id", "_pagination_key"}
_PIN_COLUMNS = {"root_span_id", "id"}
SEARCH_FIELDS = ("input", "output", "expected", "metadata", "span_attributes")


@dataclass
class Plan:
    query: ast.Query
    source: ast.Source
    shape: str
    items: list[Item]
    star: bool
    filter: ast.Expr | None
    filter_spans: ast.Expr | None
    aggregate: bool
    group_by: list[ast.Expr]
    having: ast.Expr | None
    having_per_trace: bool
    sort: list[tuple[ast.Expr, bool]]
    limit: int
    unpivots: list[tuple[str, ast.Expr, str | None, str]]  # value name, bound expr, key name, kind
    pivot: tuple[tuple[str, ...], str] | None
    score_keys: list[str]
    warnings: list[dict[str, str]] = field(default_factory=list)


def resolve(query: ast.Query, *, default_limit: int = 100, max_limit: int = 10_000,
            strict: bool = False) -> Plan:  # fmt: skip
    """Bind and check ``query``. Raises QueryError."""

    q = query
    src = q.source
    if src is None:
        raise error_at(
            q.text, len(q.text), "missing data source: add `from: project_logs('my-project')`"
        )
    if src.kind not in SOURCE_KINDS:
        close = difflib.get_close_matches(src.kind, SOURCE_KINDS, n=3)
        hint = (
            f"; did you mean {close[0]}('...')?"
            if close
            else "; sources are project_logs('<project>'), experiment('<id>'), dataset('<id>')"
        )
        raise error_at(
            q.text, src.pos, f"unknown data source {src.kind!r}{hint}", suggestions=close
        )
    if not src.args:
        raise error_at(q.text, src.pos, f"{src.kind}() needs at least one quoted id or name")
    shape = src.shape
    summary = shape == "summary"

    extra: dict[str, ast.Expr] = {}
    unpivots: list[tuple[str, ast.Expr, str | None, str]] = []
    if q.unpivot and shape != "spans":
        raise error_at(q.text, q.unpivot[0].pos, "UNPIVOT works on the spans shape only")
    for u in q.unpivot:
        bound = Binder(q, Namespace(extra=dict(extra))).bind(
            u.expr, allow_agg=False, use_aliases=False
        )
        kind = type_of(bound)
        if kind == "map":
            if u.key_name is None:
                raise error_at(q.text, u.pos, "unpivoting an object needs a key and a value name: "
                               "scores as (score, value)")  # fmt: skip
            extra[u.key_name] = ast.Column(u.key_name, "str")
            assert isinstance(bound, ast.Column)
            extra[u.value_name] = ast.MapLookup(bound.name, u.key_name)
        elif kind in ("array", "json") and u.key_name is None:
            extra[u.value_name] = ast.Column(u.value_name, "str" if kind == "array" else "json")
        else:
            raise error_at(q.text, u.pos, "UNPIVOT works on scores (key, value), arrays such as "
                           "tags (value) and JSON arrays (value)")  # fmt: skip
        unpivots.append((u.value_name, bound, u.key_name, kind))

    rows_ns = Namespace(extra=extra)
    out_ns = Namespace(summary=summary, extra=extra)
    binder = Binder(q, out_ns)
    items: list[Item] = []
    star = False
    seen: dict[str, int] = {}
    for si in q.select or (ast.SelectItem(ast.Star()),):
        if isinstance(si.expr, ast.Star):
            star = True
            items.extend(_star_items(summary))
            continue
        bound = binder.bind(si.expr, allow_agg=True, use_aliases=False)
        name = si.alias or _implicit_name(si)
        if name in seen:
            raise error_at(q.text, getattr(si.expr, "pos", 0), f"duplicate column name {name!r}; "
                           "rename one with AS")  # fmt: skip
        seen[name] = len(items)
        items.append(Item(name, bound, type_of(bound)))
    binder.items = items
    has_agg = [contains_aggregate(i.expr) for i in items]
    aggregate = q.group_by is not None or any(has_agg)
    if aggregate and star:
        raise error_at(q.text, 0, "select * cannot be combined with GROUP BY or aggregates")

    group: list[ast.Expr] = []
    for g in q.group_by or ():
        if (
            isinstance(g, ast.Literal)
            and isinstance(g.value, int)
            and not isinstance(g.value, bool)
        ):
            if not 1 <= g.value <= len(items):
                raise error_at(q.text, g.pos, f"GROUP BY {g.value}: there are only {len(items)} "
                               "select items")  # fmt: skip
            group.append(items[g.value - 1].expr)
        else:
            group.append(binder.bind(g, allow_agg=False))
    if aggregate:
        for item, si, agg in zip(items, q.select, has_agg, strict=False):
            if not agg and item.expr not in group and _has_fields(item.expr):
                raise error_at(q.text, getattr(si.expr, "pos", 0), f"{item.name!r} must be in GROUP "
                               "BY (dimensions) or inside an aggregate such as count()")  # fmt: skip

    where, spans_only = _split_filter_spans(q.filter)
    filter_items = (
        [i for i, agg in zip(items, has_agg, strict=True) if not agg] if not summary else []
    )
    rows_binder = Binder(q, rows_ns, filter_items)
    bound_filter = rows_binder.bind(where, allow_agg=False) if where is not None else None
    bound_spans = rows_binder.bind(spans_only, allow_agg=False) if spans_only is not None else None

    having, per_trace = None, False
    if q.having is not None:
        if aggregate:
            having = binder.bind(q.having, allow_agg=True)
        elif summary:
            having, per_trace = Binder(q, rows_ns).bind(q.having, allow_agg=True), True
        else:
            raise error_at(q.text, getattr(q.having, "pos", 0), "HAVING / final_filter needs GROUP "
                           "BY (dimensions) or the summary shape")  # fmt: skip
    sort = [(binder.bind(s.expr, allow_agg=aggregate), s.descending) for s in q.sort]

    limit = default_limit if q.limit is None else q.limit
    if limit > max_limit:
        raise error_at(q.text, 0, f"limit {limit} is over the maximum of {max_limit}")
    pivot = _pivot(q, items, group) if q.pivot is not None else None

    plan = Plan(q, src, shape, items, star, bound_filter, bound_spans, aggregate, group, having,
                per_trace, sort, limit, unpivots, pivot, out_ns.score_keys)  # fmt: skip
    if src.kind == "project_logs" and not _has_range(bound_filter):
        msg = ("No filters available for segment elimination. Add a range filter on created, "
               "_xact_id, or _pagination_key, or scope to a specific root_span_id or id.")  # fmt: skip
        if strict:
            raise error_at(q.text, 0, msg)
        plan.warnings.append({"code": "no_range_filter", "message": msg})
    return plan


@functools.cache
def _star_items(summary: bool) -> tuple[Item, ...]:
    """The items of ``select *`` (immutable, so shared by every query)."""
    from .catalog import SUMMARY_STAR

    return tuple(Item(name, ast.Column(name, kind), kind)
                 for name, kind in (SUMMARY_STAR if summary else STAR_COLUMNS))  # fmt: skip


def _implicit_name(si: ast.SelectItem) -> str:
    if isinstance(si.expr, ast.Field):
        names = [p for p in si.expr.path if isinstance(p, str)]
        return names[-1]
    return si.text or "expr"


def _has_fields(e: ast.Expr) -> bool:
    if isinstance(e, ast.Column | ast.JsonPath | ast.MapValue | ast.MapLookup | ast.ArrayItem):
        return True
    return any(_has_fields(c) for c in children(e))


def _split_filter_spans(e: ast.Expr | None) -> tuple[ast.Expr | None, ast.Expr | None]:
    if e is None:
        return None, None
    terms = _conjuncts(e)
    keep = [t for t in terms if not isinstance(t, ast.FilterSpans)]
    spans = [t.cond for t in terms if isinstance(t, ast.FilterSpans)]
    return _and_all(keep), _and_all(spans)


def _conjuncts(e: ast.Expr) -> list[ast.Expr]:
    if isinstance(e, ast.Binary) and e.op == "and":
        return _conjuncts(e.left) + _conjuncts(e.right)
    return [e]


def _and_all(terms: list[ast.Expr]) -> ast.Expr | None:
    out: ast.Expr | None = None
    for t in terms:
        out = t if out is None else ast.Binary("and", out, t)
    return out


def _has_range(e: ast.Expr | None) -> bool:
    for t in _conjuncts(e) if e is not None else []:
        if isinstance(t, ast.Binary) and t.op in ("gt", "ge", "lt", "le", "eq"):
            cols = {c.name for c in (t.left, t.right) if isinstance(c, ast.Column)}
            if cols & _RANGE_COLUMNS or (t.op == "eq" and cols & _PIN_COLUMNS):
                return True
        if isinstance(t, ast.InList) and isinstance(t.operand, ast.Column) and \
                t.operand.name in _PIN_COLUMNS | _RANGE_COLUMNS and not t.negated:  # fmt: skip
            return True
    return False


def _pivot(q: ast.Query, items: list[Item], group: list[ast.Expr]) -> tuple[tuple[str, ...], str]:
    assert q.pivot is not None
    names = {i.name for i in items}
    by_text = {si.text: it.name for si, it in zip(q.select, items, strict=False)}
    measures = []
    for m in q.pivot.measures:
        name = m if m in names else by_text.get(m)
        if name is None:
            raise error_at(q.text, q.pivot.pos, f"pivot measure {m!r} is not a select item")
        measures.append(name)
    dims = [i.name for i in items if i.name not in measures and not contains_aggregate(i.expr)]
    key = q.pivot.key
    if key:
        key = key if key in names else by_text.get(key) or key.split(".")[-1]
    else:
        key = dims[-1] if dims else None
    if key not in dims:
        raise error_at(q.text, q.pivot.pos, "pivot needs a dimension to spread across columns")
    return tuple(measures), key
