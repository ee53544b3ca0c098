"""The Monitor page: preset charts over a time range with an optional group-by, plus saved
custom charts (registry kind ``chart``). Every chart is a query run through ``POST /btql``;
``static/monitor.js`` builds the queries from the presets below and draws inline SVG."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from openloop.server.web.common import (
    PageAuth,
    page_context,
    project_or_404,
    require_page,
    templates,
)
from openloop.server.web.logs import RANGES

router = APIRouter(include_in_schema=False)
logger = logging.getLogger(__name__)

_ROOTS = "is_root"
_LLM = "span_attributes.type = 'llm'"

#: Preset charts. ``filter`` picks the spans measured; ``group_filter`` replaces it when the
#: chart is grouped by model (models live on LLM spans); ``measures`` are (label, aggregate).
PRESETS: tuple[dict[str, Any], ...] = (
    {"id": "requests", "title": "Requests", "unit": "count", "filter": _ROOTS,
     "group_filter": _LLM, "measures": [["requests", "count(1)"]]},
    {"id": "latency", "title": "Latency p50 / p95", "unit": "duration", "filter": _ROOTS,
     "group_filter": _LLM,
     "measures": [["p50", "percentile(latency, 0.5)"], ["p95", "percentile(latency, 0.95)"]]},
    {"id": "tokens", "title": "Tokens", "unit": "count", "filter": _LLM,
     "measures": [["tokens", "sum(metrics.tokens)"]]},
    {"id": "cost", "title": "Estimated cost", "unit": "cost", "filter": _LLM,
     "measures": [["cost", "sum(estimated_cost())"]]},
    {"id": "ttft", "title": "Time to first token", "unit": "duration", "filter": _LLM,
     "measures": [["ttft", "avg(metrics.time_to_first_token)"]]},
    {"id": "errors", "title": "Error rate", "unit": "percent",
     "filter": "span_attributes.type IN ('llm', 'tool', 'task')", "group_filter": _LLM,
     "measures": [["error rate", "count(error) / count(1)"]], "logs_filter": "error IS NOT NULL"},
    {"id": "scores", "title": "Scores", "unit": "score", "filter": "", "scores": True,
     "measures": [["score", "avg(value)"]]},
)  # fmt: skip

#: Group-by choices: label -> expression.
GROUPS: dict[str, str] = {
    "none": "",
    "model": "metadata.model",
    "span name": "span_attributes.name",
}


@router.get("/p/{project}/monitor", response_class=HTMLResponse)
def monitor_page(project: str, request: Request) -> Any:
    auth = require_page(request)
    if not isinstance(auth, PageAuth):
        return auth
    proj = project_or_404(auth, project)
    ctx = page_context(
        request,
        auth,
        page="monitor",
        project=proj,
        ranges=RANGES,
        presets=PRESETS,
        groups=GROUPS,
    )
    return templates.TemplateResponse(request, "monitor.html", ctx)
