"""Shared CLI plumbing: settings from flags + env with friendly errors, local principal."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer

from openloop.errors import OpenLoopError

__all__ = ["fail", "friendly_errors", "load_settings", "local_principal", "open_services"]


def fail(message: str, code: int = 1) -> None:
    typer.secho(f"error: {message}", fg=typer.colors.RED, err=True)
    raise typer.Exit(code)


def load_settings(**overrides: Any) -> Any:
    """Settings from the environment, with CLI flags (non-None) taking precedence."""
    from pydantic import ValidationError

    from openloop.settings import Settings

    clean = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**clean)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            field = ".".join(str(x) for x in err.get("loc", ()))
            problems.append(
                f"OPENLOOP_{field.upper()}: {err.get('msg')} (got {err.get('input')!r})"
            )
        fail("bad setting — " + "; ".join(problems), code=2)


@contextmanager
def friendly_errors() -> Iterator[None]:
    """Turn OpenLoop errors into one red line and a non-zero exit instead of a traceback."""
    try:
        yield
    except OpenLoopError as exc:
        fail(str(exc), code=2 if exc.status < 500 else 1)


def open_services(settings: Any, *, data: bool = True, remote_ok: bool = False) -> Any:
    """Open the data directory's stores. A data file held by another process (a running
    server) is a clear message; ``remote_ok`` commands also say how to go through the server."""
    from openloop.services import Services
    from openloop.services.datadir import data_store_lock_error

    try:
        return Services.open(settings, data=data)
    except Exception as exc:
        text = str(exc).lower()  # DuckDB's words for a file another process holds
        if data and ("could not set lock" in text or "conflicting lock" in text):
            raise data_store_lock_error(settings, exc, remote_ok=remote_ok) from exc
        raise


def local_principal(svc: Any, email: str | None = None) -> Any:
    """The principal a local CLI command acts as: access to the data directory is full access,
    so it acts as the first owner (or the member with ``email``)."""
    from openloop.auth import Principal
    from openloop.errors import NotFound

    control = svc.control
    if control.is_empty():
        boot = control.bootstrap()
        typer.echo(
            f"Created organization {boot.org.name!r} with owner {boot.user.email}.", err=True
        )
    orgs = control.list_orgs() if hasattr(control, "list_orgs") else None
    if email:
        user = control.get_user_by_email(email)
        if user is None:
            raise NotFound(f"no user with email {email!r}")
        for org in orgs or []:
            for m in control.list_members(org.id):
                if m.user_id == user.id:
                    return Principal(org_id=org.id, user_id=user.id, role=m.role)
        raise NotFound(f"user {email!r} belongs to no organization")
    for org in orgs or []:
        for m in control.list_members(org.id):
            if m.role == "owner":
                return Principal(org_id=org.id, user_id=m.user_id, role="owner")
    raise NotFound("no organization owner found in this data directory")


def data_dir_option() -> Any:
    return typer.Option(
        None,
        "--data-dir",
        help="Data directory (default: OPENLOOP_DATA_DIR, else ./.openloop-data if it exists, "
        "else ~/.openloop).",
        file_okay=False,
        path_type=Path,  # type: ignore[arg-type]
    )


def echo_err(message: str) -> None:
    print(message, file=sys.stderr)
