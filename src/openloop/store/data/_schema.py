"""DDL, Arrow schema and shared SQL fragments of the DuckDB ``rows`` table, all derived from
:data:`openloop.model.fields.COLUMNS`."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from openloop.errors import UsageError
from openloop.model.fields import COLUMNS, JSON_FIELDS

__all__ = [
    "ARROW_SCHEMA",
    "COLUMN_NAMES",
    "INDEXES",
    "READ_COLUMNS",
    "REF_WHERE",
    "SCHEMA_VERSION",
    "create_statements",
    "ref_params",
    "visible_predicate",
]

SCHEMA_VERSION = 1

#: Columns the store fills itself at write time (the rest come from the row).
STORE_ASSIGNED = frozenset(
    {"org_id", "project_id", "object_type", "object_id", "_xact_id", "_pagination_key",
     "_superseded_by"}
)  # fmt: skip
COLUMN_NAMES: tuple[str, ...] = tuple(c.name for c in COLUMNS)

_ARROW_TYPES: dict[str, pa.DataType] = {
    "VARCHAR": pa.string(),
    "BIGINT": pa.int64(),
    "BOOLEAN": pa.bool_(),
    "DOUBLE": pa.float64(),
    "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
    "VARCHAR[]": pa.list_(pa.string()),
    "MAP(VARCHAR, DOUBLE)": pa.map_(pa.string(), pa.float64()),
    # JSON travels as text; DuckDB validates it on the implicit cast.
    "JSON": pa.string(),
}

ARROW_SCHEMA = pa.schema([pa.field(c.name, _ARROW_TYPES[c.duckdb]) for c in COLUMNS])

#: (index name, column). ART indexes: ``id`` serves merges/supersedes, reads by id and row
#: history; ``root_span_id`` serves trace fetches. Both are point lookups, never range scans.
INDEXES: tuple[tuple[str, str], ...] = (
    ("rows_id_idx", "id"),
    ("rows_root_span_idx", "root_span_id"),
)

_NOT_NULL = {"object_type", "object_id", "id", "_xact_id", "_pagination_key", "_object_delete"}

#: Per-column storage options. ``span_parents`` holds random hex ids, which compress poorly, and
#: a trace read fetches it row by row through the ``root_span_id`` index: fetching one list from
#: a dictionary-compressed segment can decode the whole segment's dictionary (measured at 10M
#: spans: 2.3 ms of a 4-span trace's 5 ms read), while an uncompressed one is a direct read.
_STORAGE = {"span_parents": " USING COMPRESSION uncompressed"}


def create_statements() -> list[str]:
    """Idempotent DDL for a fresh or existing database file."""
    cols = ",\n  ".join(
        f'"{c.name}" {c.duckdb}{" NOT NULL" if c.name in _NOT_NULL else ""}{_STORAGE.get(c.name, "")}'
        for c in COLUMNS
    )
    stmts = [
        f"CREATE TABLE IF NOT EXISTS rows (\n  {cols}\n)",
        "CREATE TABLE IF NOT EXISTS openloop_meta (key VARCHAR PRIMARY KEY, value BIGINT)",
    ]
    stmts += [f'CREATE INDEX IF NOT EXISTS {name} ON rows ("{col}")' for name, col in INDEXES]
    return stmts


def visible_predicate(version: int | None = None, alias: str | None = None) -> str:
    """SQL condition selecting the rows visible now (``version=None``) or as of transaction
    ``version``. The only place the visibility rule is written; the query compiler imports it.

    >>> visible_predicate()
    '(_superseded_by IS NULL AND NOT _object_delete)'
    >>> visible_predicate(42, alias="r")
    '(r._xact_id <= 42 AND (r._superseded_by IS NULL OR r._superseded_by > 42) AND NOT r._object_delete)'
    """
    if alias is not None and not alias.isidentifier():
        raise UsageError(f"bad table alias {alias!r}")
    p = f"{alias}." if alias else ""
    if version is None:
        return f"({p}_superseded_by IS NULL AND NOT {p}_object_delete)"
    if isinstance(version, bool) or not isinstance(version, int):
        raise UsageError("version must be an integer transaction id")
    v = int(version)
    return (
        f"({p}_xact_id <= {v} AND ({p}_superseded_by IS NULL OR {p}_superseded_by > {v}) "
        f"AND NOT {p}_object_delete)"
    )


#: Columns a row dict is rebuilt from (see ``_rows.row_from_record``), in this order.
READ_COLUMNS: tuple[str, ...] = (
    "object_type",
    "object_id",
    "project_id",
    "id",
    "_xact_id",
    "_pagination_key",
    "_object_delete",
    "epoch_us(created)",
    "span_id",
    "root_span_id",
    "span_parents",
    "is_root",
    "tags",
    "scores",
    *JSON_FIELDS,
    "extra",
)


#: Condition selecting one container; parameters from :func:`ref_params`.
REF_WHERE = "org_id = ? AND object_type = ? AND object_id = ?"


def ref_params(ref: Any) -> list[str]:
    return [ref.org_id, ref.object_type, ref.object_id]


def read_select() -> str:
    return ", ".join(c if "(" in c else f'"{c}"' for c in READ_COLUMNS)
