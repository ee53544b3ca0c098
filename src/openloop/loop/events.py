"""What a Loop thread tells the people watching it, as a stream of typed events.

Every event has a ``type``, a JSON ``data`` payload and, once published by a thread's runner,
a monotonically increasing ``id`` so a client that reconnects can ask for what it missed
(``Last-Event-ID`` / ``?after=``). Over HTTP the stream is Server-Sent Events::

    id: 7
    event: text_delta
    data: {"text": "The most common error is"}

The types, in the order a turn usually produces them:

==================  ==========================================================================
``queued``          a message joined the thread's queue: ``{id, position}``
``turn_start``      a turn began: ``{turn_id, kind, seq}`` (``seq`` of the user message)
``text_delta``      streamed assistant text: ``{text}``
``tool_call``       the model called a tool: ``{call_id, name, args}``
``tool_result``     a tool finished: ``{call_id, name, text, data, display}``
``choices``         Loop asks the user to pick a data source: ``{kind, question, choices}``
``approval_request`` a change waits for the user: ``{id, tool, description, diff, args}``
``approval_decision`` the user decided: ``{id, decision, by, note}``
``error``           the turn failed: ``{type, message}``
``done``            the turn ended: ``{turn_id, status}`` — ``done``, ``interrupted``,
                    ``awaiting_approval`` or ``error``
==================  ==========================================================================
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from typing import Any

import orjson

__all__ = [
    "EVENT_TYPES",
    "LoopEvent",
    "approval_request",
    "choices",
    "decode_sse",
    "done",
    "encode_sse",
    "error",
    "text_delta",
    "tool_call",
    "tool_result",
]

logger = logging.getLogger(__name__)

EVENT_TYPES: tuple[str, ...] = (
    "queued",
    "turn_start",
    "text_delta",
    "tool_call",
    "tool_result",
    "choices",
    "approval_request",
    "approval_decision",
    "error",
    "done",
)


@dataclass
class LoopEvent:
    """One event of a thread. ``id`` is set by the runner when it publishes the event."""

    type: str
    data: dict[str, Any] = field(default_factory=dict)
    id: int | None = None
    at: float = field(default_factory=time.time)

    def __post_init__(self) -> None:
        if self.type not in EVENT_TYPES:
            raise ValueError(f"unknown Loop event type {self.type!r}")

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "type": self.type, "data": self.data}


def text_delta(text: str) -> LoopEvent:
    return LoopEvent("text_delta", {"text": text})


def tool_call(call_id: str, name: str, args: Any) -> LoopEvent:
    return LoopEvent("tool_call", {"call_id": call_id, "name": name, "args": args})


def tool_result(
    call_id: str, name: str, text: str, data: Any = None, display: str = "markdown"
) -> LoopEvent:
    return LoopEvent(
        "tool_result",
        {"call_id": call_id, "name": name, "text": text, "data": data, "display": display},
    )


def choices(kind: str, question: str, options: list[dict[str, Any]]) -> LoopEvent:
    return LoopEvent("choices", {"kind": kind, "question": question, "choices": options})


def approval_request(
    approval_id: str, tool: str, description: str, diff: str | None, args: Any
) -> LoopEvent:
    return LoopEvent(
        "approval_request",
        {"id": approval_id, "tool": tool, "description": description, "diff": diff, "args": args},
    )


def error(message: str, type_name: str = "Error") -> LoopEvent:
    return LoopEvent("error", {"type": type_name, "message": message})


def done(turn_id: str, status: str) -> LoopEvent:
    return LoopEvent("done", {"turn_id": turn_id, "status": status})


def encode_sse(event: LoopEvent) -> bytes:
    """One Server-Sent Event. ``data`` is a single line of JSON, so no payload can end the
    event early or inject another field."""
    payload = orjson.dumps(event.data, default=str).decode()
    head = f"id: {event.id}\n" if event.id is not None else ""
    return f"{head}event: {event.type}\ndata: {payload}\n\n".encode()


def decode_sse(lines: list[str]) -> LoopEvent | None:
    """Parse one SSE block (the lines between blank lines) back into an event, or None for a
    comment/keep-alive. Used by the CLI over HTTP and by tests."""
    etype, data, eid = None, "", None
    for line in lines:
        if line.startswith(":"):
            continue
        key, _, value = line.partition(":")
        value = value[1:] if value.startswith(" ") else value
        if key == "event":
            etype = value
        elif key == "data":
            data += value
        elif key == "id":
            eid = int(value) if value.isdigit() else None
    if etype is None:
        return None
    return LoopEvent(etype, orjson.loads(data) if data else {}, id=eid)
