"""Checks on the data directory, so a bad one is a clear message instead of a traceback."""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from typing import TYPE_CHECKING

from openloop.errors import ConfigError, StorageUnavailable

if TYPE_CHECKING:
    from openloop.settings import Settings

__all__ = ["data_store_lock_error", "prepare_data_dir", "record_server", "running_server_url"]

#: Where a running server notes its address and process, for commands run beside it.
SERVER_FILE = "server.json"


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
        f"{running_server_url(settings) or settings.base_url} and OPENLOOP_API_KEY to an API key (`openloop keys create "
        "--name cli` makes one while the server runs), or stop the server."
        if remote_ok
        else "Stop it first."
    )
    return StorageUnavailable(
        f"the data store {settings.duckdb_path} is in use by {who}, usually a running server. {how}"
    )


def record_server(settings: Settings) -> Callable[[], None]:
    """Note this process as the data directory's running server (its URL and PID), so that
    commands run beside it (``openloop login-link``) use the address it really serves on.
    Returns the function that removes the note when the server stops."""
    path = settings.data_dir / SERVER_FILE
    pid = os.getpid()
    try:
        path.write_text(json.dumps({"url": settings.base_url, "pid": pid}) + "\n")
    except OSError:  # only a convenience for other commands: never a reason not to serve
        return lambda: None

    def forget() -> None:
        try:
            if json.loads(path.read_text()).get("pid") == pid:
                path.unlink()
        except (OSError, ValueError):
            pass

    return forget


def running_server_url(settings: Settings) -> str | None:
    """The URL of the server running on this data directory, or None when none is (no note,
    or its process is gone)."""
    try:
        info = json.loads((settings.data_dir / SERVER_FILE).read_text())
    except (OSError, ValueError):
        return None
    pid, url = (info.get("pid"), info.get("url")) if isinstance(info, dict) else (None, None)
    if not isinstance(pid, int) or pid <= 0 or not isinstance(url, str):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return None
    except PermissionError:  # alive, run by another user
        pass
    return url
