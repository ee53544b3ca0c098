"""Tokenizer shared by both syntaxes, and the one place that turns an offset into a
:class:`~openloop.errors.QueryError` with line, column and a caret snippet."""

from __future__ import annotations

import re
from typing import NamedTuple

from openloop.errors import QueryError

__all__ = ["Token", "error_at", "tokenize"]

# Longest first: the scanner takes the first operator that matches.
_OPERATORS = (
    "<!=>", "<=>", "!=", "<>", ">=", "<=", "==", "=>", "=", "<", ">",
    "+", "-", "*", "/", "%", "(", ")", "[", "]", ",", ".", ":", "?", "|", ";",
)  # fmt: skip
_OPS_BY_CHAR: dict[str, tuple[str, ...]] = {}
for _op in _OPERATORS:
    _OPS_BY_CHAR.setdefault(_op[0], ())
    _OPS_BY_CHAR[_op[0]] += (_op,)
_MAX_QUERY_CHARS = 100_000
_IDENT_REST = re.compile(r"[\w$]*")  # \w is exactly str.isalnum() plus "_"
_STRING_RUN = re.compile(r"[^'\\]+")
# One step of the scanner for the frequent cases: blanks, then a newline (group 1), an ASCII-led
# name (2), an operator that cannot start a comment or a number (3), a single-quoted string
# without escapes (4, its text 5), a double-quoted name without escapes (6, its text 7), an
# ASCII number without exponent that no name character, digit or dot follows (8; so backtracking
# cannot shorten it) or a ``--`` comment (9).
# Anything else (the empty alternative) takes the slow path below.
_FAST = re.compile(
    r"[ \t\r]*(?:(\n)|([A-Za-z_][\w$]*)"
    r"|(<!=>|<=>|!=|<>|>=|<=|==|=>|[=<>+*%()\[\],:?|;]|-(?!-)|/(?!\*)|\.(?=[\x00-/:-\x7f]|\Z))"
    r"|('([^'\\]*)')(?!')|(\"([^\"]*)\")(?!\")"
    r"|([0-9]+(?:\.[0-9]+)?)(?![0-9A-Za-z_.\x80-\U0010ffff])|(--[^\n]*)|)"
)
#: Token-making groups of ``_FAST``: group -> (token kind, group of its extent, group of its value).
_FAST_KINDS: dict[int, tuple[str, int, int]] = {
    2: ("ident", 2, 2), 3: ("op", 3, 3), 4: ("string", 4, 5), 6: ("qident", 6, 7),
    8: ("number", 8, 8),
}  # fmt: skip


class Token(NamedTuple):  # a tuple: ~3x cheaper to create than a frozen dataclass
    """``kind`` is ident, qident (double-quoted or backtick name), string, number, op or eof.
    ``value`` is the decoded text (the number's text for numbers). ``line_start`` is true when
    only whitespace/comments precede it on its line."""

    kind: str
    value: str
    pos: int
    end: int
    line_start: bool = False

    def is_word(self, *words: str) -> bool:
        return self.kind == "ident" and self.value.lower() in words


def error_at(text: str, pos: int, message: str, **details: object) -> QueryError:
    """A QueryError pointing at character offset ``pos`` of ``text``."""
    pos = max(0, min(pos, len(text)))
    line = text.count("\n", 0, pos) + 1
    start = text.rfind("\n", 0, pos) + 1
    end = text.find("\n", pos)
    src_line = text[start : end if end != -1 else len(text)]
    column = pos - start + 1
    # Keep long single-line queries readable: show at most 100 characters around the caret.
    offset = 0
    if len(src_line) > 100:
        offset = max(0, column - 60)
        src_line = src_line[offset : offset + 100]
    snippet = f"{src_line}\n{' ' * (column - 1 - offset)}^"
    return QueryError(message, line=line, column=column, snippet=snippet, **details)  # type: ignore[arg-type]


def _is_ident_start(ch: str) -> bool:
    return ch == "_" or ch.isalpha()


def tokenize(text: str) -> list[Token]:
    """Split ``text`` into tokens; comments (``-- …``, ``/* … */``) and whitespace are dropped."""
    if len(text) > _MAX_QUERY_CHARS:
        raise error_at(
            text, _MAX_QUERY_CHARS, f"query is longer than {_MAX_QUERY_CHARS} characters"
        )
    tokens: list[Token] = []
    append = tokens.append
    finditer = _FAST.finditer
    new = tuple.__new__  # what Token(...) does, without its Python-level __new__
    i, n = 0, len(text)
    line_start = True
    while i < n:
        # The pattern matches (maybe empty) at every offset, so consecutive matches tile the
        # text; an empty alternative hands that offset to the slow path, which resumes here.
        for m in finditer(text, i):
            kind = m.lastindex
            spec = _FAST_KINDS.get(kind)  # type: ignore[arg-type]
            if spec is not None:
                token_kind, extent, text_group = spec
                start, end = m.span(extent)
                append(new(Token, (token_kind, m[text_group], start, end, line_start)))
            elif kind == 1:
                line_start = True
                continue
            elif kind == 9:
                continue
            else:
                i = m.end()
                break
            line_start = False
        else:
            break
        if i >= n:
            break
        ch = text[i]
        if ch == "\n":
            line_start = True
            i += 1
            continue
        if ch.isspace():
            i += 1
            continue
        if ch == "-" and text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end == -1 else end
            continue
        if ch == "/" and text.startswith("/*", i):
            end = text.find("*/", i + 2)
            if end == -1:
                raise error_at(text, i, "unterminated comment: '/*' has no closing '*/'")
            line_start = line_start and "\n" not in text[i:end]
            i = end + 2
            continue
        start = i
        if ch == "'":
            value, i = _scan_string(text, i)
            append(Token("string", value, start, i, line_start))
        elif ch in '"`':
            value, i = _scan_quoted_name(text, i, ch)
            append(Token("qident", value, start, i, line_start))
        elif ch.isdigit() or (ch == "." and i + 1 < n and text[i + 1].isdigit()):
            i = _scan_number(text, i)
            append(Token("number", text[start:i], start, i, line_start))
        elif _is_ident_start(ch):
            i = _IDENT_REST.match(text, i + 1).end()  # type: ignore[union-attr]
            append(Token("ident", text[start:i], start, i, line_start))
        else:
            for op in _OPS_BY_CHAR.get(ch, ()):
                if text.startswith(op, i):
                    i += len(op)
                    append(Token("op", op, start, i, line_start))
                    break
            else:
                raise error_at(text, i, f"unexpected character {ch!r}")
        line_start = False
    tokens.append(Token("eof", "", n, n, line_start))
    return tokens


def _scan_string(text: str, i: int) -> tuple[str, int]:
    """A single-quoted string: ``''`` and ``\\'`` are a quote, ``\\\\`` a backslash; any other
    backslash is kept (so LIKE patterns such as ``'50\\% off'`` keep their escape)."""
    start, i, n = i, i + 1, len(text)
    out: list[str] = []
    while i < n:
        run = _STRING_RUN.match(text, i)
        if run is not None:  # plain characters up to the next quote or backslash
            out.append(run.group())
            i = run.end()
            continue
        ch = text[i]
        if ch == "\\" and i + 1 < n and text[i + 1] in "'\\":
            out.append(text[i + 1])
            i += 2
        elif ch == "'":
            if i + 1 < n and text[i + 1] == "'":
                out.append("'")
                i += 2
            else:
                return "".join(out), i + 1
        else:
            out.append(ch)
            i += 1
    raise error_at(text, start, "unterminated string: add the closing single quote")


def _scan_quoted_name(text: str, i: int, quote: str) -> tuple[str, int]:
    start, i, n = i, i + 1, len(text)
    out: list[str] = []
    while i < n:
        ch = text[i]
        if ch == quote:
            if i + 1 < n and text[i + 1] == quote:
                out.append(quote)
                i += 2
                continue
            return "".join(out), i + 1
        out.append(ch)
        i += 1
    raise error_at(text, start, f"unterminated quoted name: add the closing {quote}")


def _scan_number(text: str, i: int) -> int:
    n = len(text)
    while i < n and text[i].isdigit():
        i += 1
    if i < n and text[i] == "." and i + 1 < n and text[i + 1].isdigit():
        i += 1
        while i < n and text[i].isdigit():
            i += 1
    if i < n and text[i] in "eE":
        j = i + 1
        if j < n and text[j] in "+-":
            j += 1
        if j < n and text[j].isdigit():
            i = j
            while i < n and text[i].isdigit():
                i += 1
    if i < n and _is_ident_start(text[i]):
        raise error_at(text, i, "a name cannot start with a digit; quote it with double quotes")
    return i
