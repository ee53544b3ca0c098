"""The data-plane contract. Every backend (DuckDB now, ClickHouse next) implements
:class:`DataStore` and passes ``tests/store/data/contract.py``.

Semantics every backend keeps:

* **Append-only, versioned.** Each call to :meth:`DataStore.write` is one transaction with a new
  ``_xact_id``, strictly greater than every earlier one. A row version is never changed except
  to record, in ``_superseded_by``, the transaction that replaced it.
* **Replace / merge / delete.** A replace (``_is_merge`` false) stores the row as given; a
  merge (``_is_merge`` true) deep-merges the given fields into the current version of the same
  ``(object_type, object_id, id)`` (objects merge key by key, everything else is replaced) and
  stores the result as a new version; ``_object_delete: true`` stores a tombstone. A merge for
  an id that does not exist yet is stored as if it were a replace. Writing the same id twice is
  one logical row: the later version wins.
* **Read as of a version.** The visible state at version ``v`` is, per id, the newest stored
  version with ``_xact_id <= v`` unless it is a tombstone. ``version=None`` means now.
* **Durable before acknowledged.** ``write`` returns only after the transaction is durable.
* **Hot columns.** Rows are stored per :mod:`openloop.model.fields`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

if TYPE_CHECKING:
    from openloop.ingest.columnar import ColumnBatch
    from openloop.model.search import SearchPage

__all__ = ["DataStore", "ObjectRef", "RowError", "WriteRequest", "WriteResult"]


@dataclass(frozen=True)
class ObjectRef:
    """A row container: project logs, one experiment, one dataset, or a project's prompts or
    functions."""

    org_id: str
    project_id: str
    object_type: str  # one of openloop.model.fields.OBJECT_TYPES
    object_id: str


@dataclass
class WriteRequest:
    """Rows for one container. Each row is a Braintrust-style dict; control keys are
    ``_is_merge`` and ``_object_delete``. Rows without ``id`` get a new UUID; rows without
    ``created`` get now; a span without ``span_id``/``root_span_id`` becomes its own root."""

    ref: ObjectRef
    rows: Sequence[Mapping[str, Any]]
    #: A plain batch already decoded into columns (:mod:`openloop.ingest.columnar`); when set,
    #: ``rows`` is ignored. Every row is a replace with a unique id.
    columns: ColumnBatch | None = None


@dataclass(frozen=True)
class RowError:
    index: int
    message: str
    row_id: str | None = None
    #: 413 for a field over the size limit, else 422.
    status: int = 422


@dataclass
class WriteResult:
    """What a durable write stored: the transaction id, the ids written (in request order,
    skipping rejected rows) and per-row errors for rows that were rejected."""

    xact_id: int
    ids: list[str] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)


@runtime_checkable
class DataStore(Protocol):
    """The data-plane store."""

    #: sqlglot dialect name the query compiler renders for this backend ("duckdb", "clickhouse").
    dialect: str

    def write(self, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        """Store all requests in one durable transaction (one ``_xact_id``)."""
        ...

    def read(
        self,
        ref: ObjectRef,
        *,
        ids: Sequence[str] | None = None,
        version: int | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        """Visible rows of a container (all, or the given ids) as Braintrust-style dicts with
        ``_xact_id``, newest ``_pagination_key`` first."""
        ...

    def trace(self, ref: ObjectRef, root_span_id: str) -> list[dict[str, Any]]:
        """Every visible span of one trace, by index (not a full scan), oldest first."""
        ...

    def versions(self, ref: ObjectRef) -> list[int]:
        """Transaction ids that changed this container, oldest first."""
        ...

    def history(self, ref: ObjectRef, row_id: str) -> list[dict[str, Any]]:
        """Every stored version of one row (including tombstones), oldest first."""
        ...

    def execute(self, sql: str, params: Sequence[Any] | Mapping[str, Any] | None = None) -> Any:
        """Run one read-only SQL statement (as compiled by ``openloop.query``) and return a
        ``pyarrow.Table``. Used only by the query engine."""
        ...

    def search_ids(
        self,
        ref_filter: Sequence[ObjectRef],
        query: str,
        *,
        fields: Sequence[str] | None = None,
        page: SearchPage | None = None,
    ) -> Any:
        """Full-text search: ``_pagination_key`` values of visible rows whose text fields match
        ``query`` by whole words (phrases in double quotes). Uses the inverted index for
        indexed rows and scans only the not-yet-indexed tail, so results are exact and fresh.
        With ``page``, the store may leave out keys that cannot be on that page."""
        ...

    def iter_rows(
        self, ref: ObjectRef, *, batch_size: int = 1000
    ) -> Iterator[list[dict[str, Any]]]:
        """Stream every visible row of a container, oldest first (export)."""
        ...

    def count(self, ref: ObjectRef) -> int:
        """Number of visible rows in a container."""
        ...

    def delete_object(self, ref: ObjectRef) -> int:
        """Tombstone every visible row of a container (used when a dataset, experiment or
        project is deleted). Returns how many rows were tombstoned."""
        ...

    def close(self) -> None: ...
