"""``openloop serve``: first-run setup, demo loading and the uvicorn server."""

from __future__ import annotations

import errno
import gc
import logging
import socket
import time
from typing import Any

import typer

from openloop.cli._common import open_services
from openloop.errors import ConfigError
from openloop.services.datadir import record_server

__all__ = ["check_port", "load_demo_project", "run_server"]

logger = logging.getLogger(__name__)


def check_port(host: str, port: int) -> None:
    """Fail early, with a clear message, when the port is taken or the host is unusable."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ConfigError(
                    f"port {port} on {host} is already in use (another OpenLoop server?). "
                    "Stop it, or choose another port with --port or OPENLOOP_PORT."
                ) from None
            if exc.errno in (errno.EACCES, errno.EPERM):
                raise ConfigError(
                    f"not allowed to listen on {host}:{port}; choose a port above 1024 with --port"
                ) from None
            raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None


def load_demo_project(svc: Any, org_id: str, *, traces: int = 5000) -> Any:
    from openloop.demo import load_demo

    typer.echo(f"Loading the demo project demo-support-bot ({traces:,} traces)…")
    started = time.perf_counter()
    summary = load_demo(svc.control, svc.data, org_id, traces=traces)
    typer.echo(f"  done in {time.perf_counter() - started:.1f} s")
    return summary


def run_server(settings: Any) -> None:
    import uvicorn

    from openloop._version import __version__
    from openloop.server.app import create_app

    check_port(settings.host, settings.port)
    svc = open_services(settings)
    try:
        control = svc.control
        typer.echo(f"OpenLoop {__version__} — data directory {settings.data_dir}")
        first_run = control.is_empty()
        if first_run:
            boot = control.bootstrap()
            org_id, user_id = boot.org.id, boot.user.id
            typer.echo(
                f"First run: created organization {boot.org.name!r} and owner {boot.user.email}."
            )
            typer.secho(f"  Admin API key (shown once, keep it): {boot.api_key}", bold=True)
            if settings.load_demo:
                load_demo_project(svc, org_id)
        else:
            from openloop.cli._common import local_principal

            p = local_principal(svc)
            org_id, user_id = p.org_id, p.user_id
        token = control.create_login_link(
            org_id, user_id, ttl_minutes=settings.login_link_ttl_minutes
        )
        typer.secho(
            f"  Log in (one-time link, valid {settings.login_link_ttl_minutes} min): "
            f"{settings.base_url}/auth/link/{token}",
            bold=True,
        )
        typer.echo(f"Serving on http://{settings.host}:{settings.port}  (API reference: /docs)")
        # The app closes the services when it shuts down: after a SIGTERM, nothing after
        # uvicorn.run() runs (the finally below covers a failure to start).
        forget = record_server(settings)  # for `openloop login-link` run beside it
        app = create_app(settings, services=svc, close_services=True, on_shutdown=forget)
        # Everything loaded so far (modules, app, stores) lives for the whole process: move it
        # out of the collector's generations so collections only walk request-time objects.
        gc.collect()
        gc.freeze()
        uvicorn.run(
            app,
            host=settings.host,
            port=settings.port,
            log_level=settings.log_level,
            access_log=settings.log_level == "debug",
        )
    finally:
        svc.close()
