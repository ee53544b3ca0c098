"""Alembic migrations of the control-plane database, shipped inside the package.

Run them from code; no ``alembic.ini`` is needed::

    from sqlalchemy import create_engine
    from openloop.store.migrations import upgrade
    upgrade(create_engine("sqlite:///control.db"))

For development, ``alembic_config(url)`` gives a :class:`alembic.config.Config` usable with
``alembic.command.revision(cfg, autogenerate=True, message=...)`` to write the next revision.
"""

from __future__ import annotations

import logging
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, Engine

__all__ = ["SCRIPT_LOCATION", "alembic_config", "current_revision", "head_revision", "upgrade"]

logger = logging.getLogger(__name__)

SCRIPT_LOCATION = Path(__file__).resolve().parent


def alembic_config(url: str | None = None, connection: Connection | None = None) -> Config:
    """An Alembic config pointing at these migrations and at ``url`` or an open ``connection``."""
    cfg = Config()
    cfg.set_main_option("script_location", str(SCRIPT_LOCATION))
    if url is not None:
        # ConfigParser interpolation treats "%" specially; URLs may contain escaped characters.
        cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    if connection is not None:
        cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str | None:
    """The newest revision shipped with this version of OpenLoop."""
    return ScriptDirectory.from_config(alembic_config()).get_current_head()


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the database to ``revision`` (default: the newest). Safe to call on every start."""
    before = current_revision(engine)
    with engine.connect() as conn:
        raw = conn.connection.driver_connection if conn.dialect.name == "sqlite" else None
        fk_was_on = False
        if raw is not None:
            # SQLite rebuilds tables to alter them; with foreign keys on, dropping the old
            # copy would cascade-delete child rows. PRAGMA only works outside a transaction.
            fk_was_on = bool(raw.execute("PRAGMA foreign_keys").fetchone()[0])
            raw.execute("PRAGMA foreign_keys=OFF")
        try:
            with conn.begin():
                command.upgrade(alembic_config(connection=conn), revision)
        finally:
            if raw is not None and fk_was_on:
                raw.execute("PRAGMA foreign_keys=ON")
    after = current_revision(engine)
    if before != after:
        logger.info("control.migrate from=%s to=%s", before, after)
