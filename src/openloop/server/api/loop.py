"""Loop over HTTP: ``/v1/loop`` threads, messages, the event stream (SSE), approvals, tools and
models. Every route is a thin adapter over :mod:`openloop.services.loop`."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any, Literal

from fastapi import APIRouter, Depends, Header, Query, Response
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, Field

from openloop.loop.events import encode_sse
from openloop.server.security import get_principal, get_services
from openloop.services import loop as svc_loop

router = APIRouter(prefix="/v1/loop", tags=["loop"])


class ThreadCreate(BaseModel):
    project: str | None = Field(default=None, description="Project id or name (none: org-wide).")
    title: str = Field(default="", max_length=256)
    model: str | None = Field(default=None, description="Model to use (default: the org's).")
    disabled_tools: list[str] | None = Field(default=None, description="Tools not to offer.")
    auto_accept: bool | None = Field(
        default=None, description="Run changing tools without asking (null: the org's default)."
    )


class ThreadPatch(BaseModel):
    title: str | None = Field(default=None, max_length=256)
    model: str | None = Field(default=None, description="Switch model; takes effect next turn.")
    disabled_tools: list[str] | None = None
    auto_accept: bool | None = None


class MessageBody(BaseModel):
    content: str = Field(min_length=1, description="The user's message or a /command.")
    page: dict[str, Any] | None = Field(
        default=None,
        description='The page the user is on, e.g. {"page": "dataset", "dataset_id": "..."}.',
    )
    data_sources: list[dict[str, Any]] | None = Field(
        default=None, description='Attached data sources: [{"kind": "dataset", "id": "..."}].'
    )


class EditBody(BaseModel):
    content: str = Field(min_length=1, description="The new text of the message.")


class DecisionBody(BaseModel):
    decision: Literal["approve", "reject"]
    note: str | None = Field(default=None, max_length=2000)


@router.post("/threads", status_code=201, summary="Start a Loop thread")
def create_thread(
    body: ThreadCreate, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    thread = svc_loop.create_thread(
        svc,
        p,
        project=body.project,
        title=body.title,
        model=body.model,
        disabled_tools=body.disabled_tools,
        auto_accept=body.auto_accept,
    )
    return svc_loop.thread_dict(svc, thread)


@router.get("/threads", summary="List your Loop threads (of one project with ?project=)")
def list_threads(
    project: str | None = None, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    threads = svc_loop.list_threads(svc, p, project)
    return {"objects": [svc_loop.thread_dict(svc, t) for t in threads]}


@router.get("/threads/{thread_id}", summary="Get a thread and its runner's state")
def get_thread(
    thread_id: str, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    return svc_loop.thread_dict(svc, svc_loop.get_thread(svc, p, thread_id))


@router.patch("/threads/{thread_id}", summary="Rename, switch model, change tools or auto-accept")
def update_thread(
    thread_id: str,
    body: ThreadPatch,
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:
    given = body.model_fields_set
    kwargs: dict[str, Any] = {"title": body.title, "disabled_tools": body.disabled_tools}
    if "model" in given:
        kwargs["model"] = body.model
    if "auto_accept" in given:
        kwargs["auto_accept"] = body.auto_accept
    thread = svc_loop.update_thread(svc, p, thread_id, **kwargs)
    return svc_loop.thread_dict(svc, thread)


@router.delete("/threads/{thread_id}", status_code=204, summary="Delete a thread")
def delete_thread(
    thread_id: str, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> Response:
    svc_loop.delete_thread(svc, p, thread_id)
    return Response(status_code=204)


@router.get("/threads/{thread_id}/messages", summary="The thread's messages")
def list_messages(
    thread_id: str, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    return {"objects": svc_loop.list_messages(svc, p, thread_id)}


@router.post("/threads/{thread_id}/messages", status_code=202, summary="Send (queue) a message")
async def send_message(
    thread_id: str,
    body: MessageBody,
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:
    return await svc_loop.send_message(
        svc, p, thread_id, body.content, page=body.page, data_sources=body.data_sources
    )


@router.get("/threads/{thread_id}/events", summary="Stream the thread's events (SSE)")
async def stream_events(
    thread_id: str,
    after: int | None = Query(default=None, description="Replay events after this id."),
    until_idle: bool = Query(default=False, description="End the stream when the thread idles."),
    last_event_id: str | None = Header(default=None),
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> StreamingResponse:
    if after is None and last_event_id and last_event_id.isdigit():
        after = int(last_event_id)
    events = await svc_loop.subscribe(svc, p, thread_id, after=after, until_idle=until_idle)

    async def body() -> AsyncIterator[bytes]:
        yield b": connected\n\n"
        async for event in events:
            yield b": keep-alive\n\n" if event is None else encode_sse(event)

    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(body(), media_type="text/event-stream", headers=headers)


@router.post("/threads/{thread_id}/interrupt", summary="Interrupt the running turn")
async def interrupt(
    thread_id: str, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    return await svc_loop.interrupt(svc, p, thread_id)


@router.post(
    "/threads/{thread_id}/messages/{seq}/edit",
    status_code=202,
    summary="Edit an earlier message and re-run from there",
)
async def edit_message(
    thread_id: str,
    seq: int,
    body: EditBody,
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:
    return await svc_loop.edit_message(svc, p, thread_id, seq, body.content)


@router.post("/approvals/{approval_id}", summary="Approve or reject a pending change")
async def decide(
    approval_id: str,
    body: DecisionBody,
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:
    return await svc_loop.decide_approval(svc, p, approval_id, body.decision, body.note)


@router.get("/tools", summary="Loop's tools: name, read/write, slash command, arguments")
def list_tools(p: Any = Depends(get_principal)) -> dict[str, Any]:
    return {"objects": svc_loop.loop_tools()}


@router.get("/models", summary="Models this organization allows in Loop")
def list_models(
    svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    return svc_loop.loop_models(svc, p)
