"""Native ingest: ``POST /v1/ingest`` (and the Braintrust-shaped ``/logs3`` and
``/v1/{object}/{id}/insert|feedback``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from openloop.errors import InvalidInput
from openloop.server.body import decompress, parse_json, read_body
from openloop.server.security import get_principal, get_services
from openloop.services.feedback import feedback_to_rows
from openloop.services.ingest import ingest_body, ingest_rows

router = APIRouter(tags=["ingest"])

_OBJECT_KEY = {"project_logs": "project_id", "experiment": "experiment_id", "dataset": "dataset_id"}


async def _json_body(request: Request) -> Any:
    limit = request.app.state.svc.settings.max_request_bytes
    raw = await read_body(request, limit)
    data = decompress(raw, request.headers.get("content-encoding"), limit)
    return await run_in_threadpool(parse_json, data)


def _parse_rows(data: bytes) -> list[Any]:
    return _rows_of(parse_json(data), "rows")


def _rows_of(body: Any, key: str) -> list[Any]:
    if not isinstance(body, dict):
        raise InvalidInput(f"request body must be a JSON object with a {key!r} list")
    rows = body.get(key)
    if not isinstance(rows, list):
        raise InvalidInput(f"request body needs a {key!r} list")
    return rows


def _respond(result: Any) -> JSONResponse:
    body = result.to_dict()
    if not result.errors:
        return JSONResponse(body)
    stored = len(result.ids)
    rejected = len(result.errors)
    first = result.errors[0]
    statuses = {e.get("status", 422) for e in result.errors}
    status = statuses.pop() if len(statuses) == 1 else 422
    message = (
        f"{rejected} row(s) rejected, {stored} stored. First problem, row {first['index']}: "
        f"{first['message']}"
    )
    return JSONResponse(
        {"error": {"type": "InvalidRows", "message": message, "errors": result.errors}, **body},
        status_code=status,
    )


async def _raw_body(request: Request) -> bytes:
    limit = request.app.state.svc.settings.max_request_bytes
    raw = await read_body(request, limit)
    data = decompress(raw, request.headers.get("content-encoding"), limit)
    if not data.strip():
        raise InvalidInput("request body is empty; expected JSON")
    return data


@router.post(
    "/v1/ingest", summary="Insert or merge rows into project logs, experiments or datasets"
)
async def ingest(
    request: Request, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> Any:
    body = await _raw_body(request)
    return _respond(await run_in_threadpool(ingest_body, svc, p, body, _parse_rows))


@router.post("/logs3", summary="Braintrust-compatible row ingest", include_in_schema=True)
async def logs3(
    request: Request, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> Any:
    body = await _raw_body(request)
    return _respond(await run_in_threadpool(ingest_body, svc, p, body, _parse_rows))


@router.post("/v1/{object_type}/{object_id}/insert", summary="Insert events into one container")
async def insert_events(
    object_type: str,
    object_id: str,
    request: Request,
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> Any:
    key = _container_key(object_type)
    events = _rows_of(await _json_body(request), "events")
    rows = [{**e, key: object_id} if isinstance(e, dict) else e for e in events]
    return _respond(await run_in_threadpool(ingest_rows, svc, p, rows))


@router.post("/v1/{object_type}/{object_id}/feedback", summary="Log feedback on rows")
async def feedback(
    object_type: str,
    object_id: str,
    request: Request,
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> Any:
    key = _container_key(object_type)
    items = _rows_of(await _json_body(request), "feedback")
    rows = feedback_to_rows(
        items, container={key: object_id}, object_type=object_type, object_id=object_id
    )
    return _respond(await run_in_threadpool(ingest_rows, svc, p, rows))


def _container_key(object_type: str) -> str:
    key = _OBJECT_KEY.get(object_type)
    if key is None:
        raise InvalidInput(
            f"unknown object type {object_type!r}; use project_logs, experiment or dataset"
        )
    return key
