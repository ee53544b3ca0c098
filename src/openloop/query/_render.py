"""SQL rendering of compiled trees: one reused sqlglot generator per dialect and thread, and
pre-rendered constant fragments.

sqlglot is installed with ``sqlglotc``, its mypyc-compiled build: building and rendering the
expression trees is most of a compilation's cost after parsing, and the compiled build does both
in C. String literals are quoted by the dialect's own quoting rules, so user text still only
reaches SQL as a quoted literal.
"""

from __future__ import annotations

import threading
from typing import Any

from sqlglot import exp
from sqlglot.dialects.dialect import Dialect as SqlglotDialect

__all__ = ["fragment", "release", "render", "render_part"]


def fragment(sql: str) -> exp.Expr:
    """A constant, already rendered piece of SQL placed into a tree (rendered verbatim). Only
    for text this package rendered itself with sqlglot."""
    return exp.Var(this=sql)


_LOCAL = threading.local()


def _generator(dialect: str) -> Any:
    gens = getattr(_LOCAL, "gens", None)
    if gens is None:
        gens = _LOCAL.gens = {}
    g = gens.get(dialect)
    if g is None:
        g = gens[dialect] = SqlglotDialect.get_or_raise(dialect).generator()
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
    node_type = exp.Expr
    while stack:
        node = pop()
        node.parent = None
        for value in node.args.values():
            if isinstance(value, node_type):
                push(value)
            elif value.__class__ is list:
                for item in value:
                    if isinstance(item, node_type):
                        push(item)
