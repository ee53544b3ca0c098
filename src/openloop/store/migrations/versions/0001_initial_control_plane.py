"""initial control plane

Revision ID: 0001
Revises:
Create Date: 2026-11-27 18:07:09
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("deleted_at IS NULL")


def _id(length: int = 32) -> sa.Column:
    return sa.Column("id", sa.String(length=length), nullable=False)


def _ref(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.String(length=32), nullable=nullable)


def _ts(name: str, nullable: bool = False) -> sa.Column:
    return sa.Column(name, sa.DateTime(timezone=True), nullable=nullable)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        [column],
        [f"{target}.id"],
        name=op.f(f"fk_{table}_{column}_{target}"),
        ondelete="CASCADE",
    )


def _index(table: str, *columns: str) -> None:
    op.create_index(op.f(f"ix_{table}_{'_'.join(columns)}"), table, list(columns), unique=False)


def upgrade() -> None:
    op.create_table(
        "organizations",
        _id(),
        sa.Column("name", sa.String(length=128), nullable=False),
        _ts("created"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organizations")),
        sa.UniqueConstraint("name", name=op.f("uq_organizations_name")),
    )
    op.create_table(
        "users",
        _id(),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=True),
        _ts("created"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_users")),
        sa.UniqueConstraint("email", name=op.f("uq_users_email")),
    )
    op.create_table(
        "members",
        _ref("org_id"),
        _ref("user_id"),
        sa.Column("role", sa.String(length=16), nullable=False),
        _ts("created"),
        _fk("members", "org_id", "organizations"),
        _fk("members", "user_id", "users"),
        sa.PrimaryKeyConstraint("org_id", "user_id", name=op.f("pk_members")),
    )
    _index("members", "user_id")
    op.create_table(
        "api_keys",
        _id(),
        _ref("org_id"),
        _ref("user_id"),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("prefix", sa.String(length=16), nullable=False),
        sa.Column("key_hash", sa.String(length=64), nullable=False),
        _ts("created"),
        _ts("last_used_at", nullable=True),
        _ts("revoked_at", nullable=True),
        _fk("api_keys", "org_id", "organizations"),
        _fk("api_keys", "user_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_keys")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_api_keys_key_hash")),
    )
    _index("api_keys", "org_id")
    _index("api_keys", "user_id")
    for table, extra in (("sessions", []), ("login_links", [_ts("used_at", nullable=True)])):
        op.create_table(
            table,
            _id(),
            _ref("user_id"),
            _ref("org_id"),
            sa.Column("token_hash", sa.String(length=64), nullable=False),
            _ts("created"),
            _ts("expires_at"),
            *extra,
            _fk(table, "org_id", "organizations"),
            _fk(table, "user_id", "users"),
            sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{table}")),
            sa.UniqueConstraint("token_hash", name=op.f(f"uq_{table}_token_hash")),
        )
        _index(table, "org_id")
        _index(table, "user_id")
    op.create_table(
        "projects",
        _id(),
        _ref("org_id"),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        _ts("created"),
        _ts("deleted_at", nullable=True),
        _fk("projects", "org_id", "organizations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_projects")),
    )
    _index("projects", "org_id")
    op.create_index(
        "uq_projects_org_id_name_live",
        "projects",
        ["org_id", "name"],
        unique=True,
        sqlite_where=LIVE,
        postgresql_where=LIVE,
    )
    op.create_table(
        "objects",
        _id(64),
        _ref("org_id"),
        _ref("project_id"),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("slug", sa.String(length=128), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("metadata", sa.JSON(), nullable=False),
        _ts("created"),
        _ts("updated"),
        _ts("deleted_at", nullable=True),
        _fk("objects", "org_id", "organizations"),
        _fk("objects", "project_id", "projects"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objects")),
    )
    _index("objects", "org_id")
    for column in ("name", "slug"):
        op.create_index(
            f"uq_objects_project_id_kind_{column}_live",
            "objects",
            ["project_id", "kind", column],
            unique=True,
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        )
    op.create_table(
        "project_settings",
        _ref("project_id"),
        sa.Column("settings", sa.JSON(), nullable=False),
        _fk("project_settings", "project_id", "projects"),
        sa.PrimaryKeyConstraint("project_id", name=op.f("pk_project_settings")),
    )
    op.create_table(
        "org_settings",
        _ref("org_id"),
        sa.Column("settings", sa.JSON(), nullable=False),
        _fk("org_settings", "org_id", "organizations"),
        sa.PrimaryKeyConstraint("org_id", name=op.f("pk_org_settings")),
    )
    op.create_table(
        "provider_secrets",
        _id(),
        _ref("org_id"),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("base_url", sa.String(length=2048), nullable=True),
        sa.Column("encrypted_key", sa.Text(), nullable=True),
        sa.Column("models", sa.JSON(), nullable=False),
        _ts("created"),
        _ts("updated"),
        _fk("provider_secrets", "org_id", "organizations"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_provider_secrets")),
        sa.UniqueConstraint("org_id", "name", name=op.f("uq_provider_secrets_org_id_name")),
    )
    op.create_table(
        "loop_threads",
        _id(),
        _ref("org_id"),
        _ref("project_id", nullable=True),
        _ref("user_id"),
        sa.Column("title", sa.String(length=256), nullable=False),
        sa.Column("model", sa.String(length=256), nullable=True),
        sa.Column("settings", sa.JSON(), nullable=False),
        _ts("created"),
        _ts("updated"),
        _fk("loop_threads", "org_id", "organizations"),
        _fk("loop_threads", "project_id", "projects"),
        _fk("loop_threads", "user_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_threads")),
    )
    _index("loop_threads", "org_id", "user_id", "project_id")
    op.create_table(
        "loop_messages",
        _id(),
        sa.Column("thread_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        _ts("created"),
        sa.Column("status", sa.String(length=16), nullable=False),
        _fk("loop_messages", "thread_id", "loop_threads"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loop_messages")),
        sa.UniqueConstraint("thread_id", "seq", name=op.f("uq_loop_messages_thread_id_seq")),
    )


def downgrade() -> None:
    for table in (
        "loop_messages",
        "loop_threads",
        "provider_secrets",
        "org_settings",
        "project_settings",
        "objects",
        "projects",
        "login_links",
        "sessions",
        "api_keys",
        "members",
        "users",
        "organizations",
    ):
        op.drop_table(table)
