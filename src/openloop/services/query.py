"""Running user queries (BTQL or SQL) with org-scoped name resolution.

This is the one query path: the API, the CLI, UI tables, Monitor charts and Loop tools all call
:func:`run_user_query`.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from openloop.errors import InvalidInput, NotFound
from openloop.store.data.base import ObjectRef

if TYPE_CHECKING:
    from openloop.auth import Principal
    from openloop.model.search import SearchPage
    from openloop.services import Services

__all__ = ["make_resolver", "make_search", "run_user_query"]

logger = logging.getLogger(__name__)

_REGISTRY_KIND = {"experiment": "experiment", "dataset": "dataset"}
_PROJECT_SOURCES = {
    "project_logs": "project_logs",
    "project_prompts": "prompt",
    "project_functions": "function",
}


def make_resolver(
    svc: Services, p: Principal, *, project: str | None = None
) -> Callable[[str, str], list[tuple[str, str]]]:
    """``(source, id_or_name) -> [(object_type, object_id)]`` within the caller's org."""
    control = svc.control

    def resolve(source: str, key: str) -> list[tuple[str, str]]:
        if source in _PROJECT_SOURCES:
            proj = control.get_project(p.org_id, key)
            return [(_PROJECT_SOURCES[source], proj.id)]
        kind = _REGISTRY_KIND.get(source)
        if kind is None:
            raise InvalidInput(f"unknown source {source!r}")
        try:
            obj = control.find_object(p.org_id, key)
            if obj.kind == kind:
                return [(kind, obj.id)]
        except NotFound:
            pass
        projects = (
            [control.get_project(p.org_id, project)] if project else control.list_projects(p.org_id)
        )
        matches = []
        for proj in projects:
            for obj in control.list_objects(p.org_id, proj.id, kind):
                if obj.name == key:
                    matches.append((kind, obj.id, proj.name))
        if not matches:
            raise NotFound(f"no {kind} named or with id {key!r}")
        if len(matches) > 1:
            where = ", ".join(m[2] for m in matches)
            raise InvalidInput(
                f"{kind} name {key!r} exists in several projects ({where}); use its id or pass "
                "the project"
            )
        return [(kind, matches[0][1])]

    return resolve


def make_search(svc: Services, p: Principal) -> Callable[..., Any]:
    """Full-text callback for MATCH/search(): ``(refs, text, fields, page=None) ->
    _pagination_keys``."""

    def search(
        refs: Sequence[tuple[str, str]],
        text: str,
        fields: Sequence[str] | None = None,
        page: SearchPage | None = None,
    ) -> Any:
        object_refs = []
        for object_type, object_id in refs:
            object_refs.append(ObjectRef(p.org_id, "", object_type, object_id))
        return svc.data.search_ids(object_refs, text, fields=fields, page=page)

    return search


def run_user_query(
    svc: Services,
    p: Principal,
    text: str,
    *,
    fmt: str = "json",
    version: str | int | None = None,
    tz_offset: int = 0,
    cursor: str | None = None,
    project: str | None = None,
) -> dict[str, Any]:
    from openloop.query import run_query

    if fmt != "json":
        raise InvalidInput(f"unsupported fmt {fmt!r}; use 'json'")
    xact: int | None = None
    if version not in (None, ""):
        try:
            xact = int(str(version))
        except ValueError:
            raise InvalidInput(
                f"version must be a transaction id (an integer), got {version!r}"
            ) from None
    s = svc.settings
    started = time.perf_counter()
    result = run_query(
        svc.data,
        text,
        resolver=make_resolver(svc, p, project=project),
        search=make_search(svc, p),
        version=xact,
        cursor=cursor,
        tz_offset=tz_offset,
        strict=s.query_strict,
        default_limit=s.query_default_limit,
        max_limit=s.query_max_limit,
    )
    logger.info(
        "query.run rows=%d ms=%.1f",
        len(result.get("data", [])),
        (time.perf_counter() - started) * 1e3,
    )
    return result
