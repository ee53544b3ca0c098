"""Prompt versions as plain data: validation, ``build`` (render with variables) and a canonical
text rendering for diffs. Pure functions, shared by the service, the API and the SDK.

A prompt version's ``prompt_data`` is::

    {"prompt": {"type": "chat", "messages": [{"role": "system", "content": "..."}, ...]},
     "options": {"model": "gpt-4o-mini", "params": {"temperature": 0}},
     "tools": [{"type": "function", "function": {"name", "description", "parameters"}}],
     "response_format": {"type": "text"} | {"type": "json_schema", "json_schema": {...}}}

>>> data = make_prompt_data([{"role": "user", "content": "Hi {{name}}"}], "m", {"temperature": 0})
>>> build(data, {"name": "Ada"})
{'model': 'm', 'messages': [{'role': 'user', 'content': 'Hi Ada'}], 'temperature': 0}
"""

from __future__ import annotations

import difflib
import json
import logging
from collections.abc import Mapping
from typing import Any

from openloop.errors import InvalidInput

__all__ = [
    "RESPONSE_FORMATS",
    "ROLES",
    "build",
    "canonical_text",
    "diff_text",
    "make_prompt_data",
]

logger = logging.getLogger(__name__)

ROLES = ("system", "user", "assistant", "tool", "developer")
RESPONSE_FORMATS = ("text", "json_object", "json_schema")
#: Params a prompt may carry (OpenAI chat-completions names).
PARAMS = frozenset(
    {"temperature", "max_tokens", "max_completion_tokens", "top_p", "seed", "stop",
     "presence_penalty", "frequency_penalty", "reasoning_effort", "n", "tool_choice",
     "parallel_tool_calls", "logit_bias", "user"}
)  # fmt: skip


def _messages(messages: Any) -> list[dict[str, Any]]:
    if not isinstance(messages, list) or not messages:
        raise InvalidInput("messages must be a non-empty list of {role, content}")
    out = []
    for i, msg in enumerate(messages):
        if not isinstance(msg, Mapping):
            raise InvalidInput(f"messages[{i}] must be an object with role and content")
        role = msg.get("role")
        if role not in ROLES:
            raise InvalidInput(
                f"messages[{i}].role must be one of {', '.join(ROLES)}, got {role!r}"
            )
        content = msg.get("content")
        if content is not None and not isinstance(content, str | list):
            raise InvalidInput(f"messages[{i}].content must be text or a list of parts")
        out.append(dict(msg))
    return out


def _tools(tools: Any) -> list[dict[str, Any]] | None:
    if tools is None:
        return None
    if not isinstance(tools, list):
        raise InvalidInput("tools must be a list of {type: 'function', function: {...}}")
    for i, tool in enumerate(tools):
        fn = tool.get("function") if isinstance(tool, Mapping) else None
        if not isinstance(fn, Mapping) or not isinstance(fn.get("name"), str) or not fn["name"]:
            raise InvalidInput(f"tools[{i}] must be {{type: 'function', function: {{name, ...}}}}")
        params = fn.get("parameters")
        if params is not None and not isinstance(params, Mapping):
            raise InvalidInput(f"tools[{i}].function.parameters must be a JSON schema object")
    return [dict(t) for t in tools]


def _response_format(fmt: Any) -> dict[str, Any] | None:
    if fmt is None:
        return None
    if not isinstance(fmt, Mapping) or fmt.get("type") not in RESPONSE_FORMATS:
        raise InvalidInput(f"response_format.type must be one of {', '.join(RESPONSE_FORMATS)}")
    if fmt["type"] == "json_schema":
        spec = fmt.get("json_schema")
        if not isinstance(spec, Mapping) or not isinstance(spec.get("schema"), Mapping):
            raise InvalidInput(
                "response_format json_schema needs {json_schema: {name, schema: {...}}}"
            )
    return dict(fmt)


def make_prompt_data(
    messages: Any,
    model: Any,
    params: Any = None,
    *,
    tools: Any = None,
    response_format: Any = None,
) -> dict[str, Any]:
    """Validate and assemble ``prompt_data``; InvalidInput names the bad field."""
    if not isinstance(model, str) or not model.strip():
        raise InvalidInput("model must be a model name, e.g. 'gpt-4o-mini'")
    if params is None:
        params = {}
    if not isinstance(params, Mapping):
        raise InvalidInput("params must be an object")
    unknown = sorted(set(params) - PARAMS)
    if unknown:
        raise InvalidInput(
            f"unknown param(s) {', '.join(map(repr, unknown))}; use {', '.join(sorted(PARAMS))}"
        )
    data: dict[str, Any] = {
        "prompt": {"type": "chat", "messages": _messages(messages)},
        "options": {"model": model.strip(), "params": dict(params)},
    }
    if (checked := _tools(tools)) is not None:
        data["tools"] = checked
    if (fmt := _response_format(response_format)) is not None:
        data["response_format"] = fmt
    return data


def build(
    prompt_data: Mapping[str, Any], variables: Mapping[str, Any], *, strict: bool = True
) -> dict[str, Any]:
    """Render the messages of ``prompt_data`` (or of a whole prompt version carrying it) with
    ``variables`` and return chat-completions kwargs:
    ``{model, messages, **params, tools?, response_format?}``. In strict mode a missing
    variable raises InvalidInput naming it (``variable`` in the error details)."""
    from openloop.evals.templates import render_messages

    if isinstance(prompt_data.get("prompt_data"), Mapping):  # a whole prompt version
        prompt_data = prompt_data["prompt_data"]
    prompt = prompt_data.get("prompt") or {}
    options = prompt_data.get("options") or {}
    out: dict[str, Any] = {
        "model": options.get("model"),
        "messages": render_messages(prompt.get("messages") or [], variables, strict=strict),
    }
    out.update(options.get("params") or {})
    if prompt_data.get("tools"):
        out["tools"] = [dict(t) for t in prompt_data["tools"]]
    fmt = prompt_data.get("response_format")
    if fmt and fmt.get("type") != "text":
        out["response_format"] = dict(fmt)
    return out


def _yaml(value: Any, indent: int, out: list[str], prefix: str) -> None:
    pad = "  " * indent
    if isinstance(value, Mapping) and value:
        if prefix:
            out.append(pad + prefix.rstrip())
            indent += 1
            pad = "  " * indent
        for key in value:
            _yaml(value[key], indent, out, f"{key}: ")
        return
    if isinstance(value, list) and value:
        if prefix:
            out.append(pad + prefix.rstrip())
        for item in value:
            nested: list[str] = []
            _yaml(item, indent + 1, nested, "")
            first = nested[0].lstrip() if nested else ""
            out.append(pad + "- " + first)
            out.extend(nested[1:])
        return
    if isinstance(value, str) and "\n" in value:
        out.append(pad + prefix + "|")
        out.extend(("  " * (indent + 1) + line).rstrip() for line in value.split("\n"))
        return
    out.append(pad + prefix + json.dumps(value, ensure_ascii=False, sort_keys=True))


def canonical_text(version: Mapping[str, Any]) -> str:
    """A stable YAML-like rendering of a prompt version (multi-line text as blocks), so a diff
    shows changed message lines rather than one long JSON line."""
    shown = {
        k: version.get(k)
        for k in ("name", "slug", "description", "prompt_data", "metadata", "tags")
        if version.get(k) not in (None, "", {}, [])
    }
    lines: list[str] = []
    _yaml(shown, 0, lines, "")
    return "\n".join(lines) + "\n"


def diff_text(
    old: Mapping[str, Any], new: Mapping[str, Any], *, old_label: str, new_label: str
) -> str:
    """Unified diff between the canonical renderings of two versions ('' when equal)."""
    lines = difflib.unified_diff(
        canonical_text(old).splitlines(keepends=True),
        canonical_text(new).splitlines(keepends=True),
        fromfile=old_label,
        tofile=new_label,
    )
    return "".join(lines)
