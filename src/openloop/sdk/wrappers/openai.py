"""``wrap_openai``: trace ``chat.completions.create`` of an OpenAI client (sync or async).

Each call becomes an ``llm`` span named "Chat Completion": input = the messages, output = the
choices, metadata = model, provider and request parameters, metrics = token counts, cached
prompt tokens, time to first token (streams) and the estimated cost. Streams get
``stream_options={"include_usage": True}`` unless the caller set ``stream_options`` so that
token counts arrive; the final usage-only chunk then has an empty ``choices`` list.
"""

from __future__ import annotations

import time
from functools import cached_property
from typing import Any

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

SPAN_NAME = "Chat Completion"


def wrap_openai(client: Any) -> Any:
    """Return a traced view of an ``openai.OpenAI`` / ``openai.AsyncOpenAI`` client.

    >>> client = openloop.wrap_openai(openai.OpenAI())  # doctest: +SKIP
    >>> client.chat.completions.create(model="gpt-4o-mini", messages=[...])  # doctest: +SKIP
    """
    return _Client(client)


class _Client(Proxy):
    @cached_property
    def chat(self) -> Any:
        return _Chat(self._target.chat)


class _Chat(Proxy):
    @cached_property
    def completions(self) -> Any:
        completions = self._target.completions
        if is_async_method(completions.create):
            return _AsyncCompletions(completions)
        return _Completions(completions)


def _prepare(kwargs: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    stream = bool(kwargs.get("stream"))
    if stream and "stream_options" not in kwargs:
        kwargs = {**kwargs, "stream_options": {"include_usage": True}}
    return kwargs, stream


class _Completions(Proxy):
    def create(self, *args: Any, **kwargs: Any) -> Any:
        kwargs, stream = _prepare(kwargs)
        span = open_llm_span(SPAN_NAME, "openai", kwargs, kwargs.get("messages"))
        try:
            result = self._target.create(*args, **kwargs)
        except BaseException as exc:
            fail(span, exc)
            raise
        if stream:
            return TracedStream(result, span, _ChunkRecorder(), kwargs.get("model"))
        _finish_response(span, result, kwargs.get("model"))
        return result


class _AsyncCompletions(Proxy):
    async def create(self, *args: Any, **kwargs: Any) -> Any:
        kwargs, stream = _prepare(kwargs)
        span = open_llm_span(SPAN_NAME, "openai", kwargs, kwargs.get("messages"))
        try:
            result = await self._target.create(*args, **kwargs)
        except BaseException as exc:
            fail(span, exc)
            raise
        if stream:
            return AsyncTracedStream(result, span, _ChunkRecorder(), kwargs.get("model"))
        _finish_response(span, result, kwargs.get("model"))
        return result


def usage_metrics(usage: Any) -> dict[str, Any]:
    """OpenAI ``usage`` → our metric names."""
    if usage is None:
        return {}
    metrics: dict[str, Any] = {}
    for source, target in (
        ("prompt_tokens", "prompt_tokens"),
        ("completion_tokens", "completion_tokens"),
        ("total_tokens", "tokens"),
    ):
        value = get(usage, source)
        if isinstance(value, int):
            metrics[target] = value
    cached = get(get(usage, "prompt_tokens_details"), "cached_tokens")
    if isinstance(cached, int):
        metrics["prompt_cached_tokens"] = cached
    reasoning = get(get(usage, "completion_tokens_details"), "reasoning_tokens")
    if isinstance(reasoning, int):
        metrics["completion_reasoning_tokens"] = reasoning
    if "tokens" not in metrics and "prompt_tokens" in metrics:
        metrics["tokens"] = metrics["prompt_tokens"] + metrics.get("completion_tokens", 0)
    return metrics


def _finish_response(span: Any, response: Any, requested_model: str | None) -> None:
    metrics = usage_metrics(get(response, "usage"))
    model = get(response, "model") or requested_model
    finish(span, get(response, "choices"), add_cost(metrics, model), {})


class _ChunkRecorder:
    """Rebuilds the choices of a streamed completion from its chunks."""

    def __init__(self) -> None:
        self.first_token_at: float | None = None
        self.choices: dict[int, dict[str, Any]] = {}
        self.usage: Any = None
        self.model: str | None = None

    def add(self, chunk: Any) -> None:
        self.model = get(chunk, "model") or self.model
        if get(chunk, "usage") is not None:
            self.usage = get(chunk, "usage")
        for choice in get(chunk, "choices") or []:
            if self.first_token_at is None:
                self.first_token_at = time.time()
            index = get(choice, "index", 0) or 0
            slot = self.choices.setdefault(
                index,
                {"index": index, "message": {"role": "assistant", "content": None},
                 "finish_reason": None},
            )  # fmt: skip
            if get(choice, "finish_reason") is not None:
                slot["finish_reason"] = get(choice, "finish_reason")
            delta = get(choice, "delta")
            if delta is None:
                continue
            message = slot["message"]
            if get(delta, "role"):
                message["role"] = get(delta, "role")
            if get(delta, "content"):
                message["content"] = (message["content"] or "") + get(delta, "content")
            for call in get(delta, "tool_calls") or []:
                self._add_tool_call(message, call)

    @staticmethod
    def _add_tool_call(message: dict[str, Any], call: Any) -> None:
        calls = message.setdefault("tool_calls", [])
        index = get(call, "index", len(calls))
        while len(calls) <= index:
            calls.append(
                {"id": None, "type": "function", "function": {"name": "", "arguments": ""}}
            )
        slot = calls[index]
        if get(call, "id"):
            slot["id"] = get(call, "id")
        function = get(call, "function")
        if function is not None:
            slot["function"]["name"] += get(function, "name") or ""
            slot["function"]["arguments"] += get(function, "arguments") or ""

    def result(self) -> tuple[Any, dict[str, Any], dict[str, Any]]:
        output = [self.choices[i] for i in sorted(self.choices)]
        return output, usage_metrics(self.usage), {}
