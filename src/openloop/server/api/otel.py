"""OTLP/HTTP trace ingestion: ``POST /v1/traces`` (also ``/otel/v1/traces``).

The project comes, per resource, from the ``openloop.project`` resource attribute, else from the
``x-openloop-project`` header (name or id); one Collector request can carry several services. Responses follow OTLP: an
``ExportTraceServiceResponse`` in the request's encoding, with ``partial_success`` describing
rejected spans.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request, Response
from starlette.concurrency import run_in_threadpool

from openloop.auth import require_write
from openloop.errors import InvalidInput, NotFound, PayloadTooLarge
from openloop.server.body import read_body
from openloop.server.security import get_principal, get_services
from openloop.services.ingest import write_columns, write_to
from openloop.store.data.base import ObjectRef

router = APIRouter(tags=["ingest"])

PROJECT_HEADER = "x-openloop-project"


def _ingest(
    svc: Any,
    p: Any,
    body: bytes,
    content_type: str,
    encoding: str | None,
    header_project: str | None,
) -> tuple[int, str]:
    from openloop.ingest.pool import decode_otlp
    from openloop.ingest.rows import RowLimits

    require_write(p)
    settings = svc.settings
    decoded = svc.decoders.run(
        decode_otlp,
        body,
        content_type=content_type,
        content_encoding=encoding,
        max_bytes=settings.max_request_bytes,
        limits=RowLimits.from_settings(settings),
    )
    if decoded.spans > settings.ingest_max_rows:
        raise PayloadTooLarge(
            f"{decoded.spans} spans in one request; the limit is {settings.ingest_max_rows} "
            "(OPENLOOP_INGEST_MAX_ROWS)"
        )
    if decoded.columns is not None:  # one resource, plain spans
        write_columns(svc, _project_ref(svc, p, decoded.project or header_project), decoded.columns)
        return 0, ""
    groups: dict[ObjectRef, tuple[list[dict[str, Any]], list[int]]] = {}
    n = 0
    for group in decoded.groups:
        rows, idx = groups.setdefault(
            _project_ref(svc, p, group.project or header_project), ([], [])
        )
        for row in group.rows:
            rows.append(row)
            idx.append(n)
            n += 1
    result = write_to(svc, groups)
    messages = "; ".join(f"span {e['index']}: {e['message']}" for e in result.errors[:5])
    return len(result.errors), messages


def _project_ref(svc: Any, p: Any, name: str | None) -> ObjectRef:
    """The logs of project ``name`` (created on first use) in the caller's organization."""
    if not name:
        raise InvalidInput(
            f"no project for these spans: send the {PROJECT_HEADER} header or set the "
            "'openloop.project' resource attribute"
        )
    try:
        project = svc.control.get_project(p.org_id, name)
    except NotFound:
        project = svc.control.get_or_create_project(p.org_id, name)
    return ObjectRef(p.org_id, project.id, "project_logs", project.id)


@router.post("/v1/traces", summary="OTLP/HTTP trace export (protobuf or JSON)")
@router.post("/otel/v1/traces", include_in_schema=False)
async def otlp_traces(
    request: Request, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> Response:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceResponse,
    )

    limit = svc.settings.max_request_bytes
    body = await read_body(request, limit)
    content_type = (request.headers.get("content-type") or "").split(";")[0].strip().lower()
    rejected, message = await run_in_threadpool(
        _ingest,
        svc,
        p,
        body,
        content_type,
        request.headers.get("content-encoding"),
        request.headers.get(PROJECT_HEADER),
    )
    resp = ExportTraceServiceResponse()
    if rejected:
        resp.partial_success.rejected_spans = rejected
        resp.partial_success.error_message = message
    if content_type == "application/json":
        from google.protobuf.json_format import MessageToJson

        return Response(MessageToJson(resp), media_type="application/json")
    return Response(resp.SerializeToString(), media_type="application/x-protobuf")
