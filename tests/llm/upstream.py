"""Simulated provider servers: an ``httpx.MockTransport`` installed as the provider layer's HTTP
client, answering from per-host queues and recording every request it receives."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import httpx
import orjson

from openloop.llm import providers
from openloop.llm.providers import RetryPolicy

OPENAI_HOST = "api.openai.com"
ANTHROPIC_HOST = "api.anthropic.com"
FAST = RetryPolicy(retries=2, base_delay=0.0, max_delay=0.0, max_retry_after=0.05, timeout=5)


class FakeUpstream:
    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.queues: dict[str, list[Any]] = defaultdict(list)

    def add(self, host: str, *responses: Any) -> None:
        """Queue responses (``httpx.Response`` or an exception to raise) for ``host``."""
        self.queues[host].extend(responses)

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        queue = self.queues[request.url.host]
        if not queue:
            return httpx.Response(500, json={"error": {"message": "nothing queued"}})
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        return item

    def client(self, policy: RetryPolicy = FAST) -> httpx.AsyncClient:
        return httpx.AsyncClient(transport=httpx.MockTransport(self.handler))

    def install(self, monkeypatch: Any) -> FakeUpstream:
        monkeypatch.setattr(providers, "http_client_factory", self.client)
        monkeypatch.setattr(providers, "DEFAULT_RETRY", FAST)
        return self

    def body(self, i: int = -1) -> dict[str, Any]:
        return orjson.loads(self.requests[i].content)


def openai_completion(
    text: str = "Hello!", prompt: int = 12, completion: int = 3
) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1700000000,
            "model": "gpt-4o-2024-08-06",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": text},
                    "finish_reason": "stop",
                }
            ],
            "usage": {
                "prompt_tokens": prompt,
                "completion_tokens": completion,
                "total_tokens": prompt + completion,
            },
        },
    )


def sse(events: list[tuple[str | None, Any]]) -> httpx.Response:
    out = []
    for name, data in events:
        if name:
            out.append(f"event: {name}\n")
        payload = data if isinstance(data, str) else orjson.dumps(data).decode()
        out.append(f"data: {payload}\n\n")
    return httpx.Response(
        200, content="".join(out).encode(), headers={"content-type": "text/event-stream"}
    )


def openai_stream(pieces: list[str], prompt: int = 9, completion: int = 2) -> httpx.Response:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": "chatcmpl-s",
            "object": "chat.completion.chunk",
            "created": 1700000000,
            "model": "gpt-4o",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    events: list[tuple[str | None, Any]] = [(None, chunk({"role": "assistant", "content": ""}))]
    events += [(None, chunk({"content": p})) for p in pieces]
    events.append((None, chunk({}, "stop")))
    usage = {
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "total_tokens": prompt + completion,
    }
    events.append((None, {**chunk({}), "choices": [], "usage": usage}))
    events.append((None, "[DONE]"))
    return sse(events)


def anthropic_message(
    text: str = "Bonjour",
    *,
    tool: dict[str, Any] | None = None,
    prompt: int = 20,
    completion: int = 5,
) -> httpx.Response:
    content: list[dict[str, Any]] = [{"type": "text", "text": text}]
    if tool:
        content.append({"type": "tool_use", "id": "toolu_1", **tool})
    return httpx.Response(
        200,
        json={
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-3-5-sonnet-20241022",
            "content": content,
            "stop_reason": "tool_use" if tool else "end_turn",
            "usage": {"input_tokens": prompt, "output_tokens": completion},
        },
    )


def anthropic_stream(pieces: list[str], prompt: int = 15, completion: int = 4) -> httpx.Response:
    events: list[tuple[str | None, Any]] = [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "id": "msg_s",
                    "model": "claude-3-5-sonnet-20241022",
                    "usage": {"input_tokens": prompt, "output_tokens": 1},
                },
            },
        ),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {"type": "text", "text": ""},
            },
        ),
        ("ping", {"type": "ping"}),
    ]
    events += [
        (
            "content_block_delta",
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": p}},
        )
        for p in pieces
    ]
    events += [
        ("content_block_stop", {"type": "content_block_stop", "index": 0}),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 1,
                "content_block": {
                    "type": "tool_use",
                    "id": "toolu_9",
                    "name": "lookup",
                    "input": {},
                },
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 1,
                "delta": {"type": "input_json_delta", "partial_json": '{"q": '},
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 1,
                "delta": {"type": "input_json_delta", "partial_json": '"paris"}'},
            },
        ),
        ("content_block_stop", {"type": "content_block_stop", "index": 1}),
        (
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": "tool_use"},
                "usage": {"output_tokens": completion},
            },
        ),
        ("message_stop", {"type": "message_stop"}),
    ]
    return sse(events)
