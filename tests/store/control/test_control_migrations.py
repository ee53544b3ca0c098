from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from openloop.store.control import ControlStore
from openloop.store.control.schema import Base
from openloop.store.migrations import SCRIPT_LOCATION, current_revision, head_revision, upgrade

TABLES = {
    "organizations",
    "users",
    "members",
    "api_keys",
    "sessions",
    "login_links",
    "projects",
    "objects",
    "project_settings",
    "provider_secrets",
    "org_settings",
    "loop_threads",
    "loop_messages",
}


def test_migrations_create_every_table_at_head(control: ControlStore) -> None:
    names = set(inspect(control.engine).get_table_names())
    assert names >= TABLES | {"alembic_version"}
    assert current_revision(control.engine) == head_revision() is not None


def test_models_match_migrations(control: ControlStore) -> None:
    with control.engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(ctx, Base.metadata) == []


def test_upgrade_is_idempotent_and_keeps_data(control: ControlStore, control_url: str) -> None:
    org = control.create_org("keep-me")
    upgrade(control.engine)
    reopened = ControlStore.open(control_url, secret_key=b"x")
    try:
        assert reopened.get_org(org.id).name == "keep-me"
    finally:
        reopened.close()


def test_migrations_ship_inside_the_package() -> None:
    assert (SCRIPT_LOCATION / "env.py").is_file()
    assert SCRIPT_LOCATION.parent.name == "store"
    assert any(SCRIPT_LOCATION.joinpath("versions").glob("0001_*.py"))


def test_sqlite_is_tuned_for_concurrent_use(tmp_path) -> None:
    store = ControlStore.open(f"sqlite:///{tmp_path / 'sub' / 'c.db'}", secret_key=b"k")
    try:
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() >= 1000
    finally:
        store.close()
