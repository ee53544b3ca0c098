"""Prompts: ``/v1/prompt`` CRUD, versions, diff, build and invoke (JSON or SSE)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from openloop.errors import InvalidInput
from openloop.evals.prompts import build
from openloop.server.security import get_principal, get_services
from openloop.services import prompt_invoke
from openloop.services import prompts as svc_prompts

router = APIRouter(prefix="/v1/prompt", tags=["prompts"])


def get_model_resolver() -> prompt_invoke.ModelResolver:
    """How invoke finds a model: the provider layer. Overridable as a FastAPI dependency."""
    return prompt_invoke.resolve_model


class VersionFields(BaseModel):
    messages: list[dict[str, Any]] | None = Field(default=None, description="Chat messages.")
    model: str | None = Field(default=None, description="Model name.")
    params: dict[str, Any] | None = Field(default=None, description="temperature, max_tokens...")
    tools: list[dict[str, Any]] | None = Field(default=None, description="OpenAI-style tools.")
    response_format: dict[str, Any] | None = Field(
        default=None, description="{type: text} or {type: json_schema, json_schema: {...}}"
    )
    description: str | None = Field(default=None, max_length=4000)
    metadata: dict[str, Any] | None = None
    tags: list[str] | None = None

    def changes(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.model_fields_set}


class PromptCreate(VersionFields):
    name: str = Field(min_length=1, max_length=128)
    slug: str | None = Field(default=None, min_length=1, max_length=128)
    project: str | None = Field(default=None, description="Project id or name.")
    project_id: str | None = None
    project_name: str | None = None
    prompt_data: dict[str, Any] | None = Field(
        default=None, description="Braintrust-style prompt_data instead of messages/model/..."
    )


class PromptPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=128)
    slug: str | None = Field(default=None, min_length=1, max_length=128)
    description: str | None = Field(default=None, max_length=4000)


class BuildBody(BaseModel):
    input: dict[str, Any] = Field(default_factory=dict, description="Template variables.")
    version: str | None = None
    strict: bool = True


class InvokeBody(BaseModel):
    input: dict[str, Any] = Field(default_factory=dict, description="Template variables.")
    version: str | None = Field(default=None, description="Pin a version (default: latest).")
    stream: bool = Field(default=False, description="Stream as server-sent events.")


def _from_prompt_data(data: dict[str, Any]) -> dict[str, Any]:
    options = data.get("options") or {}
    out = {
        "messages": (data.get("prompt") or {}).get("messages"),
        "model": options.get("model"),
        "params": options.get("params"),
    }
    for key in ("tools", "response_format"):
        if data.get(key) is not None:
            out[key] = data[key]
    return out


@router.get("", summary="List prompts, or get one by project and slug")
def list_prompts(
    project: str | None = None,
    project_name: str | None = None,
    project_id: str | None = None,
    slug: str | None = None,
    version: str | None = None,
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:
    proj = project or project_id or project_name
    if slug is not None:
        if not proj:
            raise InvalidInput("looking a prompt up by slug needs its project")
        return {"objects": [svc_prompts.find_prompt(svc, p, proj, slug, version=version)]}
    return {"objects": svc_prompts.list_prompts(svc, p, proj)}


@router.post("", status_code=201, summary="Create a prompt (its first version)")
def create_prompt(
    body: PromptCreate, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    project = body.project or body.project_id or body.project_name
    if not project:
        raise InvalidInput("give the prompt's project (project, project_name or project_id)")
    fields = {k: v for k, v in body.changes().items() if k in svc_prompts.VERSION_FIELDS}
    if body.prompt_data is not None:
        fields = {**_from_prompt_data(body.prompt_data), **fields}
    return svc_prompts.create_prompt(svc, p, project, body.name, fields, slug=body.slug)


@router.get("/{prompt_id}", summary="Get a prompt (latest or ?version=)")
def get_prompt(
    prompt_id: str,
    version: str | None = None,
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:
    return svc_prompts.get_prompt(svc, p, prompt_id, version=version)


@router.patch("/{prompt_id}", summary="Rename, re-slug or describe a prompt")
def update_prompt(
    prompt_id: str, body: PromptPatch, svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:  # fmt: skip
    return svc_prompts.update_prompt(
        svc, p, prompt_id, name=body.name, slug=body.slug, description=body.description
    )


@router.delete("/{prompt_id}", status_code=204, summary="Delete a prompt")
def delete_prompt(
    prompt_id: str, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> Response:
    svc_prompts.delete_prompt(svc, p, prompt_id)
    return Response(status_code=204)


@router.post("/{prompt_id}/versions", status_code=201, summary="Save a new version")
def save_version(
    prompt_id: str, body: VersionFields, svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:  # fmt: skip
    return svc_prompts.save_version(svc, p, prompt_id, body.changes())


@router.get("/{prompt_id}/versions", summary="Versions, newest first")
def list_versions(
    prompt_id: str, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    return {"versions": svc_prompts.list_versions(svc, p, prompt_id)}


@router.get("/{prompt_id}/diff", summary="Unified diff between two versions")
def diff(
    prompt_id: str,
    from_: str = Query(alias="from", description="Older version."),
    to: str | None = Query(default=None, description="Newer version (default: latest)."),
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:
    return svc_prompts.diff_versions(svc, p, prompt_id, from_, to)


@router.post("/{prompt_id}/build", summary="Render a prompt into chat-completions kwargs")
def build_prompt(
    prompt_id: str, body: BuildBody, svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:  # fmt: skip
    prompt = svc_prompts.get_prompt(svc, p, prompt_id, version=body.version)
    return build(prompt["prompt_data"], body.input, strict=body.strict)


def _sse(event: str, data: Any) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data) + b"\n\n"


@router.post("/{prompt_id}/invoke", summary="Run a prompt (JSON, or SSE with stream=true)")
async def invoke(
    prompt_id: str,
    body: InvokeBody,
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
    resolver: Any = Depends(get_model_resolver),
) -> Any:
    if not body.stream:
        return await prompt_invoke.invoke_prompt(
            svc, p, prompt_id, body.input, version=body.version, resolver=resolver
        )
    events = await prompt_invoke.stream_prompt(
        svc, p, prompt_id, body.input, version=body.version, resolver=resolver
    )

    async def body_iter() -> AsyncIterator[bytes]:
        async for event, data in events:
            yield _sse(event, data)

    return StreamingResponse(
        body_iter(), media_type="text/event-stream", headers={"Cache-Control": "no-cache"}
    )
