"""Engine setup, short per-call sessions and input validation shared by the store's parts."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import StaticPool

from openloop.errors import InvalidInput, StorageUnavailable
from openloop.store.control.crypto import SecretBox

logger = logging.getLogger(__name__)

MAX_NAME = 128
_WRITE_OPTION = "openloop_write"
_OBJECT_ID = re.compile(r"^[A-Za-z0-9_\-]{1,64}$")


def make_engine(url: str) -> Engine:
    """An engine for ``url``. On SQLite: WAL, foreign keys, a busy timeout, and ``BEGIN
    IMMEDIATE`` for write transactions so concurrent writers queue instead of failing."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite":
        return create_engine(url, pool_pre_ping=True)
    database = parsed.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if in_memory:
        engine = create_engine(url, poolclass=StaticPool, connect_args={"check_same_thread": False})
    else:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # pysqlite's own transaction handling is bypassed; "begin" below emits BEGIN itself.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=10000")
        if not in_memory:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(_WRITE_OPTION)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


class StoreBase:
    """Holds the engine and hands out one short session per call (thread-safe)."""

    def __init__(self, engine: Engine, secret_key: bytes) -> None:
        self._engine = engine
        self._box = SecretBox(secret_key)
        self._reader = sessionmaker(bind=engine, expire_on_commit=False)
        self._writer = sessionmaker(
            bind=engine.execution_options(**{_WRITE_OPTION: True}), expire_on_commit=False
        )

    @property
    def engine(self) -> Engine:
        return self._engine

    @contextmanager
    def _read(self) -> Iterator[Session]:
        try:
            with self._reader() as s:
                yield s
        except OperationalError as exc:
            raise StorageUnavailable(f"control database unavailable: {exc.orig}") from exc

    @contextmanager
    def _write(self) -> Iterator[Session]:
        """A session in one transaction, committed on success and rolled back on error."""
        try:
            with self._writer.begin() as s:
                yield s
        except OperationalError as exc:
            raise StorageUnavailable(f"control database unavailable: {exc.orig}") from exc


# -- validation -------------------------------------------------------------------------------


def clean_name(value: object, what: str = "name", max_len: int = MAX_NAME) -> str:
    """``value`` stripped; InvalidInput unless it is a string of 1..max_len characters."""
    if not isinstance(value, str):
        raise InvalidInput(f"{what} must be a string")
    value = value.strip()
    if not value:
        raise InvalidInput(f"{what} must not be empty")
    if len(value) > max_len:
        raise InvalidInput(f"{what} must be at most {max_len} characters (got {len(value)})")
    return value


def clean_email(value: object) -> str:
    """Lower-cased, stripped email; InvalidInput unless it looks like ``someone@somewhere``."""
    email = clean_name(value, "email", 254).lower()
    local, _, domain = email.partition("@")
    if not local or not domain or " " in email:
        raise InvalidInput(f"{email!r} is not an email address", field="email")
    return email


def clean_object_id(value: object) -> str:
    if not isinstance(value, str) or not _OBJECT_ID.match(value):
        raise InvalidInput("id must be 1-64 letters, digits, '-' or '_'", field="id")
    return value


def clean_json_dict(value: object, what: str) -> dict[str, Any]:
    """A JSON-serialisable dict (copied through JSON so stored and returned values agree)."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise InvalidInput(f"{what} must be a JSON object")
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise InvalidInput(f"{what} must be JSON-serialisable: {exc}") from exc
