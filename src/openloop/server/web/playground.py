"""The Playground: pick one or more prompts, a dataset and scorers; "Run all" streams every
(row, prompt) result into a grid with its scores (``POST /v1/playground/run``, SSE); diff mode
compares each prompt's output with the first prompt's; "Save as experiment" keeps each prompt's
run; rows whose scorer verdict is wrong can be sent to Loop with the expected classification
("Tune scorer"). ``static/playground.js`` does the rest."""

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
from openloop.services import prompts as svc_prompts
from openloop.services import scorers as svc_scorers

router = APIRouter(include_in_schema=False)
logger = logging.getLogger(__name__)

#: Built-in scorers offered without configuration (no model or embedding provider needed).
OFFLINE_BUILTINS: tuple[str, ...] = ("ExactMatch", "Levenshtein", "JSONDiff", "NumericDiff")


@router.get("/p/{project}/playground", response_class=HTMLResponse)
def playground_page(project: str, request: Request) -> Any:
    auth = require_page(request)
    if not isinstance(auth, PageAuth):
        return auth
    proj = project_or_404(auth, project)
    org = auth.principal.org_id
    prompts = svc_prompts.list_prompts(auth.svc, auth.principal, proj.id)
    scorers = svc_scorers.list_scorers(auth.svc, auth.principal, proj.id)
    builtins = [b["name"] for b in svc_scorers.list_builtins() if b["name"] in OFFLINE_BUILTINS]
    ctx = page_context(
        request, auth, page="playground", project=proj,
        prompts=[{"id": x["id"], "name": x["name"],
                  "model": (x["prompt_data"].get("options") or {}).get("model")} for x in prompts],
        datasets=[{"id": d.id, "name": d.name} for d in auth.svc.control.list_objects(org, proj.id, "dataset")],
        scorers=[{"id": s["id"], "name": s["name"],
                  "threshold": (s.get("metadata") or {}).get("__pass_threshold")} for s in scorers],
        builtins=builtins,
        selected_prompts=request.query_params.getlist("prompt"),
        selected_dataset=request.query_params.get("dataset") or "",
    )  # fmt: skip
    return templates.TemplateResponse(request, "playground.html", ctx)
