"""OpenAI chat completions ⇄ Anthropic Messages, both directions, streaming included.

The proxy speaks OpenAI's shape to its callers whatever serves the model. For an Anthropic
provider a request is rewritten (:func:`to_anthropic_request`), the answer rewritten back
(:func:`from_anthropic_response`), and a stream of Anthropic server-sent events
(``message_start``, ``content_block_start``/``_delta``/``_stop``, ``message_delta``,
``message_stop``) becomes OpenAI ``chat.completion.chunk`` objects
(:class:`AnthropicStreamTranslator`).

>>> req = to_anthropic_request({"model": "m", "messages": [
...     {"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]}, "m")
>>> req["system"], req["messages"], req["max_tokens"]
('Be brief.', [{'role': 'user', 'content': [{'type': 'text', 'text': 'Hi'}]}], 4096)
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from openloop.errors import InvalidInput

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "AnthropicStreamTranslator",
    "from_anthropic_response",
    "iter_sse",
    "to_anthropic_request",
    "usage_from_anthropic",
]

logger = logging.getLogger(__name__)

#: Anthropic requires ``max_tokens``; OpenAI callers often omit it.
DEFAULT_MAX_TOKENS = 4096

_FINISH = {
    "end_turn": "stop",
    "stop_sequence": "stop",
    "pause_turn": "stop",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    "tool_use": "tool_calls",
    "refusal": "content_filter",
}
# OpenAI parameters with no Anthropic meaning; dropping them changes nothing a caller sees.
_HARMLESS = {
    "model", "messages", "stream", "stream_options", "max_tokens", "max_completion_tokens",
    "temperature", "top_p", "stop", "tools", "tool_choice", "parallel_tool_calls", "user",
    "response_format", "n", "seed", "presence_penalty", "frequency_penalty", "logit_bias",
    "store", "metadata", "service_tier", "top_k",
}  # fmt: skip


def _text_of(content: Any) -> str:
    if content is None:
        return ""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(part.get("text", "") for part in content if isinstance(part, dict))
    return str(content)


def _image_block(part: Mapping[str, Any]) -> dict[str, Any]:
    image = part.get("image_url")
    url = image.get("url") if isinstance(image, dict) else image
    if not isinstance(url, str):
        raise InvalidInput("image_url parts need an image_url.url string")
    if url.startswith("data:"):
        header, _, data = url.partition(",")
        media_type = header[len("data:") :].split(";", 1)[0] or "image/png"
        return {
            "type": "image",
            "source": {"type": "base64", "media_type": media_type, "data": data},
        }
    return {"type": "image", "source": {"type": "url", "url": url}}


def _user_blocks(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": content}]
    if not isinstance(content, list):
        raise InvalidInput("message content must be a string or a list of parts")
    blocks: list[dict[str, Any]] = []
    for part in content:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            blocks.append({"type": "text", "text": str(part.get("text", ""))})
        elif kind == "image_url":
            blocks.append(_image_block(part))
        else:
            raise InvalidInput(f"content part type {kind!r} cannot be sent to an Anthropic model")
    return blocks


def _assistant_blocks(message: Mapping[str, Any]) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = []
    text = _text_of(message.get("content"))
    if text:
        blocks.append({"type": "text", "text": text})
    for call in message.get("tool_calls") or []:
        fn = call.get("function") or {}
        raw = fn.get("arguments") or "{}"
        try:
            args = orjson.loads(raw) if isinstance(raw, str) else raw
        except orjson.JSONDecodeError:
            raise InvalidInput(
                f"tool call {call.get('id')!r} has arguments that are not JSON"
            ) from None
        blocks.append(
            {"type": "tool_use", "id": call.get("id"), "name": fn.get("name"), "input": args}
        )
    return blocks


def _append(messages: list[dict[str, Any]], role: str, blocks: list[dict[str, Any]]) -> None:
    # Anthropic wants user and assistant turns to alternate: fold neighbours of one role.
    if messages and messages[-1]["role"] == role:
        messages[-1]["content"].extend(blocks)
    else:
        messages.append({"role": role, "content": blocks})


def _tools(tools: Any) -> list[dict[str, Any]]:
    out = []
    for tool in tools:
        fn = tool.get("function") if isinstance(tool, dict) else None
        if not isinstance(fn, dict) or not fn.get("name"):
            raise InvalidInput("each tool must be {'type': 'function', 'function': {'name': ...}}")
        entry: dict[str, Any] = {
            "name": fn["name"],
            "input_schema": fn.get("parameters") or {"type": "object", "properties": {}},
        }
        if fn.get("description"):
            entry["description"] = fn["description"]
        out.append(entry)
    return out


def _tool_choice(choice: Any, parallel: Any) -> dict[str, Any] | None:
    if choice is None:
        result: dict[str, Any] | None = {"type": "auto"} if parallel is False else None
    elif choice == "auto":
        result = {"type": "auto"}
    elif choice == "required":
        result = {"type": "any"}
    elif choice == "none":
        result = {"type": "none"}
    elif isinstance(choice, dict) and isinstance(choice.get("function"), dict):
        result = {"type": "tool", "name": choice["function"].get("name")}
    else:
        raise InvalidInput(f"tool_choice {choice!r} is not understood")
    if result is not None and parallel is False and result["type"] != "none":
        result["disable_parallel_tool_use"] = True
    return result


def to_anthropic_request(body: Mapping[str, Any], model: str) -> dict[str, Any]:
    """An Anthropic Messages request equivalent to the OpenAI chat request ``body``."""
    raw_messages = body.get("messages")
    if not isinstance(raw_messages, list) or not raw_messages:
        raise InvalidInput("messages must be a non-empty list", field="messages")
    if body.get("n") not in (None, 1):
        raise InvalidInput("Anthropic models return one choice; n must be 1", field="n")
    system: list[str] = []
    messages: list[dict[str, Any]] = []
    for m in raw_messages:
        role = m.get("role") if isinstance(m, dict) else None
        if role in ("system", "developer"):
            system.append(_text_of(m.get("content")))
        elif role == "user":
            _append(messages, "user", _user_blocks(m.get("content")))
        elif role == "assistant":
            _append(messages, "assistant", _assistant_blocks(m))
        elif role == "tool":
            result = {
                "type": "tool_result",
                "tool_use_id": m.get("tool_call_id"),
                "content": _text_of(m.get("content")),
            }
            _append(messages, "user", [result])
        else:
            raise InvalidInput(f"unknown message role {role!r}", field="messages")
    fmt = body.get("response_format")
    if isinstance(fmt, dict) and fmt.get("type") in ("json_object", "json_schema"):
        schema = (fmt.get("json_schema") or {}).get("schema")
        hint = "Respond with a single JSON object and nothing else."
        if schema:
            hint += " It must match this JSON schema: " + orjson.dumps(schema).decode()
        system.append(hint)
    out: dict[str, Any] = {
        "model": model,
        "messages": messages,
        "max_tokens": body.get("max_completion_tokens")
        or body.get("max_tokens")
        or DEFAULT_MAX_TOKENS,
    }
    if system:
        out["system"] = "\n\n".join(s for s in system if s)
    for key in ("temperature", "top_p", "top_k"):
        if body.get(key) is not None:
            out[key] = body[key]
    stop = body.get("stop")
    if stop:
        out["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    if body.get("tools"):
        out["tools"] = _tools(body["tools"])
    choice = _tool_choice(body.get("tool_choice"), body.get("parallel_tool_calls"))
    if choice is not None and body.get("tools"):
        out["tool_choice"] = choice
    if isinstance(body.get("user"), str):
        out["metadata"] = {"user_id": body["user"]}
    if body.get("stream"):
        out["stream"] = True
    ignored = sorted(k for k in body if k not in _HARMLESS)
    if ignored:
        logger.info("llm.translate ignored_params=%s", ",".join(ignored))
    return out


def usage_from_anthropic(usage: Mapping[str, Any] | None) -> dict[str, Any]:
    """OpenAI ``usage`` from Anthropic's: cache reads and writes count as prompt tokens."""
    usage = usage or {}
    fresh = int(usage.get("input_tokens") or 0)
    cached = int(usage.get("cache_read_input_tokens") or 0)
    created = int(usage.get("cache_creation_input_tokens") or 0)
    completion = int(usage.get("output_tokens") or 0)
    prompt = fresh + cached + created
    out: dict[str, Any] = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
        "prompt_tokens_details": {"cached_tokens": cached},
    }
    if created:
        out["cache_creation_input_tokens"] = created
    return out


def from_anthropic_response(data: Mapping[str, Any], model: str) -> dict[str, Any]:
    """An OpenAI ``chat.completion`` equivalent to the Anthropic message ``data``."""
    text: list[str] = []
    tool_calls: list[dict[str, Any]] = []
    for block in data.get("content") or []:
        if block.get("type") == "text":
            text.append(block.get("text", ""))
        elif block.get("type") == "tool_use":
            tool_calls.append(
                {
                    "id": block.get("id"),
                    "type": "function",
                    "function": {
                        "name": block.get("name"),
                        "arguments": orjson.dumps(block.get("input") or {}).decode(),
                    },
                }
            )
    message: dict[str, Any] = {"role": "assistant", "content": "".join(text) if text else None}
    if tool_calls:
        message["tool_calls"] = tool_calls
    return {
        "id": data.get("id") or "chatcmpl-anthropic",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": data.get("model") or model,
        "choices": [
            {
                "index": 0,
                "message": message,
                "finish_reason": _FINISH.get(data.get("stop_reason") or "", "stop"),
                "logprobs": None,
            }
        ],
        "usage": usage_from_anthropic(data.get("usage")),
    }


@dataclass
class AnthropicStreamTranslator:
    """Turns Anthropic stream events into OpenAI chunks and remembers what was said."""

    model: str
    include_usage: bool = False
    id: str = "chatcmpl-anthropic"
    created: int = field(default_factory=lambda: int(time.time()))
    text: list[str] = field(default_factory=list)
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    finish_reason: str | None = None
    usage: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    _tool_index: dict[int, int] = field(default_factory=dict)

    def _chunk(self, delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish, "logprobs": None}],
        }

    def feed(self, event: str, data: Mapping[str, Any]) -> list[dict[str, Any]]:
        """OpenAI chunks for one Anthropic event (often none)."""
        kind = data.get("type") or event
        if kind == "message_start":
            message = data.get("message") or {}
            self.id = message.get("id") or self.id
            self.model = message.get("model") or self.model
            self.usage = dict(message.get("usage") or {})
            return [self._chunk({"role": "assistant", "content": ""})]
        if kind == "content_block_start":
            block = data.get("content_block") or {}
            if block.get("type") != "tool_use":
                return []
            position = len(self.tool_calls)
            self._tool_index[int(data.get("index", 0))] = position
            call = {
                "id": block.get("id"),
                "type": "function",
                "function": {"name": block.get("name"), "arguments": ""},
            }
            self.tool_calls.append(call)
            return [self._chunk({"tool_calls": [{"index": position, **call}]})]
        if kind == "content_block_delta":
            delta = data.get("delta") or {}
            if delta.get("type") == "text_delta":
                self.text.append(delta.get("text", ""))
                return [self._chunk({"content": delta.get("text", "")})]
            if delta.get("type") == "input_json_delta":
                position = self._tool_index.get(int(data.get("index", 0)), 0)
                part = delta.get("partial_json", "")
                if position < len(self.tool_calls):
                    self.tool_calls[position]["function"]["arguments"] += part
                return [
                    self._chunk(
                        {"tool_calls": [{"index": position, "function": {"arguments": part}}]}
                    )
                ]
            return []
        if kind == "message_delta":
            reason = (data.get("delta") or {}).get("stop_reason")
            self.finish_reason = _FINISH.get(reason or "", "stop")
            self.usage.update({k: v for k, v in (data.get("usage") or {}).items() if v is not None})
            return [self._chunk({}, self.finish_reason)]
        if kind == "message_stop":
            if not self.include_usage:
                return []
            final = self._chunk({})
            final["choices"] = []
            final["usage"] = usage_from_anthropic(self.usage)
            return [final]
        if kind == "error":
            err = data.get("error") or {}
            self.error = str(err.get("message") or err or "provider stream error")
            return []
        return []  # ping and future event types

    def openai_usage(self) -> dict[str, Any]:
        return usage_from_anthropic(self.usage)


async def iter_sse(lines: AsyncIterator[str]) -> AsyncIterator[tuple[str, str]]:
    """``(event, data)`` pairs of a server-sent event stream given line by line."""
    event = ""
    data: list[str] = []
    async for raw in lines:
        line = raw.rstrip("\r")
        if not line:
            if data:
                yield event or "message", "\n".join(data)
            event, data = "", []
        elif line.startswith(":"):
            continue
        elif line.startswith("event:"):
            event = line[len("event:") :].strip()
        elif line.startswith("data:"):
            data.append(line[len("data:") :].lstrip(" "))
    if data:
        yield event or "message", "\n".join(data)
