"""A Loop thread's conversation state, kept in the control store's threads and messages.

Messages a person sees, by ``role``:

* ``user`` — ``{text, page, data_sources, queue_id}``;
* ``assistant`` — ``{text}`` (status ``done``, ``interrupted`` or ``error``);
* ``tool`` — ``{tool, kind, call_id, args, result: {text, data, display, truncated}}``;
* ``approval`` — ``{id, tool, call_id, args, description, diff, mode, decision, decided_by,
  decided_at, note}`` with status ``pending``, ``approved``, ``rejected`` or ``superseded``.

One more role is kept for the agent only and hidden from listings: ``history`` holds the model
messages (pydantic-ai's JSON form) one run segment added, so the next turn replays exactly what
the model saw. Editing message ``seq`` truncates everything from it, history included.

Thread settings (``Thread.settings``) hold ``disabled_tools`` and ``auto_accept``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import orjson

from openloop.errors import Conflict, InvalidInput, NotFound

if TYPE_CHECKING:
    from pydantic_ai.messages import ModelMessage

    from openloop.store.control import ControlStore
    from openloop.store.control.records import Message, Thread

__all__ = [
    "HIDDEN_ROLES",
    "ThreadLog",
    "ThreadSettings",
    "approval_id",
    "jsonable",
    "parse_approval_id",
]

logger = logging.getLogger(__name__)

HIDDEN_ROLES = frozenset({"history"})
#: Most rows of a tool's structured data kept in the thread (the UI's table).
MAX_STORED_ROWS = 200


def jsonable(value: Any) -> Any:
    """``value`` as plain JSON types (dates, UUIDs and the like become strings)."""
    if value is None:
        return None
    if isinstance(value, list) and len(value) > MAX_STORED_ROWS:
        value = value[:MAX_STORED_ROWS]
    # Non-string keys (e.g. counts by int) become strings rather than failing the turn.
    return orjson.loads(orjson.dumps(value, default=str, option=orjson.OPT_NON_STR_KEYS))


def approval_id(thread_id: str, seq: int) -> str:
    """The public id of the approval stored as message ``seq`` of ``thread_id``."""
    return f"{thread_id}.{seq}"


def parse_approval_id(value: str) -> tuple[str, int]:
    thread_id, sep, seq = value.rpartition(".")
    if not sep or not thread_id or not seq.isdigit():
        raise NotFound(f"approval {value!r} not found")
    return thread_id, int(seq)


@dataclass(frozen=True)
class ThreadSettings:
    disabled_tools: tuple[str, ...] = ()
    auto_accept: bool | None = None  # None: the organization's default

    @classmethod
    def of(cls, thread: Thread) -> ThreadSettings:
        raw = thread.settings or {}
        auto = raw.get("auto_accept")
        return cls(
            disabled_tools=tuple(raw.get("disabled_tools") or ()),
            auto_accept=auto if isinstance(auto, bool) else None,
        )


def _now() -> str:
    return datetime.now(UTC).isoformat()


class ThreadLog:
    """Reads and appends one thread's messages."""

    def __init__(self, control: ControlStore, thread_id: str) -> None:
        self.control = control
        self.thread_id = thread_id

    # -- reading -------------------------------------------------------------------------------

    def messages(self, *, hidden: bool = False) -> list[Message]:
        rows = self.control.list_messages(self.thread_id)
        return rows if hidden else [m for m in rows if m.role not in HIDDEN_ROLES]

    def message(self, seq: int) -> Message:
        for m in self.control.list_messages(self.thread_id):
            if m.seq == seq:
                return m
        raise NotFound(f"message {seq} not found in this thread")

    def model_history(self, rows: list[Message] | None = None) -> list[ModelMessage]:
        """Every model message stored so far (in ``rows``, default: the thread's), in order,
        ready for ``message_history``."""
        from pydantic_ai.messages import ModelMessagesTypeAdapter

        stored: list[Any] = []
        for m in self.control.list_messages(self.thread_id) if rows is None else rows:
            if m.role == "history":
                stored.extend(m.content.get("messages", []))
        return list(ModelMessagesTypeAdapter.validate_python(stored)) if stored else []

    def pending_approvals(self, rows: list[Message] | None = None) -> list[Message]:
        rows = self.messages() if rows is None else rows
        return [m for m in rows if m.role == "approval" and m.status == "pending"]

    # -- appending -----------------------------------------------------------------------------

    def add_user(
        self,
        text: str,
        *,
        page: dict[str, Any] | None = None,
        data_sources: list[dict[str, Any]] | None = None,
        queue_id: str | None = None,
    ) -> Message:
        content = {
            "text": text,
            "page": jsonable(page or {}),
            "data_sources": jsonable(data_sources or []),
            "queue_id": queue_id,
        }
        return self.control.append_message(self.thread_id, "user", content)

    def add_assistant(self, text: str, status: str = "done") -> Message:
        return self.control.append_message(self.thread_id, "assistant", {"text": text}, status)

    def add_tool(
        self,
        *,
        tool: str,
        kind: str,
        call_id: str,
        args: Any,
        text: str,
        data: Any = None,
        display: str = "markdown",
        truncated: bool = False,
        status: str = "done",
    ) -> Message:
        content = {
            "tool": tool,
            "kind": kind,
            "call_id": call_id,
            "args": jsonable(args),
            "result": {
                "text": text,
                "data": jsonable(data),
                "display": display,
                "truncated": truncated,
            },
        }
        return self.control.append_message(self.thread_id, "tool", content, status)

    def add_approval(
        self,
        *,
        tool: str,
        call_id: str,
        args: Any,
        description: str,
        diff: str | None,
        mode: str = "agent",
    ) -> Message:
        content = {
            "tool": tool,
            "call_id": call_id,
            "args": jsonable(args),
            "description": description,
            "diff": diff,
            "mode": mode,
            "decision": None,
            "decided_by": None,
            "decided_at": None,
            "note": None,
        }
        msg = self.control.append_message(self.thread_id, "approval", content, "pending")
        content["id"] = approval_id(self.thread_id, msg.seq)
        return self.control.update_message(self.thread_id, msg.seq, content=content)

    def decide(self, seq: int, decision: str, *, by: str, note: str | None = None) -> Message:
        """Record a decision (``approved``, ``rejected`` or ``superseded``) with who and when."""
        if decision not in ("approved", "rejected", "superseded"):
            raise InvalidInput("decision must be approve or reject", field="decision")
        msg = self.message(seq)
        if msg.role != "approval":
            raise NotFound(f"approval {approval_id(self.thread_id, seq)!r} not found")
        if msg.status != "pending":
            raise Conflict(f"this change was already {msg.status}")
        content = dict(msg.content)
        content.update(decision=decision, decided_by=by, decided_at=_now(), note=note)
        logger.info("loop.approval thread=%s seq=%d decision=%s", self.thread_id, seq, decision)
        return self.control.update_message(self.thread_id, seq, content=content, status=decision)

    def add_history(self, messages: list[ModelMessage]) -> None:
        """Store the model messages one run segment added (nothing for an empty list)."""
        if not messages:
            return
        from pydantic_ai.messages import ModelMessagesTypeAdapter

        dumped = ModelMessagesTypeAdapter.dump_python(messages, mode="json")
        self.control.append_message(self.thread_id, "history", {"messages": dumped})

    def truncate_from(self, seq: int) -> Message:
        """Drop user message ``seq`` and everything after it; returns the dropped message."""
        msg = self.message(seq)
        if msg.role != "user":
            raise InvalidInput(f"message {seq} is not a user message; only those can be edited")
        self.control.truncate_messages(self.thread_id, seq)
        return msg
