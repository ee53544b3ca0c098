"""wrap_openai / wrap_anthropic against the real client classes and a canned HTTP transport."""

from __future__ import annotations

import asyncio
import json
import sys
import types

import anthropic
import httpx
import httpx2
import openai
import pytest

import openloop

MESSAGES = [{"role": "user", "content": "Say hi"}]

OPENAI_COMPLETION = {
    "id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000, "model": "gpt-4o-mini",
    "choices": [{"index": 0, "finish_reason": "stop",
                 "message": {"role": "assistant", "content": "Hi!"}}],
    "usage": {"prompt_tokens": 12, "completion_tokens": 3, "total_tokens": 15,
              "prompt_tokens_details": {"cached_tokens": 4}},
}  # fmt: skip


def _openai_chunks() -> list[dict]:
    base = {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o-mini"}
    return [
        {**base, "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]},
        {**base, "choices": [{"index": 0, "delta": {"content": "Hel"}}]},
        {**base, "choices": [{"index": 0, "delta": {"content": "lo", "tool_calls": [
            {"index": 0, "id": "call_1", "type": "function",
             "function": {"name": "lookup", "arguments": "{\"q\":"}}]}}]},
        {**base, "choices": [{"index": 0, "delta": {"tool_calls": [
            {"index": 0, "function": {"arguments": " 1}"}}]}, "finish_reason": "tool_calls"}]},
        {**base, "choices": [], "usage": {"prompt_tokens": 20, "completion_tokens": 5,
                                          "total_tokens": 25}},
    ]  # fmt: skip


def _sse(events: list[tuple[str | None, dict | str]]) -> bytes:
    out = []
    for name, data in events:
        text = data if isinstance(data, str) else json.dumps(data)
        out.append((f"event: {name}\n" if name else "") + f"data: {text}\n\n")
    return "".join(out).encode()


class LLMServer:
    def __init__(self) -> None:
        self.requests: list[dict] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        return self._respond(request, httpx)

    def handler2(self, request: httpx2.Request) -> httpx2.Response:
        return self._respond(request, httpx2)

    def _respond(self, request, http):
        body = json.loads(request.content)
        self.requests.append(body)
        stream = body.get("stream")
        if request.url.path.endswith("/chat/completions"):
            if body.get("model") == "broken":
                return http.Response(400, json={"error": {"message": "no such model"}})
            if stream:
                data = _sse([(None, c) for c in _openai_chunks()] + [(None, "[DONE]")])
                return http.Response(
                    200, content=data, headers={"content-type": "text/event-stream"}
                )
            return http.Response(200, json=OPENAI_COMPLETION)
        if stream:
            return http.Response(200, content=_sse(ANTHROPIC_EVENTS),
                                  headers={"content-type": "text/event-stream"})  # fmt: skip
        return http.Response(200, json=ANTHROPIC_MESSAGE)


ANTHROPIC_MESSAGE = {
    "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-haiku-4-5",
    "content": [{"type": "text", "text": "Hello there"}], "stop_reason": "end_turn",
    "stop_sequence": None,
    "usage": {"input_tokens": 10, "output_tokens": 4, "cache_read_input_tokens": 6,
              "cache_creation_input_tokens": 2},
}  # fmt: skip

ANTHROPIC_EVENTS = [
    ("message_start", {"type": "message_start", "message": {**ANTHROPIC_MESSAGE, "content": [],
        "stop_reason": None, "usage": {"input_tokens": 10, "output_tokens": 1,
                                       "cache_read_input_tokens": 6}}}),
    ("content_block_start", {"type": "content_block_start", "index": 0,
                             "content_block": {"type": "text", "text": ""}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0,
                             "delta": {"type": "text_delta", "text": "Hel"}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 0,
                             "delta": {"type": "text_delta", "text": "lo"}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
    ("content_block_start", {"type": "content_block_start", "index": 1, "content_block":
                             {"type": "tool_use", "id": "tu_1", "name": "lookup", "input": {}}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 1,
                             "delta": {"type": "input_json_delta", "partial_json": "{\"q\": "}}),
    ("content_block_delta", {"type": "content_block_delta", "index": 1,
                             "delta": {"type": "input_json_delta", "partial_json": "\"x\"}"}}),
    ("content_block_stop", {"type": "content_block_stop", "index": 1}),
    ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use",
                       "stop_sequence": None}, "usage": {"output_tokens": 9}}),
    ("message_stop", {"type": "message_stop"}),
]  # fmt: skip


@pytest.fixture
def llm() -> LLMServer:
    return LLMServer()


@pytest.fixture
def fake_prices(monkeypatch):
    module = types.ModuleType("openloop.llm.prices")
    calls = []

    def estimate_cost(model, prompt_tokens, completion_tokens, cached_tokens):
        calls.append((model, prompt_tokens, completion_tokens, cached_tokens))
        return 0.5

    module.estimate_cost = estimate_cost
    monkeypatch.setitem(sys.modules, "openloop.llm.prices", module)
    return calls


def _openai(llm: LLMServer, async_: bool = False):
    if async_:
        http = httpx.AsyncClient(transport=httpx.MockTransport(llm.handler))
        return openai.AsyncOpenAI(
            api_key="sk", base_url="http://llm.test/v1", http_client=http, max_retries=0
        )
    http = httpx.Client(transport=httpx.MockTransport(llm.handler))
    return openai.OpenAI(
        api_key="sk", base_url="http://llm.test/v1", http_client=http, max_retries=0
    )


def _anthropic(llm: LLMServer, async_: bool = False):
    if async_:
        http = httpx2.AsyncClient(transport=httpx2.MockTransport(llm.handler2))
        return anthropic.AsyncAnthropic(
            api_key="sk", base_url="http://llm.test", http_client=http, max_retries=0
        )
    http = httpx2.Client(transport=httpx2.MockTransport(llm.handler2))
    return anthropic.Anthropic(
        api_key="sk", base_url="http://llm.test", http_client=http, max_retries=0
    )


def _llm_span(server) -> dict:
    [row] = [r for r in server.folded().values() if r["span_attributes"].get("type") == "llm"]
    return row


def test_openai_non_streaming(server, logger, llm, fake_prices):
    client = openloop.wrap_openai(_openai(llm))
    response = client.chat.completions.create(
        model="gpt-4o-mini", messages=MESSAGES, temperature=0.2, max_tokens=50
    )
    assert response.choices[0].message.content == "Hi!"
    assert client.api_key == "sk"  # everything else passes through
    logger.flush()
    row = _llm_span(server)
    assert row["span_attributes"] == {"name": "Chat Completion", "type": "llm"}
    assert row["input"] == MESSAGES
    assert row["output"][0]["message"]["content"] == "Hi!"
    assert row["metadata"] == {"model": "gpt-4o-mini", "provider": "openai",
                               "params": {"temperature": 0.2, "max_tokens": 50}}  # fmt: skip
    metrics = row["metrics"]
    assert (metrics["prompt_tokens"], metrics["completion_tokens"], metrics["tokens"]) == (
        12,
        3,
        15,
    )
    assert metrics["prompt_cached_tokens"] == 4
    assert metrics["estimated_cost"] == 0.5
    assert fake_prices == [("gpt-4o-mini", 12, 3, 4)]
    assert "time_to_first_token" not in metrics


def test_openai_streaming_rebuilds_choices_and_requests_usage(server, logger, llm, fake_prices):
    client = openloop.wrap_openai(_openai(llm))
    with openloop.start_span(name="agent") as parent:
        stream = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES, stream=True)
        chunks = list(stream)
    assert len(chunks) == 5
    assert llm.requests[0]["stream_options"] == {"include_usage": True}
    logger.flush()
    row = _llm_span(server)
    assert row["span_parents"] == [parent.span_id]
    [choice] = row["output"]
    assert choice["message"]["content"] == "Hello"
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["tool_calls"] == [
        {
            "id": "call_1",
            "type": "function",
            "function": {"name": "lookup", "arguments": '{"q": 1}'},
        }
    ]
    metrics = row["metrics"]
    assert (metrics["prompt_tokens"], metrics["completion_tokens"], metrics["tokens"]) == (
        20,
        5,
        25,
    )
    assert 0 <= metrics["time_to_first_token"] <= metrics["end"] - metrics["start"]
    assert metrics["estimated_cost"] == 0.5
    assert row["metadata"]["params"] == {"stream": True, "stream_options": {"include_usage": True}}


def test_openai_async_streaming_and_not(server, logger, llm):
    client = openloop.wrap_openai(_openai(llm, async_=True))

    async def run() -> str:
        response = await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        stream = await client.chat.completions.create(
            model="gpt-4o-mini",
            messages=MESSAGES,
            stream=True,
            stream_options={"include_usage": False},
        )
        async with stream:
            parts = [c.choices[0].delta.content or "" async for c in stream if c.choices]
        return response.choices[0].message.content + "|" + "".join(parts)

    assert asyncio.run(run()) == "Hi!|Hello"
    assert llm.requests[1]["stream_options"] == {"include_usage": False}  # the caller's choice wins
    logger.flush()
    rows = [r for r in server.folded().values() if r["span_attributes"]["type"] == "llm"]
    assert sorted(len(r["output"]) for r in rows) == [1, 1]
    assert all("end" in r["metrics"] for r in rows)


def test_openai_error_is_recorded_and_raised(server, logger, llm):
    client = openloop.wrap_openai(_openai(llm))
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model="broken", messages=MESSAGES)
    logger.flush()
    row = _llm_span(server)
    assert row["error"]["type"] == "BadRequestError"


def test_cost_is_skipped_when_prices_are_unavailable(server, logger, llm, monkeypatch):
    monkeypatch.setitem(sys.modules, "openloop.llm.prices", None)  # import raises ImportError
    client = openloop.wrap_openai(_openai(llm))
    client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    logger.flush()
    assert "estimated_cost" not in _llm_span(server)["metrics"]


def test_wrapped_client_works_without_a_logger(llm):
    client = openloop.wrap_openai(_openai(llm))
    response = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
    assert response.usage.total_tokens == 15


def test_anthropic_non_streaming(server, logger, llm, fake_prices):
    client = openloop.wrap_anthropic(_anthropic(llm))
    message = client.messages.create(
        model="claude-haiku-4-5", max_tokens=100, system="Be brief.", messages=MESSAGES,
        stop_sequences=["END"],
    )  # fmt: skip
    assert message.content[0].text == "Hello there"
    logger.flush()
    row = _llm_span(server)
    assert row["span_attributes"] == {"name": "anthropic.messages.create", "type": "llm"}
    assert row["input"] == [{"role": "system", "content": "Be brief."}, *MESSAGES]
    assert [(b["type"], b["text"]) for b in row["output"]] == [("text", "Hello there")]
    assert row["metadata"]["provider"] == "anthropic"
    assert row["metadata"]["params"] == {"max_tokens": 100, "stop_sequences": ["END"]}
    assert row["metadata"]["stop_reason"] == "end_turn"
    metrics = row["metrics"]
    assert metrics["prompt_tokens"] == 18 and metrics["completion_tokens"] == 4
    assert metrics["tokens"] == 22 and metrics["prompt_cached_tokens"] == 6
    assert metrics["prompt_cache_creation_tokens"] == 2
    assert fake_prices == [("claude-haiku-4-5", 18, 4, 6)]


def test_anthropic_streaming_sync_and_async(server, logger, llm):
    sync_client = openloop.wrap_anthropic(_anthropic(llm))
    events = list(sync_client.messages.create(model="claude-haiku-4-5", max_tokens=10,
                                              messages=MESSAGES, stream=True))  # fmt: skip
    assert events[-1].type == "message_stop"

    async_client = openloop.wrap_anthropic(_anthropic(llm, async_=True))

    async def run() -> int:
        stream = await async_client.messages.create(
            model="claude-haiku-4-5", max_tokens=10, messages=MESSAGES, stream=True
        )
        return len([e async for e in stream])

    assert asyncio.run(run()) == len(ANTHROPIC_EVENTS)
    logger.flush()
    rows = [r for r in server.folded().values() if r["span_attributes"]["type"] == "llm"]
    assert len(rows) == 2
    for row in rows:
        text, tool = row["output"]
        assert (text["type"], text["text"]) == ("text", "Hello")
        assert tool["type"] == "tool_use" and tool["input"] == {"q": "x"}
        assert row["metadata"]["stop_reason"] == "tool_use"
        metrics = row["metrics"]
        assert metrics["prompt_tokens"] == 16 and metrics["completion_tokens"] == 9
        assert metrics["prompt_cached_tokens"] == 6 and metrics["time_to_first_token"] >= 0
