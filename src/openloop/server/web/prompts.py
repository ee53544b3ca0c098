"""The Prompts pages: the list (+ Prompt) and the editor — messages (role + content), model,
parameters, response format; saving writes a new version; versions with a diff between any
two; "Try it" renders the template variables and invokes the prompt (streamed).
``static/prompts.js`` talks to ``/v1/prompt``."""

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
from openloop.services import prompts as svc_prompts

router = APIRouter(include_in_schema=False)
logger = logging.getLogger(__name__)

#: Message roles the editor offers.
ROLES: tuple[str, ...] = ("system", "user", "assistant", "tool")


def _model_suggestions(auth: PageAuth) -> list[str]:
    """Model names worth offering in the editor: what the org's providers list."""
    names: list[str] = []
    for provider in auth.svc.control.list_providers(auth.principal.org_id):
        names.extend(m for m in provider.models if m not in names)
    return names


@router.get("/p/{project}/prompts", response_class=HTMLResponse)
def prompts_page(project: str, request: Request) -> Any:
    auth = require_page(request)
    if not isinstance(auth, PageAuth):
        return auth
    proj = project_or_404(auth, project)
    prompts = svc_prompts.list_prompts(auth.svc, auth.principal, proj.id)
    ctx = page_context(request, auth, page="prompts", project=proj, prompts=prompts)
    return templates.TemplateResponse(request, "prompts.html", ctx)


@router.get("/p/{project}/prompts/{prompt_id}", response_class=HTMLResponse)
def prompt_page(project: str, prompt_id: str, request: Request) -> Any:
    auth = require_page(request)
    if not isinstance(auth, PageAuth):
        return auth
    proj = project_or_404(auth, project)
    prompts = svc_prompts.list_prompts(auth.svc, auth.principal, proj.id)
    found = next((x for x in prompts if prompt_id in (x["id"], x["slug"], x["name"])), None)
    if found is None:
        raise NotFound(f"prompt {prompt_id!r} not found in {proj.name!r}")
    ctx = page_context(
        request, auth, page="prompts", project=proj, prompt=found, roles=ROLES,
        models=_model_suggestions(auth),
    )  # fmt: skip
    return templates.TemplateResponse(request, "prompt.html", ctx)
