"""Saved views (Logs) and saved charts (Monitor): registry objects of kind ``view`` and
``chart`` whose metadata holds what the page needs to restore them."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from openloop.auth import require_write
from openloop.errors import InvalidInput
from openloop.server.security import get_principal, get_services

router = APIRouter(prefix="/ui/api/p/{project}", tags=["ui"], include_in_schema=False)
logger = logging.getLogger(__name__)

_KINDS = {"views": "view", "charts": "chart"}
#: Metadata keys kept for each kind; anything else in a request is dropped.
_FIELDS = {
    "view": ("filter", "columns", "row_type", "range", "mode", "from", "to"),
    "chart": ("title", "query", "type", "unit"),
}


class SavedBody(BaseModel):
    name: str = Field(min_length=1, max_length=128)
    metadata: dict[str, Any] = Field(default_factory=dict)


def _kind(collection: str) -> str:
    kind = _KINDS.get(collection)
    if kind is None:
        raise InvalidInput(f"unknown collection {collection!r}; use views or charts")
    return kind


def _out(obj: Any) -> dict[str, Any]:
    return {"id": obj.id, "name": obj.name, "metadata": obj.metadata}


@router.get("/{collection}")
def list_saved(
    project: str, collection: str, svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:  # fmt: skip
    proj = svc.control.get_project(p.org_id, project)
    objs = svc.control.list_objects(p.org_id, proj.id, _kind(collection))
    return {"objects": [_out(o) for o in objs]}


@router.post("/{collection}", status_code=201)
def save(
    project: str, collection: str, body: SavedBody, svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:  # fmt: skip
    """Create, or replace the metadata of the object with the same name."""
    require_write(p)
    kind = _kind(collection)
    proj = svc.control.get_project(p.org_id, project)
    meta = {k: body.metadata[k] for k in _FIELDS[kind] if k in body.metadata}
    existing = [o for o in svc.control.list_objects(p.org_id, proj.id, kind) if o.name == body.name]
    if existing:
        obj = svc.control.update_object(p.org_id, existing[0].id, metadata=meta)
    else:
        obj = svc.control.create_object(p.org_id, proj.id, kind, body.name, metadata=meta)
    logger.info("web.saved kind=%s id=%s", kind, obj.id)
    return _out(obj)


@router.delete("/{collection}/{object_id}", status_code=204)
def delete(
    project: str, collection: str, object_id: str, svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> Response:  # fmt: skip
    require_write(p)
    kind = _kind(collection)
    proj = svc.control.get_project(p.org_id, project)
    obj = svc.control.get_object(p.org_id, proj.id, kind, object_id)
    svc.control.delete_object(p.org_id, obj.id)
    return Response(status_code=204)
