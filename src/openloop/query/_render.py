"""SQL rendering of compiled trees: one reusable sqlglot generator per dialect and thread, with
short paths for the node types every query is made of, and pre-rendered constant fragments.

The short paths produce exactly the text sqlglot's own generator produces for these nodes (the
golden and fuzz tests hold both to it); anything unusual (quotes or escapes inside a name or a
string, extra node arguments) is left to sqlglot. String literals are always quoted by the
dialect's own quoting rules, so user text still only reaches SQL as a quoted literal.
"""

from __future__ import annotations

import functools
import re
import threading
from collections.abc import Callable
from typing import Any

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect as SqlglotDialect
from sqlglot.generator import Generator

__all__ = ["fragment", "release", "render", "render_part"]

#: Text that every dialect writes verbatim inside its quotes (no escape sequences, no quotes).
_PLAIN = re.compile(r"[\w .:+\-/%$#@]*\Z", re.ASCII)
_Handler = Callable[[Any, Any], str]


def fragment(sql: str) -> exp.Expr:
    """A constant, already rendered piece of SQL placed into a tree (rendered verbatim). Only
    for text this package rendered itself with sqlglot."""
    return exp.Var(this=sql)


def _identifier(g: Any, e: exp.Identifier) -> str:
    text = e.args.get("this")
    if e.args.get("quoted") and len(e.args) == 2 and isinstance(text, str) and text.isidentifier():
        return f"{g._identifier_start}{text}{g._identifier_end}"
    return g._slow_sql(e)


def _column(g: Any, e: exp.Column) -> str:
    if len(e.args) == 1:
        this = e.args.get("this")
        if this is not None:
            return g.sql(this)
    return g._slow_sql(e)


def _literal(g: Any, e: exp.Literal) -> str:
    text = e.args.get("this")
    if len(e.args) == 2 and isinstance(text, str):
        if not e.args.get("is_string"):
            return text
        if _PLAIN.match(text):
            return f"{g._quote_start}{text}{g._quote_end}"
    return g._slow_sql(e)


def _paren(g: Any, e: exp.Paren) -> str:
    if len(e.args) == 1:
        return f"({g.sql(e.args.get('this'))})"
    return g._slow_sql(e)


def _alias(g: Any, e: exp.Alias) -> str:
    alias = e.args.get("alias")
    if len(e.args) == 2 and alias is not None:
        return f"{g.sql(e.args.get('this'))} AS {g.sql(alias)}"
    return g._slow_sql(e)


def _var(g: Any, e: exp.Var) -> str:
    this = e.args.get("this")
    return this if isinstance(this, str) and len(e.args) == 1 else g._slow_sql(e)


def _compare(op: str) -> _Handler:
    def render(g: Any, e: Any) -> str:
        args = e.args
        if len(args) == 2:
            return f"{g.sql(args.get('this'))} {op} {g.sql(args.get('expression'))}"
        return g._slow_sql(e)

    return render


def _not(g: Any, e: exp.Not) -> str:
    return f"NOT {g.sql(e.args.get('this'))}" if len(e.args) == 1 else g._slow_sql(e)


def _anonymous(g: Any, e: exp.Anonymous) -> str:
    name = e.args.get("this")
    if len(e.args) <= 2 and isinstance(name, str) and not isinstance(e.parent, exp.Dot):
        args = [g.sql(a) for a in e.args.get("expressions") or () if a is not None]
        return f"{g.normalize_func(name)}({', '.join(args)})"
    return g._slow_sql(e)


def _clause(word: str) -> _Handler:
    def render(g: Any, e: Any) -> str:
        return f" {word} {g.sql(e.args.get('this'))}" if len(e.args) == 1 else g._slow_sql(e)

    return render


def _table(g: Any, e: exp.Table) -> str:
    this = e.args.get("this")
    if len(e.args) == 1 and this is not None:
        return g.sql(this)
    return g._slow_sql(e)


def _star(g: Any, e: exp.Star) -> str:
    return "*" if not e.args else g._slow_sql(e)


def _connector(g: Any, e: exp.Connector) -> str:
    # sqlglot writes a chain of AND / OR nodes flat, each operator between its operands.
    out: list[str] = []
    stack: list[Any] = [e]
    while stack:
        node = stack.pop()
        if node.__class__ is str:
            out.append(node)
            continue
        op = _CONNECTORS.get(node.__class__)
        if op is not None and len(node.args) == 2 and not node.comments:
            stack += (node.args.get("expression"), op, node.args.get("this"))
        elif isinstance(node, exp.Connector):
            return g._slow_sql(e)
        else:
            out.append(g.sql(node))
    return "".join(out)


_CONNECTORS = {exp.And: " AND ", exp.Or: " OR "}


def _datatype(g: Any, e: exp.DataType) -> str:
    args = e.args
    if (
        len(args) == 2
        and args.get("nested") is False
        and isinstance(args.get("this"), exp.DType)
        and not isinstance(e.parent, exp.DataType)  # ClickHouse renders MAP keys differently
    ):
        key = args["this"]
        text = g._types.get(key)
        if text is None:
            text = g._types[key] = g._slow_sql(e)
        return str(text)
    return g._slow_sql(e)


def _ordered(g: Any, e: exp.Ordered) -> str:
    args = e.args
    if args.keys() <= {"this", "desc", "nulls_first"}:
        key = (args.get("desc"), args.get("nulls_first"))
        suffix = g._orders.get(key)
        if suffix is None:
            probe = exp.Ordered(this=exp.Var(this="x"), desc=key[0], nulls_first=key[1])
            suffix = g._orders[key] = g._slow_sql(probe)[1:]
        if "NULLS" not in suffix:  # no context-dependent null ordering
            return f"{g.sql(args.get('this'))}{suffix}"
    return g._slow_sql(e)


#: The parts of a SELECT this package builds (see ``shapes._select``); any other part, such as
#: ClickHouse's SETTINGS, takes sqlglot's path.
_SELECT_PARTS = frozenset(("expressions", "from_", "joins", "where", "group", "having", "order",
                           "limit", "with_"))  # fmt: skip


def _select(g: Any, e: exp.Select) -> str:
    # sqlglot's select_sql + query_modifiers for these parts; its Select preprocessing for
    # DuckDB (CONNECT BY, GENERATOR sequences) has nothing to act on here.
    args = e.args
    if not args.keys() <= _SELECT_PARTS or g.pretty or g.LIMIT_IS_TOP or g.LIMIT_FETCH == "FETCH":
        return g._slow_sql(e)
    sql = g.sql
    items = g.expressions(e)
    parts = [f"SELECT {items}" if items else "SELECT", sql(args.get("from_"))]
    parts += [sql(j) for j in args.get("joins") or ()]
    parts += [sql(args.get(k)) for k in ("where", "group", "having", "order", "limit")]
    out = "".join(parts)
    with_ = args.get("with_")
    return f"{sql(with_)} {out}" if with_ else out


def _listed(word: str) -> _Handler:
    # GROUP BY / ORDER BY with a plain list (no grouping sets, totals or siblings).
    def render(g: Any, e: Any) -> str:
        if (
            len(e.args) == 1
            and e.args.get("expressions")
            and not isinstance(e.parent, exp.Properties)
        ):
            return f" {word} {g.expressions(e)}"
        return g._slow_sql(e)

    return render


def _limit(g: Any, e: exp.Limit) -> str:
    n = e.args.get("expression")
    if len(e.args) == 1 and isinstance(n, exp.Literal) and not n.args.get("is_string"):
        return f" LIMIT {g.sql(n)}"
    return g._slow_sql(e)


_FAST: dict[type[exp.Expr], _Handler] = {
    exp.Select: _select,
    exp.Group: _listed("GROUP BY"),
    exp.Order: _listed("ORDER BY"),
    exp.Limit: _limit,
    exp.And: _connector,
    exp.Or: _connector,
    exp.DataType: _datatype,
    exp.Ordered: _ordered,
    exp.Anonymous: _anonymous,
    exp.From: _clause("FROM"),
    exp.Where: _clause("WHERE"),
    exp.Table: _table,
    exp.Star: _star,
    exp.Identifier: _identifier,
    exp.Column: _column,
    exp.Literal: _literal,
    exp.Paren: _paren,
    exp.Alias: _alias,
    exp.Var: _var,
    exp.Not: _not,
    exp.EQ: _compare("="),
    exp.NEQ: _compare("<>"),
    exp.LT: _compare("<"),
    exp.LTE: _compare("<="),
    exp.GT: _compare(">"),
    exp.GTE: _compare(">="),
}


#: Short paths kept even though the dialect's generator customizes the node: DataType caches
#: the dialect's own rendering, and DuckDB's Select preprocessing (CONNECT BY, GENERATOR
#: sequences) has nothing to act on in the SELECTs built here.
_KEPT = {("duckdb", exp.DataType), ("clickhouse", exp.DataType), ("duckdb", exp.Select)}


def _short_paths(dialect: str, base: type[Generator]) -> dict[type[exp.Expr], _Handler]:
    """The short paths for ``dialect``: those whose node the dialect renders like sqlglot's
    base generator (a dialect-specific rendering always goes through sqlglot)."""
    out = {}
    for cls, handler in _FAST.items():
        name = f"{cls.key}_sql"
        same = getattr(base, name, None) is getattr(Generator, name, None) and base.TRANSFORMS.get(
            cls
        ) is Generator.TRANSFORMS.get(cls)
        if same or (dialect, cls) in _KEPT:
            out[cls] = handler
    return out


@functools.cache
def _generator_class(dialect: str) -> type[Generator]:
    base = SqlglotDialect.get_or_raise(dialect).generator_class
    fast = _short_paths(dialect, base)

    class Fast(base):  # type: ignore[valid-type, misc]
        def __init__(self, **opts: Any) -> None:
            super().__init__(**opts)
            self._quote_start = self.dialect.QUOTE_START
            self._quote_end = self.dialect.QUOTE_END
            self._types: dict[Any, str] = {}  # plain SQL type -> its rendering
            self._orders: dict[Any, str] = {}  # (desc, nulls_first) -> ORDER BY item suffix

        def sql(self, expression: Any, key: str | None = None, comment: bool = True) -> str:
            if key is not None:
                if not expression or expression.__class__ is str:
                    return expression or ""
                expression = expression.args.get(key)
                if not expression:
                    return ""
            handler = fast.get(expression.__class__)
            if handler is not None and not expression.comments:
                return handler(self, expression)
            return super().sql(expression, None, comment)

        def _slow_sql(self, expression: Any) -> str:
            return super().sql(expression)

        def expressions(self, expression: Any = None, key: str | None = None, sqls: Any = None,
                        flat: bool = False, indent: bool = True, skip_first: bool = False,
                        skip_last: bool = False, sep: str = ", ", prefix: str = "",
                        dynamic: bool = False, new_line: bool = False) -> str:  # fmt: skip
            # The list rendering of sqlglot's generator for unpretty output, minus its per-item
            # comment and layout work (these trees carry no comments).
            items = expression.args.get(key or "expressions") if expression else sqls
            if not items:
                return ""
            sql = self.sql
            if flat:
                return sep.join(s for s in (sql(e) for e in items) if s)
            last = len(items) - 1
            out = []
            for i, e in enumerate(items):
                if self.pretty or (isinstance(e, exp.Expr) and e.comments):
                    return str(super().expressions(expression, key, sqls, flat, indent, skip_first,
                                                   skip_last, sep, prefix, dynamic, new_line))  # fmt: skip
                s = sql(e)
                if s:
                    out.append(f"{prefix}{s}{sep if i < last else ''}")
            return "".join(out)

    Fast.__name__ = f"Fast{base.__name__}"
    return Fast


_LOCAL = threading.local()


def _generator(dialect: str) -> Any:
    gens = getattr(_LOCAL, "gens", None)
    if gens is None:
        gens = _LOCAL.gens = {}
    g = gens.get(dialect)
    if g is None:
        d = SqlglotDialect.get_or_raise(dialect)
        g = gens[dialect] = _generator_class(dialect)(dialect=d)
    return g


def render(tree: exp.Expr, dialect: str) -> str:
    """``tree.sql(dialect=dialect)`` without copying the tree (it is not reused)."""
    return str(_generator(dialect).generate(tree, copy=False))


def render_part(tree: exp.Expr, dialect: str) -> str:
    """SQL text of a predicate or value (not a statement), to be reused as a :func:`fragment`."""
    return str(_generator(dialect).sql(tree)).strip()


def release(tree: exp.Expr) -> None:
    """Drop the child -> parent links of a rendered tree that is no longer used, so reference
    counting frees it at once instead of leaving cycles for the garbage collector (whose full
    passes cost far more than this walk in a process with many live objects)."""
    stack: list[Any] = [tree]
    pop, push = stack.pop, stack.append
    while stack:
        node = pop()
        node.parent = None
        for value in node.args.values():
            if isinstance(value, exp.Expr):
                push(value)
            elif value.__class__ is list:
                for item in value:
                    if isinstance(item, exp.Expr):
                        push(item)
