"""The OpenAI-compatible proxy: ``POST /v1/proxy/chat/completions`` and ``GET /v1/proxy/models``.

Point any OpenAI client at ``<server>/v1/proxy`` with an OpenLoop API key; the organization's
configured providers answer (see ``docs/providers.md``).
"""

from __future__ import annotations

import time
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import StreamingResponse
from starlette.concurrency import run_in_threadpool

from openloop.llm import proxy as llm_proxy
from openloop.server.body import decompress, parse_json, read_body
from openloop.server.security import get_principal, get_services
from openloop.services import providers as svc_providers

router = APIRouter(tags=["proxy"])


@router.post(
    "/v1/proxy/chat/completions",
    summary="OpenAI chat completions, answered by the organization's providers",
)
async def chat_completions(
    request: Request, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> Any:
    limit = svc.settings.max_request_bytes
    raw = await read_body(request, limit)
    body = parse_json(decompress(raw, request.headers.get("content-encoding"), limit))
    if isinstance(body, dict) and body.get("stream"):
        chunks = await llm_proxy.open_chat_stream(svc, p, body)
        return StreamingResponse(
            chunks,
            media_type="text/event-stream",
            headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"},
        )
    return await llm_proxy.chat_completion(svc, p, body)


@router.get("/v1/proxy/models", summary="Models the proxy can answer with (OpenAI list shape)")
async def models(svc: Any = Depends(get_services), p: Any = Depends(get_principal)) -> Any:
    available = await run_in_threadpool(svc_providers.list_available_models, svc, p)
    now = int(time.time())
    return {
        "object": "list",
        "data": [
            {
                "id": m.id,
                "object": "model",
                "created": now,
                "owned_by": m.provider,
                "kind": m.kind,
                "context_tokens": m.context_tokens,
            }
            for m in available
        ],
    }
