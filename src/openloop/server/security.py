"""Request authentication: an API key (``Authorization: Bearer``) or the UI session cookie.

Cookie-authenticated requests that change something must also carry the header
``X-OpenLoop-CSRF: 1`` (or htmx's ``HX-Request``), which a cross-site form cannot send.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import Request

from openloop.errors import Forbidden, Unauthorized

if TYPE_CHECKING:
    from openloop.auth import Principal
    from openloop.services import Services

__all__ = ["CSRF_HEADER", "SESSION_COOKIE", "get_principal", "get_services"]

SESSION_COOKIE = "openloop_session"
CSRF_HEADER = "x-openloop-csrf"
_SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}


def get_services(request: Request) -> Services:
    return request.app.state.svc


def get_principal(request: Request) -> Principal:
    """The authenticated caller, or 401. Cached on the request."""
    cached = getattr(request.state, "principal", None)
    if cached is not None:
        return cached
    svc = get_services(request)
    header = request.headers.get("authorization")
    if header:
        scheme, _, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise Unauthorized("Authorization header must be 'Bearer <api key>'")
        principal = svc.control.authenticate_api_key(token.strip())
    else:
        cookie = request.cookies.get(SESSION_COOKIE)
        if not cookie:
            raise Unauthorized(
                "authentication required: send 'Authorization: Bearer <api key>' or log in"
            )
        principal = svc.control.authenticate_session(cookie)
        if request.method not in _SAFE_METHODS and not (
            request.headers.get(CSRF_HEADER) or request.headers.get("hx-request")
        ):
            raise Forbidden(f"browser requests that change data must send the {CSRF_HEADER} header")
    request.state.principal = principal
    return principal
