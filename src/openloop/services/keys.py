"""API keys and members of an organization."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from openloop.auth import ROLES, require_admin
from openloop.errors import Forbidden, InvalidInput, NotFound

if TYPE_CHECKING:
    from openloop.auth import Principal
    from openloop.services import Services

__all__ = [
    "add_member",
    "create_api_key",
    "list_api_keys",
    "list_members",
    "remove_member",
    "revoke_api_key",
    "set_member_role",
]


def create_api_key(svc: Services, p: Principal, name: str) -> tuple[Any, str]:
    """A new key for the caller's own user. Returns ``(record, plaintext)``; the plaintext is
    never stored and cannot be shown again. Viewers may create read-only keys for themselves:
    a key carries its user's role."""
    name = (name or "").strip()
    if not name:
        raise InvalidInput("an API key needs a name", field="name")
    return svc.control.create_api_key(p.org_id, p.user_id, name)


def list_api_keys(svc: Services, p: Principal) -> list[Any]:
    keys = svc.control.list_api_keys(p.org_id)
    if p.can_admin():
        return keys
    return [k for k in keys if k.user_id == p.user_id]


def revoke_api_key(svc: Services, p: Principal, key_id: str) -> Any:
    keys = {k.id: k for k in svc.control.list_api_keys(p.org_id)}
    key = keys.get(key_id)
    if key is None:
        raise NotFound(f"no API key {key_id!r} in this organization")
    if key.user_id != p.user_id and not p.can_admin():
        raise Forbidden("only admins can revoke other members' API keys")
    return svc.control.revoke_api_key(p.org_id, key_id)


def list_members(svc: Services, p: Principal) -> list[Any]:
    return svc.control.list_members(p.org_id)


def add_member(
    svc: Services,
    p: Principal,
    *,
    email: str,
    name: str | None = None,
    role: str = "member",
    password: str | None = None,
) -> Any:
    """Add a user (created if new) to the caller's organization with ``role``."""
    require_admin(p)
    _check_role(p, role)
    user = svc.control.get_user_by_email(email)
    if user is None:
        user = svc.control.create_user(email, name or email.split("@")[0], password)
    return svc.control.add_member(p.org_id, user.id, role)


def set_member_role(svc: Services, p: Principal, user_id: str, role: str) -> Any:
    require_admin(p)
    _check_role(p, role)
    return svc.control.set_role(p.org_id, user_id, role)


def remove_member(svc: Services, p: Principal, user_id: str) -> None:
    require_admin(p)
    svc.control.remove_member(p.org_id, user_id)


def _check_role(p: Principal, role: str) -> None:
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}; use one of {', '.join(ROLES)}", field="role")
    if role == "owner" and p.role != "owner":
        raise Forbidden("only an owner can make someone an owner")
