"""Projects CRUD: ``/v1/project``."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from openloop.server.security import get_principal, get_services
from openloop.services import projects as svc_projects

router = APIRouter(prefix="/v1/project", tags=["projects"])


class ProjectCreate(BaseModel):
    name: str = Field(min_length=1, max_length=128, description="Project name, unique in the org.")
    description: str = Field(default="", max_length=4000)


class ProjectRegister(BaseModel):
    name: str = Field(min_length=1, max_length=128)


class ProjectPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=128)
    description: str | None = Field(default=None, max_length=4000)


@router.get("", summary="List the organization's projects")
def list_projects(
    svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    return {"objects": [x.to_dict() for x in svc_projects.list_projects(svc, p)]}


@router.post("", status_code=201, summary="Create a project")
def create_project(
    body: ProjectCreate, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    return svc_projects.create_project(svc, p, body.name, body.description).to_dict()


@router.post("/register", summary="Get or create a project by name (used by the SDK)")
def register_project(
    body: ProjectRegister, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    return svc_projects.register_project(svc, p, body.name).to_dict()


@router.get("/{project}", summary="Get a project by id or name")
def get_project(
    project: str, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    return svc_projects.get_project(svc, p, project).to_dict()


@router.patch("/{project}", summary="Rename or describe a project")
def update_project(
    project: str,
    body: ProjectPatch,
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:
    return svc_projects.update_project(
        svc, p, project, name=body.name, description=body.description
    ).to_dict()


@router.delete("/{project}", status_code=204, summary="Delete a project (admins)")
def delete_project(
    project: str, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> Response:
    svc_projects.delete_project(svc, p, project)
    return Response(status_code=204)
