"""Checks on the data directory, so a bad one is a clear message instead of a traceback."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from openloop.errors import ConfigError, StorageUnavailable

if TYPE_CHECKING:
    from openloop.settings import Settings

__all__ = ["data_store_lock_error", "prepare_data_dir"]


def prepare_data_dir(settings: Settings) -> None:
    """Create the data directory if needed and make sure it is a writable directory."""
    d = settings.data_dir
    if d.exists() and not d.is_dir():
        raise ConfigError(f"data directory {d} is a file, not a directory (OPENLOOP_DATA_DIR)")
    try:
        d.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ConfigError(
            f"cannot create data directory {d}: {exc.strerror or exc} (set OPENLOOP_DATA_DIR "
            "or --data-dir to a writable directory)"
        ) from exc
    if not os.access(d, os.R_OK | os.W_OK | os.X_OK):
        raise ConfigError(
            f"data directory {d} is not readable and writable by this user (set "
            "OPENLOOP_DATA_DIR or --data-dir to a writable directory)"
        )


def data_store_lock_error(settings: Settings, exc: Exception) -> StorageUnavailable:
    """The message for a data file held by another process (usually a running server)."""
    return StorageUnavailable(
        f"the data store {settings.duckdb_path} is in use by another OpenLoop process (a running "
        f"server?). Stop it, or run this command through the server's API. Detail: {exc}"
    )
