"""The one place that renders errors.

API callers always get ``{"error": {"type", "message", ...}}`` with the error's status; a
browser asking for HTML gets a short friendly page. Unexpected exceptions become a 500 with a
generic message (the traceback goes to the log, never to the client).
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from openloop.errors import OpenLoopError

__all__ = ["error_response", "install_error_handlers"]

logger = logging.getLogger(__name__)

_HTTP_TYPES = {
    400: "InvalidInput",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    405: "MethodNotAllowed",
    409: "Conflict",
    413: "PayloadTooLarge",
    415: "UnsupportedMediaType",
    422: "InvalidInput",
    429: "TooManyRequests",
}


def error_response(request: Request, status: int, body: dict[str, Any]) -> Any:
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    if _wants_html(request):
        from html import escape

        page = (
            "<!doctype html><html><head><meta charset='utf-8'><title>OpenLoop — "
            f"{status}</title></head><body style='font-family:system-ui;margin:3rem'>"
            f"<h1>{status} · {escape(body.get('type', 'Error'))}</h1>"
            f"<p>{escape(body.get('message', ''))}</p><p><a href='/'>Back to OpenLoop</a></p>"
            "</body></html>"
        )
        return HTMLResponse(page, status_code=status, headers=headers)
    return JSONResponse({"error": body}, status_code=status, headers=headers)


def _wants_html(request: Request) -> bool:
    path = request.url.path
    if path.startswith(("/v1/", "/btql", "/logs3", "/api/")):
        return False
    accept = request.headers.get("accept", "")
    return "text/html" in accept


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(OpenLoopError)
    async def _openloop_error(request: Request, exc: OpenLoopError) -> Any:
        if exc.status >= 500:
            logger.error(
                "request.error path=%s type=%s %s", request.url.path, exc.type, exc.message
            )
        return error_response(request, exc.status, exc.to_dict())

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> Any:
        problems = []
        for err in exc.errors():
            loc = ".".join(str(x) for x in err.get("loc", ()) if x != "body")
            problems.append(f"{loc or 'body'}: {err.get('msg')}")
        message = "invalid request: " + "; ".join(problems)
        return error_response(request, 422, {"type": "InvalidInput", "message": message})

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Any:
        status = exc.status_code
        message = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
        if status == 404 and message == "Not Found":
            message = f"no route {request.method} {request.url.path}"
        return error_response(
            request, status, {"type": _HTTP_TYPES.get(status, "Error"), "message": message}
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Any:
        logger.exception("request.crash path=%s", request.url.path)
        return error_response(
            request, 500, {"type": "InternalError", "message": "internal error; see the server log"}
        )
