"""Assemble the one SELECT statement for a plan: spans, traces or summary shape, with
unpivot/sample derived tables and cursor predicates."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlglot import exp

from openloop.errors import QueryError
from openloop.model.search import SearchPage

from . import ast
from ._render import fragment, release, render_part
from .binder import children, scorer_free_cost
from .compile import ExprCompiler, col, column_name, identifier
from .dialects import all_of, any_of, lit, num
from .resolve import Plan, parse_timestamp, type_of

__all__ = ["Assembler", "OutputColumn", "decode_cursor", "encode_cursor"]

logger = logging.getLogger(__name__)

_TABLE = "rows"
_PINNED = "_pinned"
_NO_LIMIT = 2**63 - 1  # the pinned lookup's LIMIT: see Assembler.finish
_PIN_COLUMNS = ("root_span_id", "id")  # the columns with an ART index in the DuckDB store
_EPOCH = datetime(1970, 1, 1)
_FLIP = {"ge": "le", "gt": "lt", "le": "ge", "lt": "gt", "eq": "eq"}


def _conjuncts(e: ast.Expr) -> list[ast.Expr]:
    if isinstance(e, ast.Binary) and e.op == "and":
        return [*_conjuncts(e.left), *_conjuncts(e.right)]
    return [e]


def _unfit_for_page(e: ast.Expr) -> bool:
    """Whether a condition holds a search, reads the date (the store would check it before the
    query does, and both must see the same rows) or reads other spans (``ANY_SPAN``: the
    store's check would cost as much as the query). ``now()`` is fit: the statement reads one
    fixed instant then (``ExprCompiler.clock``)."""
    if isinstance(e, ast.Search | ast.AnySpan | ast.FilterSpans):
        return True
    if isinstance(e, ast.Func) and e.name == "current_date":
        return True
    return any(_unfit_for_page(c) for c in children(e))


def _reads_now(e: ast.Expr) -> bool:
    if isinstance(e, ast.Func) and e.name == "now":
        return True
    return any(_reads_now(c) for c in children(e))


def _micros(text: str) -> int | None:
    """Microseconds since the epoch of ISO timestamp text, or ``None`` if it is not one."""
    iso = parse_timestamp(text)
    if iso is None:
        return None
    return (datetime.fromisoformat(iso) - _EPOCH) // timedelta(microseconds=1)


def _created_bound(e: ast.Expr) -> tuple[int | None, int | None] | None:
    """``(lo, hi)`` in microseconds (``lo <= created < hi``) of a comparison of ``created`` with
    a timestamp literal, else ``None``."""
    if not isinstance(e, ast.Binary) or e.op not in _FLIP:
        return None
    op, left, right = e.op, e.left, e.right
    if isinstance(left, ast.Literal):
        op, left, right = _FLIP[op], right, left
    if not (isinstance(left, ast.Column) and left.name == "created" and left.type == "ts"
            and isinstance(right, ast.Literal) and isinstance(right.value, str)):  # fmt: skip
        return None
    us = _micros(right.value)
    if us is None:
        return None
    return {"ge": (us, None), "gt": (us + 1, None), "lt": (None, us), "le": (None, us + 1),
            "eq": (us, us + 1)}[op]  # fmt: skip


@ast.direct_init
@dataclass(frozen=True)
class OutputColumn:
    name: str
    kind: str  # str, num, int, bool, ts, array, map, json, scorelist
    hidden: bool = False


def _table(name: str = _TABLE) -> exp.Table:
    return exp.Table(this=exp.Identifier(this=name, quoted=True))


def _and(*terms: exp.Expr | None) -> exp.Expr | None:
    present = [t for t in terms if t is not None]
    if not present:
        return None
    out = present[0]
    for t in present[1:]:
        out = exp.And(this=out, expression=t)
    return out


def _select(items: Sequence[exp.Expr], frm: exp.Expr, *, where: exp.Expr | None = None,
            group: Sequence[exp.Expr] | None = None, having: exp.Expr | None = None,
            order: Sequence[exp.Expr] | None = None, limit: int | None = None,
            joins: Sequence[exp.Expr] | None = None) -> exp.Select:  # fmt: skip
    sel = exp.Select(expressions=list(items), from_=exp.From(this=frm))
    if joins:
        sel.set("joins", list(joins))
    if where is not None:
        sel.set("where", exp.Where(this=where))
    if group:
        sel.set("group", exp.Group(expressions=list(group)))
    if having is not None:
        sel.set("having", exp.Having(this=having))
    if order:
        sel.set("order", exp.Order(expressions=list(order)))
    if limit is not None:
        sel.set("limit", exp.Limit(expression=num(limit)))
    return sel


def _with(sel: exp.Select, *ctes: tuple[str, exp.Expr]) -> exp.Select:
    sel.set("with_", exp.With(expressions=[exp.CTE(this=q, alias=exp.TableAlias(this=exp.to_identifier(name)))
                                           for name, q in ctes]))  # fmt: skip
    return sel


def _guard(column: str, value: str, rest: exp.Expr | None) -> exp.Expr:
    """``column = 'value' AND CASE WHEN rest THEN TRUE ELSE FALSE END``: the WHERE of a flat
    pinned page. DuckDB reads a lone equality through the ART index, but pushes every
    single-column predicate into the scan next to it, and then scans the whole table. The CASE
    (true exactly when ``rest`` is) is one predicate over several columns, so it stays in a
    filter above the scan. The statement carries no LIMIT: a Top-N would push its boundary into
    the scan as a second filter, so ``run`` keeps the first ``row_cap`` rows instead; a pinned
    lookup returns one trace at most. Cheaper to plan than the CTE (~1.3 ms at 10 M spans)."""
    pin = exp.EQ(this=col(column), expression=exp.Literal.string(value))
    if rest is None:
        return pin
    case = exp.Case(ifs=[exp.If(this=rest, true=exp.true())], default=exp.false())
    return exp.And(this=pin, expression=case)


def _ordered(e: exp.Expr, desc: bool) -> exp.Ordered:
    return exp.Ordered(this=e, desc=desc, nulls_first=False)


def decode_cursor(text: str) -> list[Any]:
    try:
        payload = json.loads(base64.urlsafe_b64decode(text.encode("ascii") + b"==").decode("utf-8"))
        values = payload["v"]
        if not isinstance(values, list):
            raise TypeError
        return values
    except Exception:
        raise QueryError("invalid cursor: pass back the cursor string from the previous page "
                         "unchanged") from None  # fmt: skip


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps({"v": values}, separators=(",", ":"), default=str).encode("utf-8")
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _pinned(filt: ast.Expr | None) -> tuple[str, str] | None:
    """``(column, value)`` of a top-level ``root_span_id = 'x'`` or ``id = 'x'`` conjunct
    (``root_span_id`` first: it also covers the spans of traces shapes)."""
    found: dict[str, str] = {}
    stack = [filt] if filt is not None else []
    while stack:
        t = stack.pop()
        if isinstance(t, ast.Binary) and t.op == "and":
            stack += [t.left, t.right]
        elif isinstance(t, ast.Binary) and t.op == "eq":
            for c, v in ((t.left, t.right), (t.right, t.left)):
                if isinstance(c, ast.Column) and c.name in _PIN_COLUMNS and \
                        isinstance(v, ast.Literal) and isinstance(v.value, str):  # fmt: skip
                    found.setdefault(c.name, v.value)
    for name in _PIN_COLUMNS:
        if name in found:
            return name, found[name]
    return None


class Assembler:
    """Builds the statement for one plan; collects the output columns and cursor keys that
    ``run`` needs to shape rows and produce the next cursor."""

    def __init__(self, plan: Plan, xc: ExprCompiler, cursor: str | None) -> None:
        self.p = plan
        self.xc = xc
        self.d = xc.d
        self.cursor = cursor
        self.columns: list[OutputColumn] = []
        self.cursor_keys: list[tuple[str, bool, str]] = []
        self.pinned = _pinned(plan.filter) if xc.d.pinned_lookup else None
        #: Rows ``run`` keeps from a statement compiled without its LIMIT (see ``spans``).
        self.row_cap: int | None = None
        #: Select items repeated by GROUP BY / ORDER BY (the same bound expression): their SQL,
        #: rendered once and placed as text in every repeat.
        self.rendered: list[tuple[ast.Expr, str]] = []

    def alias(self, e: exp.Expr, name: str) -> exp.Expr:
        return exp.Alias(this=e, alias=identifier(self.d.name, name))

    # -- pinned lookups --------------------------------------------------------------------------
    def source(self, outer: bool = False) -> exp.Table:
        """The table spans are read from: ``rows``, or the pinned CTE when the filter fixes one
        trace or row. ``outer``: the spans joined to the selected traces (traces/summary
        shapes), which only a ``root_span_id`` pin covers."""
        if self.pinned is None or (outer and self.pinned[0] != "root_span_id"):
            return _table()
        return _table(_PINNED)

    def finish(self, sel: exp.Select) -> exp.Select:
        """Prepend the pinned CTE (a lone equality, answered from the index) when there is one
        (aggregates, unpivots, samples, traces and summary shapes; a plain page is guarded
        instead: see ``_guard``). Its LIMIT, larger than any table, keeps the outer predicates
        out of the lookup (filters never move below a LIMIT) at a smaller planning cost than a
        MATERIALIZED CTE."""
        if self.pinned is None:
            return sel
        column, value = self.pinned
        lookup = _select([exp.Star()], _table(), where=exp.EQ(this=col(column),
                                                               expression=exp.Literal.string(value)),
                         limit=_NO_LIMIT)  # fmt: skip
        cte = exp.CTE(this=lookup, alias=exp.TableAlias(this=exp.to_identifier(_PINNED)))
        existing = sel.args.get("with_")
        ctes = [cte, *(existing.expressions if existing is not None else [])]
        sel.set("with_", exp.With(expressions=ctes))
        return sel

    def newest_page_limit(self, versioned: bool) -> int | None:
        """N when the query is a plain newest-N page (default order, no cursor, no as-of
        version) filtered by nothing but one full-text search: only the N newest matching keys
        can be on it."""
        p = self.p
        if versioned or self.cursor or p.shape != "spans" or p.aggregate or p.sort or \
                p.unpivots or p.query.sample is not None or not isinstance(p.filter, ast.Search):  # fmt: skip
            return None
        return p.limit

    def search_page(self, versioned: bool) -> tuple[ast.Search, SearchPage] | None:
        """The page a full-text search feeds, when the query is one page of spans sorted by
        ``created`` alone (not as of a version) and its filter is one search AND other
        conditions: the store may then hand back only the keys that can be on that page
        (:class:`~openloop.model.search.SearchPage`; a cursor is one more condition). Returns
        that search and the page."""
        p = self.p
        if versioned or p.shape != "spans" or p.aggregate or p.unpivots or \
                p.query.sample is not None or p.filter is None or len(p.sort) != 1:  # fmt: skip
            return None
        key, desc = p.sort[0]
        if not (isinstance(key, ast.Column) and key.name == "created" and key.type == "ts"):
            return None
        parts = _conjuncts(p.filter)
        searches = [part for part in parts if isinstance(part, ast.Search)]
        others = [part for part in parts if not isinstance(part, ast.Search)]
        if len(searches) != 1 or any(_unfit_for_page(part) for part in others):
            return None
        bounds = [b for b in map(_created_bound, others) if b is not None]
        if any(_reads_now(part) for part in others):
            # the store checks the condition before the query runs: both read this instant
            now = datetime.now(UTC).replace(tzinfo=None)
            self.xc.clock = now.isoformat(" ", "microseconds")
        conditions = [self.xc.expr(part, "bool") for part in others]
        if self.cursor:  # the page after the cursor's row: the same predicate the page uses
            keys = self.sort_keys([(col("_pagination_key"), True, "int")])
            after = self.cursor_predicate(keys)
            if after is None:
                return None
            conditions.append(after)
            at = decode_cursor(self.cursor)[0]
            us = _micros(at) if isinstance(at, str) else None
            if us is not None:  # rows at the cursor's time, or before it (after, ascending)
                bounds.append((None, us + 1) if desc else (us, None))
        los = [b[0] for b in bounds if b[0] is not None]
        his = [b[1] for b in bounds if b[1] is not None]
        condition = render_part(all_of(*conditions), self.d.name) if conditions else None
        page = SearchPage(limit=p.limit, descending=desc, lo=max(los) if los else None,
                          hi=min(his) if his else None, condition=condition)  # fmt: skip
        return searches[0], page

    def items(self) -> list[exp.Expr]:
        p, xc = self.p, self.xc
        # GROUP BY 1 / ORDER BY 1 repeat an item's bound expression: build and render it once.
        repeated = [*p.group_by, *(e for e, _ in p.sort)] if p.aggregate else []
        out = []
        for item in p.items:
            before = len(xc.params), len(xc.warnings)
            e = xc.expr(item.expr, "json")
            plain = column_name(self.d.name, e) == item.name
            # Only side-effect free compilations are shared: a search adds params or warnings
            # (and is called again) on each compilation.
            if any(r is item.expr for r in repeated) and not xc.searched and \
                    (len(xc.params), len(xc.warnings)) == before:  # fmt: skip
                sql = render_part(e, self.d.name)
                release(e)
                self.rendered.append((item.expr, sql))
                e = fragment(sql)
            out.append(e if plain else self.alias(e, item.name))
            self.columns.append(OutputColumn(item.name, item.kind))
        return out

    def dimension(self, e: ast.Expr, want: str | None = None) -> exp.Expr:
        """A GROUP BY / ORDER BY expression; a repeated select item's text when rendered (the
        items' ``"json"`` want compiles exactly as ``None``: both leave values as they are)."""
        for done, sql in self.rendered:
            if done is e and want in (None, "json"):
                return fragment(sql)
        return self.xc.expr(e, want)

    def scan(self, with_filter: bool) -> tuple[exp.Expr, exp.Expr | None]:
        """The span scan: FROM expression and the WHERE still to apply on it."""
        p, xc = self.p, self.xc
        filt = xc.expr(p.filter, "bool") if with_filter and p.filter is not None else None
        sample = p.query.sample
        sampled = None
        if sample is not None and sample.percent is not None:
            threshold = num(round(sample.percent * 100))
            sampled = exp.LT(this=self.d.sample_hash(col("id")), expression=threshold)
        if p.unpivots:
            frm, where = self._unpivot(), _and(filt, sampled)
        else:
            frm, where = self.source(), _and(xc.base(), filt, sampled)
        if sample is not None and sample.count is not None:
            inner = _select([exp.Star()], frm, where=where, order=[_ordered(self.d.random(), False)],
                            limit=sample.count)  # fmt: skip
            return exp.Subquery(
                this=inner, alias=exp.TableAlias(this=exp.to_identifier("_sample"))
            ), None
        return frm, where

    def _unpivot(self) -> exp.Expr:
        p, xc, d = self.p, self.xc, self.d
        frm: exp.Expr = self.source()
        for n, (value, bound, key, kind) in enumerate(p.unpivots):
            if kind == "map":
                assert key is not None
                new = self.alias(d.unnest(d.map_keys(xc.expr(bound))), key)
            elif kind == "array":
                new = self.alias(d.unnest(xc.expr(bound)), value)
            else:
                assert isinstance(bound, ast.JsonPath | ast.Column)
                column = bound.column if isinstance(bound, ast.JsonPath) else bound.name
                path = bound.path if isinstance(bound, ast.JsonPath) else ()
                new = self.alias(d.unnest(d.json_array_items(col(column), path)), value)
            inner = _select([exp.Star(), new], frm, where=xc.base() if n == 0 else None)
            frm = exp.Subquery(this=inner, alias=exp.TableAlias(this=exp.to_identifier(f"_u{n}")))
        return frm

    # -- cursor --------------------------------------------------------------------------------
    def cursor_predicate(self, keys: list[tuple[exp.Expr, bool, str]]) -> exp.Expr | None:
        if not self.cursor:
            return None
        values = decode_cursor(self.cursor)
        if len(values) != len(keys):
            raise QueryError("invalid cursor: it was made for a different sort order")
        ors: list[exp.Expr] = []
        eqs: list[exp.Expr] = []
        for (key, desc, kind), value in zip(keys, values, strict=True):
            if value is None:
                eq: exp.Expr = exp.Is(this=key.copy(), expression=exp.Null())
                after: exp.Expr | None = None  # NULLs sort last: nothing comes after them
            else:
                v = self.xc.ts_literal(ast.Literal(value)) if kind == "ts" else lit(value)
                eq = exp.EQ(this=key.copy(), expression=v)
                cmp = (exp.LT if desc else exp.GT)(this=key.copy(), expression=v.copy())
                after = exp.Paren(this=any_of(cmp, exp.Is(this=key.copy(), expression=exp.Null())))
            if after is not None:
                ors.append(exp.Paren(this=_and(*[e.copy() for e in eqs], after)))
            eqs.append(eq)
        if not ors:
            return exp.false()
        return exp.Paren(this=any_of(*ors))

    def sort_keys(
        self, default: Sequence[tuple[exp.Expr, bool, str]]
    ) -> list[tuple[exp.Expr, bool, str]]:
        """User sort keys then the defaults (tie-breakers). JSON values sort by their text, which
        also makes them usable as cursor values."""
        keys: list[tuple[exp.Expr, bool, str]] = []
        for e, desc in self.p.sort:
            kind = type_of(e)
            if kind == "json":
                keys.append((self.xc.expr(e, "str"), desc, "str"))
            else:
                keys.append((self.xc.expr(e), desc, kind))
        # the defaults are plain columns: skip one the user already sorts by
        names = {column_name(self.d.name, k) for k, _, _ in keys} - {None}
        for k, desc, kind in default:
            if k.name not in names:
                keys.append((k, desc, kind))
        return keys

    def hidden_keys(self, keys: list[tuple[exp.Expr, bool, str]]) -> list[exp.Expr]:
        out = []
        for n, (k, desc, kind) in enumerate(keys):
            name = f"_cursor_{n}"
            out.append(self.alias(k.copy(), name))
            self.columns.append(OutputColumn(name, kind, hidden=True))
            self.cursor_keys.append((name, desc, kind))
        return out

    # -- shapes --------------------------------------------------------------------------------
    def spans(self) -> exp.Select:
        p, xc = self.p, self.xc
        guarded = self.pinned if self._guardable() else None
        if guarded is not None:
            self.pinned = None  # no CTE: the guard below keeps the lookup alone in the scan
        frm, where = self.scan(with_filter=True)
        items = self.items()
        if p.aggregate:
            if self.cursor:
                raise QueryError("cursor paging works on queries without GROUP BY or aggregates")
            dim = self.dimension
            group = [dim(g, "json" if type_of(g) == "json" else None) for g in p.group_by]
            having = xc.expr(p.having, "bool") if p.having is not None else None
            order = [_ordered(dim(e, "json" if type_of(e) == "json" else None), desc)
                     for e, desc in p.sort]  # fmt: skip
            order += [_ordered(dim(g, "json" if type_of(g) == "json" else None), False)
                      for g in p.group_by]  # deterministic pages  # fmt: skip
            return _select(items, frm, where=where, group=group or None, having=having,
                           order=order, limit=p.limit)  # fmt: skip
        default: list[tuple[exp.Expr, bool, str]] = [(col("_pagination_key"), True, "int")]
        # one span yields several unpivoted rows: order them by the new column too
        default += [(col(key or value), False, "str") for value, _, key, _ in p.unpivots]
        keys = self.sort_keys(default)
        items += self.hidden_keys(keys)
        where = _and(where, self.cursor_predicate(keys))
        order = [_ordered(k, desc) for k, desc, _ in keys]
        if guarded is not None:
            column, value = guarded
            self.row_cap = p.limit
            return _select(items, frm, where=_guard(column, value, where), order=order)
        return _select(items, frm, where=where, order=order, limit=p.limit)

    def _guardable(self) -> bool:
        """A plain page of one pinned trace or row (no aggregate, unpivot or sampled subset):
        compiled flat, with its other predicates behind a guard, instead of as a CTE."""
        p = self.p
        sample = p.query.sample
        return self.pinned is not None and not p.aggregate and not p.unpivots and \
            (sample is None or sample.count is None)  # fmt: skip

    def _traces_cte(self, limit: int | None) -> exp.Select:
        frm, where = self.scan(with_filter=True)
        key = exp.Max(this=col("_pagination_key"))
        having = None
        if self.cursor:
            values = decode_cursor(self.cursor)
            if len(values) != 1 or not isinstance(values[0], int):
                raise QueryError("invalid cursor: it was made for a different query")
            having = exp.LT(this=key.copy(), expression=num(values[0]))
        return _select([self.alias(col("root_span_id"), "_trace_id"), self.alias(key, "_trace_key")], frm,
                       where=where, group=[col("root_span_id")], having=having,
                       order=[_ordered(col("_trace_key"), True)], limit=limit)  # fmt: skip

    def _join_traces(self) -> exp.Join:
        return exp.Join(this=_table("_traces"), kind="INNER",
                        on=exp.EQ(this=col("root_span_id"), expression=col("_trace_id")))  # fmt: skip

    def traces(self) -> exp.Select:
        p, xc = self.p, self.xc
        if p.aggregate and self.cursor:
            raise QueryError("cursor paging works on queries without GROUP BY or aggregates")
        cte = self._traces_cte(None if p.aggregate else p.limit)
        spans_filter = xc.expr(p.filter_spans, "bool") if p.filter_spans is not None else None
        items = self.items()
        where = _and(xc.base(), spans_filter)
        if p.aggregate:
            dim = self.dimension
            group = [dim(g) for g in p.group_by]
            having = xc.expr(p.having, "bool") if p.having is not None else None
            order = [_ordered(dim(e), desc) for e, desc in p.sort] + [
                _ordered(dim(g), False) for g in p.group_by
            ]
            sel = _select(items, self.source(outer=True), joins=[self._join_traces()], where=where,
                          group=group or None, having=having, order=order, limit=p.limit)  # fmt: skip
        else:
            items.append(self.alias(col("_trace_key"), "_cursor_0"))
            self.columns.append(OutputColumn("_cursor_0", "int", hidden=True))
            self.cursor_keys.append(("_cursor_0", True, "trace"))
            order = [_ordered(xc.expr(e), desc) for e, desc in p.sort]
            order += [_ordered(col("_trace_key"), True), _ordered(col("_pagination_key"), False)]
            sel = _select(items, self.source(outer=True), joins=[self._join_traces()], where=where,
                          order=order)  # fmt: skip
        return _with(sel, ("_traces", cte))

    def summary(self) -> exp.Select:
        p, xc = self.p, self.xc
        if p.aggregate and self.cursor:
            raise QueryError("cursor paging works on queries without GROUP BY or aggregates")
        early_limit = not (p.aggregate or p.having_per_trace or p.sort)
        cte = self._traces_cte(p.limit if early_limit else None)
        spans_filter = xc.expr(p.filter_spans, "bool") if p.filter_spans is not None else None
        having = xc.expr(p.having, "bool") if p.having_per_trace and p.having is not None else None
        agg = _select(self._summary_columns(), self.source(outer=True), joins=[self._join_traces()],
                      where=_and(xc.base(), spans_filter), group=[col("root_span_id")],
                      having=having)  # fmt: skip
        items = self.items()
        if p.aggregate:
            dim = self.dimension
            group = [dim(g) for g in p.group_by]
            outer_having = xc.expr(p.having, "bool") if p.having is not None else None
            order = [_ordered(dim(e), desc) for e, desc in p.sort] + [
                _ordered(dim(g), False) for g in p.group_by
            ]
            sel = _select(items, _table("_summary"), group=group or None, having=outer_having,
                          order=order, limit=p.limit)  # fmt: skip
        else:
            items.append(self.alias(col("_trace_key"), "_cursor_0"))
            self.columns.append(OutputColumn("_cursor_0", "int", hidden=True))
            self.cursor_keys.append(("_cursor_0", True, "trace"))
            order = [_ordered(xc.expr(e), desc) for e, desc in p.sort]
            order.append(_ordered(col("_trace_key"), True))
            sel = _select(items, _table("_summary"), order=order, limit=p.limit)
        return _with(sel, ("_traces", cte)).with_("_summary", as_=agg, copy=False)

    def _summary_columns(self) -> list[exp.Expr]:
        d = self.d
        kind = col("span_type")
        llm = exp.EQ(this=kind, expression=exp.Literal.string("llm"))
        tool = exp.EQ(this=kind.copy(), expression=exp.Literal.string("tool"))
        err = col("has_error")

        def when(cond: exp.Expr, value: exp.Expr) -> exp.Expr:
            return exp.Case(ifs=[exp.If(this=cond.copy(), true=value)])

        out: list[exp.Expr] = [col("root_span_id")]
        for name in ("id", "span_id", "input", "output", "expected", "error", "metadata",
                     "span_attributes", "context", "origin", "extra", "tags", "span_type",
                     "span_name", "span_purpose", "model", "provider", "user_id", "session_id",
                     "error_type"):  # fmt: skip
            out.append(self.alias(d.root_value(col(name)), name))
        for name in ("project_id", "object_type", "object_id"):
            out.append(self.alias(d.any_value(col(name)), name))
        out += [
            self.alias(exp.Min(this=col("created")), "created"),
            self.alias(exp.Max(this=col("_xact_id")), "_xact_id"),
            self.alias(exp.Max(this=col("_pagination_key")), "_pagination_key"),
            self.alias(exp.Max(this=col("_trace_key")), "_trace_key"),
            self.alias(exp.GT(this=d.count_if(err), expression=num(0)), "has_error"),
            self.alias(exp.Min(this=col("start_time")), "start_time"),
            self.alias(exp.Max(this=col("end_time")), "end_time"),
            self.alias(exp.Sub(this=exp.Max(this=col("end_time")), expression=exp.Min(this=col("start_time"))),
                   "duration"),
            self.alias(exp.Avg(this=when(llm, col("time_to_first_token"))), "time_to_first_token"),
            self.alias(d.count_if(llm.copy()), "llm_calls"),
            self.alias(d.count_if(tool.copy()), "tool_calls"),
            self.alias(d.count_if(err.copy()), "errors"),
            self.alias(d.count_if(all_of(err.copy(), llm.copy())), "llm_errors"),
            self.alias(d.count_if(all_of(err.copy(), tool.copy())), "tool_errors"),
            self.alias(exp.Sum(this=when(llm, col("duration"))), "llm_duration"),
            self.alias(d.collect(col("scores")), "_score_maps"),
        ]  # fmt: skip
        for name in ("prompt_tokens", "completion_tokens", "total_tokens", "prompt_cached_tokens"):
            out.append(self.alias(exp.Sum(this=col(name)), name))
        cost = self.xc.expr(scorer_free_cost())
        out.append(self.alias(exp.Sum(this=cost), "estimated_cost"))
        for n, key in enumerate(self.p.score_keys):
            out.append(self.alias(exp.Avg(this=d.map_get(col("scores"), key)), f"_score_{n}"))
        return out
