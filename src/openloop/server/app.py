"""The FastAPI application factory."""

from __future__ import annotations

import gc
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI

from openloop._version import __version__
from openloop.server.errors import install_error_handlers

if TYPE_CHECKING:
    from openloop.services import Services
    from openloop.settings import Settings

__all__ = ["create_app"]

logger = logging.getLogger(__name__)

_DESCRIPTION = """OpenLoop's REST API. Every route except `GET /health` needs an API key
(`Authorization: Bearer <key>`) or a browser session. Errors always have the shape
`{"error": {"type": ..., "message": ...}}`."""


def create_app(
    settings: Settings | None = None,
    *,
    services: Services | None = None,
    close_services: bool | None = None,
    on_shutdown: Callable[[], None] | None = None,
) -> FastAPI:
    """Build the app. Opens the stores from ``settings`` unless ``services`` is given. The
    services are closed when the app shuts down if it opened them, or if ``close_services``
    says so (the server hands them over: see :func:`openloop.cli.serve.run_server`)."""
    from openloop.services import Services as _Services
    from openloop.settings import Settings as _Settings

    owns = services is None if close_services is None else close_services
    if services is None:
        services = _Services.open(settings or _Settings())
    svc = services

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # pyarrow imports pandas lazily on its first conversion (~0.5 s): pay it at start-up,
        # not on the first request.
        import pyarrow as pa

        pa.array([0])
        # Ingest decoding workers take a second or so to start: not on the first request.
        threading.Thread(target=svc.decoders.warm, name="openloop-decoders", daemon=True).start()
        # Everything loaded so far (modules, stores, templates) lives as long as the server:
        # moved out of the collector's sight, it is not walked by every full collection.
        gc.freeze()
        yield
        # uvicorn ends the process by re-raising the signal that stopped it (SIGTERM kills the
        # process right there), so code after its run() may never execute: everything is
        # stopped and flushed here.
        if on_shutdown is not None:
            on_shutdown()
        if owns:
            svc.close()
        else:
            svc.decoders.close()  # the workers this app started; the stores are the caller's

    app = FastAPI(
        lifespan=lifespan,
        title="OpenLoop",
        version=__version__,
        description=_DESCRIPTION,
        docs_url="/docs",
        redoc_url=None,
    )
    app.state.svc = services
    install_error_handlers(app)

    from openloop.server.api import btql, ingest, keys, otel, projects, providers, proxy, system
    from openloop.server.api import charts as api_charts
    from openloop.server.api import datasets as api_datasets
    from openloop.server.api import experiments as api_experiments
    from openloop.server.api import generate as api_generate
    from openloop.server.api import loop as api_loop
    from openloop.server.api import playground as api_playground
    from openloop.server.api import prompts as api_prompts
    from openloop.server.api import scorers as api_scorers
    from openloop.server.web import auth as web_auth
    from openloop.server.web import pages

    for module in (system, projects, keys, ingest, otel, btql, providers, proxy, api_datasets,
                   api_experiments, api_scorers, api_playground, api_prompts, api_charts, api_loop,
                   api_generate, web_auth, pages):  # fmt: skip
        app.include_router(module.router)
    return app
