"""Bound expressions -> sqlglot expressions, per dialect.

Hot paths become their typed columns, other paths JSON extraction on the owning json column.
A JSON value is read in the form its context needs (``want``): text when compared with text,
a number (try-cast) when compared with a number, raw JSON text when selected. User text only
ever enters SQL as a sqlglot literal, which the generator quotes for the target engine.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import sqlglot
from sqlglot import exp

from openloop.errors import QueryError
from openloop.model.search import SearchPage

from . import ast
from ._render import fragment, render_part
from .dialects import Dialect, all_of, any_of, fn, lit, num
from .resolve import SEARCH_FIELDS, bucket_unit, parse_timestamp, type_of
from .tokens import error_at

__all__ = [
    "ExprCompiler",
    "check_version",
    "col",
    "column_name",
    "column_ref",
    "identifier",
    "visible_predicate",
]

#: ``search(refs, text, fields)`` -> matching ``_pagination_key`` values; called with a
#: ``page=`` keyword (:class:`~openloop.model.search.SearchPage`) when only one page of the
#: matches in ``created`` order is needed.
SearchFn = Callable[..., Sequence[int]]
_CMP = {"eq": exp.EQ, "ne": exp.NEQ, "lt": exp.LT, "le": exp.LTE, "gt": exp.GT, "ge": exp.GTE,
        "nseq": exp.NullSafeEQ, "nsne": exp.NullSafeNEQ}  # fmt: skip
_ARITH = {"add": exp.Add, "sub": exp.Sub, "mul": exp.Mul, "div": exp.Div, "mod": exp.Mod}
_WANT = {"int": "num", "num": "num", "bool": "bool", "str": "str", "ts": "ts", "null": "str"}


#: sqlglot nodes that render as ``a OP b`` with an operator binding looser than comparison:
#: as an operand of a comparison or LIKE they need parentheses (``(a = b) = c``).
_PREDICATES = (exp.EQ, exp.NEQ, exp.LT, exp.LTE, exp.GT, exp.GTE, exp.NullSafeEQ,
               exp.NullSafeNEQ, exp.Like, exp.ILike, exp.Is, exp.In, exp.Escape, exp.Between,
               exp.Not, exp.And, exp.Or)  # fmt: skip


def _operand(x: exp.Expr) -> exp.Expr:
    return exp.Paren(this=x) if isinstance(x, _PREDICATES) else x


def col(name: str) -> exp.Column:
    return exp.Column(this=exp.Identifier(this=name, quoted=True))


# Column references and alias names rendered once per dialect and name: a typed column is read
# in most items, filters and sort keys, and its text placed as a fragment is one node instead of
# two built and rendered each time. Text -> name tells column reads apart from other fragments.
_COLUMN_SQL: dict[tuple[str, str], str] = {}
_COLUMN_NAMES: dict[tuple[str, str], str] = {}
_IDENTIFIER_SQL: dict[tuple[str, str], str] = {}
_NAMES_CACHED = 4096  # names can come from queries (aliases, unpivot names): past this, build trees


def column_ref(dialect: str, name: str) -> exp.Expr:
    """``col(name)``, as its rendered text once cached (see :func:`column_name`)."""
    sql = _COLUMN_SQL.get((dialect, name))
    if sql is None:
        if len(_COLUMN_SQL) >= _NAMES_CACHED:
            return col(name)
        sql = render_part(col(name), dialect)
        _COLUMN_NAMES[(dialect, sql)] = name
        _COLUMN_SQL[(dialect, name)] = sql
    return fragment(sql)


def column_name(dialect: str, e: exp.Expr) -> str | None:
    """The column ``e`` only reads (a Column or a :func:`column_ref`), else None."""
    if isinstance(e, exp.Column):
        return e.name
    if e.__class__ is exp.Var:
        return _COLUMN_NAMES.get((dialect, e.this))
    return None


def identifier(dialect: str, name: str) -> exp.Expr:
    """A quoted identifier (an alias name), as its rendered text once cached."""
    sql = _IDENTIFIER_SQL.get((dialect, name))
    if sql is None:
        ident = exp.Identifier(this=name, quoted=True)
        if len(_IDENTIFIER_SQL) >= _NAMES_CACHED:
            return ident
        sql = _IDENTIFIER_SQL[(dialect, name)] = render_part(ident, dialect)
    return fragment(sql)


@functools.cache
def _count_star_sql(dialect: str) -> str:
    """``COUNT(*)``, the most common aggregate, rendered once per dialect."""
    return render_part(exp.Count(this=exp.Star()), dialect)


@functools.lru_cache(maxsize=64)
def _visible_tree(version: int | None) -> exp.Expr:
    # The visibility rule is written once, in the data store; parse it into our tree.
    from openloop.store.data.duckdb import visible_predicate as shared_rule

    return sqlglot.parse_one(shared_rule(version), read="duckdb")


def check_version(version: int | str | None) -> int | None:
    """``version`` as an ``_xact_id`` (an int or a string of digits) or None; else QueryError."""
    if isinstance(version, str) and version.isdigit() and len(version) < 20:
        version = int(version)
    if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
        raise QueryError("version must be an integer transaction id")
    return version


def visible_predicate(version: int | str | None = None) -> exp.Expr:
    """Rows visible now (``version=None``) or as of transaction ``version`` (an ``_xact_id``,
    as an int or a string of digits)."""
    return _visible_tree(check_version(version)).copy()


class ExprCompiler:
    """Compiles bound expressions; ``base()`` builds the source + visibility predicate (used by
    ANY_SPAN sub-selects too)."""

    def __init__(self, d: Dialect, *, text: str, base: Callable[[], exp.Expr],
                 refs: list[tuple[str, str]], search: SearchFn | None, tz_offset: int,
                 warnings: list[dict[str, str]]) -> None:  # fmt: skip
        self.d = d
        self.text = text
        self.base = base  # builds a fresh tree each call: sqlglot nodes must not be shared
        self.refs = refs
        self.search = search
        self.tz_offset = tz_offset
        self.warnings = warnings
        self.searched = False  # a MATCH/search() was compiled: the SQL embeds current results
        self.params: list[Any] = []  # bound parameters of the SQL, in $n order
        #: Set when the page is the newest N rows by ``_pagination_key`` and the search is the
        #: whole filter: then only the N newest matching keys can appear (exact, not a guess).
        self.search_limit: int | None = None
        #: Set when the page is sorted by ``created`` and the filter is this search AND other
        #: conditions: the search may then answer with just the keys that can be on the page.
        self.search_page: tuple[ast.Search, SearchPage] | None = None
        #: The instant ``now()`` reads, as UTC text for ``ts_literal``, when the statement must
        #: see the same one as the search (see ``Assembler.search_page``); else the engine's.
        self.clock: str | None = None

    def err(self, message: str) -> QueryError:
        return QueryError(message)

    # -- leaves --------------------------------------------------------------------------------
    def _json(self, column: exp.Expr, path: tuple[Any, ...], want: str | None) -> exp.Expr:
        d = self.d
        if want in (None, "json"):
            return d.json_raw(column, path)
        s = d.json_str(column, path) if path else d.json_str(column, ())
        return s if want == "str" else self._from_text(s, want)

    def _from_text(self, text: exp.Expr, kind: str) -> exp.Expr:
        """``text`` read as ``kind`` (num, int, bool or ts); any other kind leaves it text."""
        d = self.d
        if kind == "num":
            return d.to_double(text)
        if kind == "bool":
            return d.to_bool(text)
        if kind == "ts":
            return d.to_datetime(text)
        return d.to_bigint(text) if kind == "int" else text

    def expr(self, e: ast.Expr, want: str | None = None) -> exp.Expr:
        cls = e.__class__  # the frequent node types first (ast classes have no subclasses)
        if cls is ast.Func:
            return self._func(e, want)  # type: ignore[arg-type]
        if cls is ast.Binary:
            return self._binary(e)  # type: ignore[arg-type]
        d = self.d
        if isinstance(e, ast.Column):
            if e.type == "json":
                return self._json(col(e.name), (), want)
            c = column_ref(d.name, e.name)
            if want == "str" and e.type not in ("str", "json"):
                return self._as_text(c, e.type)
            if want == "ts" and e.type == "str":
                return d.to_datetime(c)
            return c
        if isinstance(e, ast.JsonPath):
            return self._json(col(e.column), e.path, want)
        if isinstance(e, ast.MapValue):
            return d.map_get(col(e.column), e.key)
        if isinstance(e, ast.MapLookup):
            return exp.Bracket(this=col(e.column), expressions=[col(e.key_column)])
        if isinstance(e, ast.ArrayItem):
            return d.array_item(col(e.column), e.index)
        if isinstance(e, ast.JsonExtract):
            return self._json(d.json_or_null(self.expr(e.operand, "str")), (e.key,), want)
        if isinstance(e, ast.Literal):
            if want == "ts" and isinstance(e.value, str):
                return self.ts_literal(e)
            return lit(e.value)
        if isinstance(e, ast.Interval):
            return exp.Interval(this=num(e.amount), unit=exp.Var(this=e.unit.upper()))
        if isinstance(e, ast.Binary):
            return self._binary(e)
        if isinstance(e, ast.Unary):
            if e.op == "not":
                return exp.Not(this=exp.Paren(this=self.expr(e.operand, "bool")))
            return exp.Neg(this=exp.Paren(this=self._num(e.operand)))
        if isinstance(e, ast.InList):
            return self._in(e)
        if isinstance(e, ast.IsNull):
            op = e.operand
            if isinstance(op, ast.Column) and op.name == "error":
                has = col("has_error")
                return has if e.negated else exp.Not(this=has)
            inner = exp.Is(this=_operand(self.expr(op, "str")), expression=exp.Null())
            return exp.Not(this=inner) if e.negated else inner
        if isinstance(e, ast.Ternary):
            if want in (None, "json"):  # a JSON result next to a typed one is read as that type
                kinds = {type_of(e.then), type_of(e.otherwise)} - {"json", "null"}
                if len(kinds) == 1 and "json" in (type_of(e.then), type_of(e.otherwise)):
                    want = _WANT.get(kinds.pop())
            return exp.Case(ifs=[exp.If(this=self.expr(e.cond, "bool"), true=self.expr(e.then, want))],
                            default=self.expr(e.otherwise, want))  # fmt: skip
        if isinstance(e, ast.Cast):
            return self._cast(e.type_name, e.operand)
        if isinstance(e, ast.AnySpan):
            sub = exp.Select(expressions=[col("root_span_id")],
                             from_=exp.From(this=exp.Table(this=exp.Identifier(this="rows", quoted=True))),
                             where=exp.Where(this=all_of(self.base(), exp.Paren(this=self.expr(e.cond, "bool")))))  # fmt: skip
            return exp.In(this=col("root_span_id"), query=exp.Subquery(this=sub))
        if isinstance(e, ast.Search):
            return self._search(e)
        if isinstance(e, ast.Func):
            return self._func(e, want)
        raise self.err(f"cannot compile {type(e).__name__}")

    def _as_text(self, x: exp.Expr, typ: str) -> exp.Expr:
        """``x`` (of static type ``typ``, not text or JSON) as text, as to_string() writes it."""
        if typ == "ts":
            return self.d.ts_text(x)
        if typ in ("array", "map"):
            return self.d.json_of(x)
        if typ == "bool":  # ClickHouse writes the result of a comparison as 1 or 0
            return exp.Case(ifs=[exp.If(this=x, true=exp.Literal.string("true")),
                                 exp.If(this=exp.Not(this=exp.Paren(this=x.copy())),
                                        true=exp.Literal.string("false"))])  # fmt: skip
        return self.d.to_string(x)

    def _as(self, e: ast.Expr, want: str) -> exp.Expr:
        """``e`` as ``want`` (num, str, bool, ts), a JSON value computed by a function (nullif,
        coalesce...) included: a JSON path converts itself."""
        x = self.expr(e, want)
        if type_of(e) != "json" or e.__class__ in (ast.JsonPath, ast.Column) or want == "int":
            return x
        return self._from_text(x, want)

    def _text(self, e: ast.Expr) -> exp.Expr:
        """``e`` where text is needed (text functions, LIKE): other values converted."""
        x = self.expr(e, "str")
        typ = type_of(e)
        if typ in ("str", "json", "null") or e.__class__ is ast.Column:
            return x
        return self._as_text(x, typ)

    def _num(self, e: ast.Expr) -> exp.Expr:
        """``e`` where a number is needed: a boolean counts as 1 or 0."""
        x = self._as(e, "num")
        if type_of(e) != "bool":
            return x
        return exp.Case(ifs=[exp.If(this=x, true=num(1)),
                             exp.If(this=exp.Not(this=exp.Paren(this=x.copy())), true=num(0))])  # fmt: skip

    def _time(self, e: ast.Expr) -> exp.Expr:
        """``e`` where a timestamp is needed: text and epoch seconds converted."""
        if type_of(e) == "null":
            return exp.Cast(this=exp.Null(), to=exp.DataType(this=exp.DataType.Type.TIMESTAMPTZ))
        x = self.expr(e, "ts")
        if type_of(e) in ("num", "int") or (
            type_of(e) == "str" and e.__class__ not in (ast.Column, ast.Literal)
        ):
            return self.d.to_datetime(x)
        return x

    def ts_literal(self, e: ast.Literal) -> exp.Expr:
        iso = parse_timestamp(str(e.value))
        if iso is None:
            raise error_at(self.text, e.pos, f"{e.value!r} is not an ISO date or timestamp "
                           "(for example '2024-01-31' or '2024-01-31T12:00:00Z')")  # fmt: skip
        return self.d.ts_literal(iso)

    def _wants(self, left: ast.Expr, right: ast.Expr) -> tuple[str | None, str | None]:
        lt, rt = type_of(left), type_of(right)
        if lt == "json" and rt == "json":
            return "str", "str"
        if lt == "json":
            return _WANT.get(rt, "str"), None if rt != "str" else "str"
        if rt == "json":
            return None if lt != "str" else "str", _WANT.get(lt, "str")
        if lt == "ts" and rt == "str":
            return None, "ts"
        if rt == "ts" and lt == "str":
            return "ts", None
        return None, None

    def _binary(self, e: ast.Binary) -> exp.Expr:
        op = e.op
        if op in ("and", "or"):
            left, right = self.expr(e.left, "bool"), self.expr(e.right, "bool")
            joined: exp.Expr = (exp.And if op == "and" else exp.Or)(this=left, expression=right)
            return exp.Paren(this=joined)
        if op in _CMP:
            wl, wr = self._wants(e.left, e.right)
            left, right = _operand(self.expr(e.left, wl)), _operand(self.expr(e.right, wr))
            if op in ("nseq", "nsne"):
                return self.d.null_safe_eq(left, right, negate=op == "nsne")
            return _CMP[op](this=left, expression=right)
        if op in _ARITH:
            if type_of(e.left) == type_of(e.right) == "ts":  # seconds between two times
                return exp.Paren(this=exp.Sub(this=self.d.epoch_seconds(self.expr(e.left)),
                                              expression=self.d.epoch_seconds(self.expr(e.right))))  # fmt: skip
            if "ts" in (type_of(e.left), type_of(e.right)):  # shifted by an interval
                left, right = self.expr(e.left, "ts"), self.expr(e.right)
            else:
                left, right = self._num(e.left), self._num(e.right)
                if op == "mod" and not (isinstance(e.right, ast.Literal) and e.right.value):
                    # x % 0 is NULL on both engines (DuckDB raises 'Division by zero')
                    right = exp.Nullif(this=right, expression=num(0))
            return exp.Paren(this=_ARITH[op](this=left, expression=right))
        if op in ("like", "ilike"):
            left = _operand(self._text(e.left))
            right = _operand(self._text(e.right))
            node = (exp.Like if op == "like" else exp.ILike)(this=left, expression=right)
            if self.d.like_needs_escape_clause and isinstance(e.right, ast.Literal) and \
                    "\\" in str(e.right.value):  # fmt: skip
                return exp.Escape(this=node, expression=exp.Literal.string("\\"))
            return node
        if op == "includes":
            return self._contains(e.left, e.right)
        raise self.err(f"cannot compile operator {op}")

    def _contains(self, arr: ast.Expr, value: ast.Expr) -> exp.Expr:
        if isinstance(arr, ast.JsonPath):
            array = self.d.json_strings(col(arr.column), arr.path)
            return self.d.array_contains(array, self.expr(value, "str"))
        if isinstance(arr, ast.Column) and arr.type == "json":
            return self.d.array_contains(
                self.d.json_strings(col(arr.name), ()), self.expr(value, "str")
            )
        return self.d.array_contains(self.expr(arr), self.expr(value, "str"))

    def _in(self, e: ast.InList) -> exp.Expr:
        if len(e.items) == 1 and type_of(e.items[0]) in ("array",):
            node = self._contains(e.items[0], e.operand)
        else:
            first = e.items[0]
            wl, wr = self._wants(e.operand, first)
            operand = _operand(self.expr(e.operand, wl))
            if len(e.items) == 1:  # NULL when the item is (ClickHouse's IN says false)
                node = exp.EQ(this=operand, expression=_operand(self.expr(first, wr)))
            else:
                typed = {type_of(i) for i in e.items}
                if "ts" in typed or type_of(e.operand) == "ts":
                    wr = "ts"  # quoted items are timestamps too
                items = [self.expr(i, wr) for i in e.items]
                if all(i.__class__ is ast.Literal and i.value is not None for i in e.items):
                    node = exp.In(this=operand, expressions=items)
                else:  # an item may be NULL: ClickHouse's IN says false where SQL says NULL
                    node = any_of(*[exp.EQ(this=operand.copy(), expression=_operand(i))
                                    for i in items])  # fmt: skip
        return exp.Not(this=exp.Paren(this=node)) if e.negated else node

    def _cast(self, type_name: str, operand: ast.Expr) -> exp.Expr:
        typ = type_of(operand)
        if type_name == "string":
            if typ in ("json", "str"):  # a JSON string unquoted, any other JSON value as text
                return self.expr(operand, "str")
            return self._as_text(self.expr(operand), typ)
        if typ == "bool" and type_name in ("number", "integer"):
            return self._num(operand)  # 1 or 0
        if type_name == "boolean" and typ == "bool":
            return self.expr(operand)
        kind = {"number": "num", "integer": "int", "boolean": "bool"}.get(type_name, "ts")
        if type_name != "date" and (kind == typ or (kind == "num" and typ == "int")):
            return self.expr(operand)  # already of that kind
        if kind == "ts" and typ == "ts":  # to_date() of a timestamp
            value = self.expr(operand)
        else:
            value = self._from_text(self._text(operand), kind)
        return self.bucket(1, "day", value) if type_name == "date" else value

    def _search(self, e: ast.Search) -> exp.Expr:
        self.searched = True
        fields = list(e.fields) if e.fields else None
        if self.search is None:
            self.warnings.append({"code": "search_unindexed", "message": "full-text index not "
                                  "available; searching with a substring scan"})  # fmt: skip
            terms = []
            for f in fields or SEARCH_FIELDS:
                head, *rest = f.split(".")
                target = col(head) if not rest else self.d.json_raw(col(head), tuple(rest))
                text = self.d.json_text(target)
                terms.append(
                    exp.ILike(this=text, expression=exp.Literal.string(f"%{_like_escape(e.text)}%"))
                )
            return any_of(*terms)
        if self.search_page is not None and self.search_page[0] is e:
            found = self.search(self.refs, e.text, fields, page=self.search_page[1])
        else:
            found = self.search(self.refs, e.text, fields)
        ids = _sorted_keys(found, self.search_limit)
        if not ids:
            return exp.false()
        return self.d.key_set(col("_pagination_key"), ids, self.params)

    def bucket(self, amount: int, unit: str, ts: exp.Expr) -> exp.Expr:
        if not self.tz_offset:
            return self.d.trunc(unit, ts, amount)
        # tz_offset is minutes behind UTC (480 = UTC-8): shift into local time, bucket, shift back.
        local = self.d.shift(ts, -self.tz_offset)
        return self.d.shift(self.d.trunc(unit, local, amount), self.tz_offset)

    def _func(self, e: ast.Func, want: str | None) -> exp.Expr:
        d, name, args = self.d, e.name, e.args
        if name in ("second", "minute", "hour", "day", "week", "month", "year"):
            return self.bucket(1, name, self._time(args[0]))
        if name == "date_trunc":
            amount, unit = bucket_unit(str(args[0].value))  # type: ignore[attr-defined, misc]
            return self.bucket(amount, unit, self._time(args[1]))
        if name == "now":
            return d.now() if self.clock is None else d.ts_literal(self.clock)
        if name == "current_date":
            return d.today()
        if name in ("lower", "upper"):
            return (exp.Lower if name == "lower" else exp.Upper)(this=self._text(args[0]))
        if name == "concat":
            return exp.Concat(expressions=[self._text(a) for a in args])
        if name == "length":
            return d.str_len(self._text(args[0]))
        if name == "len":
            a = args[0]
            if type_of(a) == "json":
                if isinstance(a, ast.JsonPath):
                    return d.json_len(col(a.column), a.path)
                return d.json_len(self.expr(a), ())
            return (
                d.array_len(self.expr(a))
                if type_of(a) == "array"
                else d.str_len(self.expr(a, "str"))
            )
        if name == "contains":
            return self._contains(args[0], args[1])
        if name in ("coalesce", "nullif", "least", "greatest"):
            kinds = [type_of(a) for a in args if type_of(a) not in ("json", "null")]
            if kinds:
                w = "ts" if "ts" in kinds else _WANT.get(kinds[0], "str")
            else:  # JSON values only: read them as the caller needs them
                w = want if want in ("num", "bool", "ts") else "str"
            parts = [self._as(a, w) for a in args]
            if name == "nullif":
                return exp.Nullif(this=parts[0], expression=parts[1])
            if name == "coalesce":
                return exp.Coalesce(this=parts[0], expressions=parts[1:])
            if w == "num" and any(type_of(a) not in ("int", "null") for a in args):
                # ClickHouse finds no common type for integers and floats here
                parts = [exp.Cast(this=p, to=exp.DataType(this=exp.DataType.Type.DOUBLE))
                         if type_of(a) == "int" else p for a, p in zip(args, parts, strict=True)]  # fmt: skip
            # NULLs are skipped: the result is NULL only when every argument is
            cls = exp.Least if name == "least" else exp.Greatest
            return cls(this=parts[0], expressions=parts[1:], ignore_nulls=True)
        if name == "round":
            digits = args[1].value if len(args) > 1 and isinstance(args[1], ast.Literal) else 0
            if not isinstance(digits, int) or isinstance(digits, bool) or not -15 <= digits <= 15:
                raise error_at(self.text, e.pos, "round(x, digits) needs a whole number of digits "
                               "between -15 and 15")  # fmt: skip
            # Half away from zero on both engines (ClickHouse's round() is banker's on floats).
            x = self._num(args[0])
            scale = num(repr(10.0**digits))
            mag = exp.Floor(this=exp.Add(this=exp.Mul(this=fn("abs", x), expression=scale),
                                         expression=num("0.5")))  # fmt: skip
            return exp.Paren(this=exp.Div(this=exp.Mul(this=fn("sign", x.copy()), expression=mag),
                                          expression=scale.copy()))  # fmt: skip
        if name in ("abs", "floor", "ceil"):
            return fn(name, self._num(args[0]))
        if name.startswith("to_"):
            return self._cast({"to_string": "string", "to_number": "number", "to_integer": "integer",
                               "to_boolean": "boolean", "to_date": "date",
                               "to_datetime": "datetime"}[name], args[0])  # fmt: skip
        return self._aggregate(e)

    def _aggregate(self, e: ast.Func) -> exp.Expr:
        d, name, args = self.d, e.name, e.args
        if name == "count":
            if (
                e.star
                or not args
                or (isinstance(args[0], ast.Literal) and args[0].value is not None)
            ):
                return fragment(_count_star_sql(d.name))
            return exp.Count(this=self.expr(args[0], "str" if type_of(args[0]) == "json" else None))
        if name == "count_distinct":
            return exp.Count(this=exp.Distinct(expressions=[self.expr(args[0], "str")]))
        if name in ("sum", "avg", "percentile"):
            value = self.expr(args[0], "num")
            if type_of(args[0]) == "bool":
                value = exp.Case(ifs=[exp.If(this=value, true=num(1))],
                                 default=num(0))  # fmt: skip
            if name == "percentile":
                return d.percentile(value, float(args[1].value))  # type: ignore[attr-defined]
            return (exp.Sum if name == "sum" else exp.Avg)(this=value)
        value = self.expr(args[0], "str" if type_of(args[0]) == "json" else None)
        if name == "any_value":
            return d.any_value(value)
        return (exp.Min if name == "min" else exp.Max)(this=value)


def _sorted_keys(found: Any, newest: int | None = None) -> list[int]:
    """Distinct keys, ascending, from a list of ints or a pyarrow array (what
    ``DataStore.search_ids`` returns); only the ``newest`` (largest) ones when it is given.

    >>> _sorted_keys([5, 3, 9, 3], newest=2)
    [5, 9]
    """
    if newest is not None and newest <= 0:
        return []
    if hasattr(found, "to_numpy"):
        keys = np.asarray(found.to_numpy(zero_copy_only=False), dtype=np.int64)
        if len(keys) > 1:
            # The store answers newest first: distinct and descending is the common case.
            if bool((keys[1:] < keys[:-1]).all()):
                keys = keys[::-1]
            elif not bool((keys[1:] > keys[:-1]).all()):
                keys = np.unique(keys)
        if newest is not None:
            keys = keys[-newest:]
        return keys.tolist()  # type: ignore[no-any-return]
    out = sorted({int(i) for i in found})
    return out if newest is None else out[-newest:]


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
