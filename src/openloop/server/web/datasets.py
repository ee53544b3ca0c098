"""The Datasets pages: the list (with row counts) and one dataset's rows grid — inline edit
(a merge), add and delete rows, CSV/JSONL import and export, and versions with "view at this
version" and restore (preview, then confirm). ``static/datasets.js`` pages rows through
``POST /btql`` (with ``version`` for an older version) and writes through ``/v1/dataset``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from openloop.errors import NotFound, OpenLoopError
from openloop.server.web.common import (
    PageAuth,
    page_context,
    project_or_404,
    require_page,
    templates,
)
from openloop.services import datasets as svc_datasets

router = APIRouter(include_in_schema=False)
logger = logging.getLogger(__name__)

#: Editable row fields, in grid order.
ROW_FIELDS: tuple[str, ...] = ("input", "expected", "metadata", "tags")


def _with_counts(auth: PageAuth, objs: list[Any]) -> list[dict[str, Any]]:
    out = []
    for obj in objs:
        item = {"id": obj.id, "name": obj.name, "description": obj.description,
                "created": obj.created, "num_rows": None, "version": None}  # fmt: skip
        try:
            summary = svc_datasets.summarize(auth.svc, auth.principal, obj.id)
            item["num_rows"], item["version"] = summary["num_rows"], summary["version"]
        except OpenLoopError as exc:
            logger.warning("web.dataset_summary_failed id=%s %s", obj.id, exc)
        out.append(item)
    return out


@router.get("/p/{project}/datasets", response_class=HTMLResponse)
async def datasets_page(project: str, request: Request) -> Any:
    auth = require_page(request)
    if not isinstance(auth, PageAuth):
        return auth
    proj = project_or_404(auth, project)
    objs = svc_datasets.list_datasets(auth.svc, auth.principal, proj.id)
    rows = await run_in_threadpool(_with_counts, auth, objs)
    ctx = page_context(request, auth, page="datasets", project=proj, datasets=rows)
    return templates.TemplateResponse(request, "datasets.html", ctx)


@router.get("/p/{project}/datasets/{dataset_id}", response_class=HTMLResponse)
def dataset_page(project: str, dataset_id: str, request: Request) -> Any:
    auth = require_page(request)
    if not isinstance(auth, PageAuth):
        return auth
    proj = project_or_404(auth, project)
    objs = svc_datasets.list_datasets(auth.svc, auth.principal, proj.id)
    obj = next((o for o in objs if dataset_id in (o.id, o.name)), None)
    if obj is None:
        raise NotFound(f"dataset {dataset_id!r} not found in {proj.name!r}")
    ctx = page_context(
        request, auth, page="datasets", project=proj, dataset=obj, fields=ROW_FIELDS,
        version=request.query_params.get("version") or "",
    )  # fmt: skip
    return templates.TemplateResponse(request, "dataset.html", ctx)
