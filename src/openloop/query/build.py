"""The public compiler entry point: parse (cached) -> resolve names -> resolve -> assemble the
shape -> render SQL for the store's dialect. Search-free compilations are cached by their
inputs, so a dashboard re-running the same queries pays for compilation once."""

from __future__ import annotations

import functools
import logging
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlglot import exp

from openloop.errors import QueryError

from . import ast
from ._render import fragment, release, render, render_part
from .compile import ExprCompiler, SearchFn, check_version, col, visible_predicate
from .dialects import all_of, any_of, get_dialect, num
from .parser import parse
from .resolve import SOURCE_KINDS, resolve
from .shapes import Assembler, OutputColumn

__all__ = ["Compiled", "Resolver", "compile_query", "source_predicate"]

logger = logging.getLogger(__name__)

#: ``(source_kind, name_or_id) -> [(object_type, object_id), ...]``; raises NotFound.
Resolver = Callable[[str, str], list[tuple[str, str]]]


@dataclass
class Compiled:
    """One compiled query: ``sql`` (a single SELECT) with ``params`` for the store, plus what
    ``run`` needs to turn engine rows back into Braintrust-shaped JSON."""

    sql: str
    params: list[Any]
    warnings: list[dict[str, str]]
    columns: list[OutputColumn]
    dialect: str
    shape: str
    star: bool
    limit: int
    pivot: tuple[tuple[str, ...], str] | None = None
    preview_length: int | None = None
    cursor_keys: list[tuple[str, bool, str]] = field(default_factory=list)  # column, desc, kind
    refs: list[tuple[str, str]] = field(default_factory=list)
    #: When set, ``sql`` has no LIMIT (a pinned page: see ``shapes._guard``); keep this many rows.
    row_cap: int | None = None


def source_predicate(refs: list[tuple[str, str]]) -> exp.Expr:
    by_type: dict[str, list[str]] = {}
    for object_type, object_id in refs:
        by_type.setdefault(object_type, []).append(object_id)
    terms = [all_of(exp.EQ(this=col("object_type"), expression=exp.Literal.string(t)),
                      exp.In(this=col("object_id"), expressions=[exp.Literal.string(i) for i in ids]))
             for t, ids in by_type.items()]  # fmt: skip
    return exp.Paren(this=any_of(*terms)) if len(terms) > 1 else terms[0]


@functools.lru_cache(maxsize=256)
def _base_sql(refs: tuple[tuple[str, str], ...], version: int | None, dialect: str) -> str:
    """The source + visibility predicate, rendered once per refs, version and dialect."""
    return render_part(all_of(source_predicate(list(refs)), visible_predicate(version)), dialect)


def compile_query(query: ast.Query | str, *, dialect: str, resolver: Resolver,
                  search: SearchFn | None = None, version: int | str | None = None,
                  default_limit: int = 100, max_limit: int = 10_000, strict: bool = False,
                  tz_offset: int = 0, cursor: str | None = None) -> Compiled:  # fmt: skip
    """Compile a query (text or parsed) to one SELECT for ``dialect`` ("duckdb"/"clickhouse").

    ``resolver(source_kind, name_or_id)`` returns ``[(object_type, object_id), ...]`` and raises
    :class:`~openloop.errors.NotFound`; ``search(refs, text, fields)`` returns the
    ``_pagination_key`` values matching a full-text search.
    """
    d = get_dialect(dialect)
    q = _parse_cached(query) if isinstance(query, str) else query
    try:
        src = q.source
        if src is None or src.kind not in SOURCE_KINDS or not src.args:
            resolve(q, default_limit=default_limit, max_limit=max_limit, strict=strict)  # raises
            raise QueryError("missing data source")
        refs: list[tuple[str, str]] = []
        for arg in src.args:
            for ref in resolver(src.kind, arg):
                if (str(ref[0]), str(ref[1])) not in refs:
                    refs.append((str(ref[0]), str(ref[1])))
        if not refs:
            raise QueryError(f"{src.kind}() matched no objects")
        key = (q.text, d.name, tuple(refs), version, default_limit, max_limit, strict, int(tz_offset),
               cursor) if isinstance(query, str) else None  # fmt: skip
        hit = _CACHE.get(key) if key is not None else None
        if hit is not None and key is not None:
            _CACHE.move_to_end(key)
            return replace(hit, warnings=[dict(w) for w in hit.warnings])
        plan = resolve(q, default_limit=default_limit, max_limit=max_limit, strict=strict)

        refs_key = tuple(refs)

        def base() -> exp.Expr:
            return fragment(_base_sql(refs_key, check_version(version), d.name))

        warnings = list(plan.warnings)
        xc = ExprCompiler(d, text=q.text, base=base, refs=refs, search=search,
                          tz_offset=int(tz_offset), warnings=warnings)  # fmt: skip
        asm = Assembler(plan, xc, cursor or q.cursor)
        xc.search_limit = asm.newest_page_limit(versioned=version is not None)
        xc.search_page = asm.search_page(versioned=version is not None)
        if plan.shape == "traces":
            sel = asm.traces()
        elif plan.shape == "summary":
            sel = asm.summary()
        else:
            sel = asm.spans()
        if d.query_settings:
            sel.set("settings", [exp.EQ(this=exp.var(k), expression=num(v))
                                 for k, v in d.query_settings.items()])  # fmt: skip
        tree = asm.finish(sel)
        sql = render(tree, d.name)  # the only rendering
        release(tree)
    except RecursionError:
        raise QueryError("query is nested too deeply") from None
    preview = (
        q.preview_length
        if q.preview_length is not None
        else (124 if plan.shape == "summary" else None)
    )
    compiled = Compiled(sql=sql, params=xc.params, warnings=warnings, columns=asm.columns, dialect=d.name,
                    shape=plan.shape, star=plan.star, limit=plan.limit, pivot=plan.pivot,
                    preview_length=preview, cursor_keys=asm.cursor_keys, refs=refs,
                    row_cap=asm.row_cap)  # fmt: skip
    # Search results change with the data, so only search-free compilations are reused.
    if key is not None and not xc.searched:
        _CACHE[key] = replace(compiled, warnings=[dict(w) for w in warnings])
        if len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    return compiled


_CACHE: OrderedDict[tuple[Any, ...], Compiled] = OrderedDict()
_CACHE_SIZE = 512


def _parse_cached(text: str) -> ast.Query:
    hit = _PARSED.get(text)
    if hit is None:
        hit = parse(text)
        _PARSED[text] = hit
        if len(_PARSED) > _CACHE_SIZE:
            _PARSED.popitem(last=False)
    return hit


_PARSED: OrderedDict[str, ast.Query] = OrderedDict()
