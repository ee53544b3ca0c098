"""Prompts: versioned chat templates with a model, params, tools and a response format.

The registry (kind ``prompt``) holds a prompt's name and its slug, unique per project. Its
versions are rows in the data plane under ``ObjectRef(org, project, "prompt", project_id)``
with row id = the prompt id: every save is one more replace write of that row, so the version
of a prompt is the ``_xact_id`` of that write and :meth:`DataStore.history` lists them all.
Versions are kept forever; a pinned version always returns the same content.

Running a prompt (render + model call + llm span) is in :mod:`openloop.services.prompt_invoke`.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from openloop.auth import require_write
from openloop.errors import InvalidInput, NotFound
from openloop.evals.prompts import diff_text, make_prompt_data
from openloop.services.datasets import parse_version, version_time
from openloop.store.data.base import ObjectRef, WriteRequest

if TYPE_CHECKING:
    from openloop.auth import Principal
    from openloop.services import Services
    from openloop.store.control.records import RegistryObject

__all__ = [
    "VERSION_FIELDS",
    "create_prompt",
    "delete_prompt",
    "diff_versions",
    "find_prompt",
    "get_prompt",
    "list_prompts",
    "list_versions",
    "prompt_object",
    "save_version",
    "slugify",
    "update_prompt",
]

logger = logging.getLogger(__name__)

#: Fields a new version may set; omitted ones are carried over from the previous version.
VERSION_FIELDS = (
    "messages", "model", "params", "tools", "response_format", "description", "metadata", "tags",
)  # fmt: skip
_SLUG_RE = re.compile(r"[^a-z0-9]+")


def slugify(name: str) -> str:
    """``"My QA prompt!"`` → ``"my-qa-prompt"``."""
    slug = _SLUG_RE.sub("-", name.lower()).strip("-")
    return slug or "prompt"


def _ref(obj: RegistryObject) -> ObjectRef:
    return ObjectRef(obj.org_id, obj.project_id, "prompt", obj.project_id)


def prompt_object(svc: Services, p: Principal, prompt_id: str) -> RegistryObject:
    """A prompt of the caller's org by id; NotFound for anything else (other orgs included)."""
    try:
        obj = svc.control.find_object(p.org_id, prompt_id)
    except NotFound:
        obj = None
    if obj is None or obj.kind != "prompt":
        raise NotFound(f"prompt {prompt_id!r} not found")
    return obj


def _versions(svc: Services, obj: RegistryObject) -> list[dict[str, Any]]:
    return [r for r in svc.data.history(_ref(obj), obj.id) if not r.get("_object_delete")]


def _public(obj: RegistryObject, row: Mapping[str, Any]) -> dict[str, Any]:
    version = str(row["_xact_id"])
    return {
        "id": obj.id,
        "project_id": obj.project_id,
        "name": obj.name,
        "slug": obj.slug,
        "description": obj.description or "",
        "prompt_data": row.get("prompt_data") or {},
        "template_format": row.get("template_format") or "mustache",
        "metadata": row.get("metadata") or {},
        "tags": row.get("tags") or [],
        "version": version,
        "_xact_id": version,
        "created": obj.created.isoformat(),
        "version_created": version_time(int(row["_xact_id"])),
    }


def _pick(obj: RegistryObject, versions: list[dict[str, Any]], version: Any) -> dict[str, Any]:
    if not versions:
        raise NotFound(f"prompt {obj.slug!r} has no saved version")
    xact = parse_version(version)
    if xact is None:
        return versions[-1]
    for row in versions:
        if row["_xact_id"] == xact:
            return row
    raise NotFound(f"prompt {obj.slug!r} has no version {xact}")


def _version_row(obj: RegistryObject, fields: Mapping[str, Any]) -> dict[str, Any]:
    data = make_prompt_data(
        fields.get("messages"),
        fields.get("model"),
        fields.get("params"),
        tools=fields.get("tools"),
        response_format=fields.get("response_format"),
    )
    metadata = fields.get("metadata") or {}
    tags = fields.get("tags") or []
    if not isinstance(metadata, Mapping):
        raise InvalidInput("metadata must be an object")
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise InvalidInput("tags must be a list of strings")
    return {
        "id": obj.id,
        "name": obj.name,
        "slug": obj.slug,
        "description": fields.get("description") or "",
        "prompt_data": data,
        "template_format": "mustache",
        "metadata": dict(metadata),
        "tags": tags,
    }


def _write_version(svc: Services, obj: RegistryObject, row: dict[str, Any]) -> dict[str, Any]:
    [result] = svc.data.write([WriteRequest(ref=_ref(obj), rows=[row])])
    if result.errors:
        raise InvalidInput(f"prompt version rejected: {result.errors[0].message}")
    stored = svc.data.history(_ref(obj), obj.id)[-1]
    logger.info("prompts.version id=%s xact=%s", obj.id, result.xact_id)
    return _public(obj, stored)


def _fields_of(row: Mapping[str, Any]) -> dict[str, Any]:
    data = row.get("prompt_data") or {}
    options = data.get("options") or {}
    return {
        "messages": (data.get("prompt") or {}).get("messages"),
        "model": options.get("model"),
        "params": options.get("params"),
        "tools": data.get("tools"),
        "response_format": data.get("response_format"),
        "description": row.get("description"),
        "metadata": row.get("metadata"),
        "tags": row.get("tags"),
    }


def create_prompt(
    svc: Services,
    p: Principal,
    project: str,
    name: str,
    fields: Mapping[str, Any],
    *,
    slug: str | None = None,
) -> dict[str, Any]:
    """Register a prompt and save its first version (``fields``: messages, model, params,
    tools, response_format, description, metadata, tags)."""
    require_write(p)
    make_prompt_data(fields.get("messages"), fields.get("model"), fields.get("params"),
                     tools=fields.get("tools"), response_format=fields.get("response_format"))  # fmt: skip
    proj = svc.control.get_project(p.org_id, project)
    obj = svc.control.create_object(
        p.org_id, proj.id, "prompt", name, slug=slug or slugify(name),
        description=str(fields.get("description") or ""),
    )  # fmt: skip
    try:
        return _write_version(svc, obj, _version_row(obj, fields))
    except Exception:
        svc.control.delete_object(p.org_id, obj.id)
        raise


def save_version(
    svc: Services, p: Principal, prompt_id: str, changes: Mapping[str, Any]
) -> dict[str, Any]:
    """Save a new version: the fields in ``changes`` replace those of the latest version."""
    require_write(p)
    unknown = sorted(set(changes) - set(VERSION_FIELDS))
    if unknown:
        raise InvalidInput(
            f"unknown field(s) {', '.join(map(repr, unknown))}; a version has "
            f"{', '.join(VERSION_FIELDS)}"
        )
    obj = prompt_object(svc, p, prompt_id)
    versions = _versions(svc, obj)
    base = _fields_of(versions[-1]) if versions else {}
    row = _version_row(obj, {**base, **changes})
    if "description" in changes:
        obj = svc.control.update_object(p.org_id, obj.id, description=row["description"])
    return _write_version(svc, obj, row)


def get_prompt(
    svc: Services, p: Principal, prompt_id: str, *, version: Any = None
) -> dict[str, Any]:
    """The latest version of a prompt, or the pinned ``version``."""
    obj = prompt_object(svc, p, prompt_id)
    return _public(obj, _pick(obj, _versions(svc, obj), version))


def find_prompt(
    svc: Services, p: Principal, project: str, slug: str, *, version: Any = None
) -> dict[str, Any]:
    """A prompt by project (id or name) and slug, latest or pinned to ``version``."""
    proj = svc.control.get_project(p.org_id, project)
    for obj in svc.control.list_objects(p.org_id, proj.id, "prompt"):
        if obj.slug == slug:
            return _public(obj, _pick(obj, _versions(svc, obj), version))
    raise NotFound(f"no prompt with slug {slug!r} in project {proj.name!r}")


def list_prompts(svc: Services, p: Principal, project: str | None = None) -> list[dict[str, Any]]:
    """Latest version of every prompt of one project, or of every project of the org."""
    control = svc.control
    projects = (
        [control.get_project(p.org_id, project)] if project else control.list_projects(p.org_id)
    )
    out = []
    for proj in projects:
        for obj in control.list_objects(p.org_id, proj.id, "prompt"):
            versions = _versions(svc, obj)
            if versions:
                out.append(_public(obj, versions[-1]))
    return out


def list_versions(svc: Services, p: Principal, prompt_id: str) -> list[dict[str, Any]]:
    """Every version, newest first: ``{version, created, model, description}``."""
    obj = prompt_object(svc, p, prompt_id)
    out = []
    for row in reversed(_versions(svc, obj)):
        options = (row.get("prompt_data") or {}).get("options") or {}
        out.append({
            "version": str(row["_xact_id"]),
            "created": version_time(int(row["_xact_id"])),
            "model": options.get("model"),
            "description": row.get("description") or "",
        })  # fmt: skip
    return out


def diff_versions(
    svc: Services, p: Principal, prompt_id: str, from_version: Any, to_version: Any = None
) -> dict[str, Any]:
    """Unified diff from one version to another (default: to the latest)."""
    obj = prompt_object(svc, p, prompt_id)
    versions = _versions(svc, obj)
    if parse_version(from_version) is None:
        raise InvalidInput("diff needs a 'from' version")
    old = _public(obj, _pick(obj, versions, from_version))
    new = _public(obj, _pick(obj, versions, to_version))
    diff = diff_text(
        old, new, old_label=f"{obj.slug}@{old['version']}", new_label=f"{obj.slug}@{new['version']}"
    )
    return {"from": old["version"], "to": new["version"], "diff": diff}


def update_prompt(
    svc: Services,
    p: Principal,
    prompt_id: str,
    *,
    name: str | None = None,
    slug: str | None = None,
    description: str | None = None,
) -> dict[str, Any]:
    """Rename, re-slug or describe a prompt (registry only; versions are untouched)."""
    require_write(p)
    obj = prompt_object(svc, p, prompt_id)
    obj = svc.control.update_object(p.org_id, obj.id, name=name, slug=slug, description=description)
    versions = _versions(svc, obj)
    return _public(obj, _pick(obj, versions, None))


def delete_prompt(svc: Services, p: Principal, prompt_id: str) -> None:
    """Unregister the prompt and tombstone its row; its versions stay in the store's history."""
    require_write(p)
    obj = prompt_object(svc, p, prompt_id)
    svc.data.write([WriteRequest(ref=_ref(obj), rows=[{"id": obj.id, "_object_delete": True}])])
    svc.control.delete_object(p.org_id, obj.id)
    logger.info("prompts.deleted id=%s", obj.id)
