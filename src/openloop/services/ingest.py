"""Native ingest: a batch of Braintrust-style rows for project logs, experiments or datasets.

Each row names its container the way the Braintrust ``/logs3`` protocol does:

* ``project_id`` (with ``log_id: "g"``, optional) → the project's logs;
* ``project_name`` → the project's logs, creating the project on first use;
* ``experiment_id`` → an experiment; ``dataset_id`` → a dataset.

A row that cannot be placed or fails validation is reported in ``errors`` with its index; every
other row is stored in one durable transaction. Nothing already stored is touched by a bad row.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from openloop.auth import require_write
from openloop.errors import NotFound, OpenLoopError, PayloadTooLarge
from openloop.ingest.columnar import ColumnBatch, decode_batch_arrow
from openloop.ingest.rows import RowLimits
from openloop.store.data.base import ObjectRef, WriteRequest

if TYPE_CHECKING:
    from openloop.auth import Principal
    from openloop.services import Services

__all__ = [
    "CONTAINER_KEYS",
    "IngestResult",
    "ingest_body",
    "ingest_rows",
    "write_columns",
    "write_to",
]

logger = logging.getLogger(__name__)

#: Keys that name a row's container; they are not stored inside the row.
CONTAINER_KEYS = ("org_id", "project_id", "log_id", "experiment_id", "dataset_id", "project_name")


@dataclass
class IngestResult:
    xact_id: int | None
    ids: list[str] = field(default_factory=list)
    errors: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "xact_id": None if self.xact_id is None else str(self.xact_id),
            "ids": self.ids,
            "errors": self.errors,
        }


class _Containers:
    """Resolves and caches each row's container for one batch, scoped to the caller's org."""

    def __init__(self, svc: Services, p: Principal) -> None:
        self.svc, self.p = svc, p
        self.cache: dict[tuple[str, str], ObjectRef] = {}

    def resolve(self, row: Mapping[str, Any]) -> ObjectRef:
        if row.get("experiment_id") is not None:
            return self._registry("experiment", row["experiment_id"])
        if row.get("dataset_id") is not None:
            return self._registry("dataset", row["dataset_id"])
        if row.get("project_id") is not None:
            log_id = row.get("log_id", "g")
            if log_id != "g":
                raise OpenLoopError(
                    f"log_id must be 'g' for project logs, got {log_id!r}", status=422
                )
            return self._project(str(row["project_id"]), create=False)
        if row.get("project_name") is not None:
            return self._project(str(row["project_name"]), create=True)
        raise OpenLoopError(
            "row names no container: give project_id (project logs), project_name, "
            "experiment_id or dataset_id",
            status=422,
        )

    def _project(self, key: str, *, create: bool) -> ObjectRef:
        ck = ("project", key)
        ref = self.cache.get(ck)
        if ref is None:
            control = self.svc.control
            if create:
                project = control.get_or_create_project(self.p.org_id, key)
            else:
                try:
                    project = control.get_project(self.p.org_id, key)
                except NotFound:
                    raise NotFound(f"unknown project {key!r}") from None
            ref = ObjectRef(self.p.org_id, project.id, "project_logs", project.id)
            self.cache[ck] = ref
        return ref

    def _registry(self, kind: str, object_id: Any) -> ObjectRef:
        ck = (kind, str(object_id))
        ref = self.cache.get(ck)
        if ref is None:
            try:
                obj = self.svc.control.find_object(self.p.org_id, str(object_id))
            except NotFound:
                obj = None
            if obj is None or obj.kind != kind:
                raise NotFound(f"unknown {kind} {object_id!r}")
            ref = ObjectRef(self.p.org_id, obj.project_id, kind, obj.id)
            self.cache[ck] = ref
        return ref


def ingest_rows(svc: Services, p: Principal, rows: Sequence[Any]) -> IngestResult:
    """Validate, place and durably store ``rows``. Returns stored ids and per-row errors."""
    require_write(p)
    limit = svc.settings.ingest_max_rows
    if len(rows) > limit:
        raise PayloadTooLarge(
            f"{len(rows)} rows in one request; the limit is {limit} (OPENLOOP_INGEST_MAX_ROWS)"
        )
    containers = _Containers(svc, p)
    errors: list[dict[str, Any]] = []
    groups: dict[ObjectRef, tuple[list[dict[str, Any]], list[int]]] = {}
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            errors.append(_err(i, None, f"row {i} must be a JSON object, got {type(row).__name__}"))
            continue
        try:
            ref = containers.resolve(row)
        except OpenLoopError as exc:
            errors.append(_err(i, row.get("id"), exc.message, exc.status))
            continue
        # The store ignores the other container keys itself; only ``project_name`` would
        # otherwise be kept as a user field, so most rows go through without a copy.
        clean = row if "project_name" not in row else _without_containers(row)
        bucket = groups.setdefault(ref, ([], []))
        bucket[0].append(clean)
        bucket[1].append(i)
    result = write_to(svc, groups)
    result.errors = sorted(errors + result.errors, key=lambda e: e["index"])
    return result


def ingest_body(
    svc: Services, p: Principal, body: bytes, parse_rows: Callable[[bytes], Sequence[Any]]
) -> IngestResult:
    """Ingest a ``{"rows": [...]}`` request body. A plain batch (complete rows, one container,
    only known fields) is decoded straight into columns (:mod:`openloop.ingest.columnar`);
    anything else is turned into rows by ``parse_rows`` and goes through :func:`ingest_rows`,
    which reports bad rows one by one. Both store the same rows."""
    require_write(p)
    settings = svc.settings
    batch = svc.decoders.run(
        decode_batch_arrow, body, RowLimits.from_settings(settings), settings.ingest_max_rows
    )
    if batch is not None:
        try:
            ref = _Containers(svc, p).resolve(batch.container)
        except OpenLoopError:
            ref = None  # the general path reports it on every row
        if ref is not None:
            return write_columns(svc, ref, batch)
    return ingest_rows(svc, p, parse_rows(body))


def write_columns(svc: Services, ref: ObjectRef, batch: ColumnBatch) -> IngestResult:
    """Store a decoded plain batch (:mod:`openloop.ingest.columnar`) in ``ref``."""
    started = time.perf_counter()
    (res,) = svc.data.write([WriteRequest(ref=ref, rows=(), columns=batch)])
    logger.info(
        "ingest.write rows=%d rejected=0 ms=%.1f fast=1",
        len(res.ids),
        (time.perf_counter() - started) * 1e3,
    )
    return IngestResult(xact_id=res.xact_id, ids=res.ids)


def write_to(
    svc: Services, groups: Mapping[ObjectRef, tuple[list[dict[str, Any]], list[int]]]
) -> IngestResult:
    """Write grouped rows in one transaction; map store errors back to request indexes."""
    if not groups:
        return IngestResult(xact_id=None)
    requests = [WriteRequest(ref=ref, rows=rows) for ref, (rows, _) in groups.items()]
    started = time.perf_counter()
    results = svc.data.write(requests)
    ids_by_index: dict[int, str] = {}
    errors: list[dict[str, Any]] = []
    xact: int | None = None
    for (_rows, indexes), res in zip(groups.values(), results, strict=True):
        xact = res.xact_id
        rejected = {e.index for e in res.errors}
        for e in res.errors:
            errors.append(_err(indexes[e.index], e.row_id, e.message, e.status))
        stored = [i for j, i in enumerate(indexes) if j not in rejected]
        for i, row_id in zip(stored, res.ids, strict=False):
            ids_by_index[i] = row_id
    n = len(ids_by_index)
    logger.info(
        "ingest.write rows=%d rejected=%d ms=%.1f",
        n,
        len(errors),
        (time.perf_counter() - started) * 1e3,
    )
    return IngestResult(
        xact_id=xact, ids=[ids_by_index[i] for i in sorted(ids_by_index)], errors=errors
    )


def _without_containers(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in CONTAINER_KEYS}


def _err(index: int, row_id: Any, message: str, status: int = 422) -> dict[str, Any]:
    out: dict[str, Any] = {"index": index, "message": message, "status": status}
    if row_id is not None:
        out["id"] = str(row_id)
    return out
