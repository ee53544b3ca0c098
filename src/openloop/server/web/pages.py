"""The UI shell: static assets, the projects list and a project's overview. Every page needs a
session; without one it redirects to ``/login``."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool

from openloop.errors import OpenLoopError
from openloop.server.security import get_principal, get_services
from openloop.server.web.common import (
    WEB_DIR,
    PageAuth,
    page_context,
    project_or_404,
    project_slug,
    require_page,
    templates,
)
from openloop.services.query import run_user_query

router = APIRouter(include_in_schema=False)
logger = logging.getLogger(__name__)

router.mount("/static", StaticFiles(directory=str(WEB_DIR / "static")), name="static")
_OVERVIEW_DAYS = 14


@router.get("/", response_class=HTMLResponse)
def home(request: Request) -> Any:
    auth = require_page(request)
    if not isinstance(auth, PageAuth):
        return auth
    ctx = page_context(request, auth, page="projects")
    return templates.TemplateResponse(request, "projects.html", ctx)


@router.get("/p/{project}", response_class=HTMLResponse)
async def overview(project: str, request: Request) -> Any:
    auth = require_page(request)
    if not isinstance(auth, PageAuth):
        return auth
    proj = project_or_404(auth, project)
    stats = await run_in_threadpool(_overview_stats, auth, proj.id)
    experiments = auth.svc.control.list_objects(auth.principal.org_id, proj.id, "experiment")
    ctx = page_context(
        request, auth, page="overview", project=proj, experiments=experiments[:8], **stats
    )
    return templates.TemplateResponse(request, "overview.html", ctx)


def _overview_stats(auth: PageAuth, project_id: str) -> dict[str, Any]:
    """Per-day volume, errors and cost over the last two weeks, plus the latest traces; every
    number comes from the query language."""
    since = (datetime.now(UTC) - timedelta(days=_OVERVIEW_DAYS - 1)).strftime("%Y-%m-%dT00:00:00Z")
    src = f"project_logs('{project_id}')"
    per_day = (
        f"SELECT day(created) AS day, sum(is_root) AS traces, count(error) AS errors, "
        f"sum(estimated_cost()) AS cost, sum(metrics.tokens) AS tokens FROM {src} "
        f"WHERE created >= '{since}' AND comment IS NULL GROUP BY 1 ORDER BY day"
    )
    latest = (
        f"select: id, created, span_attributes.name as name, input, output, error, "
        f"metrics.duration as duration, metrics.estimated_cost as cost\n"
        f"from: {src} summary\nfilter: created >= '{since}' AND comment IS NULL\n"
        f"sort: created desc\npreview_length: 90\nlimit: 8"
    )
    days: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    error = None
    try:
        by_day = {
            str(r["day"])[:10]: r for r in run_user_query(auth.svc, auth.principal, per_day)["data"]
        }
        start = datetime.now(UTC).date() - timedelta(days=_OVERVIEW_DAYS - 1)
        for i in range(_OVERVIEW_DAYS):
            d = (start + timedelta(days=i)).isoformat()
            r = by_day.get(d, {})
            days.append(
                {
                    "day": d,
                    "traces": int(r.get("traces") or 0),
                    "errors": int(r.get("errors") or 0),
                    "cost": float(r.get("cost") or 0.0),
                    "tokens": int(r.get("tokens") or 0),
                }
            )
        rows = run_user_query(auth.svc, auth.principal, latest)["data"]
    except OpenLoopError as exc:
        logger.warning("web.overview_failed project=%s %s", project_id, exc)
        error = str(exc)
    totals = {k: sum(d[k] for d in days) for k in ("traces", "errors", "cost", "tokens")}
    return {
        "days": days,
        "totals": totals,
        "max": {k: max([d[k] for d in days] or [0]) or 1 for k in ("traces", "errors", "cost")},
        "latest": rows,
        "stats_error": error,
        "since_days": _OVERVIEW_DAYS,
    }


@router.get("/ui/api/whoami")
def whoami(svc: Any = Depends(get_services), p: Any = Depends(get_principal)) -> dict[str, Any]:
    """The signed-in user and their projects (used by the keyboard palette)."""
    user = svc.control.get_user(p.user_id)
    return {
        "email": user.email,
        "role": p.role,
        "projects": [
            {"id": x.id, "name": x.name, "slug": project_slug(x)}
            for x in svc.control.list_projects(p.org_id)
        ],
    }


def _include_page_areas() -> None:
    """Each page area lives in its own module; they are served through this router so the app
    registers the whole UI with one entry."""
    from openloop.server.web import (
        datasets,
        experiments,
        logs,
        loop_panel,
        monitor,
        playground,
        prompts,
        query,
        saved,
        scorers,
        settings,
    )

    for module in (logs, query, monitor, settings, saved, experiments, datasets, prompts,
                   scorers, playground, loop_panel):  # fmt: skip
        router.include_router(module.router)


_include_page_areas()
