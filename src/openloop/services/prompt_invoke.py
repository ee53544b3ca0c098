"""Running a saved prompt: render it with the caller's input, send one request to the model
through the provider layer, and log the call as an ``llm`` span in the prompt's project.

The model is obtained through one function, :func:`resolve_model` (the provider layer's
resolution + build). Callers may pass another ``resolver`` with the same signature; the API
route takes it from a FastAPI dependency, which is where tests put a pydantic-ai
``FunctionModel``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from openloop.errors import InvalidInput, OpenLoopError
from openloop.evals.prompts import build
from openloop.services.prompts import get_prompt
from openloop.store.data.base import ObjectRef, WriteRequest

if TYPE_CHECKING:
    from pydantic_ai.messages import ModelMessage, ModelResponse
    from pydantic_ai.models import Model, ModelRequestParameters

    from openloop.auth import Principal
    from openloop.services import Services

__all__ = ["ModelResolver", "invoke_prompt", "resolve_model", "stream_prompt"]

logger = logging.getLogger(__name__)

#: ``(svc, principal, model name) -> (pydantic-ai Model, provider kind)``
ModelResolver = Callable[["Services", "Principal", str], "tuple[Model, str]"]

_SETTINGS = {"temperature": "temperature", "max_tokens": "max_tokens", "top_p": "top_p",
             "seed": "seed", "presence_penalty": "presence_penalty",
             "frequency_penalty": "frequency_penalty", "max_completion_tokens": "max_tokens",
             "parallel_tool_calls": "parallel_tool_calls"}  # fmt: skip


def resolve_model(svc: Services, p: Principal, name: str) -> tuple[Model, str]:
    """The org's configured provider for ``name``, as a pydantic-ai model."""
    from openloop.llm.providers import build_model
    from openloop.llm.providers import resolve_model as resolve

    target = resolve(svc.control, p.org_id, name)
    return build_model(target), target.kind


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            str(part.get("text", "")) for part in content
            if isinstance(part, Mapping) and part.get("type", "text") == "text"
        )  # fmt: skip
    return "" if content is None else json.dumps(content)


def _to_model_messages(messages: Sequence[Mapping[str, Any]]) -> list[ModelMessage]:
    from pydantic_ai.messages import (
        ModelRequest,
        ModelResponse,
        SystemPromptPart,
        TextPart,
        ToolCallPart,
        ToolReturnPart,
        UserPromptPart,
    )

    out: list[ModelMessage] = []
    for msg in messages:
        role, content = msg.get("role"), msg.get("content")
        if role in ("system", "developer"):
            out.append(ModelRequest(parts=[SystemPromptPart(content=_text(content))]))
        elif role == "user":
            out.append(ModelRequest(parts=[UserPromptPart(content=_text(content))]))
        elif role == "assistant":
            parts: list[Any] = [TextPart(content=_text(content))] if content else []
            for call in msg.get("tool_calls") or []:
                fn = call.get("function") or {}
                parts.append(ToolCallPart(tool_name=fn.get("name", ""), args=fn.get("arguments"),
                                          tool_call_id=call.get("id") or uuid.uuid4().hex))  # fmt: skip
            out.append(ModelResponse(parts=parts or [TextPart(content="")]))
        elif role == "tool":
            out.append(ModelRequest(parts=[ToolReturnPart(
                tool_name=str(msg.get("name") or "tool"), content=_text(content),
                tool_call_id=str(msg.get("tool_call_id") or ""))]))  # fmt: skip
    return out


def _request_parameters(kwargs: Mapping[str, Any]) -> ModelRequestParameters:
    from pydantic_ai.models import ModelRequestParameters
    from pydantic_ai.output import OutputObjectDefinition
    from pydantic_ai.tools import ToolDefinition

    tools = [
        ToolDefinition(
            name=t["function"]["name"],
            description=t["function"].get("description"),
            parameters_json_schema=t["function"].get("parameters") or {"type": "object"},
        )
        for t in kwargs.get("tools") or []
    ]
    fmt = kwargs.get("response_format") or {}
    if fmt.get("type") == "json_schema":
        spec = fmt["json_schema"]
        output = OutputObjectDefinition(json_schema=spec["schema"], name=spec.get("name"),
                                        strict=spec.get("strict"))  # fmt: skip
        return ModelRequestParameters(function_tools=tools, output_mode="native",
                                      output_object=output)  # fmt: skip
    return ModelRequestParameters(function_tools=tools)


@dataclass
class _Call:
    prompt: dict[str, Any]
    kwargs: dict[str, Any]
    model: Any
    provider: str
    start: float = field(default_factory=time.time)
    output: Any = None
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    usage: dict[str, int] = field(default_factory=dict)
    error: str | None = None


def _prepare(svc: Services, p: Principal, prompt_id: str, input: Any, version: Any,
             resolver: ModelResolver | None) -> _Call:  # fmt: skip
    if not isinstance(input, Mapping):
        raise InvalidInput("input must be an object of template variables")
    prompt = get_prompt(svc, p, prompt_id, version=version)
    kwargs = build(prompt["prompt_data"], input, strict=True)
    model, provider = (resolver or resolve_model)(svc, p, kwargs["model"])
    return _Call(prompt, kwargs, model, provider)


def _settings(kwargs: Mapping[str, Any]) -> dict[str, Any]:
    out = {_SETTINGS[k]: v for k, v in kwargs.items() if k in _SETTINGS}
    if kwargs.get("stop") is not None:
        stop = kwargs["stop"]
        out["stop_sequences"] = [stop] if isinstance(stop, str) else list(stop)
    return out


def _finish(call: _Call, response: ModelResponse) -> None:
    from pydantic_ai.messages import TextPart, ToolCallPart

    text = "".join(p.content for p in response.parts if isinstance(p, TextPart))
    call.tool_calls = [
        {"id": p.tool_call_id, "type": "function",
         "function": {"name": p.tool_name, "arguments": p.args_as_json_str()}}
        for p in response.parts if isinstance(p, ToolCallPart)
    ]  # fmt: skip
    call.output = text
    if (call.kwargs.get("response_format") or {}).get("type") in ("json_schema", "json_object"):
        with contextlib.suppress(ValueError):
            call.output = json.loads(text)
    usage = response.usage
    call.usage = {"prompt_tokens": usage.input_tokens, "completion_tokens": usage.output_tokens,
                  "tokens": usage.input_tokens + usage.output_tokens}  # fmt: skip


def _span_row(call: _Call) -> dict[str, Any]:
    span_id = str(uuid.uuid4())
    prompt = call.prompt
    params = {k: v for k, v in call.kwargs.items() if k not in ("model", "messages")}
    row: dict[str, Any] = {
        "id": span_id, "span_id": span_id, "root_span_id": span_id,
        "input": call.kwargs["messages"],
        "output": call.output if not call.tool_calls else
        {"content": call.output, "tool_calls": call.tool_calls},
        "metadata": {"model": call.kwargs["model"], "provider": call.provider, **params,
                     "prompt": {"id": prompt["id"], "slug": prompt["slug"],
                                "version": prompt["version"], "project_id": prompt["project_id"]}},
        "metrics": {"start": call.start, "end": time.time(), **call.usage},
        "span_attributes": {"name": prompt["slug"] or "prompt", "type": "llm"},
    }  # fmt: skip
    if call.error:
        row["error"] = call.error
    return row


def _log_span(svc: Services, p: Principal, call: _Call) -> str | None:
    """Write the llm span; a logging failure never fails the call."""
    project_id = call.prompt["project_id"]
    row = _span_row(call)
    try:
        ref = ObjectRef(p.org_id, project_id, "project_logs", project_id)
        svc.data.write([WriteRequest(ref=ref, rows=[row])])
    except Exception:
        logger.exception("prompts.invoke span_write_failed prompt=%s", call.prompt["id"])
        return None
    return row["id"]


def _result(call: _Call, span_id: str | None) -> dict[str, Any]:
    out = {"output": call.output, "span_id": span_id, "prompt_id": call.prompt["id"],
           "version": call.prompt["version"], "model": call.kwargs["model"], "usage": call.usage}  # fmt: skip
    if call.tool_calls:
        out["tool_calls"] = call.tool_calls
    return out


def _provider_error(call: _Call, exc: Exception) -> OpenLoopError:
    call.error = f"{type(exc).__name__}: {exc}"
    return OpenLoopError(f"the model call failed: {exc}", status=502, model=call.kwargs["model"])


async def invoke_prompt(
    svc: Services, p: Principal, prompt_id: str, input: Any, *, version: Any = None,
    resolver: ModelResolver | None = None,
) -> dict[str, Any]:  # fmt: skip
    """Render and run a prompt; returns ``{output, tool_calls?, span_id, version, usage}``."""
    from pydantic_ai.direct import model_request

    call = await asyncio.to_thread(_prepare, svc, p, prompt_id, input, version, resolver)
    try:
        response = await model_request(
            call.model, _to_model_messages(call.kwargs["messages"]),
            model_settings=_settings(call.kwargs),  # type: ignore[arg-type]
            model_request_parameters=_request_parameters(call.kwargs),
        )  # fmt: skip
    except Exception as exc:
        error = _provider_error(call, exc)
        await asyncio.to_thread(_log_span, svc, p, call)
        raise error from exc
    _finish(call, response)
    span_id = await asyncio.to_thread(_log_span, svc, p, call)
    logger.info("prompts.invoke id=%s model=%s", prompt_id, call.kwargs["model"])
    return _result(call, span_id)


async def stream_prompt(
    svc: Services, p: Principal, prompt_id: str, input: Any, *, version: Any = None,
    resolver: ModelResolver | None = None,
) -> AsyncIterator[tuple[str, Any]]:  # fmt: skip
    """Like :func:`invoke_prompt`, as events: ``("text_delta", str)`` per chunk, then
    ``("done", result)`` or ``("error", {type, message})``. Bad input raises before the first
    event, so an API can still answer it with a 4xx."""
    from pydantic_ai.direct import model_request_stream
    from pydantic_ai.messages import PartDeltaEvent, PartStartEvent, TextPart, TextPartDelta

    call = await asyncio.to_thread(_prepare, svc, p, prompt_id, input, version, resolver)

    async def events() -> AsyncIterator[tuple[str, Any]]:
        try:
            async with model_request_stream(
                call.model, _to_model_messages(call.kwargs["messages"]),
                model_settings=_settings(call.kwargs),  # type: ignore[arg-type]
                model_request_parameters=_request_parameters(call.kwargs),
            ) as stream:  # fmt: skip
                async for event in stream:
                    if isinstance(event, PartStartEvent) and isinstance(event.part, TextPart):
                        if event.part.content:
                            yield "text_delta", event.part.content
                    elif isinstance(event, PartDeltaEvent) and isinstance(
                        event.delta, TextPartDelta
                    ):
                        yield "text_delta", event.delta.content_delta
                response = stream.get()
        except Exception as exc:
            error = _provider_error(call, exc)
            await asyncio.to_thread(_log_span, svc, p, call)
            yield "error", error.to_dict()
            return
        _finish(call, response)
        span_id = await asyncio.to_thread(_log_span, svc, p, call)
        yield "done", _result(call, span_id)

    return events()
