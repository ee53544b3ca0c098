"""The query AST: frozen dataclasses shared by both syntaxes.

The parser builds these from BTQL (``select: … | filter: …``) or the SQL form; the resolver
turns :class:`Field` leaves into bound leaves (:class:`Column`, :class:`JsonPath`, …) so that the
compiler never sees an unresolved name. ``pos`` is the character offset in the query text and
is ignored by equality, so the same query written in both syntaxes compares equal.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, TypeVar

__all__ = [
    "AnySpan",
    "ArrayItem",
    "Binary",
    "Cast",
    "Column",
    "Expr",
    "Field",
    "FilterSpans",
    "Func",
    "InList",
    "Interval",
    "IsNull",
    "JsonExtract",
    "JsonPath",
    "Literal",
    "MapLookup",
    "MapValue",
    "Pivot",
    "Query",
    "Search",
    "SelectItem",
    "SortItem",
    "Source",
    "Star",
    "Ternary",
    "Unary",
    "Unpivot",
    "direct_init",
]

PathPart = str | int
_T = TypeVar("_T")


def direct_init(cls: type[_T]) -> type[_T]:
    """Give a frozen dataclass an ``__init__`` that fills the instance dict directly.

    The generated one assigns each field through ``object.__setattr__`` (a slot-wrapper call
    per field, about half the cost of creating a node), and every query creates many nodes.
    Same parameters and defaults; assignment after creation still raises."""
    params: list[str] = []
    lines: list[str] = []
    env: dict[str, Any] = {}
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        if f.default_factory is not dataclasses.MISSING or not f.init:
            raise TypeError(f"{cls.__name__}.{f.name}: only plain fields and defaults")
        if f.default is dataclasses.MISSING:
            params.append(f.name)
        else:
            env[f"_default_{f.name}"] = f.default
            params.append(f"{f.name}=_default_{f.name}")
        lines.append(f"    _d_[{f.name!r}] = {f.name}\n")
    source = f"def __init__(self, {', '.join(params)}):\n    _d_ = self.__dict__\n{''.join(lines)}"
    exec(source, env)
    init = env["__init__"]
    init.__qualname__ = f"{cls.__qualname__}.__init__"
    cls.__init__ = init  # type: ignore[method-assign]
    return cls


@direct_init
@dataclass(frozen=True)
class Expr:
    """Base class of every expression node."""


@direct_init
@dataclass(frozen=True)
class Literal(Expr):
    value: Any  # str, int, float, bool or None
    pos: int = field(default=0, compare=False)


@direct_init
@dataclass(frozen=True)
class Field(Expr):
    """A dotted path as written: ``metadata."field name".items[0]``.

    ``bare_quoted`` marks a lone double-quoted word (``"high"``): a string literal unless it
    names a field."""

    path: tuple[PathPart, ...]
    pos: int = field(default=0, compare=False)
    bare_quoted: bool = field(default=False, compare=False)


@direct_init
@dataclass(frozen=True)
class Star(Expr):
    pos: int = field(default=0, compare=False)


@direct_init
@dataclass(frozen=True)
class Unary(Expr):
    op: str  # "not" | "neg"
    operand: Expr
    pos: int = field(default=0, compare=False)


@direct_init
@dataclass(frozen=True)
class Binary(Expr):
    """``op`` is one of and, or, eq, ne, lt, le, gt, ge, nseq (``<=>``), nsne (``<!=>``), add,
    sub, mul, div, mod, like, ilike, match, includes."""

    op: str
    left: Expr
    right: Expr
    pos: int = field(default=0, compare=False)


@direct_init
@dataclass(frozen=True)
class InList(Expr):
    operand: Expr
    items: tuple[Expr, ...]
    negated: bool = False
    pos: int = field(default=0, compare=False)


@direct_init
@dataclass(frozen=True)
class IsNull(Expr):
    operand: Expr
    negated: bool = False
    pos: int = field(default=0, compare=False)


@direct_init
@dataclass(frozen=True)
class Ternary(Expr):
    cond: Expr
    then: Expr
    otherwise: Expr
    pos: int = field(default=0, compare=False)


@direct_init
@dataclass(frozen=True)
class Func(Expr):
    """A function call; ``name`` is lower-cased. ``count(*)`` has ``star=True``."""

    name: str
    args: tuple[Expr, ...]
    star: bool = False
    pos: int = field(default=0, compare=False)


@direct_init
@dataclass(frozen=True)
class Interval(Expr):
    amount: int
    unit: str  # second | minute | hour | day | week | month | year
    pos: int = field(default=0, compare=False)


@direct_init
@dataclass(frozen=True)
class Cast(Expr):
    operand: Expr
    type_name: str  # string | number | integer | boolean | datetime | date
    pos: int = field(default=0, compare=False)


@direct_init
@dataclass(frozen=True)
class AnySpan(Expr):
    """``ANY_SPAN(cond)``: the span's trace has some span for which ``cond`` holds."""

    cond: Expr
    pos: int = field(default=0, compare=False)


@direct_init
@dataclass(frozen=True)
class FilterSpans(Expr):
    """``FILTER_SPANS(cond)``: after traces are chosen, keep only spans where ``cond`` holds."""

    cond: Expr
    pos: int = field(default=0, compare=False)


# -- bound leaves (produced by resolve.py) ---------------------------------------------------


@direct_init
@dataclass(frozen=True)
class Column(Expr):
    """A stored (or derived-table) column with a static type: str, num, int, bool, ts, array,
    map, json."""

    name: str
    type: str


@direct_init
@dataclass(frozen=True)
class JsonPath(Expr):
    """A path inside a JSON-text column (``metadata`` + ``("region",)``)."""

    column: str
    path: tuple[PathPart, ...]


@direct_init
@dataclass(frozen=True)
class MapValue(Expr):
    """``scores.X``: the value for key X of a map column."""

    column: str
    key: str


@direct_init
@dataclass(frozen=True)
class ArrayItem(Expr):
    """``tags[0]``: 0-based index into an array column; negative counts from the end."""

    column: str
    index: int


@direct_init
@dataclass(frozen=True)
class MapLookup(Expr):
    """``scores[key_column]``: a map value keyed by another column (UNPIVOT of a map)."""

    column: str
    key_column: str


@direct_init
@dataclass(frozen=True)
class JsonExtract(Expr):
    """``json_extract(text, 'key')``: parse ``operand`` as JSON text and read ``key``."""

    operand: Expr
    key: str


@direct_init
@dataclass(frozen=True)
class Search(Expr):
    """Full-text match of ``text`` over ``fields`` (``None`` = the default text fields)."""

    text: str
    fields: tuple[str, ...] | None = None


# -- clauses -----------------------------------------------------------------------------------


@direct_init
@dataclass(frozen=True)
class SelectItem:
    expr: Expr
    alias: str | None = None
    text: str = field(default="", compare=False)  # the expression as written


@direct_init
@dataclass(frozen=True)
class SortItem:
    expr: Expr
    descending: bool = False


@direct_init
@dataclass(frozen=True)
class Source:
    """``project_logs('p1', 'p2')``: a table function over one or more containers."""

    kind: str
    args: tuple[str, ...]
    shape: str = "spans"
    pos: int = field(default=0, compare=False)


@direct_init
@dataclass(frozen=True)
class Unpivot:
    """``UNPIVOT (value FOR key IN (expr))``; for arrays ``key`` is ``None`` (written ``_``)."""

    expr: Expr
    value_name: str
    key_name: str | None
    pos: int = field(default=0, compare=False)


@direct_init
@dataclass(frozen=True)
class Pivot:
    """Pivot ``measures`` (names of select items) across the values of ``key`` (a select item
    name; ``None`` = the last dimension)."""

    measures: tuple[str, ...]
    key: str | None = None
    pos: int = field(default=0, compare=False)


@direct_init
@dataclass(frozen=True)
class Sample:
    percent: float | None = None
    count: int | None = None


@direct_init
@dataclass(frozen=True)
class Query:
    """One query, whichever syntax it was written in."""

    select: tuple[SelectItem, ...] = ()
    source: Source | None = None
    filter: Expr | None = None
    group_by: tuple[Expr, ...] | None = None  # None = no GROUP BY; ints are 1-based ordinals
    having: Expr | None = None
    sort: tuple[SortItem, ...] = ()
    limit: int | None = None
    cursor: str | None = None
    sample: Sample | None = None
    unpivot: tuple[Unpivot, ...] = ()
    pivot: Pivot | None = None
    preview_length: int | None = None
    syntax: str = field(default="sql", compare=False)
    text: str = field(default="", compare=False, repr=False)
