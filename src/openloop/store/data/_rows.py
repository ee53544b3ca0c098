"""Row plumbing shared by the DuckDB store: stored record → Braintrust-style dict, the
in-batch dedup of incoming rows, and the in-memory id filter that spares most writes an index
probe."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
import orjson
import pyarrow as pa

from openloop._gc import gc_paused
from openloop.errors import InvalidInput
from openloop.ingest.rows import IncomingRow, deep_merge, parse_created, to_columns
from openloop.model.fields import JSON_FIELDS, OBJECT_TYPES
from openloop.search import fulltext
from openloop.store.data._schema import ARROW_SCHEMA, STORE_ASSIGNED
from openloop.store.data.base import ObjectRef

__all__ = [
    "IdFilter",
    "Staged",
    "check_ref",
    "dedupe",
    "format_created",
    "gc_paused",
    "resolve",
    "row_from_record",
]

logger = logging.getLogger(__name__)

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_CONTAINER_KEY = {
    "project_logs": ("project_id", "log_id", "g"),
    "prompt": ("project_id", "log_id", "p"),
    "function": ("project_id", "log_id", "p"),
    "experiment": ("experiment_id", None, None),
    "dataset": ("dataset_id", None, None),
}


def format_created(us: int) -> str:
    """ISO-8601 UTC text with microseconds, ``Z`` suffix."""
    return (_EPOCH + timedelta(microseconds=us)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def row_from_record(rec: Sequence[Any]) -> dict[str, Any]:
    """Braintrust-style dict from a tuple selected with ``_schema.READ_COLUMNS``."""
    (object_type, object_id, project_id, row_id, xact, pkey, is_delete, created_us, span_id,
     root_span_id, span_parents, is_root, tags, scores) = rec[:14]  # fmt: skip
    out: dict[str, Any] = {"id": row_id, "_xact_id": xact, "_pagination_key": pkey}
    id_key, extra_key, extra_value = _CONTAINER_KEY.get(object_type, ("object_id", None, None))
    if id_key != "project_id" and project_id is not None:
        out["project_id"] = project_id
    out[id_key] = object_id
    if extra_key:
        out[extra_key] = extra_value
    out["created"] = format_created(created_us) if created_us is not None else None
    out["span_id"] = span_id
    out["root_span_id"] = root_span_id
    out["span_parents"] = list(span_parents) if span_parents else None
    out["is_root"] = is_root
    if is_delete:
        out["_object_delete"] = True
    values = rec[14:]
    for name, raw in zip(JSON_FIELDS, values, strict=False):
        out[name] = None if raw is None else _loads(raw)
    out["scores"] = dict(scores) if scores else None
    out["tags"] = list(tags) if tags is not None else None
    raw_extra = values[len(JSON_FIELDS)]
    if raw_extra is not None:
        for key, value in orjson.loads(raw_extra).items():
            out.setdefault(key, value)
    return out


def _loads(raw: str) -> Any:
    try:
        return orjson.loads(raw)
    except orjson.JSONDecodeError:
        # stored as sent but beyond orjson: a number out of a double's range reads as inf
        return json.loads(raw)


def fields_of(row: dict[str, Any]) -> dict[str, Any]:
    """The user fields of a stored row dict (what a merge merges into)."""
    skip = {"id", "_xact_id", "_pagination_key", "created", "is_root", "_object_delete",
            "project_id", "log_id", "experiment_id", "dataset_id", "object_id"}  # fmt: skip
    return {k: v for k, v in row.items() if k not in skip and v is not None}


def dedupe(rows: list[IncomingRow]) -> list[IncomingRow]:
    """Collapse rows with the same id (one version per id per transaction): a later replace or
    delete wins; a later merge merges onto the earlier row."""
    by_id: dict[str, IncomingRow] = {}
    for row in rows:
        prev = by_id.get(row.id)
        if prev is None or not row.is_merge:
            by_id[row.id] = row
            continue
        if prev.is_delete:
            row.is_merge = False
            by_id[row.id] = row
            continue
        prev.fields = deep_merge(prev.fields, row.fields, row.merge_paths or ())
        prev.encoded = None
        if row.created is not None and prev.created is None:
            prev.created = row.created
    return list(by_id.values())


def resolve(row: IncomingRow, current: dict[str, Any] | None) -> bool:
    """Turn one deduplicated incoming row into the version to store, given the current stored
    version of its id (if any). Returns whether the row changed."""
    if current is None:
        return False
    if row.is_delete:
        keep = ("span_id", "root_span_id", "span_parents")
        row.fields = {k: current[k] for k in keep if current.get(k) is not None}
        return True
    if row.is_merge and not current.get("_object_delete"):
        row.fields = deep_merge(fields_of(current), row.fields, row.merge_paths or ())
        row.encoded = None
        if current.get("created"):
            row.created = parse_created(current["created"])
        return True
    return False


_USER_COLUMNS = [f for f in ARROW_SCHEMA if f.name not in STORE_ASSIGNED]


class Staged:
    """One request's rows and their Arrow columns (all but the store-assigned ones). A batch
    decoded by the fast path arrives as ``columns`` (plain replaces, unique ids) and has no
    ``rows`` to resolve."""

    def __init__(
        self,
        ref: ObjectRef,
        rows: list[IncomingRow] | None,
        columns: Mapping[str, Sequence[Any]] | None = None,
    ) -> None:
        self.ref = ref
        self.rows = rows
        self.hashes: np.ndarray = np.empty(0, dtype=np.uint64)
        if rows is not None:
            self.ids = [r.id for r in rows]
        else:
            ids = columns["id"] if columns else ()
            self.ids = ids.to_pylist() if isinstance(ids, pa.Array) else list(ids)
        self.build(columns)

    def build(self, columns: Mapping[str, Sequence[Any]] | None = None) -> None:
        """Arrow arrays of the columns (already Arrow when a decoding worker sent them) and the
        texts the full-text index reads (Arrow arrays are turned into values by the indexer)."""
        cols = columns if columns is not None else to_columns(self.rows or [])
        self.arrays = {f.name: _array(cols[f.name], f.type) for f in _USER_COLUMNS}
        texts: dict[str, Any] = {f: cols[f] for f in fulltext.SEARCH_FIELDS if f != "tags"}
        tags = cols["tags"]
        if isinstance(tags, pa.Array):
            tags = tags.to_pylist() if tags.null_count < len(tags) else [None] * len(tags)
        texts["tags"] = [None if t is None else orjson.dumps(t) for t in tags]
        self.texts = texts


def _array(values: Any, type_: pa.DataType) -> pa.Array:
    if isinstance(values, pa.Array):
        return values if values.type == type_ else values.cast(type_)
    return pa.array(values, type=type_)


def check_ref(ref: ObjectRef) -> None:
    if ref.object_type not in OBJECT_TYPES:
        raise InvalidInput(f"unknown object type {ref.object_type!r}; one of {OBJECT_TYPES}")
    if not ref.object_id:
        raise InvalidInput("object id is required")


class IdFilter:
    """A Bloom filter over every stored id (4 probes by double hashing, 16-32 bits per id:
    well under 0.3% false positives), keyed by DuckDB's ``hash(id)``. A write probes the ART
    index only for ids the filter says may exist, so a batch of fresh spans costs no lookup at
    all. Built inside DuckDB at open (one aggregate over the ids) and rebuilt when it fills up."""

    _PROBES = 4

    def __init__(self, expected: int) -> None:
        n = max(int(expected) * 2, 1 << 16)
        bits = 1 << (n * 16 - 1).bit_length()
        self._mask = bits - 1
        self._bits = np.zeros(bits // 8, dtype=np.uint8)
        self._capacity = bits // 16
        self._count = 0

    @classmethod
    def from_table(cls, con: Any) -> IdFilter:
        hashes = con.execute("SELECT hash(id) AS h FROM rows").fetchnumpy()["h"]
        self = cls(len(hashes))
        self.add(hashes)
        return self

    @property
    def full(self) -> bool:
        return self._count > self._capacity

    def _positions(self, hashes: np.ndarray) -> list[np.ndarray]:
        h = hashes.astype(np.uint64, copy=False)
        mask = np.uint64(self._mask)
        h1 = h & np.uint64(0xFFFFFFFF)
        h2 = (h >> np.uint64(32)) | np.uint64(1)
        return [(h1 + np.uint64(i) * h2) & mask for i in range(self._PROBES)]

    def add(self, hashes: np.ndarray) -> None:
        if len(hashes) == 0:
            return
        bits = self._bits
        for pos in self._positions(hashes):
            byte = (pos >> np.uint64(3)).astype(np.int64)
            bit = (pos & np.uint64(7)).astype(np.uint8)
            # One bit plane at a time: duplicate bytes within a plane all write the same value,
            # so plain fancy assignment is exact (and much faster than ufunc.at).
            for b in range(8):
                sel = byte[bit == b]
                bits[sel] = bits[sel] | np.uint8(1 << b)
        self._count += len(hashes)

    def maybe_contains(self, hashes: np.ndarray) -> np.ndarray:
        """Boolean mask: False means the id was certainly never stored."""
        result = np.ones(len(hashes), dtype=bool)
        for pos in self._positions(hashes):
            byte = self._bits[pos >> np.uint64(3)]
            result &= ((byte >> (pos & np.uint64(7)).astype(np.uint8)) & 1).astype(bool)
        return result
