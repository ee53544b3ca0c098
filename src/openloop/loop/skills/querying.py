"""Shared pieces of the query skills: the project a tool works on, safe literals, one bounded
query runner, and plain-words summaries of a result.

Every skill builds query *text* in the language users write (so what Loop runs can be pasted
into the sandbox) and runs it through :func:`openloop.services.query.run_user_query`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from openloop.errors import InvalidInput

if TYPE_CHECKING:
    from openloop.auth import Principal
    from openloop.loop.tools.base import LoopContext
    from openloop.services import Services

__all__ = [
    "DEFAULT_DAYS",
    "MAX_DAYS",
    "Scope",
    "compile_text",
    "literal",
    "logs_from",
    "run",
    "scope_of",
    "since",
]

logger = logging.getLogger(__name__)

#: Default window of the logs skills (days back from now).
DEFAULT_DAYS = 7
#: Longest window a skill scans, so a report never reads a project's whole history.
MAX_DAYS = 90


def literal(value: str) -> str:
    """A single-quoted string literal of the query language (quotes and backslashes escaped)."""
    return "'" + str(value).replace("\\", "\\\\").replace("'", "''") + "'"


def since(days: int | float) -> str:
    """The range predicate every logs query carries: ``created > now() - interval N day``."""
    n = max(1, min(math.ceil(days), MAX_DAYS))
    return f"created > now() - interval {n} day"


def logs_from(project: str, shape: str | None = None) -> str:
    """``project_logs('<project>')`` (SQL form), with an optional shape."""
    if shape and shape != "spans":
        return f"project_logs({literal(project)}, shape => {literal(shape)})"
    return f"project_logs({literal(project)})"


@dataclass(frozen=True)
class Scope:
    """Who asks, through which services, about which project (by id and name)."""

    svc: Services
    principal: Principal
    project_id: str
    project: str


def scope_of(ctx: LoopContext, project: str | None = None) -> Scope:
    """The project a tool works on: ``project`` when given, else the page's project."""
    key = project or ctx.project_id or ctx.page.get("project_id") or ctx.page.get("project")
    if not key:
        raise InvalidInput(
            "this needs a project: open a project's page or name the project to use",
            field="project",
        )
    proj = ctx.svc.control.get_project(ctx.principal.org_id, str(key))
    return Scope(ctx.svc, ctx.principal, proj.id, proj.name)


def run(scope: Scope, text: str) -> dict[str, Any]:
    """Run ``text`` through the one query path, resolving names within the scope's project."""
    from openloop.services.query import run_user_query

    return run_user_query(scope.svc, scope.principal, text, project=scope.project)


def compile_text(scope: Scope, text: str) -> Any:
    """Compile ``text`` exactly as :func:`run` would, without running it (raises QueryError)."""
    from openloop.query import compile_query
    from openloop.services.query import make_resolver, make_search

    s = scope.svc.settings
    return compile_query(text, dialect=scope.svc.data.dialect,
                         resolver=make_resolver(scope.svc, scope.principal, project=scope.project),
                         search=make_search(scope.svc, scope.principal),
                         default_limit=s.query_default_limit, max_limit=s.query_max_limit)  # fmt: skip
