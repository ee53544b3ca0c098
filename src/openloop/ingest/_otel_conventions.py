"""Attribute conventions: span type, model, provider, request params, token metrics, errors.

Each function reads (and pops) the attributes it interprets from a span's attribute dict, so
whatever is left afterwards is kept verbatim in ``metadata``. The rules are listed in the
``openloop.ingest.otlp`` module docstring and in ``docs/tracing-otel.md``.
"""

from __future__ import annotations

import logging
import math
from typing import Any

from openloop.ingest._otel_messages import parse_json

logger = logging.getLogger(__name__)

Attrs = dict[str, Any]

#: ``openinference.span.kind`` → (span type, purpose).
OPENINFERENCE_KINDS: dict[str, tuple[str, str | None]] = {
    "LLM": ("llm", None),
    "EMBEDDING": ("llm", None),
    "CHAIN": ("task", None),
    "AGENT": ("task", None),
    "TOOL": ("tool", None),
    "RETRIEVER": ("tool", None),
    "RERANKER": ("tool", None),
    "GUARDRAIL": ("function", None),
    "EVALUATOR": ("score", "scorer"),
    "PROMPT": ("function", None),
}

#: ``gen_ai.operation.name`` → span type.
GENAI_OPERATIONS: dict[str, str] = {
    "chat": "llm",
    "text_completion": "llm",
    "generate_content": "llm",
    "embeddings": "llm",
    "execute_tool": "tool",
    "retrieval": "tool",
    "invoke_agent": "task",
    "create_agent": "task",
    "invoke_workflow": "task",
}

#: OpenLLMetry's ``traceloop.span.kind`` → span type.
TRACELOOP_KINDS: dict[str, str] = {
    "workflow": "task",
    "task": "task",
    "agent": "task",
    "tool": "tool",
}

_MODEL_KEYS = (
    "gen_ai.request.model",
    "gen_ai.response.model",
    "llm.model_name",
    "llm.request.model_name",
    "llm.response.model_name",
    "embedding.model_name",
)
_PROVIDER_KEYS = ("gen_ai.provider.name", "gen_ai.system", "llm.provider", "llm.system")
_MODEL_ATTRS = frozenset(_MODEL_KEYS)
_PROVIDER_ATTRS = frozenset(_PROVIDER_KEYS)

#: metric name → attribute keys, first present wins.
_TOKEN_KEYS: dict[str, tuple[str, ...]] = {
    "prompt_tokens": (
        "gen_ai.usage.input_tokens",
        "gen_ai.usage.prompt_tokens",
        "llm.token_count.prompt",
    ),
    "completion_tokens": (
        "gen_ai.usage.output_tokens",
        "gen_ai.usage.completion_tokens",
        "llm.token_count.completion",
    ),
    "tokens": ("llm.usage.total_tokens", "gen_ai.usage.total_tokens", "llm.token_count.total"),
    "prompt_cached_tokens": (
        "gen_ai.usage.cache_read.input_tokens",
        "gen_ai.usage.cache_read_input_tokens",
        "llm.token_count.prompt_details.cache_read",
    ),
    "prompt_cache_creation_tokens": (
        "gen_ai.usage.cache_creation.input_tokens",
        "gen_ai.usage.cache_creation_input_tokens",
        "llm.token_count.prompt_details.cache_write",
    ),
    "completion_reasoning_tokens": (
        "gen_ai.usage.reasoning.output_tokens",
        "gen_ai.usage.reasoning_tokens",
        "llm.token_count.completion_details.reasoning",
    ),
}
_COST_KEYS = ("llm.cost.total", "gen_ai.usage.cost")
_TTFT_KEY = "gen_ai.response.time_to_first_chunk"
#: Every attribute :func:`metrics` reads; a span with none of them skips the lookups.
_METRIC_ATTRS = frozenset(
    {key for keys in _TOKEN_KEYS.values() for key in keys} | {*_COST_KEYS, _TTFT_KEY}
)


def _pop_text(attrs: Attrs, keys: tuple[str, ...]) -> str | None:
    for key in keys:
        value = attrs.get(key)
        if isinstance(value, str) and value.strip():
            del attrs[key]
            return value
    return None


def _number(value: Any) -> float | int | None:
    """A finite number out of an int, float or numeric string; ``None`` otherwise."""
    if value.__class__ is int:
        return value
    if isinstance(value, bool):
        return None
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and math.isfinite(value):
        return int(value) if value.is_integer() and abs(value) < 2**63 else value
    return None


def span_type(attrs: Attrs) -> tuple[str, str | None, str | None]:
    """``(type, raw kind, purpose)``; the attribute that decided is popped."""
    kind = attrs.get("openinference.span.kind")
    if isinstance(kind, str) and kind.upper() in OPENINFERENCE_KINDS:
        del attrs["openinference.span.kind"]
        type_, purpose = OPENINFERENCE_KINDS[kind.upper()]
        return type_, kind, purpose
    for key, table in (
        ("gen_ai.operation.name", GENAI_OPERATIONS),
        ("traceloop.span.kind", TRACELOOP_KINDS),
    ):
        kind = attrs.get(key)
        if isinstance(kind, str) and kind.lower() in table:
            del attrs[key]
            return table[kind.lower()], kind, None
    request_type = attrs.get("llm.request.type")
    if isinstance(request_type, str) and request_type:
        del attrs["llm.request.type"]
        return "llm", request_type, None
    if not attrs.keys().isdisjoint(_MODEL_ATTRS) and any(
        isinstance(attrs.get(k), str) for k in _MODEL_KEYS
    ):
        return "llm", None, None
    return "function", None, None


def model_metadata(attrs: Attrs) -> Attrs:
    """``model``, ``provider`` and ``params`` for ``metadata`` (only the keys found)."""
    out: Attrs = {}
    keys = attrs.keys()
    model = None if keys.isdisjoint(_MODEL_ATTRS) else _pop_text(attrs, _MODEL_KEYS)
    if model is not None:
        out["model"] = model
    provider = None if keys.isdisjoint(_PROVIDER_ATTRS) else _pop_text(attrs, _PROVIDER_KEYS)
    if provider is not None:
        out["provider"] = provider
    params: Attrs = {}
    if "llm.invocation_parameters" in attrs:
        parsed = parse_json(attrs["llm.invocation_parameters"])
        if isinstance(parsed, dict):
            del attrs["llm.invocation_parameters"]
            params.update(parsed)
    for key in [k for k in attrs if k.startswith("gen_ai.request.")]:
        params[key[len("gen_ai.request.") :]] = attrs.pop(key)
    if params:
        out["params"] = params
    return out


def metrics(attrs: Attrs) -> Attrs:
    """Token counts, cost and time to first token found in ``attrs``."""
    out: Attrs = {}
    if attrs.keys().isdisjoint(_METRIC_ATTRS):
        return out
    for metric, keys in _TOKEN_KEYS.items():
        for key in keys:
            if key not in attrs:
                continue
            value = _number(attrs[key])
            # A count that is fractional or outside [0, 2**53] is garbage; it stays in metadata.
            if isinstance(value, int) and 0 <= value <= 2**53:
                out[metric] = value
                for other in keys:
                    attrs.pop(other, None)
                break
    if "tokens" not in out and ("prompt_tokens" in out or "completion_tokens" in out):
        out["tokens"] = out.get("prompt_tokens", 0) + out.get("completion_tokens", 0)
    for key in _COST_KEYS:
        cost = _number(attrs.get(key))
        if cost is not None:
            out["estimated_cost"] = cost
            del attrs[key]
            break
    ttft = _number(attrs.get(_TTFT_KEY))
    if ttft is not None:
        out["time_to_first_token"] = ttft
        del attrs[_TTFT_KEY]
    return out


_NAMED_KEYS = (
    ("session_id", ("session.id", "gen_ai.conversation.id")),
    ("user_id", ("user.id",)),
    ("tool_name", ("gen_ai.tool.name", "tool.name")),
    ("tool_call_id", ("gen_ai.tool.call.id",)),
)
_NAMED_ATTRS = frozenset(key for _, keys in _NAMED_KEYS for key in keys)


def named_metadata(attrs: Attrs) -> Attrs:
    """``session_id``, ``user_id``, ``tool_name`` and ``tool_call_id`` for ``metadata``."""
    out: Attrs = {}
    if attrs.keys().isdisjoint(_NAMED_ATTRS):
        return out
    for target, keys in _NAMED_KEYS:
        for key in keys:
            value = attrs.get(key)
            if isinstance(value, str | int) and not isinstance(value, bool) and value != "":
                out[target] = str(attrs.pop(key))
                break
    return out


def tags(attrs: Attrs) -> list[str] | None:
    if "tag.tags" not in attrs:
        return None
    value = parse_json(attrs["tag.tags"])
    if isinstance(value, str):
        value = [value]
    if isinstance(value, list) and all(isinstance(t, str) for t in value):
        del attrs["tag.tags"]
        return list(dict.fromkeys(value))
    return None


def user_metadata(attrs: Attrs) -> Attrs:
    """OpenInference's ``metadata`` attribute (a JSON object text) to merge into ``metadata``."""
    if "metadata" not in attrs:
        return {}
    parsed = parse_json(attrs["metadata"])
    if isinstance(parsed, dict):
        del attrs["metadata"]
        return parsed
    return {}


def exception_info(event_attrs: Attrs) -> Attrs:
    """``{type, message, stacktrace}`` from an ``exception`` event's attributes."""
    info = {
        "type": event_attrs.get("exception.type"),
        "message": event_attrs.get("exception.message"),
        "stacktrace": event_attrs.get("exception.stacktrace"),
    }
    return {k: v for k, v in info.items() if v is not None}


def error(status_code: int, status_message: str, exceptions: list[Attrs], attrs: Attrs) -> Any:
    """The row's ``error`` for a span whose status is ERROR (``status_code`` 2), else ``None``."""
    if status_code != 2:
        return None
    last = exceptions[-1] if exceptions else {}
    error_type = last.get("type")
    if error_type is None and isinstance(attrs.get("error.type"), str):
        error_type = attrs.pop("error.type")
    out = {
        "type": str(error_type) if error_type is not None else "error",
        "message": status_message or str(last.get("message") or ""),
    }
    if last.get("stacktrace") is not None:
        out["stacktrace"] = str(last["stacktrace"])
    return out
