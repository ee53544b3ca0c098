"""Loop traces itself: every turn, model call and tool call becomes a span in the org's
``openloop-internal`` project, so Loop can be searched, charted and evaluated with the platform's
own logs, datasets and experiments.

One turn is one trace: a ``task`` span ``loop.turn`` (input: the user's message, output: the
answer) with an ``llm`` span per model response and a ``tool`` span per tool call below it.
Spans are written once, when the turn ends (or pauses for approval); a failure to write them is
logged and never fails the turn.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from openloop.loop.threads import jsonable

if TYPE_CHECKING:
    from pydantic_ai.messages import ModelMessage

    from openloop.services import Services

__all__ = ["INTERNAL_PROJECT", "TurnTrace"]

logger = logging.getLogger(__name__)

#: The project Loop's own spans go to, created on first use in each organization.
INTERNAL_PROJECT = "openloop-internal"
_PREVIEW = 4000


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).isoformat()


def _short(value: Any) -> Any:
    if isinstance(value, str) and len(value) > _PREVIEW:
        return value[:_PREVIEW] + "…"
    return value


@dataclass
class TurnTrace:
    """Collects one turn's spans; :meth:`flush` writes them."""

    org_id: str
    thread_id: str
    kind: str
    input: Any
    model: str | None = None
    root_id: str = field(default_factory=lambda: uuid.uuid4().hex)
    start: float = field(default_factory=time.time)
    spans: list[dict[str, Any]] = field(default_factory=list)
    _open_tools: dict[str, tuple[float, str, Any]] = field(default_factory=dict)

    def _span(self, name: str, kind: str, start: float, end: float, **fields: Any) -> None:
        sid = uuid.uuid4().hex
        row: dict[str, Any] = {
            "id": sid,
            "span_id": sid,
            "root_span_id": self.root_id,
            "span_parents": [self.root_id],
            "created": _iso(start),
            "span_attributes": {"name": name, "type": kind},
            "metrics": {"start": start, "end": end},
        }
        extra_metrics = fields.pop("metrics", None) or {}
        row["metrics"].update(extra_metrics)
        row.update({k: v for k, v in fields.items() if v is not None})
        self.spans.append(row)

    def tool_started(self, call_id: str, name: str, args: Any) -> None:
        self._open_tools[call_id] = (time.time(), name, args)

    def tool_ended(self, call_id: str, name: str, output: str, error: str | None = None) -> None:
        start, _, args = self._open_tools.pop(call_id, (time.time(), name, None))
        self._span(
            name,
            "tool",
            start,
            time.time(),
            input=jsonable(args),
            output=_short(output),
            error=error,
            metadata={"call_id": call_id, "thread_id": self.thread_id},
        )

    def model_messages(self, messages: list[ModelMessage]) -> None:
        """An ``llm`` span per model response, timed from the request that preceded it."""
        from pydantic_ai.messages import ModelRequest, ModelResponse

        prev_ts: float | None = None
        prev_parts: list[Any] = []
        for msg in messages:
            if isinstance(msg, ModelRequest):
                prev_ts = msg.timestamp.timestamp() if msg.timestamp else prev_ts
                prev_parts = [_part(p) for p in msg.parts]
                continue
            if not isinstance(msg, ModelResponse):
                continue
            end = msg.timestamp.timestamp() if msg.timestamp else time.time()
            usage = msg.usage
            self._span(
                "loop.model",
                "llm",
                prev_ts or end,
                end,
                input=prev_parts,
                output=[_part(p) for p in msg.parts],
                metadata={"model": msg.model_name or self.model, "thread_id": self.thread_id},
                metrics={
                    "prompt_tokens": usage.input_tokens,
                    "completion_tokens": usage.output_tokens,
                    "tokens": usage.input_tokens + usage.output_tokens,
                },
            )
            prev_ts = end

    def flush(self, svc: Services, *, output: Any, status: str, error: str | None = None) -> None:
        """Write the turn's spans into ``openloop-internal``; never raises."""
        try:
            from openloop.services.ingest import write_to
            from openloop.store.data.base import ObjectRef

            end = time.time()
            root = {
                "id": self.root_id,
                "span_id": self.root_id,
                "root_span_id": self.root_id,
                "span_parents": [],
                "created": _iso(self.start),
                "span_attributes": {"name": "loop.turn", "type": "task"},
                "input": _short(self.input),
                "output": _short(output),
                "metadata": {
                    "thread_id": self.thread_id,
                    "model": self.model,
                    "kind": self.kind,
                    "status": status,
                },
                "metrics": {"start": self.start, "end": end},
            }
            if error:
                root["error"] = error
            project = svc.control.get_or_create_project(self.org_id, INTERNAL_PROJECT)
            ref = ObjectRef(self.org_id, project.id, "project_logs", project.id)
            rows = [root, *self.spans]
            result = write_to(svc, {ref: (rows, list(range(len(rows))))})
            if result.errors:
                logger.warning(
                    "loop.selftrace rejected=%d first=%s", len(result.errors), result.errors[0]
                )
        except Exception:
            logger.exception("loop.selftrace failed thread=%s", self.thread_id)


def _part(part: Any) -> dict[str, Any]:
    kind = getattr(part, "part_kind", type(part).__name__)
    out: dict[str, Any] = {"type": kind}
    for attr in ("content", "tool_name", "args", "tool_call_id"):
        value = getattr(part, attr, None)
        if value is not None:
            out[attr] = _short(value if isinstance(value, str | dict | list) else str(value))
    return out
