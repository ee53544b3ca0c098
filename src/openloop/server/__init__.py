"""The HTTP server: FastAPI app factory, API routers, error rendering and the web UI."""

from openloop.server.app import create_app

__all__ = ["create_app"]
