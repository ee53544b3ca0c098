"""A real control store per test: SQLite in a temp file, and PostgreSQL when
OPENLOOP_TEST_PG_URL is set (one throw-away schema per test session, emptied after each test)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from openloop.store.control import ControlStore
from openloop.store.control.schema import Base

SECRET = b"control-test-secret"


@pytest.fixture(scope="session")
def pg_url() -> Iterator[str]:
    base = os.environ.get("OPENLOOP_TEST_PG_URL")
    if not base:
        pytest.skip("OPENLOOP_TEST_PG_URL is not set")
    schema = f"ol_control_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    except Exception as exc:  # the server is down: say so instead of failing every test
        admin.dispose()
        pytest.skip(f"PostgreSQL at OPENLOOP_TEST_PG_URL is unreachable: {exc}")
    url = make_url(base).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def control_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'control.db'}"
        return
    url = request.getfixturevalue("pg_url")
    yield url
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
            conn.execute(text(f"TRUNCATE {tables} CASCADE"))
    finally:
        engine.dispose()


@pytest.fixture
def control(control_url: str) -> Iterator[ControlStore]:
    store = ControlStore.open(control_url, secret_key=SECRET)
    yield store
    store.close()


@pytest.fixture
def org(control: ControlStore):
    """An org with an owner: returns (org, owner user)."""
    org = control.create_org("acme")
    owner = control.create_user("owner@acme.test", "Olive Owner")
    control.add_member(org.id, owner.id, "owner")
    return org, owner
