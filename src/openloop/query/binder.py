"""Binding expressions: names to columns, type inference, function and aggregate checks.

Used by :mod:`resolve` (which assembles the plan) and by :mod:`compile` (for types)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from openloop.errors import QueryError

from . import ast
from .catalog import AGGREGATES, FUNCTIONS, Namespace
from .tokens import error_at

__all__ = [
    "Binder",
    "Item",
    "bucket_unit",
    "children",
    "contains_aggregate",
    "parse_timestamp",
    "scorer_free_cost",
    "type_of",
]  # fmt: skip


@ast.direct_init
@dataclass(frozen=True)
class Item:
    """One output column: its name, bound expression and output kind."""

    name: str
    expr: ast.Expr
    kind: str


def type_of(e: ast.Expr) -> str:
    """Static type of a bound expression: str, num, int, bool, ts, array, map, json, null."""
    cls = e.__class__
    if cls is ast.Column:
        return e.type  # type: ignore[attr-defined, no-any-return]
    if cls is ast.Func:
        return _FUNC_TYPES.get(e.name) or (type_of(e.args[0]) if e.args else "json")  # type: ignore[attr-defined]
    if isinstance(e, ast.Column):
        return e.type
    if isinstance(e, ast.JsonPath | ast.JsonExtract):
        return "json"
    if isinstance(e, ast.MapValue | ast.MapLookup):
        return "num"
    if isinstance(e, ast.ArrayItem):
        return "str"
    if isinstance(e, ast.Literal):
        v = e.value
        return ("null" if v is None else "bool" if isinstance(v, bool) else "int" if isinstance(v, int)
                else "num" if isinstance(v, float) else "str")  # fmt: skip
    if isinstance(e, ast.Binary):
        if e.op in ("add", "sub") and "ts" in (type_of(e.left), type_of(e.right)):
            return "ts"
        return "num" if e.op in ("add", "sub", "mul", "div", "mod") else "bool"
    if isinstance(e, ast.Unary):
        return "bool" if e.op == "not" else "num"
    if isinstance(e, ast.InList | ast.IsNull | ast.AnySpan | ast.FilterSpans | ast.Search):
        return "bool"
    if isinstance(e, ast.Ternary):
        t = type_of(e.then)
        return type_of(e.otherwise) if t == "null" else t
    if isinstance(e, ast.Cast):
        return {"string": "str", "number": "num", "integer": "int", "boolean": "bool"}.get(
            e.type_name, "ts"
        )
    if isinstance(e, ast.Interval):
        return "interval"
    if isinstance(e, ast.Func):
        return _FUNC_TYPES.get(e.name) or (type_of(e.args[0]) if e.args else "json")
    return "json"


_FUNC_TYPES = {**{u: "ts" for u in ("second", "minute", "hour", "day", "week", "month", "year",
                                    "date_trunc", "now", "current_date", "to_date", "to_datetime")},
               "lower": "str", "upper": "str", "concat": "str", "to_string": "str", "length": "int",
               "len": "int", "contains": "bool", "count": "int", "count_distinct": "int",
               "sum": "num", "avg": "num", "percentile": "num", "round": "num", "to_number": "num",
               "to_integer": "int", "to_boolean": "bool", "abs": "num", "floor": "num",
               "ceil": "num"}  # fmt: skip


def parse_timestamp(text: str) -> str | None:
    """ISO text -> ``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC, or None when it is not a timestamp."""
    try:
        dt = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    if dt.tzinfo is not None:
        dt = dt.astimezone(UTC).replace(tzinfo=None)
    if dt.year >= 1000:  # isoformat is the same text, several times cheaper than strftime
        return dt.isoformat(" ", "microseconds")
    return dt.strftime("%Y-%m-%d %H:%M:%S.%f")


def contains_aggregate(e: ast.Expr) -> bool:
    if e.__class__ in _LEAVES:
        return False
    if isinstance(e, ast.Func) and e.name in AGGREGATES:
        return True
    return any(contains_aggregate(c) for c in children(e))


#: Node types without sub-expressions.
_LEAVES = frozenset((ast.Column, ast.Literal, ast.JsonPath, ast.MapValue, ast.MapLookup,
                     ast.ArrayItem, ast.Search, ast.Interval, ast.Field, ast.Star))  # fmt: skip


def children(e: ast.Expr) -> list[ast.Expr]:
    if isinstance(e, ast.Binary):
        return [e.left, e.right]
    if isinstance(e, ast.Unary | ast.IsNull | ast.Cast):
        return [e.operand]
    if isinstance(e, ast.InList):
        return [e.operand, *e.items]
    if isinstance(e, ast.Ternary):
        return [e.cond, e.then, e.otherwise]
    if isinstance(e, ast.Func):
        return list(e.args)
    if isinstance(e, ast.JsonExtract):
        return [e.operand]
    return []


#: Function names that are spellings of another function.
_RENAMED = {"includes": "contains", "current_timestamp": "now"}


class Binder:
    def __init__(self, query: ast.Query, ns: Namespace, items: list[Item] | None = None) -> None:
        self.q = query
        self.ns = ns
        self.items = items or []

    def err(self, pos: int, message: str, **details: Any) -> QueryError:
        return error_at(self.q.text, pos, message, **details)

    def bind(self, e: ast.Expr, *, allow_agg: bool, use_aliases: bool = True,
             in_agg: bool = False) -> ast.Expr:  # fmt: skip
        return self._bind(e, allow_agg, use_aliases, in_agg)

    def _bind(self, e: ast.Expr, allow_agg: bool, use_aliases: bool, in_agg: bool) -> ast.Expr:
        cls = e.__class__
        if cls is ast.Field:
            return self._field(e, use_aliases)  # type: ignore[arg-type]
        if cls is ast.Literal or cls is ast.Interval:
            return e
        if cls is ast.Func:
            return self._func(e, allow_agg, use_aliases, in_agg)  # type: ignore[arg-type]
        b = self._bind
        if isinstance(e, ast.Star):
            raise self.err(e.pos, "* is only allowed as `select *` or `count(*)`")
        if isinstance(e, ast.Binary):
            left = b(e.left, allow_agg, use_aliases, in_agg)
            right = b(e.right, allow_agg, use_aliases, in_agg)
            if e.op == "match":
                return self._match(e, left, right)
            if e.op == "includes" and type_of(left) not in ("array", "json"):
                raise self.err(e.pos, "INCLUDES needs an array on the left, such as tags")
            if e.op in ("add", "sub", "mul", "div", "mod") and "str" in (
                type_of(left),
                type_of(right),
            ):
                raise self.err(e.pos, "arithmetic on text; use concat() to join strings")
            return ast.Binary(e.op, left, right, pos=e.pos)
        if isinstance(e, ast.Unary):
            return ast.Unary(e.op, b(e.operand, allow_agg, use_aliases, in_agg), pos=e.pos)
        if isinstance(e, ast.IsNull):
            return ast.IsNull(b(e.operand, allow_agg, use_aliases, in_agg), e.negated, pos=e.pos)
        if isinstance(e, ast.InList):
            return ast.InList(b(e.operand, allow_agg, use_aliases, in_agg),
                              tuple(b(i, allow_agg, use_aliases, in_agg) for i in e.items),
                              e.negated, pos=e.pos)  # fmt: skip
        if isinstance(e, ast.Ternary):
            return ast.Ternary(b(e.cond, allow_agg, use_aliases, in_agg),
                               b(e.then, allow_agg, use_aliases, in_agg),
                               b(e.otherwise, allow_agg, use_aliases, in_agg), pos=e.pos)  # fmt: skip
        if isinstance(e, ast.Cast):
            return ast.Cast(b(e.operand, allow_agg, use_aliases, in_agg), e.type_name, pos=e.pos)
        if isinstance(e, ast.AnySpan):
            return ast.AnySpan(b(e.cond, False, False, False), pos=e.pos)
        if isinstance(e, ast.FilterSpans):
            raise self.err(e.pos, "FILTER_SPANS must be a top-level AND term of the filter")
        if isinstance(e, ast.Func):
            return self._func(e, allow_agg, use_aliases, in_agg)
        raise self.err(0, f"unsupported expression {type(e).__name__}")

    def _field(self, e: ast.Field, use_aliases: bool) -> ast.Expr:
        head = e.path[0]
        if (
            use_aliases
            and len(e.path) == 1
            and isinstance(head, str)
            and not self.ns.is_top_level(head)
        ):
            for item in self.items:
                if item.name == head:
                    return item.expr
        bound = self.ns.bind(e.path)
        if bound is not None:
            return bound
        if e.bare_quoted:
            return ast.Literal(head, pos=e.pos)
        if self.ns.knows(str(head)):
            shown = ".".join(str(p) for p in e.path)
            raise self.err(e.pos, f"cannot read {shown!r}: {head} has no such sub-field or index")
        aliases = [i.name for i in self.items]
        # a name can be both a field and an implicit alias (`select: *` lists `metadata`)
        close = list(dict.fromkeys(self.ns.suggest(str(head), aliases)))
        hint = f"; did you mean {close[0]!r}?" if close else ""
        raise self.err(e.pos, f"unknown field {head!r}{hint}", suggestions=close)

    def _match(self, e: ast.Binary, left: ast.Expr, right: ast.Expr) -> ast.Expr:
        if not (isinstance(right, ast.Literal) and isinstance(right.value, str)):
            raise self.err(e.pos, "MATCH needs a quoted search text on the right")
        if isinstance(left, ast.Column):
            return ast.Search(right.value, (left.name,))
        if isinstance(left, ast.JsonPath):
            return ast.Search(right.value, (".".join(str(p) for p in (left.column, *left.path)),))
        raise self.err(e.pos, "MATCH needs a field on the left, such as output")

    def _func(self, e: ast.Func, allow_agg: bool, use_aliases: bool, in_agg: bool) -> ast.Expr:
        name = _RENAMED.get(e.name, e.name)
        if name not in FUNCTIONS:
            close = difflib.get_close_matches(name, list(FUNCTIONS), n=3)
            hint = f"; did you mean {close[0]}()?" if close else ""
            raise self.err(e.pos, f"unknown function {e.name}(){hint}", suggestions=close)
        lo, hi = FUNCTIONS[name]
        n = len(e.args) + (1 if e.star else 0)
        if n < lo or (hi is not None and n > hi):
            want = f"{lo}" if lo == hi else f"{lo} to {hi}" if hi is not None else f"at least {lo}"
            raise self.err(e.pos, f"{e.name}() takes {want} argument(s), got {n}")
        if e.star and name != "count":
            raise self.err(e.pos, "* is only allowed in count(*)")
        if name in AGGREGATES:
            if not allow_agg:
                raise self.err(e.pos, f"aggregate {e.name}() is not allowed here; filter on "
                               "aggregates with HAVING / final_filter")  # fmt: skip
            if in_agg:
                raise self.err(e.pos, "aggregates cannot be nested")
        if name == "estimated_cost":
            if self.ns.summary:
                return ast.Column("estimated_cost", "num")  # already the trace total
            return scorer_free_cost()
        if name == "search":
            arg = e.args[0]
            if not (isinstance(arg, ast.Literal) and isinstance(arg.value, str)):
                raise self.err(e.pos, "search() takes a quoted text")
            return ast.Search(arg.value, None)
        inner = in_agg or name in AGGREGATES
        args = tuple([self._bind(a, allow_agg, use_aliases, inner) for a in e.args])
        if name == "percentile":
            p = args[1]
            if not (
                isinstance(p, ast.Literal)
                and isinstance(p.value, int | float)
                and 0 <= p.value <= 1
            ):
                raise self.err(e.pos, "percentile(x, p) needs a constant p between 0 and 1")
        if name == "date_trunc":
            unit = args[0]
            if not (isinstance(unit, ast.Literal) and isinstance(unit.value, str)) or \
                    bucket_unit(unit.value) is None:  # fmt: skip
                raise self.err(e.pos, "date_trunc unit must be second, minute, hour, day, week, "
                               "month, year or a multiple like '15 minutes'")  # fmt: skip
        if name == "json_extract":
            if not (isinstance(args[1], ast.Literal) and isinstance(args[1].value, str)):
                raise self.err(e.pos, "json_extract(text, 'key') needs a quoted key")
            return ast.JsonExtract(args[0], args[1].value)
        if name in ("len", "contains") and type_of(args[0]) not in ("array", "json", "str"):
            raise self.err(e.pos, f"{e.name}() needs an array such as tags")
        return ast.Func(name, args, star=e.star, pos=e.pos)


def scorer_free_cost() -> ast.Expr:
    """``estimated_cost()``: the span's cost, NULL for spans produced while scoring."""
    is_scorer = ast.Binary("eq", ast.Column("span_purpose", "str"), ast.Literal("scorer"))
    return ast.Ternary(is_scorer, ast.Literal(None), ast.Column("estimated_cost", "num"))


def bucket_unit(unit: str) -> tuple[int, str] | None:
    """``'day'`` -> (1, 'day'); ``'15 minutes'`` -> (15, 'minute'); else None."""
    parts = unit.strip().lower().split()
    if len(parts) == 1:
        parts = ["1", parts[0]]
    if len(parts) != 2 or not parts[0].isdigit() or len(parts[0]) > 6:
        return None
    amount, name = int(parts[0]), parts[1].removesuffix("s")
    if name not in ("second", "minute", "hour", "day", "week", "month", "year") or amount < 1:
        return None
    if amount > 1 and name in ("week", "month", "year"):
        return None
    return amount, name
