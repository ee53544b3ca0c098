"""The Logs page: a traces or spans table paged through the query API, the filter editor,
saved views and the trace view. The page is a shell; ``static/logs.js`` and
``static/trace.js`` fetch rows with ``POST /btql``."""

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

router = APIRouter(include_in_schema=False)
logger = logging.getLogger(__name__)

#: Time ranges offered by the Logs and Monitor pages (label, seconds).
RANGES: tuple[tuple[str, int], ...] = (
    ("1h", 3600),
    ("24h", 86400),
    ("7d", 7 * 86400),
    ("14d", 14 * 86400),
    ("30d", 30 * 86400),
)


@router.get("/p/{project}/logs", response_class=HTMLResponse)
def logs_page(project: str, request: Request) -> Any:
    auth = require_page(request)
    if not isinstance(auth, PageAuth):
        return auth
    proj = project_or_404(auth, project)
    ctx = page_context(request, auth, page="logs", project=proj, ranges=RANGES)
    return templates.TemplateResponse(request, "logs.html", ctx)
