"""Deterministic repairs for the query errors people make most ("Fix with Loop" without a model).

Each round compiles the query; on a :class:`~openloop.errors.QueryError` the first repair that
recognises the error rewrites the text at the error's position, and the loop tries again:

* an unknown field with a "did you mean" suggestion → the suggested field;
* ``INCLUDES``/``CONTAINS`` in SQL mode → ``'v' IN tags`` for arrays, ``field MATCH 'v'`` for text;
* a bare word where a value belongs (``model = gpt-4o``, ``user = John Smith``) → a quoted string;
* an unbalanced parenthesis → the missing ``)`` added, or the stray one removed;
* a misspelled BTQL clause → the suggested clause.

``==`` is rewritten to ``=`` first. Once the query compiles, a ``project_logs`` query without a
range filter gets ``created > now() - interval 7 day``. The result is verified by running it.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from openloop.errors import QueryError

from .querying import DEFAULT_DAYS, Scope, compile_text, literal, run, since

__all__ = ["QueryFix", "add_range", "fix_query", "offset_of"]

logger = logging.getLogger(__name__)

_MAX_ROUNDS = 8
_ARRAYS = ("tags", "span_parents")
_BOUNDARY = re.compile(r"(?i)\s+(?:AND|OR|ORDER|GROUP|LIMIT|HAVING|OFFSET|PIVOT)\b|\)|\||;|\n|$")
_COMPARE = re.compile(
    r"(?i)(?:<=>|<!=>|!=|<>|>=|<=|=|<|>|\bNOT\s+LIKE\b|\bNOT\s+ILIKE\b|\bLIKE\b|\bILIKE\b|\bMATCH\b)\s*"
)
_INCLUDES = re.compile(
    r"(?i)(?P<field>[A-Za-z_][\w.]*(?:\"[^\"]*\"|\[[^\]]*\])*)\s+(?P<neg>NOT\s+)?(?:INCLUDES|CONTAINS)\s+"
    r"(?P<val>'(?:[^']|'')*'|-?\d+(?:\.\d+)?)"
)
_SQL_CLAUSE_END = ("group", "having", "order", "limit", "offset", "pivot", "settings")


@dataclass
class QueryFix:
    original: str
    query: str
    changes: list[str] = field(default_factory=list)
    ok: bool = False
    error: str | None = None
    rows: int | None = None
    warnings: list[dict[str, Any]] = field(default_factory=list)


def offset_of(text: str, err: QueryError) -> int | None:
    """Character offset of a QueryError's line/column in ``text``."""
    if not err.line or not err.column:
        return None
    lines = text.split("\n")
    if err.line > len(lines):
        return len(text)
    return sum(len(x) + 1 for x in lines[: err.line - 1]) + err.column - 1


def _depth_tokens(text: str) -> list[tuple[Any, int]]:
    from openloop.query.tokens import tokenize

    out, depth = [], 0
    for tok in tokenize(text):
        if tok.kind == "op" and tok.value in "([":
            depth += 1
        elif tok.kind == "op" and tok.value in ")]":
            depth -= 1
        out.append((tok, depth))
    return out


def add_range(text: str, days: int = DEFAULT_DAYS) -> str:
    """Add ``created > now() - interval N day`` to the query's filter (AND-ed, parenthesised)."""
    cond = since(days)
    toks = _depth_tokens(text)
    end = len(text.rstrip().rstrip(";").rstrip())
    if toks[0][0].is_word("select") and not (toks[1][0].kind == "op" and toks[1][0].value == ":"):
        where = next((i for i, (t, d) in enumerate(toks) if d == 0 and t.is_word("where")), None)
        start_from = where if where is not None else next(
            (i for i, (t, d) in enumerate(toks) if d == 0 and t.is_word("from")), 0)  # fmt: skip
        stop = next((t.pos for t, d in toks[start_from + 1:] if d == 0 and (
            t.is_word(*_SQL_CLAUSE_END) or (t.kind == "op" and t.value == ";"))), end)  # fmt: skip
        if where is None:
            return f"{text[:stop].rstrip()} WHERE {cond} {text[stop:].lstrip()}".rstrip()
        body_start = toks[where][0].end
        body = text[body_start:stop].strip()
        return f"{text[:body_start]} ({body}) AND {cond} {text[stop:].lstrip()}".rstrip()
    for i, (t, d) in enumerate(toks[:-1]):
        nxt = toks[i + 1][0]
        if d == 0 and t.is_word("filter") and nxt.kind == "op" and nxt.value == ":":
            stop = next((u.pos for j, (u, e) in enumerate(toks[i + 2:], start=i + 2) if e == 0 and (
                (u.kind == "op" and u.value == "|") or u.kind == "eof" or (
                    u.kind == "ident" and toks[j + 1][0].kind == "op" and toks[j + 1][0].value == ":"
                    and u.line_start))), end)  # fmt: skip
            body = text[nxt.end : stop].strip()
            return f"{text[: nxt.end]} ({body}) AND {cond} {text[stop:].lstrip()}".rstrip()
    return f"{text[:end]} | filter: {cond}"


def _replace(text: str, start: int, end: int, new: str) -> str:
    return text[:start] + new + text[end:]


def _fix_suggestion(text: str, err: QueryError, pos: int | None) -> tuple[str, str] | None:
    m = re.search(r"unknown (field|clause) '([^']+)'", err.message)
    if not m or not err.suggestions or pos is None:
        return None
    bad, good = m.group(2), err.suggestions[0]
    if text[pos : pos + len(bad)].lower() != bad.lower():
        return None
    return _replace(text, pos, pos + len(bad), good), f"unknown {m.group(1)} `{bad}` → `{good}`"


def _fix_includes(text: str, err: QueryError, pos: int | None) -> tuple[str, str] | None:
    if "INCLUDES is only available in BTQL" not in err.message:
        return None
    m = _INCLUDES.search(text, max(0, (pos or 0) - 200))
    if not m:
        return None
    fld, val, neg = m.group("field"), m.group("val"), bool(m.group("neg"))
    if fld.split(".")[0].split("[")[0] in _ARRAYS:
        new = f"{val} {'NOT IN' if neg else 'IN'} {fld}"
    else:
        new = f"{'NOT ' if neg else ''}{fld} MATCH {val}"
    return _replace(
        text, m.start(), m.end(), new
    ), f"`{m.group(0)}` → `{new}` (INCLUDES is BTQL-only)"


def _fix_quotes(text: str, err: QueryError, pos: int | None) -> tuple[str, str] | None:
    msg = err.message
    if pos is None or not ((msg.startswith("unknown field") and not err.suggestions)
                           or "unexpected text after" in msg or "cannot start with a digit" in msg):  # fmt: skip
        return None
    ops = [m for m in _COMPARE.finditer(text, 0, pos + 1) if m.end() <= pos + 1]
    if not ops:
        return None
    start = ops[-1].end()
    if start < len(text) and text[start] in "'\"(":
        return None
    stop = _BOUNDARY.search(text, max(pos, start) + 1)
    end = stop.start() if stop else len(text)
    value = text[start:end].strip()
    if not value or "'" in value or re.fullmatch(r"-?\d+(\.\d+)?", value):
        return None
    new = literal(value)
    return _replace(
        text, start, start + len(text[start:end].rstrip()), new
    ), f"quoted the value `{value}` → {new}"


def _fix_parens(text: str, err: QueryError, pos: int | None) -> tuple[str, str] | None:
    if pos is None:
        return None
    if "to close '('" in err.message:
        at = min(pos, len(text.rstrip().rstrip(";").rstrip()))
        rest = text[at:].lstrip()
        return text[:at].rstrip() + ")" + (" " + rest if rest else ""), "added a missing `)`"
    if err.message.endswith("found ')'") and text[pos : pos + 1] == ")":
        return _replace(text, pos, pos + 1, ""), "removed a stray `)`"
    return None


_REPAIRS: tuple[Callable[[str, QueryError, int | None], tuple[str, str] | None], ...] = (
    _fix_includes, _fix_parens, _fix_suggestion, _fix_quotes)  # fmt: skip


def _normalize_eq(text: str) -> tuple[str, bool]:
    from openloop.query.tokens import tokenize

    try:
        toks = [t for t in tokenize(text) if t.kind == "op" and t.value == "=="]
    except QueryError:
        return text, False
    for t in reversed(toks):
        text = _replace(text, t.pos, t.end, "=")
    return text, bool(toks)


def fix_query(
    scope: Scope, text: str, *, days: int = DEFAULT_DAYS, verify: bool = True
) -> QueryFix:
    """Repair ``text`` round by round; ``ok`` when the result compiles (and runs, if ``verify``)."""
    fix = QueryFix(original=text, query=text.strip())
    fixed, changed = _normalize_eq(fix.query)
    if changed:
        fix.query = fixed
        fix.changes.append("`==` → `=`")
    compiled = None
    for _ in range(_MAX_ROUNDS):
        try:
            compiled = compile_text(scope, fix.query)
        except QueryError as err:
            fix.error = str(err)
            pos = offset_of(fix.query, err)
            for repair in _REPAIRS:
                done = repair(fix.query, err, pos)
                if done is not None and done[0] != fix.query:
                    fix.query = done[0]
                    fix.changes.append(done[1])
                    break
            else:
                logger.info("loop.fix_query unrepaired error=%r", err.message)
                return fix
            continue
        if any(w.get("code") == "no_range_filter" for w in compiled.warnings):
            fix.query = add_range(fix.query, days)
            fix.changes.append(f"added a time range: `{since(days)}` (project_logs scans need one)")
            continue
        break
    else:
        return fix
    fix.error = None
    fix.warnings = list(compiled.warnings) if compiled is not None else []
    if verify:
        try:
            fix.rows = len(run(scope, fix.query)["data"])
        except QueryError as err:
            fix.error = str(err)
            return fix
    fix.ok = True
    logger.info("loop.fix_query changes=%d ok=%s", len(fix.changes), fix.ok)
    return fix
