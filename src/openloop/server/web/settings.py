"""The Settings page: API keys (the new key is shown once), members and roles, AI providers,
the models Loop may use and the default judge model. Each section is a server-rendered fragment that htmx swaps after a
change; the forms post to the small routes below, which call the service layer."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse

from openloop.errors import OpenLoopError
from openloop.server.security import get_principal, get_services
from openloop.server.web.common import (
    PageAuth,
    features,
    has_route,
    page_context,
    require_page,
    templates,
)
from openloop.services import keys as svc_keys

router = APIRouter(include_in_schema=False)
logger = logging.getLogger(__name__)

_SECTIONS = ("keys", "members", "providers", "loop_models", "judge_model")


def _section_data(name: str, svc: Any, p: Any, request: Request) -> dict[str, Any]:
    feats = features(request)
    if name == "keys":
        return {"keys": svc_keys.list_api_keys(svc, p)}
    if name == "members":
        return {
            "members": svc_keys.list_members(svc, p),
            "roles": ("owner", "admin", "member", "viewer"),
        }
    if name == "providers":
        if not (feats["providers"] and p.can_admin()):
            return {"providers": None}
        from openloop.services import providers as svc_providers

        return {"providers": svc_providers.list_providers(svc, p)}
    if name == "judge_model":
        if not has_route(request, "/v1/org/judge_model", "GET"):
            return {"judge": None}
        from openloop.services import providers as svc_providers

        return {"judge": svc_providers.get_judge_model(svc, p)}
    if feats["loop_models"]:
        from openloop.services import providers as svc_providers

        return {"loop": svc_providers.get_loop_models(svc, p)}
    return {"loop": None}


def _render(
    request: Request, name: str, svc: Any, p: Any, *, error: str | None = None, **extra: Any
) -> Any:
    ctx = {
        "section": name,
        "error": error,
        "can_admin": p.can_admin(),
        "me": p.user_id,
        **_section_data(name, svc, p, request),
        **extra,
    }
    return templates.TemplateResponse(request, f"settings/{name}.html", ctx)


def _act(request: Request, name: str, svc: Any, p: Any, action: Callable[[], Any]) -> Any:
    """Run ``action``; re-render the section with its result or with the error message."""
    try:
        result = action()
    except OpenLoopError as exc:
        return _render(request, name, svc, p, error=exc.message)
    extra = result if isinstance(result, dict) and "new_key" in result else {}
    return _render(request, name, svc, p, **extra)


@router.get("/settings", response_class=HTMLResponse)
def settings_page(request: Request) -> Any:
    auth = require_page(request)
    if not isinstance(auth, PageAuth):
        return auth
    data: dict[str, Any] = {}
    for name in _SECTIONS:
        try:
            data.update(_section_data(name, auth.svc, auth.principal, request))
        except OpenLoopError as exc:
            logger.info("web.settings_section_hidden section=%s %s", name, exc.message)
    ctx = page_context(
        request, auth, page="settings", me=auth.principal.user_id, error=None, **data
    )
    ctx.setdefault("providers", None)
    ctx.setdefault("loop", None)
    ctx.setdefault("judge", None)
    return templates.TemplateResponse(request, "settings/page.html", ctx)


@router.post("/settings/keys", response_class=HTMLResponse)
def create_key(
    request: Request, name: str = Form(...), svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> Any:  # fmt: skip
    def go() -> dict[str, Any]:
        record, plaintext = svc_keys.create_api_key(svc, p, name)
        return {"new_key": plaintext, "new_key_name": record.name}

    return _act(request, "keys", svc, p, go)


@router.post("/settings/keys/{key_id}/revoke", response_class=HTMLResponse)
def revoke_key(
    request: Request, key_id: str, svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> Any:  # fmt: skip
    return _act(request, "keys", svc, p, lambda: svc_keys.revoke_api_key(svc, p, key_id))


@router.post("/settings/members", response_class=HTMLResponse)
def add_member(
    request: Request, email: str = Form(...), role: str = Form("member"),
    password: str = Form(""), svc: Any = Depends(get_services), p: Any = Depends(get_principal),
) -> Any:  # fmt: skip
    return _act(
        request,
        "members",
        svc,
        p,
        lambda: svc_keys.add_member(svc, p, email=email, role=role, password=password or None),
    )


@router.post("/settings/members/{user_id}/role", response_class=HTMLResponse)
def set_role(
    request: Request, user_id: str, role: str = Form(...), svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> Any:  # fmt: skip
    return _act(request, "members", svc, p, lambda: svc_keys.set_member_role(svc, p, user_id, role))


@router.post("/settings/members/{user_id}/remove", response_class=HTMLResponse)
def remove_member(
    request: Request, user_id: str, svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> Any:  # fmt: skip
    return _act(request, "members", svc, p, lambda: svc_keys.remove_member(svc, p, user_id))


@router.post("/settings/providers", response_class=HTMLResponse)
def set_provider(
    request: Request, name: str = Form(...), provider: str = Form(...),
    base_url: str = Form(""), api_key: str = Form(""), models: str = Form(""),
    svc: Any = Depends(get_services), p: Any = Depends(get_principal),
) -> Any:  # fmt: skip
    from openloop.services import providers as svc_providers

    model_list = [m.strip() for m in models.replace("\n", ",").split(",") if m.strip()]
    return _act(
        request,
        "providers",
        svc,
        p,
        lambda: svc_providers.set_provider(
            svc, p, name, provider, api_key=api_key or None, base_url=base_url or None,
            models=model_list or None,
        ),
    )  # fmt: skip


@router.post("/settings/providers/{name}/delete", response_class=HTMLResponse)
def delete_provider(
    request: Request, name: str, svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> Any:  # fmt: skip
    from openloop.services import providers as svc_providers

    return _act(request, "providers", svc, p, lambda: svc_providers.delete_provider(svc, p, name))


@router.post("/settings/loop_models", response_class=HTMLResponse)
def set_loop_models(
    request: Request, models: str = Form(""), svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> Any:  # fmt: skip
    from openloop.services import providers as svc_providers

    chosen = [m.strip() for m in models.replace("\n", ",").split(",") if m.strip()]
    return _act(
        request, "loop_models", svc, p, lambda: svc_providers.set_loop_models(svc, p, chosen)
    )


@router.post("/settings/judge_model", response_class=HTMLResponse)
def set_judge_model(
    request: Request, model: str = Form(""), svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> Any:  # fmt: skip
    from openloop.services import providers as svc_providers

    return _act(
        request, "judge_model", svc, p, lambda: svc_providers.set_judge_model(svc, p, model)
    )
