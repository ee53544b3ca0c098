"""Saved charts for the Monitor page: a title, a query, a chart type and a unit.

A chart is a registry object of kind ``chart`` whose metadata is
``{title, query, chart_type, unit, group_by}``; it has no data-plane rows. Its data is always
computed by running its query through the one query path, so a chart shows exactly what the
query sandbox would. A chart is validated on save: its query must run and its rows must fit
the chart type.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from openloop.auth import require_write
from openloop.errors import InvalidInput, NotFound
from openloop.loop.skills.charts import CHART_TYPES, UNITS, build_series, guess_unit

if TYPE_CHECKING:
    from openloop.auth import Principal
    from openloop.services import Services
    from openloop.store.control.records import RegistryObject

__all__ = [
    "chart_data",
    "create_chart",
    "delete_chart",
    "get_chart",
    "list_charts",
    "preview_chart",
    "update_chart",
]

logger = logging.getLogger(__name__)

_MAX_QUERY = 20_000


def _check(chart_type: str, unit: str | None, query: str) -> tuple[str, str]:
    if chart_type not in CHART_TYPES:
        raise InvalidInput(
            f"chart_type must be one of {', '.join(CHART_TYPES)}", field="chart_type"
        )
    if not query or not query.strip():
        raise InvalidInput("a chart needs a query", field="query")
    if len(query) > _MAX_QUERY:
        raise InvalidInput(f"the query is longer than {_MAX_QUERY} characters", field="query")
    unit = unit or guess_unit(query)
    if unit not in UNITS:
        raise InvalidInput(f"unit must be one of {', '.join(UNITS)}", field="unit")
    return chart_type, unit


def preview_chart(svc: Services, p: Principal, query: str, chart_type: str, *,
                  unit: str | None = None, group_by: str | None = None,
                  project: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Run ``query`` and shape its rows as ``chart_type`` series (nothing is saved)."""
    from openloop.services.query import run_user_query

    chart_type, unit = _check(chart_type, unit, query)
    result = run_user_query(svc, p, query.strip(), project=project)
    rows = result.get("data") or []
    series = build_series(rows, chart_type, schema=result.get("schema"), group_by=group_by)
    logger.info(
        "charts.preview type=%s rows=%d series=%d", chart_type, len(rows), len(series["series"])
    )
    return {**series, "unit": unit, "query": query.strip(), "row_count": len(rows),
            "warnings": result.get("warnings") or []}  # fmt: skip


def _record(obj: RegistryObject) -> dict[str, Any]:
    meta = obj.metadata
    return {"id": obj.id, "project_id": obj.project_id, "name": obj.name,
            "title": meta.get("title", obj.name), "description": obj.description,
            "query": meta.get("query"), "chart_type": meta.get("chart_type"), "unit": meta.get("unit"),
            "group_by": meta.get("group_by"), "created": obj.created.isoformat(),
            "updated": obj.updated.isoformat()}  # fmt: skip


def _chart(svc: Services, p: Principal, chart_id: str) -> RegistryObject:
    try:
        obj = svc.control.find_object(p.org_id, chart_id)
    except NotFound:
        obj = None
    if obj is None or obj.kind != "chart":
        raise NotFound(f"chart {chart_id!r} not found")
    return obj


def create_chart(svc: Services, p: Principal, project: str, *, title: str, query: str,
                 chart_type: str, unit: str | None = None, group_by: str | None = None,
                 description: str = "") -> dict[str, Any]:  # fmt: skip
    """Validate (run the query, shape the rows) and save a chart in ``project``."""
    require_write(p)
    proj = svc.control.get_project(p.org_id, project)
    title = (title or "").strip()
    if not title:
        raise InvalidInput("a chart needs a title", field="title")
    preview = preview_chart(
        svc, p, query, chart_type, unit=unit, group_by=group_by, project=proj.name
    )
    meta = {"title": title, "query": query.strip(), "chart_type": chart_type,
            "unit": preview["unit"], "group_by": group_by}  # fmt: skip
    obj = svc.control.create_object(p.org_id, proj.id, "chart", title, description=description,
                                    metadata=meta)  # fmt: skip
    logger.info("charts.created id=%s project=%s type=%s", obj.id, proj.id, chart_type)
    return _record(obj)


def list_charts(svc: Services, p: Principal, project: str) -> list[dict[str, Any]]:
    proj = svc.control.get_project(p.org_id, project)
    return [_record(o) for o in svc.control.list_objects(p.org_id, proj.id, "chart")]


def get_chart(svc: Services, p: Principal, chart_id: str) -> dict[str, Any]:
    return _record(_chart(svc, p, chart_id))


def update_chart(svc: Services, p: Principal, chart_id: str, *, title: str | None = None,
                 query: str | None = None, chart_type: str | None = None, unit: str | None = None,
                 group_by: str | None = None, description: str | None = None) -> dict[str, Any]:  # fmt: skip
    """Change a chart; a changed query, type, unit or grouping is validated again."""
    require_write(p)
    obj = _chart(svc, p, chart_id)
    meta = dict(obj.metadata)
    changes = {"query": query, "chart_type": chart_type, "unit": unit, "group_by": group_by}
    for key, value in changes.items():
        if value is not None:
            meta[key] = value.strip() if key == "query" else value
    if title is not None:
        if not title.strip():
            raise InvalidInput("a chart needs a title", field="title")
        meta["title"] = title.strip()
    if any(v is not None for v in changes.values()):
        proj = svc.control.get_project(p.org_id, obj.project_id)
        preview = preview_chart(svc, p, meta["query"], meta["chart_type"], unit=meta.get("unit"),
                                group_by=meta.get("group_by"), project=proj.name)  # fmt: skip
        meta["unit"] = preview["unit"]
    updated = svc.control.update_object(p.org_id, obj.id, name=meta["title"] if title else None,
                                        description=description, metadata=meta)  # fmt: skip
    return _record(updated)


def delete_chart(svc: Services, p: Principal, chart_id: str) -> None:
    require_write(p)
    obj = _chart(svc, p, chart_id)
    svc.control.delete_object(p.org_id, obj.id)
    logger.info("charts.deleted id=%s", obj.id)


def chart_data(svc: Services, p: Principal, chart_id: str) -> dict[str, Any]:
    """A saved chart with its current series."""
    rec = get_chart(svc, p, chart_id)
    proj = svc.control.get_project(p.org_id, rec["project_id"])
    data = preview_chart(svc, p, rec["query"], rec["chart_type"], unit=rec["unit"],
                         group_by=rec["group_by"], project=proj.name)  # fmt: skip
    return {**rec, "data": data}
