"""One Loop turn: record the user's message, run the agent (or a slash command), stream events,
record every step, pause for approvals and resume after them.

A turn is one of:

* a **message** — the user's text (optionally replacing an earlier message: edit and re-run);
  approvals still pending from an earlier turn are *superseded* (the change is not made and the
  model is told so);
* a **resume** — every approval of a paused turn has been decided: approved calls run, rejected
  ones are reported to the model as rejected, and the agent carries on.

The runner (:mod:`openloop.loop.runner`) decides *when* turns run; this module decides *what*
a turn does. Cancellation (interrupt) is an ``asyncio.CancelledError`` raised inside
:meth:`Turn.execute`; the partial answer is kept and marked ``interrupted``.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncIterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from pydantic_ai import DeferredToolRequests, DeferredToolResults, ToolDenied
from pydantic_ai.messages import (
    FunctionToolCallEvent,
    ModelRequest,
    ModelResponse,
    PartDeltaEvent,
    PartStartEvent,
    TextPart,
    TextPartDelta,
    ToolReturnPart,
    UserPromptPart,
)

from openloop.errors import OpenLoopError
from openloop.loop import events as ev
from openloop.loop.agent import (
    TurnDeps,
    bound_text,
    build_agent,
    enabled_tools,
    system_prompt,
)
from openloop.loop.context import build_context, describe_context
from openloop.loop.models import resolve_loop_model
from openloop.loop.offline import SlashCommands, is_command, no_model_text
from openloop.loop.selftrace import TurnTrace
from openloop.loop.threads import ThreadLog, ThreadSettings, approval_id
from openloop.loop.tools.base import LoopContext, ToolResult, ToolSpec

if TYPE_CHECKING:
    from collections.abc import Callable

    from pydantic_ai.messages import ModelMessage

    from openloop.auth import Principal
    from openloop.services import Services
    from openloop.store.control.records import Message

__all__ = ["Job", "Turn"]

logger = logging.getLogger(__name__)

_CUT_SHORT = "Interrupted before it finished; the change may not have been made."
_SUPERSEDED = "The user sent a new message instead of approving this change; it was not made."


@dataclass
class Job:
    """A unit of work queued on a thread."""

    kind: Literal["message", "resume"]
    principal: Principal
    text: str = ""
    page: dict[str, Any] = field(default_factory=dict)
    data_sources: list[dict[str, Any]] = field(default_factory=list)
    replace_from: int | None = None
    batch: str | None = None  # resume: the paused turn whose approvals were decided
    id: str = field(default_factory=lambda: uuid.uuid4().hex)


class Turn(SlashCommands):
    """Executes one :class:`Job` on a thread, publishing events through ``publish``."""

    def __init__(
        self, svc: Services, thread_id: str, job: Job, publish: Callable[[ev.LoopEvent], None]
    ) -> None:
        self.svc, self.thread_id, self.job, self.publish = svc, thread_id, job, publish
        self.log = ThreadLog(svc.control, thread_id)
        self.trace = TurnTrace(job.principal.org_id, thread_id, job.kind, job.text)
        self.text = ""  # assistant text not yet recorded
        self.answer: list[str] = []
        self.results: dict[str, str] = {}
        self.prompt: str | None = None
        self.pending_calls: list[dict[str, Any]] = []
        self.error: str | None = None
        self.rows: list[Message] | None = None  # the thread's messages, when known current

    # -- entry ---------------------------------------------------------------------------------

    async def execute(self) -> str:
        """Run the job; returns ``done``, ``awaiting_approval`` or ``error``."""
        try:
            return await self._execute()
        except asyncio.CancelledError:
            self._interrupted()
            raise
        except Exception as exc:  # the turn fails, the thread and runner carry on
            if not isinstance(exc, OpenLoopError):
                logger.exception("loop.turn_failed thread=%s", self.thread_id)
            message = (
                exc.message if isinstance(exc, OpenLoopError) else str(exc) or type(exc).__name__
            )
            self._flush_text("error")
            self.log.add_assistant(f"Something went wrong: {message}", status="error")
            self.publish(ev.error(message, getattr(exc, "type", type(exc).__name__)))
            self.error = message
            return "error"

    @property
    def output(self) -> str:
        return "".join(self.answer) + self.text

    async def _execute(self) -> str:
        job, control = self.job, self.svc.control
        thread = control.get_thread(job.principal.org_id, self.thread_id)
        if job.kind == "message":
            if job.replace_from is not None:
                self.log.truncate_from(job.replace_from)
            superseded = self._supersede_pending(job.principal)
            user = self.log.add_user(
                job.text, page=job.page, data_sources=job.data_sources, queue_id=job.id
            )
            self.publish(
                ev.LoopEvent("turn_start", {"turn_id": job.id, "kind": "message", "seq": user.seq})
            )
            if not thread.title:
                title = " ".join(job.text.split())[:80]
                thread = control.update_thread(job.principal.org_id, self.thread_id, title=title)
            ctx = self._context(thread, job.page, job.data_sources)
            if is_command(job.text):
                return await self._command(ctx, thread)
            lm = resolve_loop_model(self.svc, job.principal.org_id, thread.model)
            if lm is None:
                return self._say(no_model_text())
            self.trace.model = lm.name
            self.prompt = job.text
            return await self._run_agent(lm, thread, ctx, job.text, superseded)
        self.publish(ev.LoopEvent("turn_start", {"turn_id": job.id, "kind": "resume", "seq": None}))
        batch = [
            m
            for m in self.log.messages()
            if m.role == "approval" and m.content.get("batch") == job.batch
        ]
        last_user = next((m for m in reversed(self.log.messages()) if m.role == "user"), None)
        page = last_user.content.get("page", {}) if last_user else {}
        sources = last_user.content.get("data_sources", []) if last_user else []
        ctx = self._context(thread, page, sources)
        self.trace.input = [m.content.get("description") for m in batch]
        if batch and all(m.content.get("mode") == "offline" for m in batch):
            return await self._resume_offline(ctx, batch)
        lm = resolve_loop_model(self.svc, job.principal.org_id, thread.model)
        if lm is None:
            return self._say(no_model_text())
        self.trace.model = lm.name
        results = DeferredToolResults()
        for m in batch:
            results.approvals[m.content["call_id"]] = (
                True if m.status == "approved" else ToolDenied(_denial(m))
            )
        self.pending_calls = [m.content for m in batch]
        return await self._run_agent(lm, thread, ctx, None, results)

    def _context(self, thread: Any, page: Any, sources: Any) -> LoopContext:
        return build_context(
            self.svc,
            self.job.principal,
            project_id=thread.project_id,
            page=page,
            data_sources=sources,
            thread_id=self.thread_id,
        )

    def _auto_accept(self, thread: Any) -> bool:
        own = ThreadSettings.of(thread).auto_accept
        if own is not None:
            return own
        return bool(self.svc.control.get_org_settings(thread.org_id).get("auto_accept"))

    def _supersede_pending(self, p: Principal) -> DeferredToolResults | None:
        rows = self.log.messages(hidden=True)
        pending = self.log.pending_approvals(rows)
        if not pending:
            self.rows = rows  # nothing changes before the agent reads the history
            return None
        results = DeferredToolResults()
        for m in pending:
            self.log.decide(m.seq, "superseded", by=p.user_id, note="a new message was sent")
            if m.content.get("mode") != "offline":
                results.approvals[m.content["call_id"]] = ToolDenied(_SUPERSEDED)
                self.results[m.content["call_id"]] = _SUPERSEDED
                self.pending_calls.append(m.content)
        # Calls of the paused batch already approved still need their answer.
        for m in self.log.messages():
            if (
                m.role == "approval"
                and m.status == "approved"
                and m.content.get("mode") != "offline"
                and not m.content.get("resumed")
            ):
                results.approvals[m.content["call_id"]] = True
                self.pending_calls.append(m.content)
        return results if results.approvals else None

    # -- the agent -----------------------------------------------------------------------------

    async def _run_agent(
        self,
        lm: Any,
        thread: Any,
        ctx: LoopContext,
        prompt: str | None,
        deferred: DeferredToolResults | None,
    ) -> str:
        tools = enabled_tools(ThreadSettings.of(thread).disabled_tools)
        project = (
            self.svc.control.get_project(thread.org_id, thread.project_id).name
            if thread.project_id
            else None
        )
        instructions = system_prompt(describe_context(ctx, project), tools)
        agent = build_agent(lm.model, tools)
        history = self.log.model_history(self.rows)
        self.rows = None
        deps = TurnDeps(ctx=ctx, auto_accept=self._auto_accept(thread), sink=self)
        result = await agent.run(
            prompt,
            message_history=history or None,
            deferred_tool_results=deferred,
            deps=deps,
            instructions=instructions,
            event_stream_handler=self._on_events,
        )
        self._mark_resumed()
        new = result.new_messages()
        self.log.add_history(new)
        self.trace.model_messages(new)
        if isinstance(result.output, DeferredToolRequests):
            self._flush_text()
            for call in result.output.approvals:
                meta = result.output.metadata.get(call.tool_call_id, {})
                await self._ask_approval(
                    call.tool_name,
                    call.tool_call_id,
                    call.args_as_dict(),
                    meta.get("description") or call.tool_name,
                    meta.get("diff"),
                    "agent",
                )
            return "awaiting_approval"
        if not self.text and not self.answer and isinstance(result.output, str):
            self.text = result.output
            self.publish(ev.text_delta(result.output))
        self._flush_text()
        return "done"

    def _mark_resumed(self) -> None:
        if not self.pending_calls and self.job.kind != "resume":
            return
        for m in self.log.messages():
            if m.role == "approval" and m.status != "pending" and not m.content.get("resumed"):
                self.svc.control.update_message(
                    self.thread_id, m.seq, content={**m.content, "resumed": True}
                )

    async def _on_events(self, _rctx: Any, stream: AsyncIterable[Any]) -> None:
        async for event in stream:
            if isinstance(event, PartStartEvent) and isinstance(event.part, TextPart):
                self._delta(event.part.content)
            elif isinstance(event, PartDeltaEvent) and isinstance(event.delta, TextPartDelta):
                self._delta(event.delta.content_delta)
            elif isinstance(event, FunctionToolCallEvent):
                self._flush_text()
                part = event.part
                args = _args(part)
                self.trace.tool_started(part.tool_call_id, part.tool_name, args)
                self.publish(ev.tool_call(part.tool_call_id, part.tool_name, args))

    def _delta(self, text: str) -> None:
        if text:
            self.text += text
            self.publish(ev.text_delta(text))

    def _flush_text(self, status: str = "done") -> None:
        if self.text.strip():
            self.log.add_assistant(self.text, status=status)
        self.answer.append(self.text)
        self.text = ""

    def _say(self, text: str) -> str:
        self._delta(text)
        self._flush_text()
        return "done"

    # -- ToolSink ------------------------------------------------------------------------------

    def tool_finished(self, call_id: str, spec: ToolSpec, args: Any, result: ToolResult) -> None:
        text = bound_text(result.text)
        self.results[call_id] = text
        self.log.add_tool(
            tool=spec.name,
            kind=spec.kind,
            call_id=call_id,
            args=args,
            text=text,
            data=result.data,
            display=result.display,
            truncated=result.truncated,
        )
        self.trace.tool_ended(call_id, spec.name, text)
        self.publish(
            ev.tool_result(call_id, spec.name, text, _event_data(result.data), result.display)
        )
        if result.display == "choices" and isinstance(result.data, dict):
            self.publish(
                ev.choices(
                    result.data.get("kind", ""),
                    result.data.get("question", ""),
                    list(result.data.get("choices", [])),
                )
            )

    def tool_failed(self, call_id: str, spec: ToolSpec, args: Any, message: str) -> None:
        self.log.add_tool(
            tool=spec.name,
            kind=spec.kind,
            call_id=call_id,
            args=args,
            text=message,
            display="error",
            status="error",
        )
        self.trace.tool_ended(call_id, spec.name, message, error=message)
        self.publish(ev.tool_result(call_id, spec.name, message, None, "error"))

    # -- approvals ----------------------------------------------------------

    async def _ask_approval(
        self, tool: str, call_id: str, args: Any, description: str, diff: str | None, mode: str
    ) -> Message:
        msg = self.log.add_approval(
            tool=tool, call_id=call_id, args=args, description=description, diff=diff, mode=mode
        )
        content = {**msg.content, "batch": self.job.id}
        self.svc.control.update_message(self.thread_id, msg.seq, content=content)
        self.publish(
            ev.approval_request(approval_id(self.thread_id, msg.seq), tool, description, diff, args)
        )
        return msg

    # -- interruption --------------------------------------------------------------------------

    def _interrupted(self) -> None:
        """Keep what was said, and give the model a consistent history for the next turn."""
        partial = self.text
        self._flush_text("interrupted")
        note = "\n[interrupted by the user]"
        request: list[Any] = [
            ToolReturnPart(c["tool"], self.results.get(c["call_id"], _CUT_SHORT), c["call_id"])
            for c in self.pending_calls
        ]
        if self.prompt is not None:
            request.append(UserPromptPart(self.prompt))
        if request:
            self._mark_resumed()
            history: list[ModelMessage] = [
                ModelRequest(parts=request),
                ModelResponse(parts=[TextPart((partial or "") + note)]),
            ]
            self.log.add_history(history)


def _denial(m: Message) -> str:
    note = m.content.get("note")
    if m.status == "superseded":
        return _SUPERSEDED
    return "The user rejected this change; it was not made." + (
        f" Their note: {note}" if note else ""
    )


def _args(part: Any) -> Any:
    try:
        return part.args_as_dict()
    except Exception:
        return {"raw": str(part.args)}


def _event_data(data: Any) -> Any:
    from openloop.loop.threads import jsonable

    return jsonable(data)
