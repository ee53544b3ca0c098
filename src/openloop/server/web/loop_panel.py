"""Support for the Loop panel that every page carries (``static/loop.js``): the objects a user
can attach as context ("+ Context": the project's datasets, experiments, prompts and scorers).

The chat itself runs on the Loop API (``/v1/loop/...``): threads, queued messages, the SSE
event stream, approvals, interrupts, edits, tools and the model allowlist."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends, Query

from openloop.server.security import get_principal, get_services

router = APIRouter(include_in_schema=False)
logger = logging.getLogger(__name__)

#: Kinds of object the context picker offers, in display order.
SOURCE_KINDS: tuple[str, ...] = ("dataset", "experiment", "prompt", "scorer")


@router.get("/ui/api/loop/sources")
def loop_sources(
    project: str = Query(min_length=1, description="Project id or name."),
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:
    """Objects of the project that can be attached to a Loop message as data sources."""
    proj = svc.control.get_project(p.org_id, project)
    out = []
    for kind in SOURCE_KINDS:
        for obj in svc.control.list_objects(p.org_id, proj.id, kind):
            out.append({"kind": kind, "id": obj.id, "name": obj.name,
                        "description": obj.description or ""})  # fmt: skip
    return {"objects": out}
