"""Loop conversations: threads, messages, the queue, interrupts, edits and approvals.

Threads are personal: a caller sees and drives only their own. Sending a message queues a turn
on the thread's runner (:mod:`openloop.loop.runner`) and returns at once; what the turn does
arrives as events (:func:`subscribe`). The HTTP API, the CLI and the UI all call these.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from openloop.errors import InvalidInput, NotFound
from openloop.loop.context import build_context
from openloop.loop.events import LoopEvent
from openloop.loop.models import allowed_models, check_model_allowed, default_model_name
from openloop.loop.runner import ThreadRunner, hub_for
from openloop.loop.threads import ThreadLog, ThreadSettings, parse_approval_id
from openloop.loop.tools.base import list_tools
from openloop.loop.turn import Job

if TYPE_CHECKING:
    from openloop.auth import Principal
    from openloop.services import Services
    from openloop.store.control.records import Thread

__all__ = [
    "MAX_MESSAGE_CHARS",
    "create_thread",
    "decide_approval",
    "delete_thread",
    "edit_message",
    "get_thread",
    "interrupt",
    "list_messages",
    "list_threads",
    "loop_models",
    "loop_tools",
    "send_message",
    "subscribe",
    "thread_dict",
    "update_thread",
]

logger = logging.getLogger(__name__)

MAX_MESSAGE_CHARS = 32_000
_UNSET: Any = object()


def thread_dict(svc: Services, thread: Thread) -> dict[str, Any]:
    """A thread for JSON, with its settings spelled out and its runner's state."""
    out = thread.to_dict()
    ts = ThreadSettings.of(thread)
    out["disabled_tools"] = list(ts.disabled_tools)
    out["auto_accept"] = ts.auto_accept
    runner = hub_for(svc).get(thread.id)
    out["state"] = runner.state() if runner is not None else None
    return out


def _own(svc: Services, p: Principal, thread_id: str) -> Thread:
    thread = svc.control.get_thread(p.org_id, thread_id)
    if thread.user_id != p.user_id:
        raise NotFound(f"thread {thread_id!r} not found")
    return thread


def _tool_names(names: Any) -> list[str]:
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise InvalidInput("disabled_tools must be a list of tool names", field="disabled_tools")
    known = {t.name for t in list_tools()}
    unknown = sorted(set(names) - known)
    if unknown:
        raise InvalidInput(
            f"unknown tools {', '.join(unknown)}; tools: {', '.join(sorted(known))}",
            field="disabled_tools",
        )
    return sorted(set(names))


def create_thread(
    svc: Services,
    p: Principal,
    *,
    project: str | None = None,
    title: str = "",
    model: str | None = None,
    disabled_tools: list[str] | None = None,
    auto_accept: bool | None = None,
) -> Thread:
    project_id = svc.control.get_project(p.org_id, project).id if project else None
    if model is not None:
        model = check_model_allowed(svc, p.org_id, model)
    settings: dict[str, Any] = {}
    if disabled_tools:
        settings["disabled_tools"] = _tool_names(disabled_tools)
    if auto_accept is not None:
        settings["auto_accept"] = bool(auto_accept)
    return svc.control.create_thread(
        p.org_id, project_id, p.user_id, title=title, model=model, settings=settings
    )


def list_threads(svc: Services, p: Principal, project: str | None = None) -> list[Thread]:
    return svc.control.list_threads(p.org_id, project, p.user_id)


def get_thread(svc: Services, p: Principal, thread_id: str) -> Thread:
    return _own(svc, p, thread_id)


def update_thread(
    svc: Services,
    p: Principal,
    thread_id: str,
    *,
    title: str | None = None,
    model: Any = _UNSET,
    disabled_tools: list[str] | None = None,
    auto_accept: Any = _UNSET,
) -> Thread:
    """Rename, switch model (``None``: the default), change the tool set or auto-accept. Takes
    effect from the next turn."""
    thread = _own(svc, p, thread_id)
    fields: dict[str, Any] = {}
    if title is not None:
        fields["title"] = title
    if model is not _UNSET:
        fields["model"] = check_model_allowed(svc, p.org_id, model) if model else None
    settings = dict(thread.settings)
    if disabled_tools is not None:
        settings["disabled_tools"] = _tool_names(disabled_tools)
    if auto_accept is not _UNSET:
        if auto_accept is not None and not isinstance(auto_accept, bool):
            raise InvalidInput("auto_accept must be true, false or null", field="auto_accept")
        settings["auto_accept"] = auto_accept
    if settings != thread.settings:
        fields["settings"] = settings
    return svc.control.update_thread(p.org_id, thread_id, **fields) if fields else thread


def delete_thread(svc: Services, p: Principal, thread_id: str) -> None:
    _own(svc, p, thread_id)
    hub_for(svc).forget(thread_id)
    svc.control.delete_thread(p.org_id, thread_id)


def list_messages(svc: Services, p: Principal, thread_id: str) -> list[dict[str, Any]]:
    _own(svc, p, thread_id)
    return [m.to_dict() for m in ThreadLog(svc.control, thread_id).messages()]


def _clean_text(content: Any) -> str:
    if not isinstance(content, str) or not content.strip():
        raise InvalidInput("content must be a non-empty string", field="content")
    if len(content) > MAX_MESSAGE_CHARS:
        raise InvalidInput(
            f"content is longer than {MAX_MESSAGE_CHARS} characters", field="content"
        )
    return content.strip()


def _runner(svc: Services, thread_id: str) -> ThreadRunner:
    return hub_for(svc).runner(thread_id)


async def send_message(
    svc: Services,
    p: Principal,
    thread_id: str,
    content: str,
    *,
    page: Any = None,
    data_sources: Any = None,
) -> dict[str, Any]:
    """Queue a message. Returns ``{id, position, last_event_id}``: subscribe with
    ``after=last_event_id`` to see everything the message causes."""
    thread = _own(svc, p, thread_id)
    text = _clean_text(content)
    ctx = build_context(svc, p, project_id=thread.project_id, page=page, data_sources=data_sources)
    runner = _runner(svc, thread_id)
    before = runner.last_id
    job = Job("message", p, text=text, page=ctx.page, data_sources=ctx.data_sources)
    position = runner.submit(job)
    logger.info("loop.message thread=%s position=%d", thread_id, position)
    return {"id": job.id, "position": position, "thread_id": thread_id, "last_event_id": before}


async def interrupt(svc: Services, p: Principal, thread_id: str) -> dict[str, Any]:
    _own(svc, p, thread_id)
    runner = _runner(svc, thread_id)
    stopped = await runner.interrupt()
    return {"interrupted": stopped, "state": runner.state()}


async def edit_message(
    svc: Services, p: Principal, thread_id: str, seq: int, content: str
) -> dict[str, Any]:
    """Replace user message ``seq`` with ``content`` and re-run from there: it and everything
    after it are dropped, and the running turn (if any) is interrupted."""
    thread = _own(svc, p, thread_id)
    text = _clean_text(content)
    old = ThreadLog(svc.control, thread_id).message(seq)
    if old.role != "user":
        raise InvalidInput(f"message {seq} is not a user message; only those can be edited")
    page, sources = old.content.get("page"), old.content.get("data_sources")
    ctx = build_context(svc, p, project_id=thread.project_id, page=page, data_sources=sources)
    runner = _runner(svc, thread_id)
    before = runner.last_id
    job = Job(
        "message", p, text=text, page=ctx.page, data_sources=ctx.data_sources, replace_from=seq
    )
    runner.blocked = False  # an edit releases a turn waiting for approval
    position = runner.submit(job, front=True)
    if runner.running and runner.current is not job:
        await runner.interrupt()
    return {"id": job.id, "position": position, "thread_id": thread_id, "last_event_id": before}


async def decide_approval(
    svc: Services, p: Principal, approval: str, decision: str, note: str | None = None
) -> dict[str, Any]:
    """Approve or reject a pending change. Once every change of the paused turn is decided,
    the turn resumes: approved changes run, rejected ones are reported to the model."""
    if decision not in ("approve", "reject"):
        raise InvalidInput("decision must be 'approve' or 'reject'", field="decision")
    thread_id, seq = parse_approval_id(approval)
    try:
        _own(svc, p, thread_id)
    except NotFound:
        raise NotFound(f"approval {approval!r} not found") from None
    log = ThreadLog(svc.control, thread_id)
    msg = log.decide(
        seq, "approved" if decision == "approve" else "rejected", by=p.user_id, note=note
    )
    runner = _runner(svc, thread_id)
    before = runner.last_id
    runner.publish(
        LoopEvent(
            "approval_decision",
            {"id": approval, "decision": msg.status, "by": p.user_id, "note": note},
        )
    )
    batch = msg.content.get("batch")
    waiting = [m for m in log.pending_approvals() if m.content.get("batch") == batch]
    resumed = False
    if not waiting:
        runner.resume(Job("resume", p, batch=batch))
        resumed = True
    return {"approval": msg.to_dict(), "resumed": resumed, "last_event_id": before}


async def subscribe(
    svc: Services,
    p: Principal,
    thread_id: str,
    *,
    after: int | None = None,
    until_idle: bool = False,
) -> AsyncIterator[LoopEvent | None]:
    _own(svc, p, thread_id)
    return _runner(svc, thread_id).subscribe(after, until_idle=until_idle)


def loop_tools() -> list[dict[str, Any]]:
    return [
        {
            "name": t.name,
            "kind": t.kind,
            "description": t.description,
            "command": t.command,
            "pages": list(t.pages),
            "args": t.args.model_json_schema(),
        }
        for t in list_tools()
    ]


def loop_models(svc: Services, p: Principal) -> dict[str, Any]:
    return {"models": allowed_models(svc, p.org_id), "default": default_model_name(svc, p.org_id)}
