"""``wrap_anthropic``: trace ``messages.create`` of an Anthropic client (sync or async).

Each call becomes an ``llm`` span named "anthropic.messages.create": input = the messages with
the ``system`` prompt first (as a ``{"role": "system"}`` message), output = the content blocks,
metadata = model, provider, request parameters and the stop reason. ``prompt_tokens`` counts
every prompt token, cached or not (Anthropic reports ``input_tokens`` without the cache reads
and writes), with ``prompt_cached_tokens`` = cache reads and ``prompt_cache_creation_tokens`` =
cache writes.
"""

from __future__ import annotations

import time
from functools import cached_property
from typing import Any

import orjson

from openloop.sdk._util import snapshot
from openloop.sdk.wrappers._common import (
    AsyncTracedStream,
    Proxy,
    TracedStream,
    add_cost,
    fail,
    finish,
    get,
    is_async_method,
    open_llm_span,
)

SPAN_NAME = "anthropic.messages.create"


def wrap_anthropic(client: Any) -> Any:
    """Return a traced view of an ``anthropic.Anthropic`` / ``anthropic.AsyncAnthropic`` client.

    >>> client = openloop.wrap_anthropic(anthropic.Anthropic())  # doctest: +SKIP
    """
    return _Client(client)


class _Client(Proxy):
    @cached_property
    def messages(self) -> Any:
        messages = self._target.messages
        if is_async_method(messages.create):
            return _AsyncMessages(messages)
        return _Messages(messages)


def _input(kwargs: dict[str, Any]) -> list[Any]:
    messages = list(kwargs.get("messages") or [])
    system = kwargs.get("system")
    if system is not None and type(system).__name__ not in ("NotGiven", "Omit"):
        messages.insert(0, {"role": "system", "content": system})
    return messages


class _Messages(Proxy):
    def create(self, *args: Any, **kwargs: Any) -> Any:
        span = open_llm_span(SPAN_NAME, "anthropic", kwargs, _input(kwargs))
        try:
            result = self._target.create(*args, **kwargs)
        except BaseException as exc:
            fail(span, exc)
            raise
        if kwargs.get("stream"):
            return TracedStream(result, span, _EventRecorder(), kwargs.get("model"))
        _finish_message(span, result, kwargs.get("model"))
        return result


class _AsyncMessages(Proxy):
    async def create(self, *args: Any, **kwargs: Any) -> Any:
        span = open_llm_span(SPAN_NAME, "anthropic", kwargs, _input(kwargs))
        try:
            result = await self._target.create(*args, **kwargs)
        except BaseException as exc:
            fail(span, exc)
            raise
        if kwargs.get("stream"):
            return AsyncTracedStream(result, span, _EventRecorder(), kwargs.get("model"))
        _finish_message(span, result, kwargs.get("model"))
        return result


def usage_metrics(usage: dict[str, Any]) -> dict[str, Any]:
    """Anthropic usage counters → our metric names."""

    def count(name: str) -> int:
        value = usage.get(name)
        return value if isinstance(value, int) else 0

    if not usage:
        return {}
    cache_read = count("cache_read_input_tokens")
    cache_write = count("cache_creation_input_tokens")
    prompt = count("input_tokens") + cache_read + cache_write
    completion = count("output_tokens")
    metrics = {"prompt_tokens": prompt, "completion_tokens": completion,
               "tokens": prompt + completion, "prompt_cached_tokens": cache_read}  # fmt: skip
    if cache_write:
        metrics["prompt_cache_creation_tokens"] = cache_write
    return metrics


def _usage_dict(usage: Any) -> dict[str, Any]:
    value = snapshot(usage) if usage is not None else {}
    return value if isinstance(value, dict) else {}


def _finish_message(span: Any, message: Any, requested_model: str | None) -> None:
    metrics = usage_metrics(_usage_dict(get(message, "usage")))
    model = get(message, "model") or requested_model
    metadata = {"stop_reason": get(message, "stop_reason")}
    finish(span, get(message, "content"), add_cost(metrics, model), metadata)


class _EventRecorder:
    """Rebuilds the content blocks and usage of a streamed message from its events."""

    def __init__(self) -> None:
        self.first_token_at: float | None = None
        self.blocks: dict[int, dict[str, Any]] = {}
        self.partial_json: dict[int, str] = {}
        self.usage: dict[str, Any] = {}
        self.stop_reason: str | None = None

    def add(self, event: Any) -> None:
        kind = get(event, "type")
        if kind == "message_start":
            self.usage.update(_usage_dict(get(get(event, "message"), "usage")))
        elif kind == "content_block_start":
            block = snapshot(get(event, "content_block"))
            self.blocks[get(event, "index", 0)] = block if isinstance(block, dict) else {}
        elif kind == "content_block_delta":
            if self.first_token_at is None:
                self.first_token_at = time.time()
            self._apply_delta(get(event, "index", 0), get(event, "delta"))
        elif kind == "content_block_stop":
            index = get(event, "index", 0)
            raw = self.partial_json.pop(index, None)
            if raw:
                try:
                    self.blocks.setdefault(index, {})["input"] = orjson.loads(raw)
                except orjson.JSONDecodeError:
                    self.blocks.setdefault(index, {})["input"] = raw
        elif kind == "message_delta":
            self.stop_reason = get(get(event, "delta"), "stop_reason") or self.stop_reason
            delta_usage = {
                k: v for k, v in _usage_dict(get(event, "usage")).items() if v is not None
            }
            self.usage.update(delta_usage)

    def _apply_delta(self, index: int, delta: Any) -> None:
        block = self.blocks.setdefault(index, {})
        kind = get(delta, "type")
        if kind == "text_delta":
            block["text"] = block.get("text", "") + (get(delta, "text") or "")
        elif kind == "input_json_delta":
            self.partial_json[index] = self.partial_json.get(index, "") + (
                get(delta, "partial_json") or ""
            )
        elif kind == "thinking_delta":
            block["thinking"] = block.get("thinking", "") + (get(delta, "thinking") or "")

    def result(self) -> tuple[Any, dict[str, Any], dict[str, Any]]:
        output = [self.blocks[i] for i in sorted(self.blocks)]
        return output, usage_metrics(self.usage), {"stop_reason": self.stop_reason}
