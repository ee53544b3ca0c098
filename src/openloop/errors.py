"""Errors raised across OpenLoop.

Every error carries an advisory HTTP ``status`` so that one place (``openloop.server.errors``)
can render it. Names say who must react:

    OpenLoopError                    root; status 500
    ├── InvalidInput                 the caller's bad input; 400 (or 422 with ``status=422``)
    │   ├── QueryError               a query that does not parse or resolve; line/column/snippet
    │   ├── PayloadTooLarge          request or field over a configured limit; 413
    │   └── ConfigError              a bad setting or data dir; reported by the CLI at start
    ├── Unauthorized                 missing or wrong credentials; 401
    ├── Forbidden                    authenticated but not allowed (e.g. viewer writes); 403
    ├── NotFound                     no such object *for this caller*; 404
    ├── Conflict                     name already taken, stale version; 409
    ├── UsageError                   the developer misused the API (wrong call order, bad config in code)
    ├── StorageUnavailable           an operational failure of a store; 503
    └── ProviderError                an AI provider failed after retries; 502 (openloop.llm.retries)

Domain code raises these; it never imports FastAPI.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "ConfigError",
    "Conflict",
    "Forbidden",
    "InvalidInput",
    "NotFound",
    "OpenLoopError",
    "PayloadTooLarge",
    "QueryError",
    "StorageUnavailable",
    "Unauthorized",
    "UsageError",
]


class OpenLoopError(Exception):
    """Root of every OpenLoop error. ``status`` is advisory (HTTP status to report)."""

    status: int = 500
    type_name: str | None = None

    def __init__(self, message: str, *, status: int | None = None, **details: Any) -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.details: dict[str, Any] = details

    @property
    def type(self) -> str:
        return self.type_name or type(self).__name__

    def to_dict(self) -> dict[str, Any]:
        """The body of the JSON error envelope: ``{"type", "message", **details}``."""
        body: dict[str, Any] = {"type": self.type, "message": self.message}
        body.update({k: v for k, v in self.details.items() if v is not None})
        return body


class InvalidInput(OpenLoopError):
    status = 400


class QueryError(InvalidInput):
    """A query that fails to parse or resolve. Carries ``line``/``column`` (1-based) and a caret
    ``snippet`` when the position is known, plus ``suggestions`` for unknown names."""

    def __init__(
        self,
        message: str,
        *,
        line: int | None = None,
        column: int | None = None,
        snippet: str | None = None,
        suggestions: list[str] | None = None,
        **details: Any,
    ) -> None:
        super().__init__(
            message,
            line=line,
            column=column,
            snippet=snippet,
            suggestions=suggestions or None,
            **details,
        )
        self.line = line
        self.column = column
        self.snippet = snippet
        self.suggestions = suggestions or []

    def __str__(self) -> str:
        where = f" (line {self.line}, column {self.column})" if self.line else ""
        tail = f"\n{self.snippet}" if self.snippet else ""
        return f"{self.message}{where}{tail}"


class PayloadTooLarge(InvalidInput):
    status = 413


class ConfigError(InvalidInput):
    pass


class Unauthorized(OpenLoopError):
    status = 401


class Forbidden(OpenLoopError):
    status = 403


class NotFound(OpenLoopError):
    status = 404


class Conflict(OpenLoopError):
    status = 409


class UsageError(OpenLoopError):
    status = 500


class StorageUnavailable(OpenLoopError):
    status = 503
