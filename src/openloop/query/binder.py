"""Binding expressions: names to columns, type inference, function and aggregate checks.

Used by :mod:`resolve` (which assembles the plan) and by :mod:`compile` (for types)."""

from __future__ import annotations

import difflib
from collections.abc import Sequence
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
        return _FUNC_TYPES.get(e.name) or _first_type(e.args)  # type: ignore[attr-defined]
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
        if e.op in ("add", "sub") and "ts" in (lt := type_of(e.left), rt := type_of(e.right)):
            return "num" if e.op == "sub" and lt == rt == "ts" else "ts"  # seconds apart
        return "num" if e.op in ("add", "sub", "mul", "div", "mod") else "bool"
    if isinstance(e, ast.Unary):
        return "bool" if e.op == "not" else "num"
    if isinstance(e, ast.InList | ast.IsNull | ast.AnySpan | ast.FilterSpans | ast.Search):
        return "bool"
    if isinstance(e, ast.Ternary):
        return _first_type((e.then, e.otherwise))
    if isinstance(e, ast.Cast):
        return {"string": "str", "number": "num", "integer": "int", "boolean": "bool"}.get(
            e.type_name, "ts"
        )
    if isinstance(e, ast.Interval):
        return "interval"
    if isinstance(e, ast.Func):
        return _FUNC_TYPES.get(e.name) or _first_type(e.args)
    return "json"


_FUNC_TYPES = {**{u: "ts" for u in ("second", "minute", "hour", "day", "week", "month", "year",
                                    "date_trunc", "now", "current_date", "to_date", "to_datetime")},
               "lower": "str", "upper": "str", "concat": "str", "to_string": "str", "length": "int",
               "len": "int", "contains": "bool", "count": "int", "count_distinct": "int",
               "sum": "num", "avg": "num", "percentile": "num", "round": "num", "to_number": "num",
               "to_integer": "int", "to_boolean": "bool", "abs": "num", "floor": "num",
               "ceil": "num"}  # fmt: skip


def _first_type(args: Sequence[ast.Expr]) -> str:
    """Type of a function that returns one of its arguments (coalesce, least, min...): the
    first argument's, unless that is NULL or JSON and a later one has a type."""
    if not args:
        return "json"
    first = type_of(args[0])
    if first not in ("null", "json") or len(args) == 1:
        return first
    for a in args[1:]:
        t = type_of(a)
        if t not in ("null", "json"):
            return t
    return "json" if first == "null" and any(type_of(a) == "json" for a in args) else first


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


#: What a value of each static type is called in error messages; JSON and NULL fit anywhere.
_KIND_NAMES = {"str": "text", "num": "a number", "int": "a number", "bool": "a boolean",
               "ts": "a timestamp", "array": "an array", "map": "a map of scores",
               "interval": "an interval"}  # fmt: skip
#: Types that can stand where one of each group is expected.
_NUMERIC = frozenset(("num", "int", "bool", "json", "null"))  # booleans count as 1 and 0
_BOOLEAN = frozenset(("bool", "json", "null"))
_TIME = frozenset(("ts", "str", "num", "int", "json", "null"))  # text and epoch seconds convert
_NUM_FUNCS = frozenset(("abs", "floor", "ceil", "round", "sum", "avg", "percentile"))
_TIME_FUNCS = frozenset(("second", "minute", "hour", "day", "week", "month", "year",
                         "date_trunc"))  # fmt: skip


def _same_kind(a: str, b: str) -> bool:
    """Whether values of types ``a`` and ``b`` can be compared or mixed in coalesce() (text
    with a timestamp only as quoted text: see :func:`_alike_nodes`)."""
    if a in ("json", "null") or b in ("json", "null") or a == b:
        return True
    pair = {a, b}
    return pair == {"num", "int"} or pair == {"ts", "str"}


def _alike_nodes(x: ast.Expr, y: ast.Expr) -> bool:
    """:func:`_same_kind` for two expressions: a timestamp goes with quoted text only."""
    a, b = type_of(x), type_of(y)
    if {a, b} == {"ts", "str"}:
        text = x if a == "str" else y
        return isinstance(text, ast.Literal)  # the compiler says when it is no timestamp
    if ({a, b} & {"array", "map"}) and a != b and "null" not in (a, b):
        return False  # an array or map goes only with its own kind
    return _same_kind(a, b)


def _number_text(a: ast.Expr, b: ast.Expr) -> bool:
    """A number compared with a quoted number (``metrics.tokens > '100'``)."""
    for x, y in ((a, b), (b, a)):
        if type_of(x) in ("num", "int") and isinstance(y, ast.Literal) and isinstance(y.value, str):
            try:
                float(y.value)
            except ValueError:
                return False
            return True
    return False


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
            self._check_binary(e, left, right)
            return ast.Binary(e.op, left, right, pos=e.pos)
        if isinstance(e, ast.Unary):
            operand = b(e.operand, allow_agg, use_aliases, in_agg)
            if e.op == "not":
                self._need(e.pos, operand, _BOOLEAN, "NOT needs a condition")
            else:
                self._need(e.pos, operand, _NUMERIC, "unary - needs a number")
            return ast.Unary(e.op, operand, pos=e.pos)
        if isinstance(e, ast.IsNull):
            return ast.IsNull(b(e.operand, allow_agg, use_aliases, in_agg), e.negated, pos=e.pos)
        if isinstance(e, ast.InList):
            operand = b(e.operand, allow_agg, use_aliases, in_agg)
            items = tuple(b(i, allow_agg, use_aliases, in_agg) for i in e.items)
            if not (len(items) == 1 and type_of(items[0]) == "array"):  # 'x' IN tags
                self._alike(e.pos, items, "the values after IN")
                for item in items:
                    lt, rt = type_of(operand), type_of(item)
                    if not _alike_nodes(operand, item) and not _number_text(operand, item):
                        raise self.err(e.pos, f"IN compares {_KIND_NAMES.get(lt, lt)} with "
                                       f"{_KIND_NAMES.get(rt, rt)}; make the values one kind")  # fmt: skip
            return ast.InList(operand, items, e.negated, pos=e.pos)
        if isinstance(e, ast.Ternary):
            cond = b(e.cond, allow_agg, use_aliases, in_agg)
            then = b(e.then, allow_agg, use_aliases, in_agg)
            otherwise = b(e.otherwise, allow_agg, use_aliases, in_agg)
            self._need(e.pos, cond, _BOOLEAN, "the condition before ? must be true or false")
            self._alike(e.pos, [then, otherwise], "the two results of ?:")
            return ast.Ternary(cond, then, otherwise, pos=e.pos)
        if isinstance(e, ast.Cast):
            return ast.Cast(b(e.operand, allow_agg, use_aliases, in_agg), e.type_name, pos=e.pos)
        if isinstance(e, ast.AnySpan):
            return ast.AnySpan(b(e.cond, False, False, False), pos=e.pos)
        if isinstance(e, ast.FilterSpans):
            raise self.err(e.pos, "FILTER_SPANS must be a top-level AND term of the filter")
        if isinstance(e, ast.Func):
            return self._func(e, allow_agg, use_aliases, in_agg)
        raise self.err(0, f"unsupported expression {type(e).__name__}")

    def _need(self, pos: int, arg: ast.Expr, allowed: frozenset[str], what: str) -> None:
        typ = type_of(arg)
        if typ not in allowed:
            raise self.err(pos, f"{what}, got {_KIND_NAMES.get(typ, typ)}")

    def _alike(self, pos: int, args: Sequence[ast.Expr], what: str) -> None:
        """``args`` must be comparable (:func:`_same_kind`) with each other."""
        typed = [a for a in args if type_of(a) != "null"]
        if not any(type_of(a) in ("array", "map") for a in typed):
            typed = [a for a in typed if type_of(a) != "json"]
        for a in typed[1:]:
            if not _alike_nodes(typed[0], a):
                t0, t = type_of(typed[0]), type_of(a)
                raise self.err(pos, f"{what} must be of one kind, got "
                               f"{_KIND_NAMES.get(t0, t0)} and {_KIND_NAMES.get(t, t)}; "
                               "convert one with to_string(), to_number() or to_datetime()")  # fmt: skip

    def _check_binary(self, e: ast.Binary, left: ast.Expr, right: ast.Expr) -> None:
        op = e.op
        if op in ("and", "or"):
            for side in (left, right):
                self._need(e.pos, side, _BOOLEAN, f"{op.upper()} joins conditions")
        elif op in ("add", "sub", "mul", "div", "mod"):
            lt, rt = type_of(left), type_of(right)
            if "str" in (lt, rt):
                raise self.err(e.pos, "arithmetic on text; use concat() to join strings")
            if op in ("add", "sub") and "ts" in (lt, rt):
                other = rt if lt == "ts" else lt
                if other == "interval" or (op == "sub" and other == "ts" and lt == "ts"):
                    return
                raise self.err(e.pos, "a timestamp can only be shifted by an interval "
                               "(created - interval 1 day)")  # fmt: skip
            for t in (lt, rt):
                if t not in _NUMERIC:
                    raise self.err(e.pos, f"arithmetic needs numbers, got {_KIND_NAMES.get(t, t)}")
        elif op in ("eq", "ne", "lt", "le", "gt", "ge", "nseq", "nsne"):
            lt, rt = type_of(left), type_of(right)
            collection = {lt, rt} & {"array", "map"}
            if (collection and lt != rt and "null" not in (lt, rt)) or (
                not _alike_nodes(left, right) and not _number_text(left, right)
            ):
                hint = ("compare a boolean with true or false" if "bool" in (lt, rt)
                        else "convert one with to_string(), to_number() or to_datetime()")  # fmt: skip
                raise self.err(e.pos, f"cannot compare {_KIND_NAMES.get(lt, lt)} with "
                               f"{_KIND_NAMES.get(rt, rt)}; {hint}")  # fmt: skip

    def _check_args(self, e: ast.Func, name: str, args: Sequence[ast.Expr]) -> None:
        if name in _NUM_FUNCS and args:
            self._need(e.pos, args[0], _NUMERIC, f"{e.name}() needs a number")
        elif name in _TIME_FUNCS and args:
            self._need(e.pos, args[-1], _TIME, f"{e.name}() needs a timestamp")
        elif name in ("coalesce", "least", "greatest", "nullif"):
            self._alike(e.pos, args, f"the arguments of {e.name}()")
            if name in ("least", "greatest"):
                for a in args:
                    if type_of(a) in ("array", "map"):
                        self._need(e.pos, a, frozenset(), f"{e.name}() compares single values")
        elif name in ("to_date", "to_datetime") and args:
            self._need(e.pos, args[0], _TIME, f"{e.name}() reads text or epoch seconds")

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
            self._need(e.pos, args[0], frozenset(("str", "json", "null")),
                       "json_extract() reads JSON text")  # fmt: skip
            return ast.JsonExtract(args[0], args[1].value)
        if name in ("len", "contains") and type_of(args[0]) not in ("array", "json", "str"):
            raise self.err(e.pos, f"{e.name}() needs an array such as tags")
        self._check_args(e, name, args)
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
