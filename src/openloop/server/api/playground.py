"""Playground runs: ``POST /v1/playground/run`` streams results as server-sent events."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import orjson
from fastapi import APIRouter, Depends
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from openloop.errors import OpenLoopError
from openloop.server.security import get_principal, get_services
from openloop.services import playground as svc_playground

router = APIRouter(tags=["playground"])


class PlaygroundRun(BaseModel):
    project: str = Field(min_length=1, description="Project id or name.")
    prompts: list[Any] = Field(
        min_length=1, description="Prompt ids or inline {name?, messages, model, params}."
    )
    dataset_id: str = Field(min_length=1)
    dataset_version: str | None = None
    scorers: list[Any] = Field(default_factory=list, description="Scorer ids, names or specs.")
    save_as_experiment: str | None = Field(
        default=None, max_length=256, description="Also keep each prompt's run as an experiment."
    )
    max_concurrency: int = Field(default=svc_playground.DEFAULT_CONCURRENCY, ge=1, le=64)


def _sse(event: str, data: Any) -> bytes:
    return b"event: " + event.encode() + b"\ndata: " + orjson.dumps(data, default=str) + b"\n\n"


@router.post("/v1/playground/run", summary="Run prompts over a dataset, streaming results (SSE)")
async def run(
    body: PlaygroundRun, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> StreamingResponse:
    events = svc_playground.run_playground(
        svc,
        p,
        project=body.project,
        prompts=body.prompts,
        dataset_id=body.dataset_id,
        dataset_version=body.dataset_version,
        scorers=body.scorers,
        save_as_experiment=body.save_as_experiment,
        max_concurrency=body.max_concurrency,
    )
    # Fail fast (a normal JSON error) when the run cannot start: unknown prompt, dataset, scorer.
    first = await anext(events)

    async def stream() -> AsyncIterator[bytes]:
        yield _sse(first["event"], first["data"])
        try:
            async for item in events:
                yield _sse(item["event"], item["data"])
        except OpenLoopError as exc:
            yield _sse("error", exc.to_dict())

    return StreamingResponse(stream(), media_type="text/event-stream")
