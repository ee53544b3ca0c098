from __future__ import annotations

import asyncio

import orjson
import pytest

from openloop.errors import InvalidInput
from openloop.llm.translate import (
    AnthropicStreamTranslator,
    from_anthropic_response,
    iter_sse,
    to_anthropic_request,
)

TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "weather",
            "description": "Weather for a city",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
    }
]


def test_request_moves_system_and_translates_tool_turns():
    body = {
        "model": "claude-3-5-sonnet-latest",
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "developer", "content": [{"type": "text", "text": "Use tools."}]},
            {"role": "user", "content": "Weather in Paris and Rome?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "c1",
                        "type": "function",
                        "function": {"name": "weather", "arguments": '{"city": "Paris"}'},
                    },
                    {
                        "id": "c2",
                        "type": "function",
                        "function": {"name": "weather", "arguments": '{"city": "Rome"}'},
                    },
                ],
            },
            {"role": "tool", "tool_call_id": "c1", "content": "18C"},
            {"role": "tool", "tool_call_id": "c2", "content": "24C"},
        ],
        "tools": TOOLS,
        "tool_choice": "required",
        "stop": "END",
        "temperature": 0.2,
    }
    req = to_anthropic_request(body, "claude-3-5-sonnet-latest")
    assert req["system"] == "You are terse.\n\nUse tools."
    assert req["max_tokens"] == 4096 and req["temperature"] == 0.2
    assert req["stop_sequences"] == ["END"]
    assert req["tool_choice"] == {"type": "any"}
    assert req["tools"] == [
        {
            "name": "weather",
            "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}},
            "description": "Weather for a city",
        }
    ]
    roles = [m["role"] for m in req["messages"]]
    assert roles == ["user", "assistant", "user"]  # both tool results in one user turn
    assert req["messages"][1]["content"][1] == {
        "type": "tool_use", "id": "c2", "name": "weather", "input": {"city": "Rome"},
    }  # fmt: skip
    assert [b["tool_use_id"] for b in req["messages"][2]["content"]] == ["c1", "c2"]


def test_request_images_json_mode_and_limits():
    body = {
        "model": "m",
        "max_completion_tokens": 50,
        "response_format": {"type": "json_schema", "json_schema": {"schema": {"type": "object"}}},
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "What is this?"},
                    {"type": "image_url", "image_url": {"url": "data:image/jpeg;base64,QUJD"}},
                ],
            }
        ],
    }
    req = to_anthropic_request(body, "m")
    assert req["max_tokens"] == 50
    assert req["messages"][0]["content"][1] == {
        "type": "image", "source": {"type": "base64", "media_type": "image/jpeg", "data": "QUJD"},
    }  # fmt: skip
    assert '"type":"object"' in req["system"]
    with pytest.raises(InvalidInput, match="n must be 1"):
        to_anthropic_request({**body, "n": 3}, "m")
    with pytest.raises(InvalidInput, match="role"):
        to_anthropic_request({"messages": [{"role": "robot", "content": "x"}]}, "m")


def test_response_becomes_an_openai_completion_with_tool_calls_and_usage():
    data = {
        "id": "msg_1",
        "model": "claude-3-5-sonnet-20241022",
        "content": [
            {"type": "text", "text": "Checking."},
            {"type": "tool_use", "id": "toolu_1", "name": "weather", "input": {"city": "Oslo"}},
        ],
        "stop_reason": "tool_use",
        "usage": {"input_tokens": 10, "cache_read_input_tokens": 90, "output_tokens": 7},
    }
    out = from_anthropic_response(data, "claude-3-5-sonnet-latest")
    choice = out["choices"][0]
    assert out["object"] == "chat.completion" and choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] == "Checking."
    call = choice["message"]["tool_calls"][0]
    assert call["id"] == "toolu_1" and orjson.loads(call["function"]["arguments"]) == {
        "city": "Oslo"
    }
    assert out["usage"]["prompt_tokens"] == 100 and out["usage"]["completion_tokens"] == 7
    assert out["usage"]["prompt_tokens_details"]["cached_tokens"] == 90


def test_stream_events_become_openai_chunks():
    tr = AnthropicStreamTranslator(model="claude-x", include_usage=True)
    events = [
        {
            "type": "message_start",
            "message": {"id": "msg_9", "model": "claude-x", "usage": {"input_tokens": 5}},
        },
        {"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}},
        {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Hi"}},
        {
            "type": "content_block_delta",
            "index": 0,
            "delta": {"type": "text_delta", "text": " there"},
        },
        {
            "type": "message_delta",
            "delta": {"stop_reason": "max_tokens"},
            "usage": {"output_tokens": 2},
        },
        {"type": "message_stop"},
    ]
    chunks = [c for e in events for c in tr.feed(e["type"], e)]
    deltas = [c["choices"][0]["delta"] for c in chunks if c["choices"]]
    assert deltas[0] == {"role": "assistant", "content": ""}
    assert "".join(d.get("content", "") for d in deltas) == "Hi there"
    assert chunks[-2]["choices"][0]["finish_reason"] == "length"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["total_tokens"] == 7
    assert all(c["id"] == "msg_9" for c in chunks)


def test_sse_parser_joins_multiline_data_and_skips_comments():
    async def lines():
        for line in [": keepalive", "event: a", 'data: {"x":', "data: 1}", "", "data: [DONE]"]:
            yield line

    async def collect():
        return [pair async for pair in iter_sse(lines())]

    assert asyncio.run(collect()) == [("a", '{"x":\n1}'), ("message", "[DONE]")]
