"""The Scorers pages: the project's scorers and the built-ins, and the editor — an LLM judge
(prompt template, choice → score map, chain of thought, model) or a Python code scorer — with a
test run on a manual input or a dataset row. ``static/scorers.js`` talks to ``/v1/scorer``."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from openloop.errors import NotFound
from openloop.server.web.common import (
    PageAuth,
    page_context,
    project_or_404,
    require_page,
    templates,
)
from openloop.services import scorers as svc_scorers

router = APIRouter(include_in_schema=False)
logger = logging.getLogger(__name__)

#: What a new scorer of each kind starts with.
STARTERS: dict[str, dict[str, Any]] = {
    "llm_judge": {
        "type": "llm_judge",
        "prompt": "Is the answer correct given the question and the reference?\n\n"
        "[Question]\n{{input}}\n\n[Answer]\n{{output}}\n\n[Reference]\n{{expected}}\n\n"
        "(A) correct and complete\n(B) partly correct\n(C) wrong",
        "model": "gpt-4o-mini",
        "choice_scores": {"A": 1.0, "B": 0.5, "C": 0.0},
        "use_cot": True,
    },
    "code": {
        "type": "code",
        "language": "python",
        "code": "def handler(input, output, expected, metadata):\n"
        '    """Return a number in [0, 1] or {\'score\': ..., \'metadata\': {...}}."""\n'
        "    return 1.0 if str(expected or '') in str(output or '') else 0.0\n",
    },
}


@router.get("/p/{project}/scorers", response_class=HTMLResponse)
def scorers_page(project: str, request: Request) -> Any:
    auth = require_page(request)
    if not isinstance(auth, PageAuth):
        return auth
    proj = project_or_404(auth, project)
    ctx = page_context(
        request, auth, page="scorers", project=proj,
        scorers=svc_scorers.list_scorers(auth.svc, auth.principal, proj.id),
        builtins=svc_scorers.list_builtins(), starters=STARTERS,
    )  # fmt: skip
    return templates.TemplateResponse(request, "scorers.html", ctx)


@router.get("/p/{project}/scorers/{scorer_id}", response_class=HTMLResponse)
def scorer_page(project: str, scorer_id: str, request: Request) -> Any:
    auth = require_page(request)
    if not isinstance(auth, PageAuth):
        return auth
    proj = project_or_404(auth, project)
    scorers = svc_scorers.list_scorers(auth.svc, auth.principal, proj.id)
    found = next((s for s in scorers if scorer_id in (s["id"], s["slug"], s["name"])), None)
    if found is None:
        raise NotFound(f"scorer {scorer_id!r} not found in {proj.name!r}")
    datasets = auth.svc.control.list_objects(auth.principal.org_id, proj.id, "dataset")
    ctx = page_context(
        request, auth, page="scorers", project=proj, scorer=found,
        datasets=[{"id": d.id, "name": d.name} for d in datasets],
    )  # fmt: skip
    return templates.TemplateResponse(request, "scorer.html", ctx)
