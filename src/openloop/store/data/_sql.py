"""Guard for :meth:`DataStore.execute`: exactly one read-only statement."""

from __future__ import annotations

import sqlglot
from sqlglot import exp

from openloop.errors import InvalidInput

__all__ = ["check_read_only"]

_WRITES = (
    exp.Insert,
    exp.Update,
    exp.Delete,
    exp.Merge,
    exp.Create,
    exp.Drop,
    exp.Alter,
    exp.Command,
    exp.Copy,
    exp.Set,
    exp.Pragma,
    exp.Use,
    exp.TruncateTable,
    exp.Transaction,
    exp.Commit,
    exp.Rollback,
)


def check_read_only(sql: str) -> None:
    """Raise :class:`InvalidInput` unless ``sql`` is a single SELECT-like query."""
    try:
        statements = [s for s in sqlglot.parse(sql, read="duckdb") if s is not None]
    except sqlglot.errors.ParseError as exc:
        raise InvalidInput(f"cannot parse SQL: {exc}") from None
    if len(statements) != 1:
        raise InvalidInput("exactly one SQL statement is allowed")
    (stmt,) = statements
    if not isinstance(stmt, exp.Query) or any(isinstance(n, _WRITES) for n in stmt.walk()):
        raise InvalidInput("only read-only queries (SELECT) can be run")
