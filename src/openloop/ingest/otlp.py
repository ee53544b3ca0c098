"""OpenTelemetry trace export requests (OTLP/HTTP) → OpenLoop rows.

:func:`decode_request` takes the body of ``POST /v1/traces`` (protobuf or OTLP/JSON, optionally
gzip/deflate) and returns the spans as Braintrust-style rows, grouped per resource. It is pure:
no I/O, no store; the route authenticates, picks the project and writes the rows.

Project: the resource attribute ``openloop.project`` (alias ``openloop.project_name``) names the
project of that resource's spans; ``None`` means "use the ``x-openloop-project`` header".

Row mapping (first matching attribute wins; every attribute used here is consumed, all others are
kept verbatim, dotted key and all, in ``metadata``):

============================  ==================================================================
row field                     from
============================  ==================================================================
id, span_id                   hex span id
root_span_id                  hex **trace** id (all spans of a trace share it; Braintrust uses
                              the root's span id, OTel spans do not know it up front)
span_parents, is_root         ``[hex parent span id]`` / ``[]``; ``is_root`` when no parent
created                       start time as ISO-8601 UTC (end time, then "now", if unset)
metrics.start / end           start / end time, unix seconds (float)
span_attributes.name          span name
span_attributes.type          ``openinference.span.kind``: LLM, EMBEDDING → llm; CHAIN, AGENT →
                              task; TOOL, RETRIEVER, RERANKER → tool; EVALUATOR → score (with
                              ``purpose: scorer``); GUARDRAIL, PROMPT → function.
                              Else ``gen_ai.operation.name``: chat, text_completion,
                              generate_content, embeddings → llm; execute_tool, retrieval → tool;
                              invoke_agent, create_agent, invoke_workflow → task.
                              Else ``traceloop.span.kind`` (workflow/task/agent → task, tool →
                              tool), else ``llm.request.type`` → llm, else llm when a model
                              attribute is present, else function
span_attributes.kind          the raw value that decided the type (``RETRIEVER``, ``chat``...)
span_attributes.otel_kind     OTel SpanKind: internal, server, client, producer, consumer
metadata.model                gen_ai.request.model, gen_ai.response.model, llm.model_name,
                              llm.request.model_name, llm.response.model_name,
                              embedding.model_name
metadata.provider             gen_ai.provider.name, gen_ai.system, llm.provider, llm.system
metadata.params               every ``gen_ai.request.*`` but model (key = suffix), merged over
                              ``llm.invocation_parameters`` (JSON object)
metrics.prompt_tokens         gen_ai.usage.input_tokens, gen_ai.usage.prompt_tokens,
                              llm.token_count.prompt
metrics.completion_tokens     gen_ai.usage.output_tokens, gen_ai.usage.completion_tokens,
                              llm.token_count.completion
metrics.tokens                llm.usage.total_tokens, gen_ai.usage.total_tokens,
                              llm.token_count.total, else prompt + completion
metrics.prompt_cached_tokens  gen_ai.usage.cache_read.input_tokens (and ``_read_input_tokens``),
                              llm.token_count.prompt_details.cache_read
metrics.prompt_cache_creation_tokens  gen_ai.usage.cache_creation.input_tokens,
                              llm.token_count.prompt_details.cache_write
metrics.completion_reasoning_tokens  gen_ai.usage.reasoning.output_tokens,
                              llm.token_count.completion_details.reasoning
metrics.estimated_cost        llm.cost.total, gen_ai.usage.cost
metrics.time_to_first_token   gen_ai.response.time_to_first_chunk
input                         gen_ai.system_instructions + gen_ai.input.messages; else
                              llm.input_messages.N.message.*; else gen_ai.prompt.N.*; else
                              gen_ai.{system,user,assistant,tool}.message events; else
                              llm.prompts.N.prompt.text; gen_ai.tool.call.arguments;
                              gen_ai.retrieval.query.text; embedding.embeddings.N.embedding.text;
                              input.value (parsed when input.mime_type is JSON); gen_ai.prompt
output                        gen_ai.output.messages; else llm.output_messages.N.message.*; else
                              gen_ai.completion.N.*; else gen_ai.choice events; else
                              llm.choices.N.completion.text; gen_ai.tool.call.result;
                              retrieval.documents.N.document.* / gen_ai.retrieval.documents;
                              output.value (parsed when JSON); gen_ai.completion
error                         status ERROR → ``{type, message, stacktrace}``: type from the last
                              ``exception`` event (else ``error.type``, else "error"), message =
                              status message or exception.message
metadata.exceptions           ``exception`` events ``{type, message, stacktrace}`` when the status
                              is not ERROR (handled, not a failure), or all when there are several
metadata.session_id/user_id   session.id or gen_ai.conversation.id / user.id
metadata.tool_name            gen_ai.tool.name, tool.name; metadata.tool_call_id from
                              gen_ai.tool.call.id
tags                          tag.tags (list or JSON list of strings)
metadata (merged)             OpenInference ``metadata`` (JSON object); the named keys above win
metadata.resource             resource attributes in :data:`RESOURCE_KEYS` only
metadata.otel_scope           ``{name, version, attributes}`` of the instrumentation scope
metadata.otel_events          other span events ``{name, time, attributes}`` (first 64)
metadata.otel_links           span links ``{trace_id, span_id}`` (first 32)
============================  ==================================================================

Messages are OpenAI-style chat messages (see ``_otel_messages``); when several forms are present
the first one listed wins and the others are dropped as duplicates. Embedding vectors are
dropped. Any string value over 1 MiB is cut with a ``…[truncated N bytes]`` marker.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from openloop.errors import InvalidInput
from openloop.ingest import _otel_conventions as conv
from openloop.ingest._otel_decode import SAFE_STRING_CHARS, attributes, parse_request, truncate
from openloop.ingest._otel_messages import span_io

__all__ = ["PROJECT_KEYS", "RESOURCE_KEYS", "OtlpSpanRows", "decode_request", "span_to_row"]

logger = logging.getLogger(__name__)

#: Resource attributes naming the project, in order of preference.
PROJECT_KEYS: tuple[str, ...] = ("openloop.project", "openloop.project_name")

#: Resource attributes copied to ``metadata.resource`` (the rest describe the host and are
#: dropped to keep every row small).
RESOURCE_KEYS: frozenset[str] = frozenset(
    {
        "service.name",
        "service.namespace",
        "service.version",
        "service.instance.id",
        "deployment.environment",
        "deployment.environment.name",
        "telemetry.sdk.name",
        "telemetry.sdk.language",
        "telemetry.sdk.version",
        "host.name",
        "process.runtime.name",
        "process.runtime.version",
    }
)

_MAX_EVENTS = 64
_MAX_LINKS = 32
_SPAN_KINDS = {1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}


@dataclass
class OtlpSpanRows:
    """The rows of one OTLP resource. ``project`` is the resource's project name, if it names one."""

    project: str | None
    rows: list[dict[str, Any]] = field(default_factory=list)


def decode_request(
    body: bytes, *, content_type: str, content_encoding: str | None = None, max_bytes: int
) -> list[OtlpSpanRows]:
    """Decode an OTLP/HTTP trace export into rows grouped per resource.

    ``max_bytes`` caps the body both as sent and after decompression. An empty body is a valid
    request with no spans. Raises :class:`~openloop.errors.InvalidInput` (status 415 for an
    unsupported content type or encoding) or :class:`~openloop.errors.PayloadTooLarge`.

    >>> decode_request(b"", content_type="application/x-protobuf", max_bytes=1024)
    []
    """
    request = parse_request(
        body, content_type=content_type, content_encoding=content_encoding, max_bytes=max_bytes
    )
    out: list[OtlpSpanRows] = []
    spans = 0
    for i, resource_spans in enumerate(request.resource_spans):
        resource_attrs = attributes(resource_spans.resource.attributes)
        project = _project(resource_attrs, f"resourceSpans[{i}]")
        resource = _resource(resource_attrs)
        rows = []
        for j, scope_spans in enumerate(resource_spans.scope_spans):
            scope_info = _scope(scope_spans.scope)
            for k, span in enumerate(scope_spans.spans):
                try:
                    rows.append(_span_row(span, resource, scope_info))
                except InvalidInput as exc:
                    where = f"resourceSpans[{i}].scopeSpans[{j}].spans[{k}]"
                    raise InvalidInput(f"{where}: {exc.message}", status=exc.status) from exc
        if rows:
            spans += len(rows)
            out.append(OtlpSpanRows(project=project, rows=rows))
    logger.info("ingest.otlp resources=%d spans=%d bytes=%d", len(out), spans, len(body))
    return out


def _project(resource_attrs: dict[str, Any], where: str) -> str | None:
    for key in PROJECT_KEYS:
        if key in resource_attrs:
            value = resource_attrs[key]
            if not isinstance(value, str):
                raise InvalidInput(f"{where}: resource attribute {key} must be a string")
            if value.strip():
                return value.strip()
    return None


def _hex_id(raw: bytes, size: int, name: str) -> str:
    if len(raw) != size:
        raise InvalidInput(f"{name} must be {size} bytes, got {len(raw)}")
    return raw.hex()


# ISO text of whole seconds, cached: the spans of one export mostly share a few seconds.
_SECOND_TEXT: dict[int, str] = {}
_NAIVE_EPOCH = datetime(1970, 1, 1)


def _iso(nanos: int) -> str:
    """Unix nanoseconds → ``YYYY-MM-DDTHH:MM:SS.ffffffZ``."""
    seconds, rest = divmod(nanos, 1_000_000_000)
    head = _SECOND_TEXT.get(seconds)
    if head is None:
        if len(_SECOND_TEXT) >= 4096:
            _SECOND_TEXT.clear()
        head = (_NAIVE_EPOCH + timedelta(seconds=seconds)).isoformat(timespec="seconds")
        _SECOND_TEXT[seconds] = head
    return f"{head}.{rest // 1000:06d}Z"


def _resource(resource_attrs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in resource_attrs.items() if k in RESOURCE_KEYS}


def span_to_row(span: Any, resource_attrs: dict[str, Any], scope: Any) -> dict[str, Any]:
    """One OTLP ``Span`` (protobuf message) → one row dict. See the module docstring."""
    return _span_row(span, _resource(resource_attrs), _scope(scope))


def _span_row(span: Any, resource: dict[str, Any], scope_info: dict[str, Any]) -> dict[str, Any]:
    """:func:`span_to_row` with the resource's kept attributes and the scope's description
    worked out once per resource and scope (the rows share those two dicts; nothing mutates
    them)."""
    trace_id = span.trace_id
    if len(trace_id) != 16:
        _hex_id(trace_id, 16, "trace_id")
    raw_span_id = span.span_id
    if len(raw_span_id) != 8:
        _hex_id(raw_span_id, 8, "span_id")
    span_id = raw_span_id.hex()
    parent = span.parent_span_id
    if parent and len(parent) != 8:
        _hex_id(parent, 8, "parent_span_id")
    parents = [parent.hex()] if parent else []

    attrs = attributes(span.attributes)
    events: list[dict[str, Any]] = []
    exceptions: list[dict[str, Any]] = []
    if span.events:
        for e in span.events:
            name = truncate(e.name)
            event_attrs = attributes(e.attributes)
            if name == "exception":
                exceptions.append(conv.exception_info(event_attrs))
            else:
                events.append(
                    {"name": name, "time": _iso(e.time_unix_nano), "attributes": event_attrs}
                )

    type_, kind, purpose = conv.span_type(attrs)
    model = conv.model_metadata(attrs)
    metrics = conv.metrics(attrs)
    named = conv.named_metadata(attrs)
    tags = conv.tags(attrs)
    user_meta = conv.user_metadata(attrs)
    input_, output = span_io(attrs, events)
    status = span.status
    error = (
        conv.error(status.code, truncate(status.message), exceptions, attrs)
        if status.code == 2
        else None
    )

    start, end = span.start_time_unix_nano, span.end_time_unix_nano
    if start:
        metrics["start"] = start / 1e9
    if end:
        metrics["end"] = end / 1e9
    created = _iso(start or end or time.time_ns())

    # What is left of the attributes, then the named keys over it (attrs is ours to reuse).
    metadata: dict[str, Any] = {**attrs, **user_meta} if user_meta else attrs
    metadata.update(model)
    metadata.update(named)
    if resource:
        metadata["resource"] = resource
    if scope_info:
        metadata["otel_scope"] = scope_info
    if exceptions and (error is None or len(exceptions) > 1):
        metadata["exceptions"] = exceptions
    if events:
        metadata["otel_events"] = events[:_MAX_EVENTS]
    if span.links:
        metadata["otel_links"] = [
            {"trace_id": link.trace_id.hex(), "span_id": link.span_id.hex()}
            for link in list(span.links)[:_MAX_LINKS]
        ]

    name = span.name
    span_attributes: dict[str, Any] = {
        "name": name if len(name) <= SAFE_STRING_CHARS else truncate(name),
        "type": type_,
    }
    if kind is not None:
        span_attributes["kind"] = kind
    if purpose is not None:
        span_attributes["purpose"] = purpose
    otel_kind = _SPAN_KINDS.get(span.kind)
    if otel_kind is not None:
        span_attributes["otel_kind"] = otel_kind

    row: dict[str, Any] = {
        "id": span_id,
        "span_id": span_id,
        "root_span_id": trace_id.hex(),
        "span_parents": parents,
        "is_root": not parents,
        "created": created,
        "span_attributes": span_attributes,
        "metadata": metadata,
        "metrics": metrics,
    }
    if input_ is not None:
        row["input"] = input_
    if output is not None:
        row["output"] = output
    if error is not None:
        row["error"] = error
    if tags:
        row["tags"] = tags
    return row


def _scope(scope: Any) -> dict[str, Any]:
    if scope is None:
        return {}
    info: dict[str, Any] = {}
    if scope.name:
        info["name"] = truncate(scope.name)
    if scope.version:
        info["version"] = truncate(scope.version)
    scope_attrs = attributes(scope.attributes)
    if scope_attrs:
        info["attributes"] = scope_attrs
    return info
