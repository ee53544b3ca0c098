"""AI providers (``/v1/ai_provider``), the Loop model allowlist (``/v1/org/loop_models``) and
the default judge model (``/v1/org/judge_model``).

Provider keys go in and never come out: responses carry ``has_key`` and a masked ``key_hint``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Response
from pydantic import BaseModel, Field

from openloop.server.security import get_principal, get_services
from openloop.services import providers as svc_providers

router = APIRouter(tags=["providers"])


class ProviderBody(BaseModel):
    name: str = Field(min_length=1, max_length=64, description="Name used as '<name>/<model>'.")
    provider: str = Field(description="openai, anthropic or openai_compatible")
    api_key: str | None = Field(
        default=None,
        max_length=4096,
        description="The provider's API key. Omit to keep the stored one; '' removes it.",
    )
    base_url: str | None = Field(
        default=None,
        max_length=2048,
        description="Required for openai_compatible, e.g. http://localhost:11434/v1 (Ollama).",
    )
    models: list[str] | None = Field(default=None, description="Models this provider serves.")


class LoopModelsBody(BaseModel):
    loop_models: list[str] = Field(
        description="Models Loop may use ('gpt-4o', '<provider>/<model>'); empty allows all."
    )


class JudgeModelBody(BaseModel):
    default_judge_model: str | None = Field(
        default=None,
        max_length=256,
        description="Model LLM judges use when they name none ('gpt-4o-mini', "
        "'<provider>/<model>'); null or '' clears it (then the first Loop model is used).",
    )


@router.get("/v1/ai_provider", summary="List AI providers (admins; keys are never returned)")
def list_providers(
    svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    return {"objects": svc_providers.list_providers(svc, p)}


@router.post("/v1/ai_provider", summary="Create or replace an AI provider (admins)")
def set_provider(
    body: ProviderBody, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    return svc_providers.set_provider(
        svc,
        p,
        body.name,
        body.provider,
        api_key=body.api_key,
        base_url=body.base_url,
        models=body.models,
    )


@router.delete("/v1/ai_provider/{name}", status_code=204, summary="Delete an AI provider (admins)")
def delete_provider(
    name: str, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> Response:
    svc_providers.delete_provider(svc, p, name)
    return Response(status_code=204)


@router.get("/v1/org/loop_models", summary="The models Loop may use in this organization")
def get_loop_models(
    svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    return svc_providers.get_loop_models(svc, p)


@router.put("/v1/org/loop_models", summary="Set the models Loop may use (admins)")
def set_loop_models(
    body: LoopModelsBody, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    return svc_providers.set_loop_models(svc, p, body.loop_models)


@router.get("/v1/org/judge_model", summary="The model LLM judges use when they name none")
def get_judge_model(
    svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    return svc_providers.get_judge_model(svc, p)


@router.put("/v1/org/judge_model", summary="Set the default judge model (admins)")
def set_judge_model(
    body: JudgeModelBody, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    return svc_providers.set_judge_model(svc, p, body.default_judge_model)
