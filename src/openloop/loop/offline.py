"""Slash commands: Loop's deterministic skills, runnable without any model.

``/analyze-logs``, ``/query select: ...``, ``/docs how do I log spans`` — the command names
the tool whose ``ToolSpec.command`` matches, the rest of the line becomes its arguments:

* nothing → the args model with its defaults;
* a JSON object → validated as the args model;
* ``key=value`` pairs (shell quoting) → those fields;
* any other text → the args model's first required text field (or its first text field).

``/help`` lists every command from the registry. Without a configured model, plain text gets a
short answer listing the commands, so Loop is useful the minute the server starts. A command
whose tool is switched off for the thread (``disabled_tools``) does not run: the answer says
so and where to switch it back on.
"""

from __future__ import annotations

import logging
import shlex
import typing
import uuid
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson
from pydantic_ai import ModelRetry

from openloop.errors import InvalidInput, OpenLoopError
from openloop.loop import events as ev
from openloop.loop.agent import bound_text, call_preview, call_tool, validate_args
from openloop.loop.threads import ThreadSettings
from openloop.loop.tools.base import LoopContext, ToolSpec, get_tool, list_tools

if TYPE_CHECKING:
    from openloop.store.control.records import Message

__all__ = [
    "Command",
    "SlashCommands",
    "commands",
    "disabled_text",
    "help_text",
    "is_command",
    "no_model_text",
    "parse_command",
]

logger = logging.getLogger(__name__)


@dataclass
class Command:
    """A parsed slash command: the tool to run and its validated args (None for /help)."""

    name: str
    spec: ToolSpec | None
    args: Any = None
    raw: dict[str, Any] | None = None


def is_command(text: str) -> bool:
    return text.lstrip().startswith("/")


def commands() -> dict[str, ToolSpec]:
    """Registered slash commands by name (``"/query"``)."""
    return {t.command: t for t in list_tools() if t.command}


def help_text(disabled: tuple[str, ...] | list[str] = ()) -> str:
    off = set(disabled)
    lines = ["Slash commands run without a model:", "", "- `/help` — this list"]
    for name, spec in sorted(commands().items()):
        marker = " (asks for approval)" if spec.kind == "write" else ""
        if spec.name in off:
            marker += " (switched off for this thread)"
        lines.append(f"- `{name}{_usage(spec)}` — {spec.description.split('. ')[0]}{marker}")
    return "\n".join(lines)


def disabled_text(command: str, spec: ToolSpec) -> str:
    """The answer to a command whose tool the thread has switched off."""
    return (
        f"`{command}` runs the `{spec.name}` tool, which is switched off for this thread. "
        "Switch it back on in the Loop panel's settings (⚙ → Tools) or with PATCH "
        "/v1/loop/threads/{id} and `disabled_tools`."
    )


def no_model_text() -> str:
    return (
        "No AI model is configured for Loop in this organization yet, so I can only run slash "
        "commands. An admin can add a provider (Settings → AI providers, or POST "
        "/v1/ai_provider) to let me understand plain language.\n\n" + help_text()
    )


def _usage(spec: ToolSpec) -> str:
    field = _text_field(spec)
    return f" <{field}>" if field else ""


def _is_text(annotation: Any) -> bool:
    if annotation in (str, str | None):
        return True
    return typing.get_origin(annotation) is typing.Literal and all(
        isinstance(v, str) for v in typing.get_args(annotation)
    )


def _text_field(spec: ToolSpec) -> str | None:
    """The field free text after the command goes to: the first required text field (plain
    or a choice of words), else the first optional one."""
    fields = spec.args.model_fields
    texty = [n for n, f in fields.items() if _is_text(f.annotation)]
    required = [n for n in texty if fields[n].is_required()]
    if required:
        return required[0]
    return texty[0] if texty else None


def _raw_args(spec: ToolSpec, rest: str) -> dict[str, Any]:
    rest = rest.strip()
    if not rest:
        return {}
    if rest.startswith("{"):
        try:
            value = orjson.loads(rest)
        except orjson.JSONDecodeError as exc:
            raise InvalidInput(f"arguments look like JSON but do not parse: {exc}") from None
        if not isinstance(value, dict):
            raise InvalidInput("JSON arguments must be an object")
        return value
    fields = spec.args.model_fields
    try:
        words = shlex.split(rest)
    except ValueError:
        words = []
    if words and all("=" in w and w.split("=", 1)[0] in fields for w in words):
        return dict(w.split("=", 1) for w in words)
    field = _text_field(spec)
    if field is None:
        names = ", ".join(fields) or "none"
        raise InvalidInput(f"{spec.command} takes key=value arguments; fields: {names}")
    return {field: rest}


def parse_command(text: str) -> Command:
    """Parse ``/name rest``; unknown commands raise InvalidInput listing the known ones."""
    head, _, rest = text.strip().partition(" ")
    name = head.lower()
    if name in ("/help", "/?"):
        return Command(name="/help", spec=None)
    known = commands()
    spec = known.get(name)
    if spec is None:
        listed = ", ".join(["/help", *sorted(known)])
        raise InvalidInput(f"unknown command {head!r}; commands: {listed}")
    raw = _raw_args(spec, rest)
    try:
        args = validate_args(spec, raw)
    except ModelRetry as exc:
        raise InvalidInput(f"{name}: {exc.message}") from None
    return Command(name=name, spec=spec, args=args, raw=raw)


class SlashCommands:
    """How a turn runs a slash command: read tools at once, write tools after approval (unless
    auto-accept is on). Mixed into :class:`openloop.loop.turn.Turn`, which provides the
    recording and publishing used here."""

    job: Any
    trace: Any
    publish: Any
    _say: Any
    _auto_accept: Any
    _ask_approval: Any
    _mark_resumed: Any
    tool_failed: Any
    tool_finished: Any

    async def _command(self, ctx: LoopContext, thread: Any) -> str:
        try:
            cmd = parse_command(self.job.text)
        except OpenLoopError as exc:
            return self._say(exc.message)
        disabled = ThreadSettings.of(thread).disabled_tools
        if cmd.spec is None:
            return self._say(help_text(disabled))
        if cmd.spec.name in disabled:
            logger.info("loop.command_disabled tool=%s", cmd.spec.name)
            return self._say(disabled_text(cmd.name, cmd.spec))
        spec, call_id = cmd.spec, f"cmd_{uuid.uuid4().hex[:12]}"
        self.publish(ev.tool_call(call_id, spec.name, cmd.raw or {}))
        self.trace.tool_started(call_id, spec.name, cmd.raw)
        if spec.kind == "write" and not self._auto_accept(thread):
            preview = await self._preview_or_say(spec, ctx, cmd.args)
            if preview is None:
                return "done"
            await self._ask_approval(
                spec.name, call_id, cmd.raw or {}, preview.description, preview.diff, "offline"
            )
            return "awaiting_approval"
        return await self._run_direct(spec, ctx, cmd.args, call_id, cmd.raw or {})

    async def _preview_or_say(self, spec: ToolSpec, ctx: LoopContext, args: Any) -> Any:
        try:
            return await call_preview(spec, ctx, args)
        except ModelRetry as exc:
            self._say(exc.message)
            return None

    async def _run_direct(
        self, spec: ToolSpec, ctx: LoopContext, args: Any, call_id: str, raw: Any
    ) -> str:
        try:
            result = await call_tool(spec, ctx, args)
        except ModelRetry as exc:
            self.tool_failed(call_id, spec, raw, exc.message)
            return self._say(exc.message)
        self.tool_finished(call_id, spec, raw, result)
        if result.display == "choices":  # the text is addressed to a model; the list is shown
            return self._say("Reply with the one you want me to use.")
        return self._say(bound_text(result.text))

    async def _resume_offline(self, ctx: LoopContext, batch: list[Message]) -> str:
        for m in batch:
            spec = get_tool(m.content["tool"])
            if m.status != "approved":
                self._say(f"Not done: {m.content.get('description')} ({m.status}).")
                continue
            args = validate_args(spec, m.content.get("args") or {})
            await self._run_direct(spec, ctx, args, m.content["call_id"], m.content.get("args"))
        self._mark_resumed()
        return "done"
