"""Both front-ends: the pipe/clause BTQL form and the SQL form, auto-detected, producing one
:class:`~openloop.query.ast.Query`.

A query whose first word is ``SELECT`` (or ``WITH``) is SQL; anything else is BTQL, made of
``clause: …`` sections separated by ``|`` or new lines.
"""

from __future__ import annotations

import difflib
from typing import Any

from openloop.errors import QueryError

from . import ast
from .expressions import RESERVED, ExprParser
from .tokens import error_at, tokenize

__all__ = ["BTQL_CLAUSES", "SHAPES", "parse"]

SHAPES = ("spans", "traces", "summary")
BTQL_CLAUSES = ("select", "from", "filter", "dimensions", "measures", "sort", "limit", "cursor",
                "sample", "pivot", "unpivot", "preview_length", "final_filter")  # fmt: skip


def parse(text: str) -> ast.Query:
    """Parse a query in either syntax. Raises :class:`~openloop.errors.QueryError` only.

    >>> parse("select: id | from: project_logs('p') | limit: 5").limit
    5
    """
    if not isinstance(text, str):
        raise QueryError("a query must be a string")
    try:
        tokens = tokenize(text)
        first = tokens[0]
        if first.is_word("select", "with") and not (
            tokens[1].kind == "op" and tokens[1].value == ":"
        ):
            return _SqlParser(text, tokens).statement()
        return _BtqlParser(text, tokens).statement()
    except RecursionError:
        raise QueryError("query is nested too deeply") from None


class _Common(ExprParser):
    def select_list(self, *, allow_star: bool = True) -> list[ast.SelectItem]:
        items: list[ast.SelectItem] = []
        tokens = self.tokens
        while True:
            start = tokens[self.i]
            if start.kind == "op" and start.value == "*" and allow_star:
                self.i += 1
                items.append(ast.SelectItem(ast.Star(pos=start.pos), None, "*"))
            else:
                expr = self.expr()
                text = self.text[start.pos : self.last_end()].strip()
                items.append(ast.SelectItem(expr, self.alias(), text))
            tok = tokens[self.i]
            if not (tok.kind == "op" and tok.value == ","):
                return items
            self.i += 1

    def alias(self) -> str | None:
        tok = self.tokens[self.i]
        if tok.kind == "ident" and tok.value.lower() == "as":
            self.i += 1
            tok = self.advance()
            if tok.kind in ("ident", "qident", "string"):
                return tok.value
            raise self.error("expected a name after AS", tok)
        if self.syntax == "sql" and (
            tok.kind == "qident" or (tok.kind == "ident" and tok.value.lower() not in RESERVED)
        ):
            self.advance()
            return tok.value
        return None

    def source(self) -> ast.Source:
        tok = self.advance()
        if tok.kind != "ident":
            raise self.error("expected a data source such as project_logs('my-project')", tok)
        args: list[str] = []
        shape = "spans"
        if self.at_op("("):
            self.advance()
            while not self.at_op(")"):
                arg = self.advance()
                if arg.is_word("shape") and self.at_op("=>"):
                    self.advance()
                    shape = self.shape_name(self.advance())
                elif arg.kind == "string":
                    args.append(arg.value)
                else:
                    raise self.error("source arguments are quoted ids or names, or "
                                     "shape => 'spans' | 'traces' | 'summary'", arg)  # fmt: skip
                if not self.at_op(","):
                    break
                self.advance()
            self.expect_op(")", " to close the source")
        return ast.Source(tok.value.lower(), tuple(args), shape, pos=tok.pos)

    def shape_name(self, tok: Any) -> str:
        value = tok.value.lower()
        if tok.kind not in ("string", "ident") or value not in SHAPES:
            raise self.error("shape must be one of spans, traces, summary", tok)
        return value

    def sort_list(self) -> list[ast.SortItem]:
        items: list[ast.SortItem] = []
        while True:
            expr = self.expr()
            desc = False
            if self.at_word("asc", "desc"):
                desc = self.advance().value.lower() == "desc"
            if self.at_word("nulls"):
                self.advance()
                self.advance()
            items.append(ast.SortItem(expr, desc))
            if not self.at_op(","):
                return items
            self.advance()

    def integer(self, what: str, *, signed: bool = False) -> int:
        neg = signed and self.at_op("-") and bool(self.advance())
        tok = self.advance()
        if tok.kind != "number" or not tok.value.isdigit() or len(tok.value) > 12:
            raise self.error(f"{what} must be a whole number", tok)
        return -int(tok.value) if neg else int(tok.value)

    def sample(self) -> ast.Sample:
        tok = self.advance()
        if tok.kind != "number":
            raise self.error("sample is a percentage (25%) or a row count (100)", tok)
        value = float(tok.value)
        if self.at_op("%") or self.at_word("percent"):
            self.advance()
            if not 0 <= value <= 100:
                raise self.error("sample percentage must be between 0 and 100", tok)
            return ast.Sample(percent=value)
        if self.at_word("rows"):
            self.advance()
        if not tok.value.isdigit() or len(tok.value) > 9:
            raise self.error("sample count must be a whole number", tok)
        return ast.Sample(count=int(tok.value))

    def unpivot_target(self) -> tuple[str, str | None]:
        """``(value)`` or ``(key, value)`` as written in BTQL."""
        self.expect_op("(", " (unpivot: tags as (tag), or scores as (score, value))")
        names = [self.name()]
        if self.at_op(","):
            self.advance()
            names.append(self.name())
        self.expect_op(")")
        return (names[0], None) if len(names) == 1 else (names[1], names[0])

    def name(self) -> str:
        tok = self.advance()
        if tok.kind not in ("ident", "qident"):
            raise self.error("expected a name", tok)
        return tok.value

    def once(self, seen: set[str], clause: str, tok: Any) -> None:
        if clause in seen:
            raise self.error(f"{clause.upper()} appears twice", tok)
        seen.add(clause)


class _SqlParser(_Common):
    syntax = "sql"

    def statement(self) -> ast.Query:
        if self.at_word("with"):
            raise self.error("WITH (common table expressions) is not supported")
        self.expect_word("select")
        if self.at_word("distinct"):
            raise self.error("SELECT DISTINCT is not supported; use GROUP BY")
        q: dict[str, Any] = {"select": tuple(self.select_list())}
        if not self.at_word("from"):
            raise self.error("expected FROM and a data source such as project_logs('my-project')")
        self.advance()
        q["source"] = self.source()
        if self.at_word("as") or (
            self.peek().kind == "ident" and self.peek().value.lower() not in RESERVED
        ):
            raise self.error("table aliases are not supported")
        unpivots: list[ast.Unpivot] = []
        seen: set[str] = set()
        while True:
            tok = self.peek()
            word = tok.value.lower() if tok.kind == "ident" else ""
            if word == "unpivot":
                self.advance()
                unpivots.append(self._unpivot())
            elif word == "pivot":
                self.once(seen, "pivot", self.advance())
                q["pivot"] = self._pivot(tok.pos)
            elif word == "tablesample":
                self.once(seen, "tablesample", self.advance())
                paren = self.at_op("(") and bool(self.advance())
                q["sample"] = self.sample()
                if paren:
                    self.expect_op(")")
            elif word == "where":
                self.once(seen, "where", self.advance())
                q["filter"] = self.expr()
            elif word == "group":
                self.once(seen, "group by", self.advance())
                self.expect_word("by")
                q["group_by"] = tuple(self._group_list())
            elif word == "having":
                self.once(seen, "having", self.advance())
                q["having"] = self.expr()
            elif word == "order":
                self.once(seen, "order by", self.advance())
                self.expect_word("by")
                q["sort"] = tuple(self.sort_list())
            elif word == "limit":
                self.once(seen, "limit", self.advance())
                q["limit"] = self.integer("LIMIT")
            elif word == "offset":
                self.once(seen, "offset", self.advance())
                cur = self.advance()
                if cur.kind != "string":
                    raise self.error("numeric OFFSET is not supported; pass the cursor string "
                                     "from the previous page: OFFSET '<cursor>'", cur)  # fmt: skip
                q["cursor"] = cur.value
            elif word in ("join", "union", "intersect", "except", "inner", "left", "right",
                          "cross", "full"):  # fmt: skip
                raise self.error(f"{tok.value.upper()} is not supported: a query reads one source")
            elif word == "settings":
                raise self.error("SETTINGS is not supported")
            else:
                break
        if self.at_op(";"):
            self.advance()
            if self.peek().kind != "eof":
                raise self.error("only one statement is allowed")
        if self.peek().kind != "eof":
            raise self.error("unexpected text after the query")
        q["unpivot"] = tuple(unpivots)
        return ast.Query(syntax="sql", text=self.text, **q)

    def _group_list(self) -> list[ast.Expr]:
        items = [self.expr()]
        while self.at_op(","):
            self.advance()
            items.append(self.expr())
        return items

    def _unpivot(self) -> ast.Unpivot:
        start = self.expect_op("(")
        value = self.name()
        self.expect_word("for")
        key = self.name()
        self.expect_word("in")
        self.expect_op("(")
        expr = self.expr()
        self.expect_op(")")
        self.expect_op(")")
        return ast.Unpivot(expr, value, None if key == "_" else key, pos=start.pos)

    def _pivot(self, pos: int) -> ast.Pivot:
        self.expect_op("(")
        measures = self.select_list(allow_star=False)
        self.expect_word("for")
        key = self.binary(5)  # stop before IN
        self.expect_word("in")
        self.expect_op("(")
        if not self.at_word("any"):
            raise self.error("PIVOT supports only IN (ANY)")
        self.advance()
        self.expect_op(")")
        self.expect_op(")")
        return ast.Pivot(tuple(m.alias or m.text for m in measures), _pivot_key_text(key), pos=pos)


def _pivot_key_text(expr: ast.Expr) -> str:
    if isinstance(expr, ast.Field):
        return ".".join(str(p) for p in expr.path)
    return ""


class _BtqlParser(_Common):
    syntax = "btql"

    def statement(self) -> ast.Query:
        clauses: dict[str, Any] = {}
        seen: set[str] = set()
        while self.peek().kind != "eof":
            tok = self.advance()
            if tok.kind != "ident" or not self.at_op(":"):
                if tok.kind == "op" and tok.value == "|" and self.i >= 2:
                    before = self.tokens[self.i - 2]
                    if before.kind == "op" and before.value == "|" and before.end == tok.pos:
                        raise self.error("expected a clause such as `select:` or `filter:` "
                                         "(to join text in BTQL write concat(a, b); `||` is "
                                         "SQL syntax)", tok)  # fmt: skip
                raise self.error("expected a clause such as `select:` or `filter:`", tok)
            name = tok.value.lower()
            if name not in BTQL_CLAUSES:
                close = difflib.get_close_matches(name, BTQL_CLAUSES, n=3)
                hint = f"; did you mean {close[0]}?" if close else ""
                raise error_at(self.text, tok.pos, f"unknown clause {tok.value!r}{hint}",
                               suggestions=close)  # fmt: skip
            self.once(seen, name, tok)
            self.advance()
            clauses[name] = self._clause(name)
            if self.at_op("|"):
                self.advance()
            elif self.peek().kind != "eof" and not (self.peek().kind == "ident" and
                                                    self.peek(1).kind == "op" and
                                                    self.peek(1).value == ":"):  # fmt: skip
                raise self.error("expected '|' or a new clause")
        if not clauses:
            raise error_at(self.text, 0, "empty query: write `select: * | from: project_logs('p')`")
        return self._assemble(clauses)

    def _clause(self, name: str) -> Any:
        if name in ("select", "dimensions", "measures"):
            return self.select_list(allow_star=name == "select")
        if name == "from":
            src = self.source()
            if self.peek().kind == "ident" and self.peek().value.lower() in SHAPES:
                src = ast.Source(src.kind, src.args, self.advance().value.lower(), pos=src.pos)
            return src
        if name in ("filter", "final_filter"):
            return self.expr()
        if name == "sort":
            return tuple(self.sort_list())
        if name == "limit":
            return self.integer("limit")
        if name == "preview_length":
            return self.integer("preview_length", signed=True)
        if name == "cursor":
            tok = self.advance()
            if tok.kind != "string":
                raise self.error("cursor must be a quoted string", tok)
            return tok.value
        if name == "sample":
            return self.sample()
        if name == "pivot":
            start = self.peek().pos
            names = [self.name()]
            while self.at_op(","):
                self.advance()
                names.append(self.name())
            return ast.Pivot(tuple(names), None, pos=start)
        # unpivot
        items: list[ast.Unpivot] = []
        while True:
            start = self.peek().pos
            expr = self.expr()
            self.expect_word("as")
            value, key = self.unpivot_target()
            items.append(ast.Unpivot(expr, value, key, pos=start))
            if not self.at_op(","):
                return tuple(items)
            self.advance()

    def _assemble(self, c: dict[str, Any]) -> ast.Query:
        select = list(c.get("select", ()))
        dims, measures = c.get("dimensions"), c.get("measures")
        group_by: tuple[ast.Expr, ...] | None = None
        if dims is not None or measures is not None:
            if select and measures:
                raise error_at(self.text, 0, "use either select: or measures:, not both")
            if select:
                group_by = tuple(d.expr for d in dims or ())
            else:
                select = list(dims or ()) + list(measures or ())
                group_by = tuple(ast.Literal(i + 1) for i in range(len(dims or ())))
        return ast.Query(
            select=tuple(select), source=c.get("from"), filter=c.get("filter"),
            group_by=group_by, having=c.get("final_filter"), sort=c.get("sort", ()),
            limit=c.get("limit"), cursor=c.get("cursor"), sample=c.get("sample"),
            unpivot=c.get("unpivot", ()), pivot=c.get("pivot"),
            preview_length=c.get("preview_length"), syntax="btql", text=self.text,
        )  # fmt: skip
