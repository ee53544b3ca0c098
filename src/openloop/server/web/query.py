"""The query sandbox: an editor with highlighting, results paged by cursor, errors with a caret,
and "Fix with Loop" (the Loop endpoint when the server has it, else the offline fixer tool)."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from openloop.errors import NotFound
from openloop.server.security import get_principal, get_services
from openloop.server.web.common import (
    PageAuth,
    page_context,
    project_or_404,
    require_page,
    templates,
)

router = APIRouter(include_in_schema=False)
logger = logging.getLogger(__name__)


def default_query(project_name: str) -> str:
    quoted = project_name.replace("'", "''")
    return (
        "SELECT span_attributes.name AS name, count(1) AS spans, avg(latency) AS avg_latency\n"
        f"FROM project_logs('{quoted}')\n"
        "WHERE created > now() - interval 1 day\n"
        "GROUP BY 1\nORDER BY spans DESC\nLIMIT 20"
    )


@router.get("/p/{project}/query", response_class=HTMLResponse)
def query_page(project: str, request: Request) -> Any:
    auth = require_page(request)
    if not isinstance(auth, PageAuth):
        return auth
    proj = project_or_404(auth, project)
    text = request.query_params.get("q") or default_query(proj.name)
    ctx = page_context(request, auth, page="query", project=proj, initial_query=text)
    return templates.TemplateResponse(request, "query.html", ctx)


class FixBody(BaseModel):
    query: str = Field(min_length=1, max_length=100_000)
    error: str = Field(default="", max_length=10_000)
    project: str | None = None


@router.post("/ui/api/fix_query")
async def fix_query(
    body: FixBody, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    """Run the offline ``fix_query`` Loop tool on a failing query (404 when the tool is not
    installed)."""
    from openloop.loop.tools.base import LoopContext, get_tool

    try:
        spec = get_tool("fix_query")
    except NotFound:
        raise NotFound("the query fixer is not available on this server") from None
    fields = spec.args.model_fields
    values: dict[str, Any] = {}
    for name in fields:
        if name in ("query", "text", "sql", "btql"):
            values[name] = body.query
        elif name in ("error", "message", "error_message"):
            values[name] = body.error
    args = spec.args(**values)
    ctx = LoopContext(svc=svc, principal=p, project_id=body.project, page={"page": "query"})
    result = await run_in_threadpool(spec.run, ctx, args)
    data = result.data if isinstance(result.data, dict) else {}
    fixed = data.get("query") or data.get("fixed") or data.get("fixed_query")
    return {"query": fixed, "text": result.text}
