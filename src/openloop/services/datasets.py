"""Datasets: named, versioned collections of ``{input, expected, metadata, tags}`` records.

A dataset's name and description live in the object registry (kind ``dataset``); its rows live
in the data plane under ``ObjectRef(org, project, "dataset", dataset_id)``. Every call that
changes rows is one data-plane transaction, so it creates exactly one new version (its
``_xact_id``), and any older version can be read, compared and restored:

* insert = replace (upsert by id), update = merge, delete = tombstone;
* :func:`restore` writes *compensating* rows — the old content of rows changed since, and
  tombstones for rows added since — as one new version; nothing is rewritten.

Import/export and "add from logs" live in :mod:`openloop.services.dataset_io`.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from openloop.auth import require_write
from openloop.errors import InvalidInput, NotFound
from openloop.store.data.base import ObjectRef, WriteRequest

if TYPE_CHECKING:
    from openloop.auth import Principal
    from openloop.services import Services
    from openloop.store.control.records import RegistryObject

__all__ = [
    "ROW_FIELDS",
    "clean_row",
    "create_dataset",
    "dataset_ref",
    "delete_dataset",
    "delete_rows",
    "get_dataset",
    "insert_rows",
    "list_datasets",
    "list_versions",
    "parse_version",
    "public_row",
    "read_rows",
    "register_dataset",
    "restore",
    "restore_preview",
    "summarize",
    "update_dataset",
    "update_row",
]

logger = logging.getLogger(__name__)

#: Fields a dataset row carries (besides ``id``).
ROW_FIELDS = ("input", "expected", "metadata", "tags", "origin")
#: Fields a caller may send that are accepted and dropped (they come back from reads/exports).
_IGNORED = frozenset(
    {"created", "_xact_id", "_pagination_key", "dataset_id", "project_id", "span_id",
     "root_span_id", "span_parents", "is_root", "_object_delete"}
)  # fmt: skip
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MAX_VERSIONS = 1000


# -- the registry side -----------------------------------------------------------------------


def dataset_ref(obj: RegistryObject) -> ObjectRef:
    return ObjectRef(obj.org_id, obj.project_id, "dataset", obj.id)


def list_datasets(svc: Services, p: Principal, project: str | None = None) -> list[RegistryObject]:
    """Datasets of one project (id or name), or of every project of the org."""
    control = svc.control
    projects = (
        [control.get_project(p.org_id, project)] if project else control.list_projects(p.org_id)
    )
    out: list[RegistryObject] = []
    for proj in projects:
        out.extend(control.list_objects(p.org_id, proj.id, "dataset"))
    return out


def get_dataset(svc: Services, p: Principal, dataset_id: str) -> RegistryObject:
    """A dataset of the caller's org by id; NotFound for anything else (other orgs included)."""
    try:
        obj = svc.control.find_object(p.org_id, dataset_id)
    except NotFound:
        obj = None
    if obj is None or obj.kind != "dataset":
        raise NotFound(f"dataset {dataset_id!r} not found")
    return obj


def create_dataset(
    svc: Services,
    p: Principal,
    project: str,
    name: str,
    *,
    description: str = "",
    metadata: dict[str, Any] | None = None,
) -> RegistryObject:
    require_write(p)
    proj = svc.control.get_project(p.org_id, project)
    obj = svc.control.create_object(
        p.org_id, proj.id, "dataset", name, description=description, metadata=metadata
    )
    logger.info("datasets.created id=%s project=%s", obj.id, proj.id)
    return obj


def register_dataset(
    svc: Services,
    p: Principal,
    project: str,
    name: str,
    *,
    description: str = "",
    metadata: dict[str, Any] | None = None,
    create_project: bool = True,
) -> tuple[RegistryObject, bool]:
    """Get-or-create by name (what ``init_dataset`` calls). Returns ``(dataset, created)``; an
    existing dataset is returned unchanged."""
    require_write(p)
    control = svc.control
    if create_project:
        proj = control.get_or_create_project(p.org_id, project)
    else:
        proj = control.get_project(p.org_id, project)
    for obj in control.list_objects(p.org_id, proj.id, "dataset"):
        if obj.name == name.strip():
            return obj, False
    return create_dataset(svc, p, proj.id, name, description=description, metadata=metadata), True


def update_dataset(
    svc: Services,
    p: Principal,
    dataset_id: str,
    *,
    name: str | None = None,
    description: str | None = None,
    metadata: dict[str, Any] | None = None,
) -> RegistryObject:
    require_write(p)
    obj = get_dataset(svc, p, dataset_id)
    return svc.control.update_object(
        p.org_id, obj.id, name=name, description=description, metadata=metadata
    )


def delete_dataset(svc: Services, p: Principal, dataset_id: str) -> int:
    """Tombstone every row (older versions stay readable in the store) and unregister the
    dataset. Returns how many rows were tombstoned."""
    require_write(p)
    obj = get_dataset(svc, p, dataset_id)
    n = svc.data.delete_object(dataset_ref(obj))
    svc.control.delete_object(p.org_id, obj.id)
    logger.info("datasets.deleted id=%s rows=%d", obj.id, n)
    return n


# -- rows ------------------------------------------------------------------------------------


def parse_version(version: str | int | None) -> int | None:
    """A version as given by a caller (an integer transaction id, as int or text) or None."""
    if version is None or version == "":
        return None
    try:
        value = int(str(version).strip())
    except ValueError:
        raise InvalidInput(
            f"version must be a transaction id (an integer), got {version!r}"
        ) from None
    if value < 0:
        raise InvalidInput(f"version must not be negative, got {value}")
    return value


def clean_row(row: Any, index: int, *, where: str = "row") -> dict[str, Any]:
    """Validate one incoming dataset row; returns ``{id, input, expected, metadata, tags,
    origin}`` (absent fields omitted). ``output`` is accepted as an alias of ``expected``."""
    if not isinstance(row, Mapping):
        raise InvalidInput(f"{where} {index} must be an object, got {type(row).__name__}")
    unknown = sorted(k for k in row if k not in ROW_FIELDS and k not in _IGNORED
                     and k not in ("id", "output"))  # fmt: skip
    if unknown:
        raise InvalidInput(
            f"{where} {index} has unknown field(s) {', '.join(map(repr, unknown))}; dataset rows "
            f"have id, {', '.join(ROW_FIELDS)}"
        )
    out: dict[str, Any] = {}
    if row.get("id") is not None:
        if not isinstance(row["id"], str | int) or not str(row["id"]).strip():
            raise InvalidInput(f"{where} {index}: id must be a non-empty string")
        out["id"] = str(row["id"])
    for key in ROW_FIELDS:
        if key in row:
            out[key] = row[key]
    if "expected" not in out and "output" in row:
        out["expected"] = row["output"]
    if out.get("metadata") is not None and not isinstance(out["metadata"], Mapping):
        raise InvalidInput(f"{where} {index}: metadata must be an object")
    tags = out.get("tags")
    if tags is not None and (
        not isinstance(tags, list) or not all(isinstance(t, str) for t in tags)
    ):
        raise InvalidInput(f"{where} {index}: tags must be a list of strings")
    if out.get("origin") is not None and not isinstance(out["origin"], Mapping):
        raise InvalidInput(f"{where} {index}: origin must be an object")
    return out


def public_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A stored row as the API shows it."""
    out: dict[str, Any] = {"id": row["id"]}
    for key in ROW_FIELDS:
        out[key] = row.get(key)
    out["created"] = row.get("created")
    out["_xact_id"] = str(row["_xact_id"]) if row.get("_xact_id") is not None else None
    out["dataset_id"] = row.get("dataset_id")
    out["project_id"] = row.get("project_id")
    return out


def write_rows(svc: Services, ref: ObjectRef, rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """One transaction (one new version). Store-level row errors become InvalidInput, so a call
    either stores every row or none."""
    if not rows:
        return {"xact_id": None, "ids": []}
    [result] = svc.data.write([WriteRequest(ref=ref, rows=list(rows))])
    if result.errors:
        first = result.errors[0]
        raise InvalidInput(
            f"row {first.index} rejected: {first.message}",
            errors=[{"index": e.index, "message": e.message} for e in result.errors],
        )
    return {"xact_id": str(result.xact_id), "ids": result.ids}


def insert_rows(
    svc: Services, p: Principal, dataset_id: str, rows: Sequence[Any]
) -> dict[str, Any]:
    """Insert (replace by id) rows; ids are generated when absent. One new version."""
    require_write(p)
    obj = get_dataset(svc, p, dataset_id)
    limit = svc.settings.ingest_max_rows
    if len(rows) > limit:
        raise InvalidInput(f"{len(rows)} rows in one call; the limit is {limit}", status=413)
    prepared = []
    for i, row in enumerate(rows):
        clean = clean_row(row, i)
        clean.setdefault("id", str(uuid.uuid4()))
        prepared.append(clean)
    return write_rows(svc, dataset_ref(obj), prepared)


def update_row(
    svc: Services, p: Principal, dataset_id: str, row_id: str, fields: Mapping[str, Any]
) -> dict[str, Any]:
    """Merge ``fields`` into an existing row (objects merge key by key). One new version."""
    require_write(p)
    obj = get_dataset(svc, p, dataset_id)
    ref = dataset_ref(obj)
    if not svc.data.read(ref, ids=[row_id]):
        raise NotFound(f"row {row_id!r} not found in dataset {obj.name!r}")
    clean = clean_row({k: v for k, v in fields.items() if k != "id"}, 0, where="update")
    return write_rows(svc, ref, [{**clean, "id": row_id, "_is_merge": True}])


def delete_rows(
    svc: Services, p: Principal, dataset_id: str, row_ids: Sequence[str]
) -> dict[str, Any]:
    """Tombstone rows. One new version; unknown ids are NotFound (nothing is written)."""
    require_write(p)
    obj = get_dataset(svc, p, dataset_id)
    ref = dataset_ref(obj)
    found = {r["id"] for r in svc.data.read(ref, ids=list(row_ids))}
    missing = [r for r in row_ids if r not in found]
    if missing:
        raise NotFound(f"row {missing[0]!r} not found in dataset {obj.name!r}")
    return write_rows(svc, ref, [{"id": r, "_object_delete": True} for r in row_ids])


def read_rows(
    svc: Services,
    p: Principal,
    dataset_id: str,
    *,
    version: str | int | None = None,
    limit: int | None = None,
) -> dict[str, Any]:
    """Visible rows as of ``version`` (default: now), oldest first, and the version read."""
    obj = get_dataset(svc, p, dataset_id)
    ref = dataset_ref(obj)
    xact = parse_version(version)
    rows = svc.data.read(ref, version=xact)
    rows.reverse()
    if limit is not None:
        rows = rows[: max(0, int(limit))]
    head = xact if xact is not None else _head(svc, ref)
    return {
        "rows": [public_row(r) for r in rows],
        "version": None if head is None else str(head),
    }


def _head(svc: Services, ref: ObjectRef) -> int | None:
    versions = svc.data.versions(ref)
    return versions[-1] if versions else None


def version_time(xact: int) -> str | None:
    """When a version was written. Transaction ids are microseconds since the epoch (bumped to
    stay strictly increasing); anything outside 2000..2200 is not a time and gives None."""
    if not 946_684_800_000_000 <= xact <= 7_258_118_400_000_000:
        return None
    return (_EPOCH + timedelta(microseconds=xact)).isoformat().replace("+00:00", "Z")


def list_versions(
    svc: Services, p: Principal, dataset_id: str, *, limit: int = 50
) -> list[dict[str, Any]]:
    """The dataset's versions, newest first: ``{version, created, num_rows, rows_changed}``
    (``num_rows`` visible at that version; ``rows_changed`` inserted or updated by it)."""
    obj = get_dataset(svc, p, dataset_id)
    ref = dataset_ref(obj)
    versions = list(reversed(svc.data.versions(ref)))[: max(1, min(limit, _MAX_VERSIONS))]
    out = []
    for xact in versions:
        rows = svc.data.read(ref, version=xact)
        out.append(
            {
                "version": str(xact),
                "created": version_time(xact),
                "num_rows": len(rows),
                "rows_changed": sum(1 for r in rows if r.get("_xact_id") == xact),
            }
        )
    return out


def _content(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: row.get(k) for k in ROW_FIELDS}


def _restore_plan(
    svc: Services, obj: RegistryObject, version: str | int | None
) -> tuple[list[dict[str, Any]], list[str]]:
    xact = parse_version(version)
    if xact is None:
        raise InvalidInput("restore needs a version")
    ref = dataset_ref(obj)
    known = svc.data.versions(ref)
    if xact not in known:
        raise NotFound(f"dataset {obj.name!r} has no version {xact}")
    then = {r["id"]: r for r in svc.data.read(ref, version=xact)}
    now = {r["id"]: r for r in svc.data.read(ref)}
    to_restore = [
        row for rid, row in then.items() if rid not in now or _content(now[rid]) != _content(row)
    ]  # fmt: skip
    to_delete = [rid for rid in now if rid not in then]
    return to_restore, to_delete


def restore_preview(
    svc: Services, p: Principal, dataset_id: str, version: str | int | None
) -> dict[str, Any]:
    """What :func:`restore` would do: rows to bring back to their content at ``version``
    (changed or deleted since) and rows to delete (added since)."""
    obj = get_dataset(svc, p, dataset_id)
    to_restore, to_delete = _restore_plan(svc, obj, version)
    return {
        "rows_to_restore": len(to_restore),
        "rows_to_delete": len(to_delete),
        "restore_ids": sorted(r["id"] for r in to_restore),
        "delete_ids": sorted(to_delete),
    }


def restore(
    svc: Services, p: Principal, dataset_id: str, version: str | int | None
) -> dict[str, Any]:
    """Make the dataset look as it did at ``version`` by writing compensating rows as one new
    version. History is kept: the versions in between stay readable."""
    require_write(p)
    obj = get_dataset(svc, p, dataset_id)
    to_restore, to_delete = _restore_plan(svc, obj, version)
    rows: list[dict[str, Any]] = []
    for row in to_restore:
        fields = {k: row[k] for k in ROW_FIELDS if row.get(k) is not None}
        rows.append({"id": row["id"], "created": row.get("created"), **fields})
    rows.extend({"id": rid, "_object_delete": True} for rid in to_delete)
    result = write_rows(svc, dataset_ref(obj), rows)
    logger.info(
        "datasets.restore id=%s to=%s restored=%d deleted=%d",
        obj.id, version, len(to_restore), len(to_delete),
    )  # fmt: skip
    return {
        "xact_id": result["xact_id"],
        "rows_restored": len(to_restore),
        "rows_deleted": len(to_delete),
    }


def summarize(svc: Services, p: Principal, dataset_id: str) -> dict[str, Any]:
    """Name, project, row count and head version of a dataset."""
    obj = get_dataset(svc, p, dataset_id)
    ref = dataset_ref(obj)
    project = svc.control.get_project(p.org_id, obj.project_id)
    head = _head(svc, ref)
    return {
        "project_name": project.name,
        "dataset_name": obj.name,
        "dataset_id": obj.id,
        "num_rows": svc.data.count(ref),
        "version": None if head is None else str(head),
    }
