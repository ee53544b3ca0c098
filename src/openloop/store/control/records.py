"""Plain frozen records the control store returns (never live ORM objects), each with
``to_dict()`` for JSON. Secrets never appear here: :class:`ApiKey` has no hash and
:class:`Provider` only says whether a key is set."""

from __future__ import annotations

import copy
from dataclasses import dataclass, fields
from datetime import datetime
from typing import Any

from openloop.store.control import schema

__all__ = [
    "OBJECT_KINDS",
    "PROVIDER_KINDS",
    "ApiKey",
    "Bootstrap",
    "Member",
    "Message",
    "Org",
    "Project",
    "Provider",
    "RegistryObject",
    "Thread",
    "User",
]

OBJECT_KINDS: tuple[str, ...] = (
    "experiment",
    "dataset",
    "prompt",
    "scorer",
    "view",
    "chart",
    "online_rule",
)
PROVIDER_KINDS: tuple[str, ...] = ("openai", "anthropic", "openai_compatible")


def _json_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    return copy.deepcopy(value) if isinstance(value, dict | list) else value


class _Record:
    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: timestamps as ISO 8601 strings (UTC)."""
        return {f.name: _json_value(getattr(self, f.name)) for f in fields(self)}  # type: ignore[arg-type]


@dataclass(frozen=True)
class Org(_Record):
    id: str
    name: str
    created: datetime

    @classmethod
    def of(cls, row: schema.OrgRow) -> Org:
        return cls(id=row.id, name=row.name, created=row.created)


@dataclass(frozen=True)
class User(_Record):
    id: str
    email: str
    name: str
    has_password: bool
    created: datetime

    @classmethod
    def of(cls, row: schema.UserRow) -> User:
        return cls(
            id=row.id,
            email=row.email,
            name=row.name,
            has_password=row.password_hash is not None,
            created=row.created,
        )


@dataclass(frozen=True)
class Member(_Record):
    org_id: str
    user_id: str
    role: str
    email: str
    name: str
    created: datetime

    @classmethod
    def of(cls, row: schema.MemberRow, user: schema.UserRow) -> Member:
        return cls(
            org_id=row.org_id,
            user_id=row.user_id,
            role=row.role,
            email=user.email,
            name=user.name,
            created=row.created,
        )


@dataclass(frozen=True)
class ApiKey(_Record):
    id: str
    org_id: str
    user_id: str
    name: str
    prefix: str
    created: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None

    @classmethod
    def of(cls, row: schema.ApiKeyRow) -> ApiKey:
        return cls(
            id=row.id,
            org_id=row.org_id,
            user_id=row.user_id,
            name=row.name,
            prefix=row.prefix,
            created=row.created,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
        )


@dataclass(frozen=True)
class Project(_Record):
    id: str
    org_id: str
    name: str
    description: str
    created: datetime

    @classmethod
    def of(cls, row: schema.ProjectRow) -> Project:
        return cls(
            id=row.id,
            org_id=row.org_id,
            name=row.name,
            description=row.description,
            created=row.created,
        )


@dataclass(frozen=True)
class RegistryObject(_Record):
    id: str
    org_id: str
    project_id: str
    kind: str
    name: str
    slug: str | None
    description: str
    metadata: dict[str, Any]
    created: datetime
    updated: datetime

    @classmethod
    def of(cls, row: schema.ObjectRow) -> RegistryObject:
        return cls(
            id=row.id,
            org_id=row.org_id,
            project_id=row.project_id,
            kind=row.kind,
            name=row.name,
            slug=row.slug,
            description=row.description,
            metadata=copy.deepcopy(row.meta or {}),
            created=row.created,
            updated=row.updated,
        )


@dataclass(frozen=True)
class Provider(_Record):
    id: str
    org_id: str
    name: str
    provider: str
    base_url: str | None
    models: list[str]
    has_key: bool
    created: datetime
    updated: datetime

    @classmethod
    def of(cls, row: schema.ProviderSecretRow) -> Provider:
        return cls(
            id=row.id,
            org_id=row.org_id,
            name=row.name,
            provider=row.provider,
            base_url=row.base_url,
            models=list(row.models or []),
            has_key=row.encrypted_key is not None,
            created=row.created,
            updated=row.updated,
        )


@dataclass(frozen=True)
class Thread(_Record):
    id: str
    org_id: str
    project_id: str | None
    user_id: str
    title: str
    model: str | None
    settings: dict[str, Any]
    created: datetime
    updated: datetime

    @classmethod
    def of(cls, row: schema.ThreadRow) -> Thread:
        return cls(
            id=row.id,
            org_id=row.org_id,
            project_id=row.project_id,
            user_id=row.user_id,
            title=row.title,
            model=row.model,
            settings=copy.deepcopy(row.settings or {}),
            created=row.created,
            updated=row.updated,
        )


@dataclass(frozen=True)
class Message(_Record):
    id: str
    thread_id: str
    seq: int
    role: str
    content: dict[str, Any]
    status: str
    created: datetime

    @classmethod
    def of(cls, row: schema.MessageRow) -> Message:
        return cls(
            id=row.id,
            thread_id=row.thread_id,
            seq=row.seq,
            role=row.role,
            content=copy.deepcopy(row.content or {}),
            status=row.status,
            created=row.created,
        )


@dataclass(frozen=True)
class Bootstrap:
    """What :meth:`ControlStore.bootstrap` made: print the key and the login link once."""

    org: Org
    user: User
    api_key_plaintext: str
    login_token: str
    key: ApiKey

    @property
    def api_key(self) -> str:
        """The admin API key in plaintext (same as ``api_key_plaintext``)."""
        return self.api_key_plaintext
