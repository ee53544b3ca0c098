"""The OpenAI-compatible proxy: one chat-completions endpoint in front of every provider.

A caller sends an OpenAI ``chat.completions`` body with any model the organization can resolve
(:func:`openloop.llm.providers.resolve_model`). OpenAI and OpenAI-compatible providers get the
body as is (the model renamed to what the provider calls it); Anthropic gets it translated
(:mod:`openloop.llm.translate`) and its answer, streamed or not, comes back in OpenAI's shape.
The caller's own credentials never travel upstream: the org's stored provider key does.

Every call — answered or failed — becomes an ``llm`` span in the organization's internal
project (:data:`INTERNAL_PROJECT`) with tokens, estimated cost and latency, so the proxy's use
can be queried, charted and evaluated like any other log.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
import orjson

from openloop.errors import InvalidInput
from openloop.llm import providers as _providers
from openloop.llm.prices import estimate_cost
from openloop.llm.providers import ProviderError, ResolvedModel, RetryPolicy, send_with_retries
from openloop.llm.translate import (
    AnthropicStreamTranslator,
    from_anthropic_response,
    iter_sse,
    to_anthropic_request,
)

if TYPE_CHECKING:
    from openloop.auth import Principal
    from openloop.services import Services

__all__ = ["ANTHROPIC_VERSION", "INTERNAL_PROJECT", "chat_completion", "open_chat_stream"]

logger = logging.getLogger(__name__)

#: The project every organization's own model calls (proxy, Loop) are logged to.
INTERNAL_PROJECT = "openloop-internal"
ANTHROPIC_VERSION = "2023-06-01"
_PARAMS = ("temperature", "top_p", "max_tokens", "max_completion_tokens", "stop", "tool_choice")


@dataclass
class _Call:
    """What one proxied call did, for its span."""

    target: ResolvedModel
    body: Mapping[str, Any]
    stream: bool
    user_id: str
    start: float = field(default_factory=time.time)
    first_token: float | None = None
    output: Any = None
    usage: Mapping[str, Any] | None = None
    error: str | None = None


def _check_body(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidInput("request body must be a JSON object (an OpenAI chat.completions body)")
    if not isinstance(body.get("model"), str) or not body["model"].strip():
        raise InvalidInput('\'model\' is required, e.g. "gpt-4o" or "<provider>/<model>"')
    if not isinstance(body.get("messages"), list) or not body["messages"]:
        raise InvalidInput("'messages' must be a non-empty list", field="messages")
    return body


def _request_builder(
    client: httpx.AsyncClient, target: ResolvedModel, body: Mapping[str, Any], stream: bool
) -> Any:
    if target.kind == "anthropic":
        payload = to_anthropic_request(body, target.model)
        base = target.base_url
        url = base + ("/messages" if base.endswith("/v1") else "/v1/messages")
        headers = {"anthropic-version": ANTHROPIC_VERSION, "content-type": "application/json"}
        if target.api_key:
            headers["x-api-key"] = target.api_key
    else:
        payload = {**body, "model": target.model}
        if stream and target.kind == "openai" and "stream_options" not in body:
            payload["stream_options"] = {"include_usage": True}
        url = target.base_url + "/chat/completions"
        headers = {"content-type": "application/json"}
        if target.api_key:
            headers["authorization"] = f"Bearer {target.api_key}"
    if stream:
        headers["accept"] = "text/event-stream"
    content = orjson.dumps(payload)
    return lambda: client.build_request("POST", url, content=content, headers=headers)


async def _resolve(svc: Services, p: Principal, body: Mapping[str, Any]) -> ResolvedModel:
    return await asyncio.to_thread(
        _providers.resolve_model, svc.control, p.org_id, str(body["model"])
    )


async def chat_completion(
    svc: Services, p: Principal, body: Any, *, policy: RetryPolicy | None = None
) -> dict[str, Any]:
    """Answer one non-streaming chat-completions request in OpenAI's shape."""
    body = _check_body(body)
    policy = policy or _providers.DEFAULT_RETRY
    target = await _resolve(svc, p, body)
    call = _Call(target, body, stream=False, user_id=p.user_id)
    try:
        async with _providers.http_client_factory(policy) as client:
            build = _request_builder(client, target, body, stream=False)
            response = await send_with_retries(client, build, target, policy)
            try:
                data = orjson.loads(await response.aread())
            except (orjson.JSONDecodeError, httpx.HTTPError) as exc:
                raise ProviderError(
                    f"provider {target.provider_name!r} sent no readable answer for model "
                    f"{target.model!r}: {exc}",
                    provider=target.provider_name,
                    model=target.model,
                ) from exc
        if target.kind == "anthropic":
            data = from_anthropic_response(data, target.model)
        call.output = data.get("choices") if isinstance(data, dict) else data
        call.usage = data.get("usage") if isinstance(data, dict) else None
    except ProviderError as exc:
        call.error = exc.message
        await asyncio.to_thread(record_span, svc, p.org_id, call)
        raise
    await asyncio.to_thread(record_span, svc, p.org_id, call)
    return data


async def open_chat_stream(
    svc: Services, p: Principal, body: Any, *, policy: RetryPolicy | None = None
) -> AsyncIterator[bytes]:
    """Connect to the provider (with retries) and return the OpenAI-shaped SSE byte stream.

    Failures before the first byte raise (so the caller can still answer with an error
    status); a failure mid-stream ends the stream with an ``{"error": ...}`` event.
    """
    body = _check_body(body)
    policy = policy or _providers.DEFAULT_RETRY
    target = await _resolve(svc, p, body)
    call = _Call(target, body, stream=True, user_id=p.user_id)
    client = _providers.http_client_factory(policy)
    try:
        build = _request_builder(client, target, body, stream=True)
        response = await send_with_retries(client, build, target, policy, stream=True)
    except ProviderError as exc:
        await client.aclose()
        call.error = exc.message
        await asyncio.to_thread(record_span, svc, p.org_id, call)
        raise
    except BaseException:  # bad input, or cancelled while connecting: nothing reached a model
        await client.aclose()
        raise
    relay = _relay_anthropic if target.kind == "anthropic" else _relay_openai
    return _finish(svc, p.org_id, call, client, response, relay(call, response))


async def _finish(
    svc: Services,
    org_id: str,
    call: _Call,
    client: httpx.AsyncClient,
    response: httpx.Response,
    chunks: AsyncIterator[bytes],
) -> AsyncIterator[bytes]:
    # The relays fill in the call's output and usage before their final `[DONE]`; the span is
    # recorded before that chunk goes out, so it exists once a client has read the stream
    # (clients often stop reading at `[DONE]` and close the connection later, or never).
    done = b"data: [DONE]\n\n"
    completed = recorded = False
    try:
        async for chunk in chunks:
            if chunk == done and not recorded:
                await asyncio.to_thread(record_span, svc, org_id, call)
                recorded = True
            yield chunk
        completed = True
    except httpx.HTTPError as exc:
        call.error = f"provider {call.target.provider_name!r} stream broke: {exc}"
        yield _sse({"error": {"type": "ProviderError", "message": call.error}})
        if not recorded:
            await asyncio.to_thread(record_span, svc, org_id, call)
            recorded = True
        yield done
        completed = True
    finally:
        await response.aclose()
        await client.aclose()
        if not completed and not recorded:
            call.error = call.error or "client disconnected before the stream ended"
            record_span(svc, org_id, call)  # no awaiting while the task is being cancelled
            recorded = True
    if not recorded:
        await asyncio.to_thread(record_span, svc, org_id, call)


def _sse(data: Any) -> bytes:
    return b"data: " + orjson.dumps(data) + b"\n\n"


async def _relay_openai(call: _Call, response: httpx.Response) -> AsyncIterator[bytes]:
    wants_usage = bool((call.body.get("stream_options") or {}).get("include_usage"))
    text: list[str] = []
    calls: dict[int, dict[str, Any]] = {}
    finish = None
    async for _event, data in iter_sse(response.aiter_lines()):
        if data.strip() == "[DONE]":
            break
        try:
            chunk = orjson.loads(data)
        except orjson.JSONDecodeError:
            logger.warning("llm.proxy unparsable_chunk provider=%s", call.target.provider_name)
            continue
        if not isinstance(chunk, dict):
            continue
        if chunk.get("error"):
            call.error = str(chunk["error"])
        if chunk.get("usage"):
            call.usage = chunk["usage"]
        for choice in chunk.get("choices") or []:
            delta = choice.get("delta") or {}
            if delta.get("content"):
                call.first_token = call.first_token or time.time()
                text.append(delta["content"])
            for tc in delta.get("tool_calls") or []:
                call.first_token = call.first_token or time.time()
                slot = calls.setdefault(
                    int(tc.get("index", 0)),
                    {"id": None, "type": "function", "function": {"name": None, "arguments": ""}},
                )
                slot["id"] = tc.get("id") or slot["id"]
                fn = tc.get("function") or {}
                slot["function"]["name"] = fn.get("name") or slot["function"]["name"]
                slot["function"]["arguments"] += fn.get("arguments") or ""
            finish = choice.get("finish_reason") or finish
        if not chunk.get("choices") and chunk.get("usage") and not wants_usage:
            continue  # the usage chunk we asked for on the caller's behalf
        yield _sse(chunk)
    message: dict[str, Any] = {"role": "assistant", "content": "".join(text) or None}
    if calls:
        message["tool_calls"] = [calls[i] for i in sorted(calls)]
    call.output = [{"index": 0, "message": message, "finish_reason": finish}]
    yield b"data: [DONE]\n\n"


async def _relay_anthropic(call: _Call, response: httpx.Response) -> AsyncIterator[bytes]:
    wants_usage = bool((call.body.get("stream_options") or {}).get("include_usage"))
    tr = AnthropicStreamTranslator(model=call.target.model, include_usage=wants_usage)
    async for event, data in iter_sse(response.aiter_lines()):
        try:
            payload = orjson.loads(data)
        except orjson.JSONDecodeError:
            continue
        if not isinstance(payload, dict):
            continue
        for chunk in tr.feed(event, payload):
            delta = (chunk.get("choices") or [{}])[0].get("delta") or {}
            if delta.get("content") or delta.get("tool_calls"):
                call.first_token = call.first_token or time.time()
            yield _sse(chunk)
        if tr.error:
            call.error = f"provider {call.target.provider_name!r}: {tr.error}"
            yield _sse({"error": {"type": "ProviderError", "message": call.error}})
            break
    message: dict[str, Any] = {"role": "assistant", "content": "".join(tr.text) or None}
    if tr.tool_calls:
        message["tool_calls"] = tr.tool_calls
    call.output = [{"index": 0, "message": message, "finish_reason": tr.finish_reason}]
    call.usage = tr.openai_usage()
    yield b"data: [DONE]\n\n"


# -- spans -------------------------------------------------------------------------------------


def _metrics(call: _Call, end: float) -> dict[str, Any]:
    metrics: dict[str, Any] = {"start": call.start, "end": end}
    if call.stream and call.first_token is not None:
        metrics["time_to_first_token"] = call.first_token - call.start
    usage = call.usage if isinstance(call.usage, Mapping) else None
    if usage:
        prompt = usage.get("prompt_tokens")
        completion = usage.get("completion_tokens")
        details = usage.get("prompt_tokens_details") or {}
        cached = details.get("cached_tokens") if isinstance(details, Mapping) else None
        created = usage.get("cache_creation_input_tokens")
        metrics.update(
            {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "tokens": usage.get("total_tokens") or (prompt or 0) + (completion or 0),
            }
        )
        if cached:
            metrics["prompt_cached_tokens"] = cached
        if created:
            metrics["prompt_cache_creation_tokens"] = created
        cost = estimate_cost(call.target.model, prompt, completion, cached or 0, created or 0)
        if cost is not None:
            metrics["estimated_cost"] = cost
    return {k: v for k, v in metrics.items() if v is not None}


def span_row(call: _Call) -> dict[str, Any]:
    """The ``llm`` span that records ``call``."""
    span_id = str(uuid.uuid4())
    params = {k: call.body[k] for k in _PARAMS if k in call.body}
    row: dict[str, Any] = {
        "id": span_id,
        "span_id": span_id,
        "root_span_id": span_id,
        "input": call.body.get("messages"),
        "output": call.output,
        "metadata": {
            "model": call.target.model,
            "provider": call.target.kind,
            "provider_name": call.target.provider_name,
            "requested_model": call.body.get("model"),
            "stream": call.stream,
            "user_id": call.user_id,
            "source": "proxy",
            **params,
        },
        "metrics": _metrics(call, time.time()),
        "span_attributes": {"name": "Chat Completion", "type": "llm"},
    }
    if call.body.get("tools"):
        row["metadata"]["tools"] = call.body["tools"]
    if call.error:
        row["error"] = call.error
    return row


def record_span(svc: Services, org_id: str, call: _Call) -> None:
    """Write ``call``'s span to the internal project; a failure here never fails the call."""
    from openloop.services.ingest import write_to
    from openloop.store.data.base import ObjectRef

    try:
        project = svc.control.get_or_create_project(org_id, INTERNAL_PROJECT)
        ref = ObjectRef(org_id, project.id, "project_logs", project.id)
        result = write_to(svc, {ref: ([span_row(call)], [0])})
        if result.errors:
            logger.warning("llm.proxy span_rejected %s", result.errors[0]["message"])
    except Exception:
        logger.exception("llm.proxy span_write_failed org=%s", org_id)
    logger.info(
        "llm.proxy provider=%s model=%s stream=%s ms=%.0f error=%s",
        call.target.provider_name,
        call.target.model,
        call.stream,
        (time.time() - call.start) * 1e3,
        bool(call.error),
    )
