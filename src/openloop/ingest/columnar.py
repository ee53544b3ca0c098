"""The fast path of native ingest: a whole request body decoded straight into the columns of the
``rows`` table, without building a Python object per JSON value.

Most batches are plain: every row is a complete span or record (no ``_is_merge``, no
``_object_delete``), uses only the Braintrust top-level fields, and all rows go to one
container. For those, :func:`decode_batch` lets msgspec validate the body against a typed row
shape in C and keeps each JSON payload (``input``, ``output``, ``metadata``...) as the exact
bytes the client sent, which the store keeps as text. Only the few values that feed hot columns
(model, tokens, span type, error type...) are decoded, and they go through the same derivation
as every other row (:func:`openloop.ingest._columns.hot_columns`).

Anything else — a merge, a delete, an unknown top-level key, a value of the wrong type, a row
over a limit, several containers, escaped surrogates, invalid UTF-8 — makes
:func:`decode_batch` return ``None``, and the caller takes the general path
(:func:`openloop.ingest.rows.prepare_row`), which reports each bad row by index. So the fast
path changes how fast a batch is stored, never what is stored or which errors are reported.

:func:`columns_from_rows` turns row dicts that this server built itself (the spans of an OTLP
export) into such a batch with the general path's own functions, so that a decoding worker can
hand the server columns; rows that are not plain replaces are left to the general path.

Numbers are kept as written: a number beyond the range of a double (``1e400``) is stored as
such and reads back as ``null``.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import attrgetter
from typing import Any, TypedDict

import msgspec
import pyarrow as pa
from msgspec import Raw

from openloop._gc import gc_paused
from openloop.errors import InvalidInput
from openloop.ingest._columns import COLUMN_NAMES, hot_columns, to_columns
from openloop.ingest.rows import RowLimits, parse_created, prepare_row
from openloop.model.fields import JSON_FIELDS
from openloop.store.data._schema import ARROW_SCHEMA

__all__ = ["ColumnBatch", "columns_from_rows", "decode_batch", "decode_batch_arrow"]

logger = logging.getLogger(__name__)

_ABSENT = Raw(b"")
_NULL = b"null"


class _Meta(TypedDict, total=False):
    """The metadata keys that feed hot columns; other keys are skipped without decoding."""

    model: Any
    provider: Any
    user_id: Any
    session_id: Any


class _Attrs(TypedDict, total=False):
    type: Any
    name: Any
    purpose: Any


class _Row(msgspec.Struct, forbid_unknown_fields=True):
    """One row as the fast path accepts it; any other top-level key fails the decode."""

    id: str | int | None = None
    # RFC 3339 text (other timestamp spellings take the general path) or epoch seconds/ms/us
    created: datetime | int | float | None = None
    span_id: str | None = None
    root_span_id: str | None = None
    span_parents: list[str] | None = None
    tags: list[str] | None = None
    scores: dict[str, float | None] | None = None
    input: Raw = _ABSENT
    output: Raw = _ABSENT
    expected: Raw = _ABSENT
    error: Raw = _ABSENT
    metadata: Raw = _ABSENT
    metrics: Raw = _ABSENT
    span_attributes: Raw = _ABSENT
    context: Raw = _ABSENT
    origin: Raw = _ABSENT
    # the container (resolved by the caller)
    project_id: Any = None
    log_id: Any = None
    experiment_id: Any = None
    dataset_id: Any = None
    project_name: Any = None
    org_id: Any = None
    # control keys: only their "off" values take the fast path
    is_merge: Any = msgspec.field(default=None, name="_is_merge")
    object_delete: Any = msgspec.field(default=None, name="_object_delete")
    merge_paths: Any = msgspec.field(default=None, name="_merge_paths")
    # keys the store assigns or ignores
    array_delete: Raw = msgspec.field(default=_ABSENT, name="_array_delete")
    parent_id: Raw = msgspec.field(default=_ABSENT, name="_parent_id")
    xact_id: Raw = msgspec.field(default=_ABSENT, name="_xact_id")
    pagination_key: Raw = msgspec.field(default=_ABSENT, name="_pagination_key")
    superseded_by: Raw = msgspec.field(default=_ABSENT, name="_superseded_by")
    prompt_session_id: Raw = _ABSENT
    is_root: Raw = _ABSENT


class _Body(msgspec.Struct):
    rows: list[_Row]


_CONTAINER_FIELDS = ("project_id", "log_id", "experiment_id", "dataset_id", "project_name")
_OBJECT_FIELDS = frozenset({"metadata", "span_attributes", "context", "origin"})
_METRIC_ALIASES = frozenset({"input_tokens", "output_tokens", "total_tokens"})
_BIG = 1e18
_TIMESTAMP = pa.timestamp("us", tz="UTC")
_CREATED = pa.int64()
_TYPES = {f.name: f.type for f in ARROW_SCHEMA}

_body = msgspec.json.Decoder(_Body)
_metas = msgspec.json.Decoder(list[_Meta | None])
_attrs = msgspec.json.Decoder(list[_Attrs | None])
_metrics = msgspec.json.Decoder(list[dict[str, int | float | None] | None])
_any = msgspec.json.Decoder()


@dataclass
class ColumnBatch:
    """A decoded plain batch: the container keys its rows share, the row ids in order (unique),
    and the columns of :func:`openloop.ingest.rows.to_columns` (``created`` is ``None`` where
    the row gave none; the store fills in the time of the write), as lists or, after
    :meth:`to_arrow`, as Arrow arrays."""

    container: Mapping[str, Any]
    ids: list[str]
    columns: dict[str, Sequence[Any]]

    def to_arrow(self) -> ColumnBatch:
        """The same batch with each column an Arrow array of the store's type (``created`` as
        microseconds, null where the row gave none). A decoding worker sends this form: it
        pickles as a few buffers per column, where lists pickle object by object, and the
        store reads it without converting."""
        columns: dict[str, Sequence[Any]] = {}
        for name, values in self.columns.items():
            columns[name] = pa.array(values, _CREATED if name == "created" else _TYPES[name])
        return ColumnBatch(self.container, self.ids, columns)


class _NotPlain(Exception):
    """The batch needs the general path."""


def decode_batch(body: bytes, limits: RowLimits, max_rows: int) -> ColumnBatch | None:
    """Decode a ``{"rows": [...]}`` body in one pass, or ``None`` if it is not a plain batch
    (see the module docstring); ``None`` is also the answer for anything malformed, so the
    general path can report it."""
    if not body.isascii():
        try:
            body.decode()
        except UnicodeDecodeError:
            return None
    # An escaped surrogate (\ud800-\udfff) may be unpaired; the general path checks it.
    if b"\\ud" in body or b"\\uD" in body:
        return None
    try:
        with gc_paused():
            rows = _body.decode(body).rows
            if not rows or len(rows) > max_rows:
                return None
            return _columns(rows, limits)
    except (_NotPlain, InvalidInput, msgspec.DecodeError, RecursionError):
        return None


def decode_batch_arrow(body: bytes, limits: RowLimits, max_rows: int) -> ColumnBatch | None:
    """:func:`decode_batch`, its columns as Arrow arrays (:meth:`ColumnBatch.to_arrow`): what a
    decoding worker runs."""
    batch = decode_batch(body, limits, max_rows)
    return None if batch is None else batch.to_arrow()


def _container(row: _Row) -> tuple[Any, ...]:
    return (row.project_id, row.log_id, row.experiment_id, row.dataset_id, row.project_name)


def _payload(rows: list[_Row], name: str, limits: RowLimits) -> list[bytes | None]:
    """One JSON column as the exact bytes sent (``None`` for absent or null), checked against
    the limits the general path applies."""
    values = [bytes(x) if len(x) else None for x in map(attrgetter(name), rows)]
    present = [v for v in values if v is not None]
    if not present:
        return values
    if _NULL in present:
        values = [None if v == _NULL else v for v in values]
        present = [v for v in present if v != _NULL]
    if present and max(map(len, present)) > limits.max_field_bytes:
        raise _NotPlain
    if name in _OBJECT_FIELDS and any(v[0] != 123 for v in present):  # not "{"
        raise _NotPlain
    depth = limits.max_json_depth
    for v in present:
        if len(v) >= depth and v.count(b"{") + v.count(b"[") >= depth:
            raise _NotPlain
    return values


def _created(values: list[datetime | int | float | None]) -> list[int | None]:
    """Microseconds since the epoch; timestamps without an offset are UTC, as elsewhere."""
    if all(v is None or v.__class__ is datetime for v in values):
        return pa.array(values, _TIMESTAMP).cast(pa.int64()).to_pylist()  # type: ignore[no-any-return]
    return [
        None if v is None else parse_created(v.isoformat() if isinstance(v, datetime) else v)
        for v in values
    ]


def _decode_all(decoder: msgspec.json.Decoder[Any], values: list[bytes | None]) -> list[Any]:
    """Decode a column of JSON texts with one call (``None`` stays ``None``)."""
    return decoder.decode(b"[" + b",".join(_NULL if v is None else v for v in values) + b"]")


def _columns(rows: list[_Row], limits: RowLimits) -> ColumnBatch:
    first = _container(rows[0])
    for row in rows:
        if row.is_merge or row.object_delete or row.merge_paths is not None:
            raise _NotPlain
        if row.org_id is not None or _container(row) != first:
            raise _NotPlain
    ids: list[str] = []
    for rid in map(attrgetter("id"), rows):
        if rid is None or rid == "":
            rid = str(uuid.uuid4())
        elif rid.__class__ is not str:
            rid = str(rid)
        ids.append(rid)
    if len(set(ids)) != len(ids):
        raise _NotPlain  # the same id twice: the general path collapses them
    payload = {name: _payload(rows, name, limits) for name in JSON_FIELDS}
    metas = _decode_all(_metas, payload["metadata"])
    attrs = _decode_all(_attrs, payload["span_attributes"])
    metrics = _decode_all(_metrics, payload["metrics"])
    for m in metrics:
        if m is not None:
            if not _METRIC_ALIASES.isdisjoint(m):
                raise _NotPlain
            for v in m.values():
                if v is not None and not -_BIG < v < _BIG:
                    raise _NotPlain
    scores = [r.scores for r in rows]
    for sc in scores:
        if sc:
            for v in sc.values():
                if v is not None and not 0 <= v <= 1:
                    raise _NotPlain
    errors = [None if e is None else _any.decode(e) for e in payload["error"]]
    hot = hot_columns(attrs, metas, metrics, errors)
    span_ids = [r.span_id or rid for r, rid in zip(rows, ids, strict=True)]
    parents = [r.span_parents or [] for r in rows]
    n = len(rows)
    columns: dict[str, Sequence[Any]] = {
        "id": ids,
        "created": _created([r.created for r in rows]),
        "span_id": span_ids,
        "root_span_id": [r.root_span_id or s for r, s in zip(rows, span_ids, strict=True)],
        "span_parents": parents,
        "is_root": [not p for p in parents],
        "tags": [r.tags for r in rows],
        "scores": [list(sc.items()) if sc else None for sc in scores],
        "_object_delete": [False] * n,
        **hot,
        **payload,
        "extra": [None] * n,
    }
    container = {k: v for k, v in zip(_CONTAINER_FIELDS, first, strict=True) if v is not None}
    return ColumnBatch(container, ids, {name: columns[name] for name in COLUMN_NAMES})


def columns_from_rows(rows: Sequence[Mapping[str, Any]], limits: RowLimits) -> ColumnBatch | None:
    """The columns of row dicts that are plain replaces (no merge, no delete, unique ids), built
    by the general path's own :func:`~openloop.ingest.rows.prepare_row` and
    :func:`~openloop.ingest.rows.to_columns`; ``None`` when a row is not plain or is rejected,
    so the general path can resolve or report it. The container is the caller's."""
    try:
        with gc_paused():
            prepared = [prepare_row(row, i, limits) for i, row in enumerate(rows)]
    except InvalidInput:
        return None
    ids = [row.id for row in prepared]
    if not ids or len(set(ids)) != len(ids) or any(r.is_merge or r.is_delete for r in prepared):
        return None
    return ColumnBatch({}, ids, to_columns(prepared))
