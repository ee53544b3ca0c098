"""Page context and data sources: what Loop knows the user is looking at.

The page the user is on (``{"page": "dataset", "dataset_id": ...}``) and the data sources they
attached (``[{"kind": "dataset", "id": ..., "name": ...}]``) travel with every message. They
are checked against the caller's organization here, described to the model in the system
prompt, and consulted by tools through :func:`sources_of` / :func:`require_data_source`.

When a request needs a data source of some kind and the page gives none or several, Loop does
not guess: :func:`require_data_source` tells the model to call ``ask_user_to_choose``, which
answers with a ``choices`` event listing the candidates (e.g. the project's datasets).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from openloop.errors import InvalidInput, NotFound
from openloop.loop.tools.base import LoopContext

if TYPE_CHECKING:
    from openloop.auth import Principal
    from openloop.services import Services

__all__ = [
    "SOURCE_KINDS",
    "build_context",
    "candidates",
    "describe_context",
    "require_data_source",
    "sources_of",
]

logger = logging.getLogger(__name__)

#: Kinds of data source a user can attach, and the page key that names one.
SOURCE_KINDS: dict[str, str] = {
    "dataset": "dataset_id",
    "experiment": "experiment_id",
    "prompt": "prompt_id",
    "scorer": "scorer_id",
}
_PAGE_KEYS = ("page", "query", "project", *SOURCE_KINDS.values())
_MAX_SOURCES = 20


def _clean_page(page: Any) -> dict[str, Any]:
    if page is None:
        return {}
    if not isinstance(page, dict):
        raise InvalidInput('page must be an object like {"page": "logs"}', field="page")
    out = {}
    for key, value in page.items():
        if key in _PAGE_KEYS and isinstance(value, str | int | float) and len(str(value)) < 20_000:
            out[key] = value
    return out


def _clean_sources(svc: Services, p: Principal, sources: Any) -> list[dict[str, Any]]:
    if sources is None:
        return []
    if not isinstance(sources, list) or len(sources) > _MAX_SOURCES:
        raise InvalidInput(
            f"data_sources must be a list of at most {_MAX_SOURCES} objects", field="data_sources"
        )
    out = []
    for src in sources:
        if not isinstance(src, dict) or src.get("kind") not in SOURCE_KINDS or not src.get("id"):
            raise InvalidInput(
                "each data source needs kind (dataset, experiment, prompt or scorer) and id",
                field="data_sources",
            )
        obj = svc.control.find_object(p.org_id, str(src["id"]))
        if obj.kind != src["kind"]:
            raise NotFound(f"{src['kind']} {src['id']!r} not found")
        out.append({"kind": obj.kind, "id": obj.id, "name": obj.name})
    return out


def build_context(
    svc: Services,
    p: Principal,
    *,
    project_id: str | None,
    page: Any = None,
    data_sources: Any = None,
    thread_id: str | None = None,
) -> LoopContext:
    """A checked :class:`LoopContext`: unknown page keys are dropped, attached sources must be
    objects of the caller's organization."""
    clean = _clean_page(page)
    if project_id is None and clean.get("project"):
        project_id = svc.control.get_project(p.org_id, str(clean["project"])).id
    return LoopContext(
        svc=svc,
        principal=p,
        project_id=project_id,
        page=clean,
        data_sources=_clean_sources(svc, p, data_sources),
        thread_id=thread_id,
    )


def sources_of(ctx: LoopContext, kind: str) -> list[dict[str, Any]]:
    """Data sources of ``kind`` in play: the page's own object first, then attached ones."""
    found: list[dict[str, Any]] = []
    page_id = ctx.page.get(SOURCE_KINDS.get(kind, ""))
    if page_id:
        found.append({"kind": kind, "id": str(page_id), "name": _name(ctx, str(page_id))})
    for src in ctx.data_sources:
        if src.get("kind") == kind and all(f["id"] != src["id"] for f in found):
            found.append(src)
    return found


def _name(ctx: LoopContext, object_id: str) -> str:
    try:
        return ctx.svc.control.find_object(ctx.principal.org_id, object_id).name
    except NotFound:
        return object_id


def candidates(ctx: LoopContext, kind: str, *, exclude: tuple[str, ...] = ()) -> list[dict]:
    """Objects of ``kind`` in the thread's project the user could pick."""
    if kind not in SOURCE_KINDS:
        raise InvalidInput(f"kind must be one of {', '.join(SOURCE_KINDS)}", field="kind")
    if ctx.project_id is None:
        return []
    objs = ctx.svc.control.list_objects(ctx.principal.org_id, ctx.project_id, kind)
    return [
        {"kind": kind, "id": o.id, "name": o.name, "description": o.description}
        for o in objs
        if o.id not in exclude
    ]


def require_data_source(ctx: LoopContext, kind: str) -> dict[str, Any]:
    """The one data source of ``kind`` the request is about; otherwise ``ModelRetry`` telling
    the model to ask the user (it must not guess between several)."""
    from pydantic_ai import ModelRetry

    found = sources_of(ctx, kind)
    if len(found) == 1:
        return found[0]
    if not found:
        pool = candidates(ctx, kind)
        if len(pool) == 1:
            return pool[0]
        what = f"{len(pool)} {kind}s exist" if pool else f"no {kind} exists in this project"
    else:
        what = f"{len(found)} {kind}s are attached"
    raise ModelRetry(
        f"which {kind}? {what}. Call ask_user_to_choose with kind={kind!r} and wait for the "
        "user's pick; do not guess."
    )


def describe_context(ctx: LoopContext, project_name: str | None) -> str:
    """The page and data sources, as lines for the system prompt."""
    lines = []
    if project_name:
        lines.append(f"Project: {project_name} (id {ctx.project_id})")
    else:
        lines.append("Project: none selected (organization-wide conversation)")
    if ctx.page:
        shown = ", ".join(f"{k}={str(v)[:200]!r}" for k, v in sorted(ctx.page.items()))
        lines.append(f"Page: {shown}")
    for kind in SOURCE_KINDS:
        for src in sources_of(ctx, kind):
            lines.append(f"Data source: {kind} {src.get('name')!r} (id {src['id']})")
    if not ctx.page and not ctx.data_sources:
        lines.append("No page context or data sources attached.")
    return "\n".join(lines)
