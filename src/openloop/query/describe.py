"""One English sentence that says what a query does (shown next to saved queries and in Loop)."""

from __future__ import annotations

from . import ast
from .parser import parse

__all__ = ["describe", "to_text"]

_OPS = {"eq": "=", "ne": "!=", "lt": "<", "le": "<=", "gt": ">", "ge": ">=", "nseq": "<=>",
        "nsne": "<!=>", "add": "+", "sub": "-", "mul": "*", "div": "/", "mod": "%",
        "like": "LIKE", "ilike": "ILIKE", "match": "MATCH", "includes": "INCLUDES",
        "and": "AND", "or": "OR"}  # fmt: skip
_SOURCES = {"project_logs": "project logs", "experiment": "experiment", "dataset": "dataset",
            "project_prompts": "prompts", "project_functions": "functions", "prompt": "prompt",
            "function": "function", "org_prompts": "organization prompts",
            "org_functions": "organization functions"}  # fmt: skip
_ROWS = {"spans": "spans", "traces": "traces (all their spans)", "summary": "trace summaries"}


def _quote(value: object) -> str:
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value)


def _path(parts: tuple[str | int, ...]) -> str:
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += f"[{p}]"
        else:
            name = p if p.isidentifier() else '"' + p.replace('"', '""') + '"'
            out += ("." if out else "") + name
    return out


def to_text(e: ast.Expr) -> str:
    """Render an expression back as query text (canonical spacing and quoting)."""
    if isinstance(e, ast.Literal):
        return _quote(e.value)
    if isinstance(e, ast.Field):
        return _quote(e.path[0]) if e.bare_quoted else _path(e.path)
    if isinstance(e, ast.Star):
        return "*"
    if isinstance(e, ast.Binary):
        return f"{to_text(e.left)} {_OPS[e.op]} {to_text(e.right)}"
    if isinstance(e, ast.Unary):
        inner = to_text(e.operand)
        return f"NOT ({inner})" if e.op == "not" else f"-({inner})"
    if isinstance(e, ast.InList):
        items = ", ".join(to_text(i) for i in e.items)
        return f"{to_text(e.operand)} {'NOT IN' if e.negated else 'IN'} ({items})"
    if isinstance(e, ast.IsNull):
        return f"{to_text(e.operand)} IS {'NOT ' if e.negated else ''}NULL"
    if isinstance(e, ast.Ternary):
        return f"({to_text(e.cond)} ? {to_text(e.then)} : {to_text(e.otherwise)})"
    if isinstance(e, ast.Func):
        args = "*" if e.star else ", ".join(to_text(a) for a in e.args)
        return f"{e.name}({args})"
    if isinstance(e, ast.Interval):
        return f"interval {e.amount} {e.unit}"
    if isinstance(e, ast.Cast):
        return f"to_{e.type_name}({to_text(e.operand)})"
    if isinstance(e, ast.AnySpan):
        return f"ANY_SPAN({to_text(e.cond)})"
    if isinstance(e, ast.FilterSpans):
        return f"FILTER_SPANS({to_text(e.cond)})"
    return type(e).__name__


def describe(query: str | ast.Query) -> str:
    """Describe a query in one sentence.

    >>> describe("select: * | from: project_logs('p') | filter: scores.Factuality < 0.5 | limit: 10")
    "Up to 10 spans from project logs 'p' where scores.Factuality < 0.5, newest first."
    """
    q = parse(query) if isinstance(query, str) else query
    src = q.source
    where = "an unspecified source"
    shape = "spans"
    if src is not None:
        shape = src.shape
        names = ", ".join(_quote(a) for a in src.args)
        where = f"{_SOURCES.get(src.kind, src.kind)} {names}".strip()
    grouped = q.group_by is not None or any(
        isinstance(i.expr, ast.Func) and i.expr.name in ("count", "count_distinct", "sum", "avg",
                                                           "min", "max", "percentile", "any_value")
        for i in q.select)  # fmt: skip
    columns = [i.alias or i.text for i in q.select if not isinstance(i.expr, ast.Star)]
    if grouped:
        dims = [to_text(g) if not isinstance(g, ast.Literal) else columns[g.value - 1]
                for g in q.group_by or ()
                if not isinstance(g, ast.Literal) or 0 < g.value <= len(columns)]  # fmt: skip
        head = f"{', '.join(columns)} over {_ROWS[shape]} of {where}"
        if dims:
            head += f", grouped by {', '.join(dims)}"
    else:
        what = _ROWS[shape] if not columns else f"{', '.join(columns)} of {_ROWS[shape]}"
        head = f"{what} from {where}"
    parts = [head]
    if q.filter is not None:
        parts.append(f" where {to_text(q.filter)}")
    if q.having is not None:
        parts.append(f", keeping groups where {to_text(q.having)}")
    if q.sort:
        keys = ", ".join(
            f"{to_text(s.expr)} {'descending' if s.descending else 'ascending'}" for s in q.sort
        )
        parts.append(f", sorted by {keys}")
    elif not grouped:
        parts.append(", newest first")
    sentence = "".join(parts)
    if q.limit is not None:
        sentence = (
            f"Up to {q.limit} {sentence}"
            if not grouped
            else f"{sentence[0].upper()}{sentence[1:]} (at most {q.limit} rows)"
        )
    else:
        sentence = sentence[0].upper() + sentence[1:]
    return sentence + "."
