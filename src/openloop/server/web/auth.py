"""Browser login: one-time links, email + password, logout."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from openloop.errors import Unauthorized
from openloop.server.security import SESSION_COOKIE, get_services

router = APIRouter(tags=["auth"], include_in_schema=False)


def _set_session(resp: Any, svc: Any, token: str, request: Request) -> None:
    resp.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=svc.settings.session_ttl_hours * 3600,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        path="/",
    )


@router.get("/auth/link/{token}")
def login_link(token: str, request: Request, svc: Any = Depends(get_services)) -> Any:
    """Consume a one-time login link and start a browser session."""
    session, _principal = svc.control.consume_login_link(
        token, ttl_hours=svc.settings.session_ttl_hours
    )
    resp = RedirectResponse("/", status_code=303)
    _set_session(resp, svc, session, request)
    return resp


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, error: str | None = None, message: str | None = None) -> Any:
    from openloop._version import __version__
    from openloop.server.web.common import templates

    return templates.TemplateResponse(
        request,
        "login.html",
        {"error": error, "message": message, "version": __version__},
    )


@router.post("/login")
def login_submit(
    request: Request,
    email: str = Form(...),
    password: str = Form(...),
    svc: Any = Depends(get_services),
) -> Any:
    try:
        principal = svc.control.authenticate_password(email, password)
    except Unauthorized:
        return RedirectResponse("/login?error=Wrong+email+or+password", status_code=303)
    token = svc.control.create_session(
        principal.org_id, principal.user_id, ttl_hours=svc.settings.session_ttl_hours
    )
    resp = RedirectResponse("/", status_code=303)
    _set_session(resp, svc, token, request)
    return resp


@router.post("/logout")
def logout(request: Request, svc: Any = Depends(get_services)) -> Any:
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        svc.control.end_session(token)
    resp = RedirectResponse("/login?message=You+are+logged+out", status_code=303)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp
