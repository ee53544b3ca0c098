"""Projects: list, create, read, rename, delete — always inside the caller's organization."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from openloop.auth import require_admin, require_write

if TYPE_CHECKING:
    from openloop.auth import Principal
    from openloop.services import Services

__all__ = [
    "create_project",
    "delete_project",
    "get_project",
    "list_projects",
    "register_project",
    "update_project",
]


def list_projects(svc: Services, p: Principal) -> list[Any]:
    return svc.control.list_projects(p.org_id)


def get_project(svc: Services, p: Principal, id_or_name: str) -> Any:
    return svc.control.get_project(p.org_id, id_or_name)


def create_project(svc: Services, p: Principal, name: str, description: str = "") -> Any:
    require_write(p)
    return svc.control.create_project(p.org_id, name, description)


def register_project(svc: Services, p: Principal, name: str) -> Any:
    """Get-or-create by name (what ``init_logger(project=...)`` calls)."""
    require_write(p)
    return svc.control.get_or_create_project(p.org_id, name)


def update_project(
    svc: Services,
    p: Principal,
    id_or_name: str,
    *,
    name: str | None = None,
    description: str | None = None,
) -> Any:
    require_write(p)
    project = svc.control.get_project(p.org_id, id_or_name)
    return svc.control.update_project(p.org_id, project.id, name=name, description=description)


def delete_project(svc: Services, p: Principal, id_or_name: str) -> None:
    """Soft-delete the project. Its rows stay in the data plane (nothing is lost) but are no
    longer reachable through any API."""
    require_admin(p)
    project = svc.control.get_project(p.org_id, id_or_name)
    svc.control.delete_project(p.org_id, project.id)
