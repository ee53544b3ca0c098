"""Saved Monitor charts (``/v1/chart``) and chart previews (``POST /v1/chart/preview``)."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field

from openloop.server.security import get_principal, get_services
from openloop.services import charts as svc_charts

router = APIRouter(tags=["charts"])

ChartType = Literal["timeseries", "bar", "big_number"]
Unit = Literal["count", "seconds", "usd", "percent", "tokens"]


class ChartCreate(BaseModel):
    project_id: str | None = None
    project_name: str | None = None
    title: str = Field(min_length=1, max_length=256)
    query: str = Field(min_length=1, max_length=20_000, description="BTQL or SQL query.")
    chart_type: ChartType
    unit: Unit | None = Field(default=None, description="Guessed from the query when omitted.")
    group_by: str | None = Field(default=None, max_length=256, description="Column to split by.")
    description: str = Field(default="", max_length=4000)


class ChartPatch(BaseModel):
    title: str | None = Field(default=None, min_length=1, max_length=256)
    query: str | None = Field(default=None, min_length=1, max_length=20_000)
    chart_type: ChartType | None = None
    unit: Unit | None = None
    group_by: str | None = Field(default=None, max_length=256)
    description: str | None = Field(default=None, max_length=4000)


class ChartPreview(BaseModel):
    query: str = Field(min_length=1, max_length=20_000)
    chart_type: ChartType
    unit: Unit | None = None
    group_by: str | None = Field(default=None, max_length=256)
    project: str | None = Field(default=None, description="Project used to resolve names.")


def _project_of(body: ChartCreate) -> str:
    from openloop.errors import InvalidInput

    project = body.project_id or body.project_name
    if not project:
        raise InvalidInput("give project_id or project_name")
    return project


@router.post("/v1/chart/preview", summary="Run a chart query and return its series")
def preview(
    body: ChartPreview, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    return svc_charts.preview_chart(svc, p, body.query, body.chart_type, unit=body.unit,
                                    group_by=body.group_by, project=body.project)  # fmt: skip


@router.post("/v1/chart", status_code=201, summary="Save a chart")
def create(
    body: ChartCreate, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    return svc_charts.create_chart(svc, p, _project_of(body), title=body.title, query=body.query,
                                   chart_type=body.chart_type, unit=body.unit,
                                   group_by=body.group_by, description=body.description)  # fmt: skip


@router.get("/v1/chart", summary="List a project's charts")
def list_charts(
    project: str = Query(description="Project id or name."),
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:
    return {"objects": svc_charts.list_charts(svc, p, project)}


@router.get("/v1/chart/{chart_id}", summary="Get a chart (with its data when data=true)")
def get(
    chart_id: str,
    data: bool = False,
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:
    if data:
        return svc_charts.chart_data(svc, p, chart_id)
    return svc_charts.get_chart(svc, p, chart_id)


@router.patch("/v1/chart/{chart_id}", summary="Change a chart")
def patch(
    chart_id: str,
    body: ChartPatch,
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:
    return svc_charts.update_chart(svc, p, chart_id, **body.model_dump(exclude_unset=True))


@router.delete("/v1/chart/{chart_id}", status_code=204, summary="Delete a chart")
def delete(
    chart_id: str, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> Response:
    svc_charts.delete_chart(svc, p, chart_id)
    return Response(status_code=204)
