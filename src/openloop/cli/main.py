"""``openloop``: serve, demo, keys, login-link, query, import/export, version."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from openloop.cli._common import (
    data_dir_option,
    fail,
    friendly_errors,
    load_settings,
    local_principal,
    open_services,
)

app = typer.Typer(
    name="openloop",
    help="OpenLoop: self-hosted evaluation and observability for LLM apps, with Loop.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")


@app.command()
def version() -> None:
    """Print the OpenLoop version."""
    from openloop._version import __version__

    typer.echo(f"openloop {__version__}")


@app.command()
def serve(
    host: str | None = typer.Option(None, help="Interface to listen on (default 127.0.0.1)."),
    port: int | None = typer.Option(None, help="Port to listen on (default 8000)."),
    data_dir: Path | None = data_dir_option(),
    demo: bool | None = typer.Option(
        None, "--demo/--no-demo", help="Load the demo project on first run."
    ),
) -> None:
    """Start the server (creating the data directory, owner and demo project on first run)."""
    from openloop.cli.serve import run_server

    settings = load_settings(host=host, port=port, data_dir=data_dir, load_demo=demo)
    with friendly_errors():
        run_server(settings)


@app.command()
def demo(
    data_dir: Path | None = data_dir_option(),
    traces: int = typer.Option(5000, min=10, help="Number of log traces to generate."),
) -> None:
    """Load the demo project `demo-support-bot` into the data directory."""
    from openloop.cli.serve import load_demo_project

    settings = load_settings(data_dir=data_dir)
    with friendly_errors():
        svc = open_services(settings)
        try:
            p = local_principal(svc)
            load_demo_project(svc, p.org_id, traces=traces)
        finally:
            svc.close()


@app.command("login-link")
def login_link(
    data_dir: Path | None = data_dir_option(),
    email: str | None = typer.Option(None, help="User to log in as (default: the owner)."),
) -> None:
    """Print a one-time browser login link (works while the server is running)."""
    from openloop.services.datadir import running_server_url

    settings = load_settings(data_dir=data_dir)
    with friendly_errors():
        svc = open_services(settings, data=False)
        try:
            p = local_principal(svc, email)
            token = svc.control.create_login_link(
                p.org_id, p.user_id, ttl_minutes=settings.login_link_ttl_minutes
            )
            base = running_server_url(settings) or settings.base_url
            typer.echo(f"{base}/auth/link/{token}")
        finally:
            svc.close()


@keys_app.command("create")
def keys_create(
    name: str = typer.Option(..., "--name", help="A name to recognise the key by."),
    data_dir: Path | None = data_dir_option(),
    email: str | None = typer.Option(None, help="Owner of the key (default: the org owner)."),
) -> None:
    """Create an API key and print it (it is shown only once)."""
    from openloop.services.keys import create_api_key

    settings = load_settings(data_dir=data_dir)
    with friendly_errors():
        svc = open_services(settings, data=False)
        try:
            p = local_principal(svc, email)
            record, plaintext = create_api_key(svc, p, name)
            typer.echo(plaintext)
            typer.echo(
                f"(key {record.id}, prefix {record.prefix}; store it now — it is not shown again)",
                err=True,
            )
        finally:
            svc.close()


@keys_app.command("list")
def keys_list(data_dir: Path | None = data_dir_option()) -> None:
    """List API keys (never their secret)."""
    from openloop.services.keys import list_api_keys

    settings = load_settings(data_dir=data_dir)
    with friendly_errors():
        svc = open_services(settings, data=False)
        try:
            p = local_principal(svc)
            rows = list_api_keys(svc, p)
            _table(
                ["id", "name", "prefix", "created", "last used", "revoked"],
                [
                    [k.id, k.name, k.prefix, _ts(k.created), _ts(k.last_used_at), _ts(k.revoked_at)]
                    for k in rows
                ],
            )
        finally:
            svc.close()


@keys_app.command("revoke")
def keys_revoke(key_id: str, data_dir: Path | None = data_dir_option()) -> None:
    """Revoke an API key by id."""
    from openloop.services.keys import revoke_api_key

    settings = load_settings(data_dir=data_dir)
    with friendly_errors():
        svc = open_services(settings, data=False)
        try:
            p = local_principal(svc)
            k = revoke_api_key(svc, p, key_id)
            typer.echo(f"revoked {k.id} ({k.name})")
        finally:
            svc.close()


def _ts(value: Any) -> str:
    if value is None:
        return ""
    return value.strftime("%Y-%m-%d %H:%M") if hasattr(value, "strftime") else str(value)


def _table(headers: list[str], rows: list[list[Any]]) -> None:
    from rich.console import Console
    from rich.table import Table

    t = Table(*headers)
    for r in rows:
        t.add_row(*[str(x) for x in r])
    Console().print(t)


def _register_more() -> None:
    from openloop.cli import chat as chat_cmd
    from openloop.cli import data as data_cmds
    from openloop.cli import evalcmd

    data_cmds.register(app)
    evalcmd.register(app)
    chat_cmd.register(app)


_register_more()


def main() -> None:
    app()


if __name__ == "__main__":  # pragma: no cover
    main()


__all__ = ["app", "fail", "main"]
