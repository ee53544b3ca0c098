"""Server-rendered pages (Jinja2). Every page needs a session; without one it redirects to
``/login``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from openloop._version import __version__
from openloop.errors import Unauthorized
from openloop.server.security import get_principal, get_services

router = APIRouter(include_in_schema=False)
templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _principal_or_none(request: Request) -> Any:
    try:
        return get_principal(request)
    except Unauthorized:
        return None


@router.get("/", response_class=HTMLResponse)
def home(request: Request, svc: Any = Depends(get_services)) -> Any:
    p = _principal_or_none(request)
    if p is None:
        return RedirectResponse("/login", status_code=303)
    projects = svc.control.list_projects(p.org_id)
    user = svc.control.get_user(p.user_id)
    return templates.TemplateResponse(
        request,
        "projects.html",
        {"projects": projects, "user": user, "role": p.role, "version": __version__},
    )
