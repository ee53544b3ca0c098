"""The object registry: names, slugs and metadata of experiments, datasets, prompts, scorers,
views, charts and online rules. Their rows live in the data plane under the same id."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openloop.errors import Conflict, InvalidInput, NotFound
from openloop.store.control._base import (
    StoreBase,
    clean_json_dict,
    clean_name,
    clean_object_id,
)
from openloop.store.control.projects import project_row
from openloop.store.control.records import OBJECT_KINDS, RegistryObject
from openloop.store.control.schema import ObjectRow, ProjectRow, utcnow

logger = logging.getLogger(__name__)


def _kind(kind: str) -> str:
    if kind not in OBJECT_KINDS:
        raise InvalidInput(
            f"unknown object kind {kind!r}; use one of {', '.join(OBJECT_KINDS)}", kind=kind
        )
    return kind


def _live(s: Session, project_id: str, kind: str, column: Any, value: str, exclude: str | None):
    stmt = select(ObjectRow.id).where(
        ObjectRow.project_id == project_id,
        ObjectRow.kind == kind,
        column == value,
        ObjectRow.deleted_at.is_(None),
    )
    if exclude is not None:
        stmt = stmt.where(ObjectRow.id != exclude)
    return s.scalar(stmt.limit(1))


def _check_unique(
    s: Session, row_project: str, kind: str, name: str | None, slug: str | None, exclude=None
) -> None:
    if name is not None and _live(s, row_project, kind, ObjectRow.name, name, exclude):
        raise Conflict(f"a {kind} named {name!r} already exists in this project", name=name)
    if slug is not None and _live(s, row_project, kind, ObjectRow.slug, slug, exclude):
        raise Conflict(f"a {kind} with slug {slug!r} already exists in this project", slug=slug)


def object_row(s: Session, org_id: str, object_id: str) -> ObjectRow:
    """A live object of ``org_id`` in a live project, by id."""
    row = s.scalar(
        select(ObjectRow)
        .join(ProjectRow, ProjectRow.id == ObjectRow.project_id)
        .where(
            ObjectRow.id == object_id,
            ObjectRow.org_id == org_id,
            ObjectRow.deleted_at.is_(None),
            ProjectRow.deleted_at.is_(None),
        )
    )
    if row is None:
        raise NotFound(f"object {object_id!r} not found")
    return row


class RegistryMixin(StoreBase):
    def create_object(
        self,
        org_id: str,
        project_id: str,
        kind: str,
        name: str,
        *,
        slug: str | None = None,
        description: str = "",
        metadata: dict[str, Any] | None = None,
        id: str | None = None,
    ) -> RegistryObject:
        """Register an object. ``id`` lets a caller keep an id it already uses elsewhere."""
        _kind(kind)
        name = clean_name(name, f"{kind} name")
        slug = clean_name(slug, "slug") if slug is not None else None
        meta = clean_json_dict(metadata, "metadata")
        object_id = clean_object_id(id) if id is not None else None
        try:
            with self._write() as s:
                project = project_row(s, org_id, project_id)
                _check_unique(s, project.id, kind, name, slug)
                if object_id is not None and s.get(ObjectRow, object_id) is not None:
                    raise Conflict(f"an object with id {object_id!r} already exists")
                row = ObjectRow(
                    org_id=org_id,
                    project_id=project.id,
                    kind=kind,
                    name=name,
                    slug=slug,
                    description=description or "",
                    meta=meta,
                )
                if object_id is not None:
                    row.id = object_id
                s.add(row)
                s.flush()
                obj = RegistryObject.of(row)
        except IntegrityError as exc:
            raise Conflict(f"a {kind} named {name!r} already exists in this project") from exc
        logger.info("control.object_created kind=%s id=%s", kind, obj.id)
        return obj

    def list_objects(
        self, org_id: str, project_id: str, kind: str | None = None
    ) -> list[RegistryObject]:
        """Live objects of one kind (or every kind for ``None``), newest first."""
        with self._read() as s:
            project = project_row(s, org_id, project_id)
            stmt = select(ObjectRow).where(
                ObjectRow.project_id == project.id, ObjectRow.deleted_at.is_(None)
            )
            if kind is not None:
                stmt = stmt.where(ObjectRow.kind == _kind(kind))
            rows = s.scalars(stmt.order_by(ObjectRow.created.desc(), ObjectRow.name)).all()
            return [RegistryObject.of(r) for r in rows]

    def get_object(
        self, org_id: str, project_id: str, kind: str, id_or_name: str
    ) -> RegistryObject:
        """A live object by id, else by name, else by slug."""
        _kind(kind)
        with self._read() as s:
            project = project_row(s, org_id, project_id)
            rows = s.scalars(
                select(ObjectRow).where(
                    ObjectRow.project_id == project.id,
                    ObjectRow.kind == kind,
                    ObjectRow.deleted_at.is_(None),
                    or_(
                        ObjectRow.id == id_or_name,
                        ObjectRow.name == id_or_name,
                        ObjectRow.slug == id_or_name,
                    ),
                )
            ).all()
            for match in (
                lambda r: r.id == id_or_name,
                lambda r: r.name == id_or_name,
                lambda r: True,
            ):
                for row in rows:
                    if match(row):
                        return RegistryObject.of(row)
        raise NotFound(f"{kind} {id_or_name!r} not found in project {project.name!r}")

    def find_object(self, org_id: str, object_id: str) -> RegistryObject:
        """A live object of the org by id, whatever its project and kind."""
        with self._read() as s:
            return RegistryObject.of(object_row(s, org_id, object_id))

    def update_object(
        self,
        org_id: str,
        object_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
        metadata: dict[str, Any] | None = None,
        slug: str | None = None,
    ) -> RegistryObject:
        """Rename, describe, re-slug or replace the metadata of an object."""
        new_name = clean_name(name, "name") if name is not None else None
        new_slug = clean_name(slug, "slug") if slug is not None else None
        meta = clean_json_dict(metadata, "metadata") if metadata is not None else None
        try:
            with self._write() as s:
                row = object_row(s, org_id, object_id)
                _check_unique(s, row.project_id, row.kind, new_name, new_slug, exclude=row.id)
                if new_name is not None:
                    row.name = new_name
                if new_slug is not None:
                    row.slug = new_slug
                if description is not None:
                    row.description = description
                if meta is not None:
                    row.meta = meta
                row.updated = utcnow()
                s.flush()
                return RegistryObject.of(row)
        except IntegrityError as exc:
            raise Conflict("that name or slug is already taken in this project") from exc

    def delete_object(self, org_id: str, object_id: str) -> None:
        """Soft delete; the name and slug become free again."""
        with self._write() as s:
            row = object_row(s, org_id, object_id)
            row.deleted_at = row.updated = utcnow()
        logger.info("control.object_deleted id=%s", object_id)
