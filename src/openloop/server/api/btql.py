"""The query endpoint: ``POST /btql`` with ``{query, fmt, version, tz_offset}``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from openloop.server.security import get_principal, get_services
from openloop.services.query import run_user_query

router = APIRouter(tags=["query"])


class QueryBody(BaseModel):
    query: str = Field(min_length=1, max_length=100_000, description="BTQL or SQL text.")
    fmt: str = Field(default="json", description="Result format: json.")
    version: str | None = Field(default=None, description="Read as of this _xact_id.")
    tz_offset: int = Field(default=0, description="Minutes east of UTC for day/hour buckets.")
    cursor: str | None = Field(default=None, description="Cursor from a previous page.")
    project: str | None = Field(
        default=None, description="Project (id or name) used to resolve experiment/dataset names."
    )


@router.post("/btql", summary="Run a BTQL or SQL query")
@router.post("/v1/query", include_in_schema=False)
async def btql(
    body: QueryBody, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    return await run_in_threadpool(
        run_user_query,
        svc,
        p,
        body.query,
        fmt=body.fmt,
        version=body.version,
        tz_offset=body.tz_offset,
        cursor=body.cursor,
        project=body.project,
    )
