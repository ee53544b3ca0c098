"""API keys (``/v1/api_key``) and members (``/v1/member``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from openloop.server.security import get_principal, get_services
from openloop.services import keys as svc_keys

router = APIRouter(tags=["access"])


class KeyCreate(BaseModel):
    name: str = Field(min_length=1, max_length=128)


class MemberAdd(BaseModel):
    email: str = Field(min_length=3, max_length=320)
    name: str | None = Field(default=None, max_length=128)
    role: str = Field(default="member", description="owner, admin, member or viewer")
    password: str | None = Field(default=None, min_length=8, max_length=512)


class MemberPatch(BaseModel):
    role: str


@router.get("/v1/api_key", summary="List API keys (admins see all; others their own)")
def list_keys(svc: Any = Depends(get_services), p: Any = Depends(get_principal)) -> dict[str, Any]:
    return {"objects": [k.to_dict() for k in svc_keys.list_api_keys(svc, p)]}


@router.post("/v1/api_key", status_code=201, summary="Create an API key; the key is shown once")
def create_key(
    body: KeyCreate, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    record, plaintext = svc_keys.create_api_key(svc, p, body.name)
    return {**record.to_dict(), "key": plaintext}


@router.delete("/v1/api_key/{key_id}", summary="Revoke an API key")
def revoke_key(
    key_id: str, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    return svc_keys.revoke_api_key(svc, p, key_id).to_dict()


@router.get("/v1/member", summary="List the organization's members")
def list_members(
    svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    return {"objects": [m.to_dict() for m in svc_keys.list_members(svc, p)]}


@router.post("/v1/member", status_code=201, summary="Add a member (admins)")
def add_member(
    body: MemberAdd, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    return svc_keys.add_member(
        svc, p, email=body.email, name=body.name, role=body.role, password=body.password
    ).to_dict()


@router.patch("/v1/member/{user_id}", summary="Change a member's role (admins)")
def set_role(
    user_id: str,
    body: MemberPatch,
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:
    return svc_keys.set_member_role(svc, p, user_id, body.role).to_dict()


@router.delete("/v1/member/{user_id}", status_code=204, summary="Remove a member (admins)")
def remove_member(
    user_id: str, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> Response:
    svc_keys.remove_member(svc, p, user_id)
    return Response(status_code=204)
