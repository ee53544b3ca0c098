"""Datasets: ``/v1/dataset`` CRUD, rows, versions, restore, import/export and add-from-logs.

``POST /v1/dataset/{id}/insert`` (Braintrust's insert) is served by the ingest router.
"""

from __future__ import annotations

import re
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi.responses import JSONResponse, StreamingResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from openloop.errors import InvalidInput
from openloop.server.body import read_body
from openloop.server.security import get_principal, get_services
from openloop.services import dataset_io
from openloop.services import datasets as svc_datasets

router = APIRouter(prefix="/v1/dataset", tags=["datasets"])

_MEDIA = {"csv": "text/csv; charset=utf-8", "jsonl": "application/x-ndjson"}


class DatasetCreate(BaseModel):
    name: str = Field(min_length=1, max_length=128, description="Dataset name, unique per project.")
    project: str | None = Field(default=None, description="Project id or name.")
    project_name: str | None = Field(default=None, description="Project name (created if new).")
    project_id: str | None = Field(default=None, description="Project id.")
    description: str = Field(default="", max_length=4000)
    metadata: dict[str, Any] | None = None


class DatasetPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=128)
    description: str | None = Field(default=None, max_length=4000)
    metadata: dict[str, Any] | None = None


class RowsBody(BaseModel):
    rows: list[Any] | None = Field(default=None, description="Rows {id?, input, expected, ...}.")
    events: list[Any] | None = Field(default=None, description="Alias of rows.")


class VersionBody(BaseModel):
    version: str = Field(min_length=1, description="The version (_xact_id) to restore.")


class FromLogsBody(BaseModel):
    span_ids: list[str] | None = Field(default=None, description="Row ids of logged spans.")
    query: str | None = Field(default=None, description="BTQL/SQL query returning span ids.")
    project: str | None = Field(default=None, description="Logs project (default: dataset's).")


def _obj(obj: Any) -> dict[str, Any]:
    return obj.to_dict()


@router.get("", summary="List datasets (of one project, or of the org)")
def list_datasets(
    project: str | None = None,
    project_name: str | None = None,
    project_id: str | None = None,
    dataset_name: str | None = None,
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:
    objs = svc_datasets.list_datasets(svc, p, project or project_id or project_name)
    if dataset_name is not None:
        objs = [o for o in objs if o.name == dataset_name]
    return {"objects": [_obj(o) for o in objs]}


@router.post("", summary="Create a dataset, or return the existing one with that name")
def create_dataset(
    body: DatasetCreate, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> Any:
    project = body.project or body.project_id or body.project_name
    if not project:
        raise InvalidInput("give the dataset's project (project, project_name or project_id)")
    obj, created = svc_datasets.register_dataset(
        svc, p, project, body.name, description=body.description, metadata=body.metadata,
        create_project=body.project_name is not None and body.project is None,
    )  # fmt: skip
    return JSONResponse(_obj(obj), status_code=201 if created else 200)


@router.get("/{dataset_id}", summary="Get a dataset")
def get_dataset(
    dataset_id: str, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    return _obj(svc_datasets.get_dataset(svc, p, dataset_id))


@router.patch("/{dataset_id}", summary="Rename or describe a dataset")
def update_dataset(
    dataset_id: str,
    body: DatasetPatch,
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:
    return _obj(
        svc_datasets.update_dataset(
            svc, p, dataset_id, name=body.name, description=body.description,
            metadata=body.metadata,
        )
    )  # fmt: skip


@router.delete("/{dataset_id}", status_code=204, summary="Delete a dataset and its rows")
def delete_dataset(
    dataset_id: str, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> Response:
    svc_datasets.delete_dataset(svc, p, dataset_id)
    return Response(status_code=204)


@router.get("/{dataset_id}/summary", summary="Row count and head version")
def summarize(
    dataset_id: str, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    return svc_datasets.summarize(svc, p, dataset_id)


@router.get("/{dataset_id}/rows", summary="Rows, as of a version")
def read_rows(
    dataset_id: str,
    version: str | None = Query(default=None, description="Read as of this _xact_id."),
    limit: int | None = Query(default=None, ge=0),
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:
    return svc_datasets.read_rows(svc, p, dataset_id, version=version, limit=limit)


@router.post("/{dataset_id}/rows", summary="Insert rows (replace by id); one new version")
def insert_rows(
    dataset_id: str, body: RowsBody, svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:  # fmt: skip
    rows = body.rows if body.rows is not None else body.events
    if rows is None:
        raise InvalidInput("request body needs a 'rows' list")
    return svc_datasets.insert_rows(svc, p, dataset_id, rows)


@router.patch("/{dataset_id}/rows/{row_id}", summary="Merge fields into a row")
def update_row(
    dataset_id: str,
    row_id: str,
    body: dict[str, Any],
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:
    return svc_datasets.update_row(svc, p, dataset_id, row_id, body)


@router.delete("/{dataset_id}/rows/{row_id}", summary="Delete a row (tombstone)")
def delete_row(
    dataset_id: str, row_id: str, svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:  # fmt: skip
    return svc_datasets.delete_rows(svc, p, dataset_id, [row_id])


@router.get("/{dataset_id}/versions", summary="Versions with row counts, newest first")
def list_versions(
    dataset_id: str,
    limit: int = Query(default=50, ge=1, le=1000),
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:
    return {"versions": svc_datasets.list_versions(svc, p, dataset_id, limit=limit)}


@router.post("/{dataset_id}/restore/preview", summary="What restoring a version would change")
def restore_preview(
    dataset_id: str, body: VersionBody, svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:  # fmt: skip
    return svc_datasets.restore_preview(svc, p, dataset_id, body.version)


@router.post("/{dataset_id}/restore", summary="Restore a version (writes a new version)")
def restore(
    dataset_id: str, body: VersionBody, svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:  # fmt: skip
    return svc_datasets.restore(svc, p, dataset_id, body.version)


@router.post("/{dataset_id}/import", summary="Import CSV, JSONL or JSON rows")
async def import_rows(
    dataset_id: str,
    request: Request,
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:
    """Either ``multipart/form-data`` with a ``file`` (and optional ``format`` and ``mapping``
    fields; the format defaults to the file's extension), or JSON ``{format, content, mapping?}``."""
    ctype = request.headers.get("content-type", "")
    limit = svc.settings.max_request_bytes
    mapping: Any = None
    if ctype.startswith("multipart/form-data"):
        async with request.form() as form:
            upload = form.get("file")
            if upload is None or isinstance(upload, str):
                raise InvalidInput("multipart import needs a 'file' field")
            content: Any = await upload.read(limit + 1)
            name = upload.filename or ""
            fmt = str(form.get("format") or (name.rsplit(".", 1)[-1] if "." in name else ""))
            raw_mapping = form.get("mapping")
        if len(content) > limit:
            raise InvalidInput(f"file exceeds the limit of {limit} bytes", status=413)
        if isinstance(raw_mapping, str) and raw_mapping.strip():
            mapping = _json(raw_mapping, "mapping")
    else:
        body = _json((await read_body(request, limit)).decode("utf-8", "replace"), "body")
        if not isinstance(body, dict) or not isinstance(body.get("content"), str):
            raise InvalidInput("JSON import body needs {format, content} with content as text")
        fmt, content, mapping = str(body.get("format") or ""), body["content"], body.get("mapping")
    if not fmt:
        raise InvalidInput(f"say which format the data is in: {', '.join(dataset_io.FORMATS)}")
    if mapping is not None and not (
        isinstance(mapping, dict) and all(isinstance(v, str) for v in mapping.values())
    ):
        raise InvalidInput("mapping must be an object {column: target}")
    return await run_in_threadpool(
        dataset_io.import_rows, svc, p, dataset_id, content, fmt=fmt, mapping=mapping
    )


def _json(text: str, what: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        raise InvalidInput(f"{what} is not valid JSON: {exc}") from None


@router.get("/{dataset_id}/export", summary="Export current rows as CSV or JSONL")
def export_rows(
    dataset_id: str,
    format: str = Query(default="jsonl", description="csv or jsonl"),
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> StreamingResponse:
    obj = svc_datasets.get_dataset(svc, p, dataset_id)
    chunks = dataset_io.export_rows(svc, p, dataset_id, fmt=format)
    stem = re.sub(r"[^A-Za-z0-9._-]+", "_", obj.name).strip("_") or "dataset"
    filename = f"{stem}.{format.lower()}"
    return StreamingResponse(
        chunks,
        media_type=_MEDIA[format.lower()],
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.post("/{dataset_id}/from_logs", summary="Copy logged spans into the dataset")
def from_logs(
    dataset_id: str, body: FromLogsBody, svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:  # fmt: skip
    return dataset_io.add_from_logs(
        svc, p, dataset_id, span_ids=body.span_ids, query=body.query, project=body.project
    )
