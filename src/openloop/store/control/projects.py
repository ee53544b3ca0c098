"""Projects and their settings, always scoped by organization: another org's project is
``NotFound``, never ``Forbidden``, so ids leak nothing."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openloop.errors import Conflict, NotFound
from openloop.store.control._base import StoreBase, clean_json_dict, clean_name
from openloop.store.control.records import Project
from openloop.store.control.schema import ObjectRow, ProjectRow, ProjectSettingsRow, utcnow

logger = logging.getLogger(__name__)


def project_row(s: Session, org_id: str, id_or_name: str) -> ProjectRow:
    """The live project of ``org_id`` with this id (preferred) or name."""
    rows = s.scalars(
        select(ProjectRow).where(
            ProjectRow.org_id == org_id,
            ProjectRow.deleted_at.is_(None),
            or_(ProjectRow.id == id_or_name, ProjectRow.name == id_or_name),
        )
    ).all()
    if not rows:
        raise NotFound(f"project {id_or_name!r} not found")
    return next((r for r in rows if r.id == id_or_name), rows[0])


def _name_taken(s: Session, org_id: str, name: str, *, exclude: str | None = None) -> bool:
    stmt = select(ProjectRow.id).where(
        ProjectRow.org_id == org_id, ProjectRow.name == name, ProjectRow.deleted_at.is_(None)
    )
    if exclude is not None:
        stmt = stmt.where(ProjectRow.id != exclude)
    return s.scalar(stmt.limit(1)) is not None


def _conflict(name: str) -> Conflict:
    return Conflict(f"a project named {name!r} already exists", name=name)


class ProjectsMixin(StoreBase):
    def create_project(self, org_id: str, name: str, description: str = "") -> Project:
        name = clean_name(name, "project name")
        try:
            with self._write() as s:
                if _name_taken(s, org_id, name):
                    raise _conflict(name)
                row = ProjectRow(org_id=org_id, name=name, description=description or "")
                s.add(row)
                s.flush()
                project = Project.of(row)
        except IntegrityError as exc:
            raise _conflict(name) from exc
        logger.info("control.project_created org=%s project=%s", org_id, project.id)
        return project

    def list_projects(self, org_id: str) -> list[Project]:
        """Live projects of the org, by name."""
        with self._read() as s:
            rows = s.scalars(
                select(ProjectRow)
                .where(ProjectRow.org_id == org_id, ProjectRow.deleted_at.is_(None))
                .order_by(ProjectRow.name)
            ).all()
            return [Project.of(r) for r in rows]

    def get_project(self, org_id: str, id_or_name: str) -> Project:
        with self._read() as s:
            return Project.of(project_row(s, org_id, id_or_name))

    def get_or_create_project(self, org_id: str, name: str) -> Project:
        """The project named ``name``, created if missing (the SDK's ``init_logger`` path)."""
        name = clean_name(name, "project name")
        with self._read() as s:
            row = s.scalar(
                select(ProjectRow).where(
                    ProjectRow.org_id == org_id,
                    ProjectRow.name == name,
                    ProjectRow.deleted_at.is_(None),
                )
            )
            if row is not None:
                return Project.of(row)
        try:
            return self.create_project(org_id, name)
        except Conflict:
            # Someone created it between our read and write; theirs is as good as ours.
            with self._read() as s:
                return Project.of(project_row(s, org_id, name))

    def update_project(
        self,
        org_id: str,
        project_id: str,
        *,
        name: str | None = None,
        description: str | None = None,
    ) -> Project:
        new_name = clean_name(name, "project name") if name is not None else None
        try:
            with self._write() as s:
                row = project_row(s, org_id, project_id)
                if new_name is not None and new_name != row.name:
                    if _name_taken(s, org_id, new_name, exclude=row.id):
                        raise _conflict(new_name)
                    row.name = new_name
                if description is not None:
                    row.description = description
                s.flush()
                return Project.of(row)
        except IntegrityError as exc:
            raise _conflict(new_name or "") from exc

    def delete_project(self, org_id: str, project_id: str) -> None:
        """Soft delete: the project and its registry objects disappear from every lookup and
        the name becomes free again. Their data-plane rows are untouched."""
        now = utcnow()
        with self._write() as s:
            row = project_row(s, org_id, project_id)
            row.deleted_at = now
            s.execute(
                update(ObjectRow)
                .where(ObjectRow.project_id == row.id, ObjectRow.deleted_at.is_(None))
                .values(deleted_at=now)
            )
        logger.info("control.project_deleted org=%s project=%s", org_id, project_id)

    # -- project settings --------------------------------------------------------------------

    def get_project_settings(self, org_id: str, project_id: str) -> dict[str, Any]:
        """The project's settings ({} until set)."""
        with self._read() as s:
            project = project_row(s, org_id, project_id)
            row = s.get(ProjectSettingsRow, project.id)
            return dict(row.settings) if row is not None else {}

    def set_project_settings(
        self, org_id: str, project_id: str, settings: dict[str, Any]
    ) -> dict[str, Any]:
        """Replace the project's settings; returns what was stored."""
        value = clean_json_dict(settings, "project settings")
        with self._write() as s:
            project = project_row(s, org_id, project_id)
            row = s.get(ProjectSettingsRow, project.id)
            if row is None:
                s.add(ProjectSettingsRow(project_id=project.id, settings=value))
            else:
                row.settings = value
        return dict(value)
