"""Scripted models for Loop tests: a pydantic-ai FunctionModel at the provider boundary.

``scripted(fn)`` takes ``fn(messages, info) -> ModelResponse`` and serves it both whole and
streamed (text in small chunks, tool calls as deltas), which is what Loop's runner uses.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, FunctionModel

Script = Callable[[list[ModelMessage], AgentInfo], ModelResponse]


def scripted(fn: Script, name: str = "scripted") -> FunctionModel:
    async def stream(messages: list[ModelMessage], info: AgentInfo):
        resp = fn(messages, info)
        for i, part in enumerate(resp.parts):
            if isinstance(part, TextPart):
                words = part.content.split(" ")
                for j, w in enumerate(words):
                    yield w if j == len(words) - 1 else w + " "
            elif isinstance(part, ToolCallPart):
                args = part.args if isinstance(part.args, str) else json.dumps(part.args)
                yield {i: DeltaToolCall(part.tool_name, args, tool_call_id=part.tool_call_id)}

    return FunctionModel(fn, stream_function=stream, model_name=name)


def text(content: str) -> ModelResponse:
    return ModelResponse(parts=[TextPart(content)])


def call(tool: str, args: dict[str, Any] | None = None, say: str = "") -> ModelResponse:
    parts: list[Any] = [TextPart(say)] if say else []
    parts.append(ToolCallPart(tool, args or {}))
    return ModelResponse(parts=parts)


def returns(messages: list[ModelMessage]) -> list[ToolReturnPart]:
    """Tool returns in the last request (what the model just got back)."""
    last = messages[-1]
    if not isinstance(last, ModelRequest):
        return []
    return [p for p in last.parts if isinstance(p, ToolReturnPart)]


def last_user(messages: list[ModelMessage]) -> str:
    for m in reversed(messages):
        if isinstance(m, ModelRequest):
            for p in m.parts:
                if isinstance(p, UserPromptPart) and isinstance(p.content, str):
                    return p.content
    return ""


def tool_names(info: AgentInfo) -> list[str]:
    return [t.name for t in info.function_tools]
