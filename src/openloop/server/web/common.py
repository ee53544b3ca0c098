"""What every UI page shares: the template environment, the session check, the navigation and
feature detection for endpoints that other parts of the server may or may not provide."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse
from fastapi.templating import Jinja2Templates

from openloop._version import __version__
from openloop.errors import NotFound, Unauthorized
from openloop.server.security import get_principal, get_services

__all__ = [
    "NAV",
    "NavItem",
    "PageAuth",
    "has_route",
    "page_context",
    "project_or_404",
    "project_slug",
    "require_page",
    "templates",
]

logger = logging.getLogger(__name__)

_SAFE_SLUG = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}")

WEB_DIR = Path(__file__).parent
templates = Jinja2Templates(directory=str(WEB_DIR / "templates"))


@dataclass(frozen=True)
class NavItem:
    """One entry of the project navigation. ``path`` is a route template with ``{project}``;
    the entry is shown only when the app has a route with exactly that template, so pages
    added later appear in the navigation by themselves."""

    key: str
    label: str
    path: str
    shortcut: str = ""


NAV: tuple[NavItem, ...] = (
    NavItem("overview", "Overview", "/p/{project}", "g o"),
    NavItem("logs", "Logs", "/p/{project}/logs", "g l"),
    NavItem("monitor", "Monitor", "/p/{project}/monitor", "g m"),
    NavItem("query", "Query", "/p/{project}/query", "g q"),
    NavItem("experiments", "Experiments", "/p/{project}/experiments", "g e"),
    NavItem("datasets", "Datasets", "/p/{project}/datasets", "g d"),
    NavItem("prompts", "Prompts", "/p/{project}/prompts", "g p"),
    NavItem("scorers", "Scorers", "/p/{project}/scorers", "g r"),
    NavItem("playground", "Playground", "/p/{project}/playground", "g y"),
)


def _iter_routes(routes: Any, prefix: str = "") -> Any:
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            context = getattr(route, "include_context", None)
            yield from _iter_routes(inner.routes, prefix + getattr(context, "prefix", ""))
        else:
            yield prefix + getattr(route, "path", ""), route


def has_route(request: Request, path: str, method: str | None = None) -> bool:
    """Whether the running app serves ``path`` (a route template such as
    ``/v1/loop/fix``), optionally for ``method``."""
    for full, route in _iter_routes(request.app.routes):
        if full != path:
            continue
        methods = getattr(route, "methods", None) or set()
        if method is None or method.upper() in methods:
            return True
    return False


@dataclass
class PageAuth:
    principal: Any
    svc: Any
    user: Any


def require_page(request: Request) -> PageAuth | RedirectResponse:
    """The signed-in caller, or (for a browser) a redirect to ``/login``; API clients get the
    usual 401 envelope."""
    try:
        p = get_principal(request)
    except Unauthorized:
        if "text/html" not in request.headers.get("accept", ""):
            raise
        return RedirectResponse("/login", status_code=303)
    svc = get_services(request)
    return PageAuth(principal=p, svc=svc, user=svc.control.get_user(p.user_id))


def project_slug(project: Any) -> str:
    """How a project appears in page URLs: its name when that is URL-safe, else its id."""
    name = project.name
    return name if _SAFE_SLUG.fullmatch(name) else project.id


def project_or_404(auth: PageAuth, project: str) -> Any:
    try:
        return auth.svc.control.get_project(auth.principal.org_id, project)
    except NotFound:
        raise NotFound(f"project {project!r} not found") from None


def features(request: Request) -> dict[str, bool]:
    """Optional endpoints the pages use when they exist."""
    return {
        "generate_filter": has_route(request, "/v1/loop/generate/filter", "POST"),
        "generate_chart": has_route(request, "/v1/loop/generate/chart", "POST"),
        "loop_fix": has_route(request, "/v1/loop/fix", "POST"),
        "offline_fix": _tool_exists("fix_query"),
        "datasets": has_route(request, "/v1/dataset/{dataset_id}/rows", "POST"),
        "providers": has_route(request, "/v1/ai_provider", "GET"),
        "loop_models": has_route(request, "/v1/org/loop_models", "GET"),
    }


def _tool_exists(name: str) -> bool:
    try:
        from openloop.loop.tools.base import get_tool

        get_tool(name)
    except Exception:
        return False
    return True


def page_context(
    request: Request, auth: PageAuth, *, page: str, project: Any = None, **extra: Any
) -> dict[str, Any]:
    """The variables ``base.html`` needs, plus ``extra``."""
    projects = auth.svc.control.list_projects(auth.principal.org_id)
    nav = []
    if project is not None:
        for item in NAV:
            if has_route(request, item.path, "GET"):
                nav.append(
                    {
                        "key": item.key,
                        "label": item.label,
                        "href": item.path.replace("{project}", project_slug(project)),
                        "shortcut": item.shortcut,
                    }
                )
    return {
        "page": page,
        "user": auth.user,
        "role": auth.principal.role,
        "can_write": auth.principal.can_write(),
        "can_admin": auth.principal.can_admin(),
        "project": project,
        "slug": project_slug(project) if project is not None else None,
        "projects": projects,
        "nav": nav,
        "features": features(request),
        "version": __version__,
        **extra,
    }


templates.env.globals["project_slug"] = project_slug
