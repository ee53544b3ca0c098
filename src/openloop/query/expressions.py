"""Expression parser (Pratt style) shared by the BTQL and SQL front-ends.

Binding powers, loosest first: ``? :`` < OR < AND < NOT < comparisons (``= != <> < > <= >=
<=> <!=>``, IS, IN, LIKE, ILIKE, MATCH, INCLUDES, CONTAINS, BETWEEN) < ``||`` (SQL syntax:
concat) < ``+ -`` < ``* / %`` < unary minus < postfix (``.key``, ``[i]``).
"""

from __future__ import annotations

from openloop.errors import QueryError

from . import ast
from .tokens import Token, error_at

__all__ = ["RESERVED", "ExprParser"]

#: Words that end an expression and cannot start a bare name (quote them to use as fields).
RESERVED = frozenset(
    [
        "and",
        "or",
        "not",
        "is",
        "in",
        "like",
        "ilike",
        "match",
        "includes",
        "contains",
        "between",
        "as",
        "from",
        "where",
        "group",
        "by",
        "having",
        "order",
        "limit",
        "offset",
        "asc",
        "desc",
        "select",
        "with",
        "unpivot",
        "pivot",
        "for",
        "tablesample",
        "settings",
        "join",
        "union",
        "nulls",
        "on",
        "using",
        "intersect",
        "except",
    ]
)

_COMPARE = {"=": "eq", "==": "eq", "!=": "ne", "<>": "ne", "<": "lt", "<=": "le", ">": "gt",
            ">=": "ge", "<=>": "nseq", "<!=>": "nsne"}  # fmt: skip
_ARITH = {"+": ("add", 6), "-": ("sub", 6), "*": ("mul", 7), "/": ("div", 7), "%": ("mod", 7)}
_WORD_OPS = {"like": "like", "ilike": "ilike", "match": "match", "includes": "includes",
             "contains": "includes"}  # fmt: skip
#: Words that continue an expression as a comparison (after ``NOT``: the negatable ones).
_NOT_COMPARE_WORDS = frozenset(("in", "between", *_WORD_OPS))
_COMPARE_WORDS = _NOT_COMPARE_WORDS | {"is"}
_UNITS = ("second", "minute", "hour", "day", "week", "month", "year")
_CAST_TYPES = {"varchar": "string", "string": "string", "text": "string", "char": "string",
               "double": "number", "float": "number", "real": "number", "number": "number",
               "decimal": "number", "numeric": "number", "int": "integer", "integer": "integer",
               "bigint": "integer", "boolean": "boolean", "bool": "boolean",
               "timestamp": "datetime", "datetime": "datetime", "timestamptz": "datetime",
               "date": "date"}  # fmt: skip
_MAX_DEPTH = 64
_INT64_MAX = 2**63 - 1


class ExprParser:
    """Cursor over the token list plus the expression grammar; front-ends subclass it."""

    syntax = "sql"

    def __init__(self, text: str, tokens: list[Token]) -> None:
        self.text = text
        self.tokens = tokens
        self.i = 0
        self.depth = 0

    # -- cursor ------------------------------------------------------------------------------
    def peek(self, k: int = 0) -> Token:
        try:
            return self.tokens[self.i + k]
        except IndexError:  # past the end: the eof token
            return self.tokens[-1]

    def advance(self) -> Token:
        tok = self.tokens[self.i]
        if tok.kind != "eof":
            self.i += 1
        return tok

    # The token list always ends with the eof token and ``advance`` never moves past it, so
    # ``self.tokens[self.i]`` is always valid (what ``peek()`` returns).
    def at_op(self, *ops: str) -> bool:
        tok = self.tokens[self.i]
        return tok.kind == "op" and tok.value in ops

    def at_word(self, *words: str) -> bool:
        tok = self.tokens[self.i]
        return tok.kind == "ident" and tok.value.lower() in words

    def expect_op(self, op: str, what: str = "") -> Token:
        if not self.at_op(op):
            raise self.error(f"expected '{op}'{what}")
        return self.advance()

    def expect_word(self, word: str) -> Token:
        if not self.at_word(word):
            raise self.error(f"expected {word.upper()}")
        return self.advance()

    def error(self, message: str, tok: Token | None = None, **details: object) -> QueryError:
        tok = tok or self.peek()
        found = "end of query" if tok.kind == "eof" else repr(self.text[tok.pos : tok.end])
        if "found" not in message:
            message = f"{message}, found {found}"
        return error_at(self.text, tok.pos, message, **details)

    def last_end(self) -> int:
        return self.tokens[self.i - 1].end if self.i else 0

    # -- expressions -------------------------------------------------------------------------
    def expr(self) -> ast.Expr:
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise self.error(f"expression nested more than {_MAX_DEPTH} levels deep")
        try:
            start = self.tokens[self.i].pos
            cond = self.binary(0)
            tok = self.tokens[self.i]
            if tok.kind == "op" and tok.value == "?":
                self.advance()
                then = self.expr()
                self.expect_op(":", " in 'condition ? then : else'")
                otherwise = self.expr()
                return ast.Ternary(cond, then, otherwise, pos=start)
            return cond
        finally:
            self.depth -= 1

    def binary(self, min_bp: float) -> ast.Expr:
        left = self.prefix()
        tokens = self.tokens
        while True:
            tok = tokens[self.i]
            kind = tok.kind
            if kind == "op":
                arith = _ARITH.get(tok.value)
                if arith is not None:
                    name, bp = arith
                    if bp <= min_bp:
                        return left
                    self.advance()
                    left = ast.Binary(name, left, self.binary(bp), pos=tok.pos)
                elif min_bp < 5 and tok.value in _COMPARE:
                    left = self._comparison(left)
                elif tok.value == ":" and self.syntax == "sql" and self._at_pair(":"):
                    self.i += 2  # x::type, binding tighter than anything but . and []
                    left = ast.Cast(left, self._cast_type(), pos=tok.pos)
                elif tok.value == "|" and self.syntax == "sql" and self._at_pair("|"):
                    # SQL's a || b: looser than + and -, tighter than comparisons
                    if min_bp >= 5.5:
                        return left
                    self.i += 2
                    right = self.binary(5.5)
                    left = ast.Func("concat", (left, right), pos=tok.pos)
                else:
                    return left
            elif kind == "ident":
                word = tok.value.lower()
                if word == "or" or word == "and":
                    bp = 2 if word == "or" else 3
                    if bp <= min_bp:
                        return left
                    self.advance()
                    left = ast.Binary(word, left, self.binary(bp), pos=tok.pos)
                elif min_bp < 5 and (
                    word in _COMPARE_WORDS or (word == "not" and self._not_compare())
                ):
                    left = self._comparison(left)
                else:
                    return left
            else:
                return left

    def _at_pair(self, op: str) -> bool:
        """Two ``op`` with nothing between them: ``||`` or ``::``."""
        here, nxt = self.tokens[self.i], self.peek(1)
        return nxt.kind == "op" and nxt.value == op and nxt.pos == here.end

    def _not_compare(self) -> bool:
        nxt = self.peek(1)
        return nxt.kind == "ident" and nxt.value.lower() in _NOT_COMPARE_WORDS

    def _comparison(self, left: ast.Expr) -> ast.Expr:
        tok = self.advance()
        pos = tok.pos
        if tok.kind == "op":
            return ast.Binary(_COMPARE[tok.value], left, self.binary(5), pos=pos)
        word = tok.value.lower()
        if word == "is":
            negated = bool(self.at_word("not") and self.advance())
            if self.at_word("null"):
                self.advance()
                return ast.IsNull(left, negated, pos=pos)
            if self.at_word("distinct") and self.peek(1).kind == "ident" and \
                    self.peek(1).value.lower() == "from":  # fmt: skip
                self.i += 2  # IS [NOT] DISTINCT FROM: the NULL-safe <!=> / <=>
                right = self.binary(5)
                return ast.Binary("nseq" if negated else "nsne", left, right, pos=pos)
            right = self.binary(5)
            return ast.Binary("nsne" if negated else "nseq", left, right, pos=pos)
        negated = word == "not"
        if negated:
            word = self.advance().value.lower()
        if word == "in":
            node: ast.Expr = ast.InList(left, self._in_list(), negated, pos=pos)
            return node
        if word == "between":
            low = self.binary(5)
            self.expect_word("and")
            high = self.binary(5)
            node = ast.Binary("and", ast.Binary("ge", left, low, pos=pos),
                              ast.Binary("le", left, high, pos=pos), pos=pos)  # fmt: skip
        else:
            op = _WORD_OPS[word]
            if op == "includes" and self.syntax == "sql":
                raise error_at(self.text, tok.pos, f"{word.upper()} is only available in BTQL; "
                               "in SQL write `'value' IN tags` or use MATCH")  # fmt: skip
            node = ast.Binary(op, left, self.binary(5), pos=pos)
        return ast.Unary("not", node, pos=pos) if negated else node

    def _in_list(self) -> tuple[ast.Expr, ...]:
        if self.at_op("["):
            close = "]"
        elif self.at_op("("):
            close = ")"
        else:
            # `'x' IN tags`: membership in an array field
            return (self.binary(5),)
        self.advance()
        items: list[ast.Expr] = []
        while not self.at_op(close):
            items.append(self.expr())
            if not self.at_op(","):
                break
            self.advance()
        self.expect_op(close, " to close the IN list")
        if not items:
            raise self.error("IN needs at least one value")
        return tuple(items)

    def prefix(self) -> ast.Expr:
        tok = self.tokens[self.i]
        kind = tok.kind
        if kind == "ident":
            word = tok.value.lower()
            if word == "not":
                self.i += 1
                return ast.Unary("not", self.binary(4), pos=tok.pos)
            return self._word(tok, word)
        if kind == "op" and (tok.value == "-" or tok.value == "+"):
            self.advance()
            operand = self.binary(7)
            if tok.value == "+":
                return operand
            if (
                isinstance(operand, ast.Literal)
                and isinstance(operand.value, int | float)
                and not isinstance(operand.value, bool)
            ):
                return ast.Literal(-operand.value, pos=tok.pos)
            return ast.Unary("neg", operand, pos=tok.pos)
        return self.primary()

    def primary(self) -> ast.Expr:
        tok = self.tokens[self.i]
        kind = tok.kind
        if kind == "ident":
            return self._word(tok, tok.value.lower())
        if kind == "number":
            self.i += 1
            return ast.Literal(self._number(tok), pos=tok.pos)
        if kind == "string":
            self.i += 1
            return ast.Literal(tok.value, pos=tok.pos)
        if kind == "op" and tok.value == "(":
            self.i += 1
            inner = self.expr()
            self.expect_op(")", " to close '('")
            return inner
        if kind == "op" and tok.value == "*":
            self.i += 1
            return ast.Star(pos=tok.pos)
        if kind == "qident":
            self.i += 1
            return self._path(tok.value, tok, bare_ok=True)
        raise self.error("expected a value, field or function")

    def _word(self, tok: Token, word: str) -> ast.Expr:
        """A primary expression starting with the name ``tok`` (``word`` lower-cased): a call,
        a constant, INTERVAL, a keyword function or a field path."""
        nxt = self.tokens[self.i + 1]  # ``tok`` is not the eof token, which comes later
        if nxt.kind == "op" and nxt.value == "(" and word != "interval":
            return self._call(tok)
        if word in ("true", "false"):
            self.i += 1
            return ast.Literal(word == "true", pos=tok.pos)
        if word == "null":
            self.i += 1
            return ast.Literal(None, pos=tok.pos)
        if word == "interval":
            return self._interval()
        if word == "case" and (
            (nxt.kind == "ident" and nxt.value.lower() == "when")
            or (self.syntax == "sql" and nxt.kind in ("ident", "qident", "string", "number")
                and nxt.value.lower() not in RESERVED)
        ):  # fmt: skip
            return self._case(tok)
        if word in ("date", "timestamp", "timestamptz") and nxt.kind == "string":
            self.i += 2  # DATE '2024-01-31': the ISO text, read as a time where one is compared
            return ast.Literal(nxt.value, pos=nxt.pos)
        if word in ("current_timestamp", "current_date"):
            self.i += 1
            return ast.Func(word, (), pos=tok.pos)
        if word in RESERVED:
            raise self.error(f"unexpected keyword {tok.value.upper()}; quote it with double "
                             "quotes to use it as a field name")  # fmt: skip
        self.i += 1
        return self._path(tok.value, tok)

    def _number(self, tok: Token) -> int | float:
        text = tok.value
        if "." in text or "e" in text or "E" in text:
            value = float(text)
            if value in (float("inf"), float("-inf")):
                raise self.error("number is too large", tok)
            return value
        if len(text) > 19 or int(text) > _INT64_MAX:
            raise self.error("integer is too large (the limit is 2^63-1)", tok)
        return int(text)

    def _path(self, head: str, tok: Token, bare_ok: bool = False) -> ast.Expr:
        nxt = self.tokens[self.i]
        if nxt.kind != "op" or (nxt.value != "." and nxt.value != "["):  # a lone name
            return ast.Field((head,), pos=tok.pos, bare_quoted=bare_ok)
        parts: list[str | int] = [head]
        while True:
            nxt = self.tokens[self.i]
            if nxt.kind != "op":
                break
            if nxt.value == ".":
                self.advance()
                key = self.advance()
                if key.kind not in ("ident", "qident", "number") or (key.kind == "number" and \
                        not key.value.isdigit()):  # fmt: skip
                    raise self.error("expected a field name after '.'", key)
                parts.append(key.value)
            elif nxt.value == "[":
                self.advance()
                parts.append(self._index())
                self.expect_op("]", " to close '['")
            else:
                break
        bare = bare_ok and len(parts) == 1
        return ast.Field(tuple(parts), pos=tok.pos, bare_quoted=bare)

    def _index(self) -> str | int:
        tok = self.advance()
        if tok.kind == "string":
            return tok.value
        sign = 1
        if tok.kind == "op" and tok.value == "-":
            sign, tok = -1, self.advance()
        if tok.kind == "number" and tok.value.isdigit() and len(tok.value) < 10:
            return sign * int(tok.value)
        raise self.error("expected an integer index or a quoted key inside [ ]", tok)

    def _interval(self) -> ast.Expr:
        start = self.advance()
        tok = self.advance()
        if tok.kind == "string":
            pieces = tok.value.split()
            if len(pieces) == 1 and self.peek().kind == "ident":
                pieces.append(self.advance().value)
            if len(pieces) != 2 or not pieces[0].isdigit():
                raise self.error("expected an interval like '7 days'", tok)
            amount, unit = pieces
        elif tok.kind == "number" and tok.value.isdigit():
            amount = tok.value
            unit_tok = self.advance()
            if unit_tok.kind != "ident":
                raise self.error("expected an interval unit (second, minute, hour, day, week, "
                                 "month, year)", unit_tok)  # fmt: skip
            unit = unit_tok.value
        else:
            raise self.error("expected a number after INTERVAL", tok)
        unit = unit.lower().removesuffix("s")
        if unit not in _UNITS or len(amount) > 9:
            raise self.error("expected an interval unit (second, minute, hour, day, week, month, "
                             "year)", self.tokens[self.i - 1])  # fmt: skip
        return ast.Interval(int(amount), unit, pos=start.pos)

    def _cast_type(self) -> str:
        """The type after ``CAST(x AS`` or ``x::``, as a cast kind (``VARCHAR(255)`` allowed)."""
        type_tok = self.advance()
        type_name = _CAST_TYPES.get(type_tok.value.lower()) if type_tok.kind == "ident" else None
        if type_name is None:
            raise self.error("unknown CAST type; use VARCHAR, DOUBLE, BIGINT, BOOLEAN, "
                             "TIMESTAMP or DATE", type_tok)  # fmt: skip
        if self.at_op("("):  # VARCHAR(255)
            while not self.at_op(")") and self.peek().kind != "eof":
                self.advance()
            self.expect_op(")")
        return type_name

    def _case(self, tok: Token) -> ast.Expr:
        """``CASE [x] WHEN a THEN b … [ELSE c] END`` as nested ``?:``."""
        self.i += 1
        subject = None if self.at_word("when") else self.expr()
        arms: list[tuple[ast.Expr, ast.Expr]] = []
        while self.at_word("when"):
            when = self.advance()
            cond = self.expr()
            if subject is not None:
                cond = ast.Binary("eq", subject, cond, pos=when.pos)
            self.expect_word("then")
            arms.append((cond, self.expr()))
        if not arms:
            raise self.error("expected WHEN after CASE")
        otherwise: ast.Expr = ast.Literal(None, pos=tok.pos)
        if self.at_word("else"):
            self.advance()
            otherwise = self.expr()
        self.expect_word("end")
        for cond, then in reversed(arms):
            otherwise = ast.Ternary(cond, then, otherwise, pos=tok.pos)
        return otherwise

    def _call(self, name_tok: Token) -> ast.Expr:
        name = name_tok.value.lower()
        self.i += 2  # the name and "("
        pos = name_tok.pos
        if name == "cast":
            operand = self.expr()
            self.expect_word("as")
            type_name = self._cast_type()
            self.expect_op(")", " to close CAST(")
            return ast.Cast(operand, type_name, pos=pos)
        args: list[ast.Expr] = []
        star = False
        if name == "count" and self.at_word("distinct"):
            self.advance()
            name = "count_distinct"
        tokens = self.tokens
        if self.at_op("*") and self.peek(1).kind == "op" and self.peek(1).value == ")":
            self.advance()
            star = True
        while not ((tok := tokens[self.i]).kind == "op" and tok.value == ")"):
            self.depth += 1
            try:
                args.append(self.expr())
            finally:
                self.depth -= 1
            tok = tokens[self.i]
            if not (tok.kind == "op" and tok.value == ","):
                break
            self.i += 1
        if not self.at_op(")"):
            raise self.error(f"expected ')' to close {name}(")
        self.i += 1
        if name in ("any_span", "filter_spans"):
            if len(args) != 1:
                raise self.error(f"{name.upper()} takes exactly one condition", name_tok)
            node = ast.AnySpan if name == "any_span" else ast.FilterSpans
            return node(args[0], pos=pos)
        return ast.Func(name, tuple(args), star=star, pos=pos)
