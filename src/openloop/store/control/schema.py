"""The control-plane tables as SQLAlchemy 2 typed ORM classes.

This module is the source of truth the Alembic migrations in :mod:`openloop.store.migrations`
must reproduce; a test runs autogenerate against a migrated database and expects no diff.
Ids are uuid4 hex strings; every timestamp is UTC (stored naive on SQLite, ``timestamptz`` on
PostgreSQL, always returned timezone-aware).

Names that must be unique only among live rows (projects, registry objects) use partial unique
indexes on ``deleted_at IS NULL``, which SQLite and PostgreSQL both support.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

__all__ = [
    "ApiKeyRow",
    "Base",
    "LoginLinkRow",
    "MemberRow",
    "MessageRow",
    "ObjectRow",
    "OrgRow",
    "OrgSettingsRow",
    "ProjectRow",
    "ProjectSettingsRow",
    "ProviderSecretRow",
    "SessionRow",
    "ThreadRow",
    "UTCDateTime",
    "UserRow",
    "new_id",
    "utcnow",
]

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

LIVE = text("deleted_at IS NULL")


def new_id() -> str:
    """A fresh id: uuid4 as 32 hex characters."""
    return uuid.uuid4().hex


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always UTC: aware values are converted, naive ones are taken as UTC,
    and values read back are aware. SQLite has no time zones, so it stores naive UTC."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON(), list[Any]: JSON()}


def _id() -> Mapped[str]:
    return mapped_column(String(32), primary_key=True, default=new_id)


def _fk(target: str, *, nullable: bool = False, index: bool = False) -> Mapped[Any]:
    return mapped_column(
        String(32), ForeignKey(target, ondelete="CASCADE"), nullable=nullable, index=index
    )


def _created() -> Mapped[datetime]:
    return mapped_column(default=utcnow)


class OrgRow(Base):
    __tablename__ = "organizations"
    id: Mapped[str] = _id()
    name: Mapped[str] = mapped_column(String(128), unique=True)
    created: Mapped[datetime] = _created()


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[str] = _id()
    email: Mapped[str] = mapped_column(String(254), unique=True)
    name: Mapped[str] = mapped_column(String(128))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created: Mapped[datetime] = _created()


class MemberRow(Base):
    __tablename__ = "members"
    org_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    role: Mapped[str] = mapped_column(String(16))
    created: Mapped[datetime] = _created()


class ApiKeyRow(Base):
    __tablename__ = "api_keys"
    id: Mapped[str] = _id()
    org_id: Mapped[str] = _fk("organizations.id", index=True)
    user_id: Mapped[str] = _fk("users.id", index=True)
    name: Mapped[str] = mapped_column(String(128))
    prefix: Mapped[str] = mapped_column(String(16))
    key_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created: Mapped[datetime] = _created()
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class SessionRow(Base):
    __tablename__ = "sessions"
    id: Mapped[str] = _id()
    user_id: Mapped[str] = _fk("users.id", index=True)
    org_id: Mapped[str] = _fk("organizations.id", index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created: Mapped[datetime] = _created()
    expires_at: Mapped[datetime]


class LoginLinkRow(Base):
    __tablename__ = "login_links"
    id: Mapped[str] = _id()
    user_id: Mapped[str] = _fk("users.id", index=True)
    org_id: Mapped[str] = _fk("organizations.id", index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created: Mapped[datetime] = _created()
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]


class ProjectRow(Base):
    __tablename__ = "projects"
    __table_args__ = (
        Index(
            "uq_projects_org_id_name_live",
            "org_id",
            "name",
            unique=True,
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        ),
    )
    id: Mapped[str] = _id()
    org_id: Mapped[str] = _fk("organizations.id", index=True)
    name: Mapped[str] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    created: Mapped[datetime] = _created()
    deleted_at: Mapped[datetime | None]


class ObjectRow(Base):
    """The registry: experiments, datasets, prompts, scorers, views, charts and online rules.
    Their rows live in the data plane; this table holds names and metadata."""

    __tablename__ = "objects"
    __table_args__ = (
        Index(
            "uq_objects_project_id_kind_name_live",
            "project_id",
            "kind",
            "name",
            unique=True,
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        ),
        Index(
            "uq_objects_project_id_kind_slug_live",
            "project_id",
            "kind",
            "slug",
            unique=True,
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        ),
    )
    id: Mapped[str] = mapped_column(String(64), primary_key=True, default=new_id)
    org_id: Mapped[str] = _fk("organizations.id", index=True)
    project_id: Mapped[str] = _fk("projects.id")
    kind: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128))
    slug: Mapped[str | None] = mapped_column(String(128))
    description: Mapped[str] = mapped_column(Text, default="")
    # "metadata" is reserved on declarative classes; the column keeps the plain name.
    meta: Mapped[dict[str, Any]] = mapped_column("metadata", default=dict)
    created: Mapped[datetime] = _created()
    updated: Mapped[datetime] = _created()
    deleted_at: Mapped[datetime | None]


class ProjectSettingsRow(Base):
    __tablename__ = "project_settings"
    project_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("projects.id", ondelete="CASCADE"), primary_key=True
    )
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)


class OrgSettingsRow(Base):
    __tablename__ = "org_settings"
    org_id: Mapped[str] = mapped_column(
        String(32), ForeignKey("organizations.id", ondelete="CASCADE"), primary_key=True
    )
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)


class ProviderSecretRow(Base):
    __tablename__ = "provider_secrets"
    __table_args__ = (UniqueConstraint("org_id", "name"),)
    id: Mapped[str] = _id()
    org_id: Mapped[str] = _fk("organizations.id")
    provider: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(128))
    base_url: Mapped[str | None] = mapped_column(String(2048))
    encrypted_key: Mapped[str | None] = mapped_column(Text)
    models: Mapped[list[Any]] = mapped_column(default=list)
    created: Mapped[datetime] = _created()
    updated: Mapped[datetime] = _created()


class ThreadRow(Base):
    __tablename__ = "loop_threads"
    __table_args__ = (Index(None, "org_id", "user_id", "project_id"),)
    id: Mapped[str] = _id()
    org_id: Mapped[str] = _fk("organizations.id")
    project_id: Mapped[str | None] = _fk("projects.id", nullable=True)
    user_id: Mapped[str] = _fk("users.id")
    title: Mapped[str] = mapped_column(String(256), default="")
    model: Mapped[str | None] = mapped_column(String(256))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created: Mapped[datetime] = _created()
    updated: Mapped[datetime] = _created()


class MessageRow(Base):
    __tablename__ = "loop_messages"
    __table_args__ = (UniqueConstraint("thread_id", "seq"),)
    id: Mapped[str] = _id()
    thread_id: Mapped[str] = _fk("loop_threads.id")
    seq: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(32))
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)
    created: Mapped[datetime] = _created()
    status: Mapped[str] = mapped_column(String(16), default="done")
