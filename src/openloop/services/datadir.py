"""Checks on the data directory, so a bad one is a clear message instead of a traceback."""

from __future__ import annotations

import os
import re
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


def data_store_lock_error(
    settings: Settings, exc: Exception, *, remote_ok: bool = False
) -> StorageUnavailable:
    """The message for a data file held by another process (usually a running server).
    ``remote_ok``: the command can run through a server's API instead, so say how."""
    pid = re.search(r"\(PID (\d+)\)", str(exc))
    who = f"another OpenLoop process (PID {pid.group(1)})" if pid else "another OpenLoop process"
    how = (
        "Run this command through the server instead: set OPENLOOP_BASE_URL="
        f"{settings.base_url} and OPENLOOP_API_KEY to an API key (`openloop keys create "
        "--name cli` makes one while the server runs), or stop the server."
        if remote_ok
        else "Stop it first."
    )
    return StorageUnavailable(
        f"the data store {settings.duckdb_path} is in use by {who}, usually a running server. {how}"
    )
