"""OTLP/HTTP trace decoding, exercised with payloads produced by the real OpenTelemetry SDK."""

from __future__ import annotations

import base64
import gzip
import json
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from google.protobuf import json_format
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
from opentelemetry.proto.trace.v1.trace_pb2 import Span, Status
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import Status as SdkStatus
from opentelemetry.trace import StatusCode

from openloop.errors import InvalidInput, PayloadTooLarge
from openloop.ingest.otlp import decode_request, span_to_row

PB = "application/x-protobuf"
JSON = "application/json"
MAX = 4 * 1024 * 1024
FIXTURES = Path(__file__).parent / "otlp_fixtures"


# -- payload helpers ---------------------------------------------------------------------------


class Recorder:
    """A tracer provider whose finished spans stay in memory."""

    def __init__(self, **resource: Any) -> None:
        self.exporter = InMemorySpanExporter()
        self.provider = TracerProvider(resource=Resource.create(resource))
        self.provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.tracer = self.provider.get_tracer("tests.otlp", "0.1")

    def spans(self) -> tuple[Any, ...]:
        return self.exporter.get_finished_spans()


def protobuf(spans: Any) -> bytes:
    return encode_spans(spans).SerializeToString()


def otlp_json(spans: Any, *, snake_case: bool = False) -> bytes:
    """The OTLP/JSON encoding: like protobuf's JSON mapping, but ids are hex."""
    doc = json_format.MessageToDict(encode_spans(spans), preserving_proto_field_name=snake_case)
    for rs in doc.get("resourceSpans", doc.get("resource_spans", [])):
        for ss in rs.get("scopeSpans", rs.get("scope_spans", [])):
            for span in ss["spans"]:
                for obj in [span, *span.get("links", [])]:
                    for key in list(obj):
                        if key.replace("_", "").lower() in ("traceid", "spanid", "parentspanid"):
                            obj[key] = base64.b64decode(obj[key]).hex()
    return json.dumps(doc).encode()


def decode(body: bytes, content_type: str = PB, **kw: Any) -> list[Any]:
    return decode_request(body, content_type=content_type, max_bytes=kw.pop("max_bytes", MAX), **kw)


def rows_by_name(body: bytes, content_type: str = PB, **kw: Any) -> dict[str, dict[str, Any]]:
    return {
        r["span_attributes"]["name"]: r for g in decode(body, content_type, **kw) for r in g.rows
    }


# -- a realistic agent trace ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def agent_spans() -> tuple[Any, ...]:
    rec = Recorder(
        **{"service.name": "support-bot", "openloop.project": "support", "host.arch": "x"}
    )
    t = rec.tracer
    with t.start_as_current_span("invoke_agent helper") as agent:
        agent.set_attribute("gen_ai.operation.name", "invoke_agent")
        agent.set_attribute("session.id", "sess-1")
        with t.start_as_current_span("chat gpt-4o") as llm:
            llm.set_attributes(
                {
                    "gen_ai.operation.name": "chat",
                    "gen_ai.provider.name": "openai",
                    "gen_ai.request.model": "gpt-4o",
                    "gen_ai.response.model": "gpt-4o-2024-08-06",
                    "gen_ai.request.temperature": 0.2,
                    "gen_ai.request.max_tokens": 256,
                    "gen_ai.usage.input_tokens": 120,
                    "gen_ai.usage.output_tokens": 30,
                    "gen_ai.usage.cache_read.input_tokens": 100,
                    "gen_ai.response.id": "chatcmpl-1",
                    "gen_ai.system_instructions": json.dumps(
                        [{"type": "text", "content": "Be brief."}]
                    ),
                    "gen_ai.input.messages": json.dumps(
                        [
                            {
                                "role": "user",
                                "parts": [{"type": "text", "content": "Weather in Paris?"}],
                            }
                        ]
                    ),
                    "gen_ai.output.messages": json.dumps(
                        [
                            {
                                "role": "assistant",
                                "finish_reason": "tool_call",
                                "parts": [
                                    {
                                        "type": "tool_call",
                                        "id": "call_1",
                                        "name": "weather",
                                        "arguments": {"city": "Paris"},
                                    }
                                ],
                            }
                        ]
                    ),
                }
            )
        with t.start_as_current_span("execute_tool weather") as tool:
            tool.set_attributes(
                {
                    "gen_ai.operation.name": "execute_tool",
                    "gen_ai.tool.name": "weather",
                    "gen_ai.tool.call.id": "call_1",
                    "gen_ai.tool.call.arguments": '{"city": "Paris"}',
                    "gen_ai.tool.call.result": '{"temp_c": 21}',
                }
            )
    return rec.spans()


def test_genai_trace_maps_to_rows(agent_spans: Any) -> None:
    groups = decode(protobuf(agent_spans))
    assert [g.project for g in groups] == ["support"]
    rows = {r["span_attributes"]["name"]: r for r in groups[0].rows}
    agent, llm, tool = (
        rows["invoke_agent helper"],
        rows["chat gpt-4o"],
        rows["execute_tool weather"],
    )

    assert agent["is_root"] and agent["span_parents"] == []
    assert llm["span_parents"] == [agent["span_id"]] == tool["span_parents"]
    assert len({r["root_span_id"] for r in rows.values()}) == 1
    assert agent["root_span_id"] == format(agent_spans[0].context.trace_id, "032x")
    assert llm["id"] == llm["span_id"] == format(agent_spans[0].context.span_id, "016x")

    assert agent["span_attributes"]["type"] == "task"
    assert agent["metadata"]["session_id"] == "sess-1"
    assert llm["span_attributes"] == {
        "name": "chat gpt-4o",
        "type": "llm",
        "kind": "chat",
        "otel_kind": "internal",
    }
    meta = llm["metadata"]
    assert meta["model"] == "gpt-4o" and meta["provider"] == "openai"
    assert meta["params"] == {"temperature": 0.2, "max_tokens": 256}
    assert meta["gen_ai.response.id"] == "chatcmpl-1"  # unconsumed attributes are kept
    assert meta["resource"]["service.name"] == "support-bot"
    assert "host.arch" not in meta["resource"] and "openloop.project" not in meta["resource"]
    assert meta["otel_scope"] == {"name": "tests.otlp", "version": "0.1"}
    m = llm["metrics"]
    assert (m["prompt_tokens"], m["completion_tokens"], m["tokens"]) == (120, 30, 150)
    assert m["prompt_cached_tokens"] == 100
    assert 0 < m["end"] - m["start"] < 60
    assert llm["created"].endswith("Z") and llm["created"].startswith("20")

    assert llm["input"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?"},
    ]
    assert llm["output"] == [
        {
            "role": "assistant",
            "finish_reason": "tool_call",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "weather", "arguments": '{"city":"Paris"}'},
                }
            ],
        }
    ]
    assert tool["span_attributes"]["type"] == "tool"
    assert tool["input"] == {"city": "Paris"} and tool["output"] == {"temp_c": 21}
    assert tool["metadata"]["tool_name"] == "weather"
    assert "error" not in llm and "tags" not in llm
    orjson.dumps(list(rows.values()))  # ready for the store


def test_json_encodings_and_compression_give_the_same_rows(agent_spans: Any) -> None:
    expected = decode(protobuf(agent_spans))
    variants = [
        decode(otlp_json(agent_spans), JSON),
        decode(otlp_json(agent_spans, snake_case=True), "application/json; charset=utf-8"),
        decode(gzip.compress(protobuf(agent_spans)), content_encoding="gzip"),
        decode(gzip.compress(otlp_json(agent_spans)), JSON, content_encoding="GZIP"),
        decode(zlib.compress(protobuf(agent_spans)), content_encoding="deflate"),
        decode(zlib.compress(protobuf(agent_spans), wbits=-15), content_encoding="deflate"),
    ]
    for got in variants:
        assert got == expected


def test_hand_written_otlp_json_fixture() -> None:
    body = (FIXTURES / "trace.json").read_bytes()
    groups = decode(body, JSON)
    assert [g.project for g in groups] == ["docs-demo"]
    (row,) = groups[0].rows
    assert row["root_span_id"] == "5b8efff798038103d269b633813fc60c"
    assert row["span_id"] == "eee19b7ec3c1b174" and row["span_parents"] == ["eee19b7ec3c1b173"]
    assert row["created"] == "2018-12-13T14:51:00.000000Z"
    assert row["metrics"]["end"] - row["metrics"]["start"] == pytest.approx(1.0)
    assert row["metadata"]["model"] == "claude-sonnet-4"
    assert row["metrics"]["tokens"] == 42
    assert row["metadata"]["my.flag"] is True
    assert row["metadata"]["otel_links"] == [
        {"trace_id": "5b8efff798038103d269b633813fc60c", "span_id": "eee19b7ec3c1b170"}
    ]


# -- OpenInference -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def openinference_rows() -> dict[str, dict[str, Any]]:
    rec = Recorder(**{"openloop.project_name": "rag"})
    t = rec.tracer
    with t.start_as_current_span("rag") as chain:
        chain.set_attributes(
            {
                "openinference.span.kind": "CHAIN",
                "input.value": '{"question": "what is otel?"}',
                "input.mime_type": "application/json",
                "output.value": "OpenTelemetry is a standard.",
                "user.id": "u-7",
                "tag.tags": ["beta", "rag"],
                "metadata": '{"experiment": "A", "user_id": "from-metadata"}',
            }
        )
        with t.start_as_current_span("retrieve") as ret:
            ret.set_attributes(
                {
                    "openinference.span.kind": "RETRIEVER",
                    "input.value": "what is otel?",
                    "retrieval.documents.0.document.id": "d1",
                    "retrieval.documents.0.document.content": "OTel is...",
                    "retrieval.documents.0.document.score": 0.9,
                    "retrieval.documents.1.document.id": "d2",
                    "retrieval.documents.1.document.content": "Tracing is...",
                }
            )
        with t.start_as_current_span("embed") as emb:
            emb.set_attributes(
                {
                    "openinference.span.kind": "EMBEDDING",
                    "embedding.model_name": "text-embedding-3-small",
                    "embedding.embeddings.0.embedding.text": "what is otel?",
                    "embedding.embeddings.0.embedding.vector": [0.1] * 64,
                }
            )
        with t.start_as_current_span("ChatCompletion") as llm:
            llm.set_attributes(
                {
                    "openinference.span.kind": "LLM",
                    "llm.model_name": "gpt-4o-mini",
                    "llm.provider": "openai",
                    "llm.invocation_parameters": '{"temperature": 0, "seed": 7}',
                    "llm.token_count.prompt": 50,
                    "llm.token_count.completion": 10,
                    "llm.token_count.total": 60,
                    "llm.token_count.prompt_details.cache_read": 20,
                    "llm.input_messages.0.message.role": "system",
                    "llm.input_messages.0.message.content": "Answer from context.",
                    "llm.input_messages.1.message.role": "user",
                    "llm.input_messages.1.message.contents.0.message_content.type": "text",
                    "llm.input_messages.1.message.contents.0.message_content.text": "what?",
                    "llm.output_messages.0.message.role": "assistant",
                    "llm.output_messages.0.message.content": "A standard.",
                    "input.value": '{"raw": "request"}',
                    "input.mime_type": "application/json",
                }
            )
        with t.start_as_current_span("judge") as judge:
            judge.set_attribute("openinference.span.kind", "EVALUATOR")
        with t.start_as_current_span("guard") as guard:
            guard.set_attribute("openinference.span.kind", "GUARDRAIL")
    return rows_by_name(protobuf(rec.spans()))


def test_openinference_chain(openinference_rows: dict[str, dict[str, Any]]) -> None:
    chain = openinference_rows["rag"]
    assert chain["span_attributes"]["type"] == "task"
    assert chain["span_attributes"]["kind"] == "CHAIN"
    assert chain["input"] == {"question": "what is otel?"}
    assert chain["output"] == "OpenTelemetry is a standard."
    assert chain["tags"] == ["beta", "rag"]
    assert chain["metadata"]["user_id"] == "u-7"
    assert chain["metadata"]["experiment"] == "A"  # the JSON `metadata` attribute is merged...
    assert chain["metadata"]["user_id"] == "u-7"  # ...but the named conventions win


def test_openinference_llm_retriever_embedding(openinference_rows: dict[str, Any]) -> None:
    llm = openinference_rows["ChatCompletion"]
    assert llm["span_attributes"]["type"] == "llm"
    assert llm["metadata"]["model"] == "gpt-4o-mini"
    assert llm["metadata"]["provider"] == "openai"
    assert llm["metadata"]["params"] == {"temperature": 0, "seed": 7}
    assert llm["metrics"]["tokens"] == 60 and llm["metrics"]["prompt_cached_tokens"] == 20
    assert llm["input"] == [
        {"role": "system", "content": "Answer from context."},
        {"role": "user", "content": "what?"},
    ]
    assert llm["output"] == [{"role": "assistant", "content": "A standard."}]
    assert not any(k.startswith(("llm.", "input.")) for k in llm["metadata"])

    ret = openinference_rows["retrieve"]
    assert ret["span_attributes"]["type"] == "tool"
    assert ret["span_attributes"]["kind"] == "RETRIEVER"
    assert ret["input"] == "what is otel?"
    assert ret["output"] == [
        {"id": "d1", "content": "OTel is...", "score": 0.9},
        {"id": "d2", "content": "Tracing is..."},
    ]
    emb = openinference_rows["embed"]
    assert emb["span_attributes"]["type"] == "llm"
    assert emb["metadata"]["model"] == "text-embedding-3-small"
    assert emb["input"] == ["what is otel?"]
    assert "vector" not in json.dumps(emb)

    judge = openinference_rows["judge"]["span_attributes"]
    assert (judge["type"], judge["purpose"]) == ("score", "scorer")
    assert openinference_rows["guard"]["span_attributes"]["type"] == "function"


# -- older conventions: span events and OpenLLMetry indexed attributes --------------------------


def test_event_messages_and_openllmetry_attributes() -> None:
    rec = Recorder()
    t = rec.tracer
    with t.start_as_current_span("events") as span:
        span.set_attribute("gen_ai.system", "anthropic")
        span.set_attribute("gen_ai.request.model", "claude-3-5-haiku")
        span.add_event("gen_ai.system.message", {"content": "You are terse."})
        span.add_event("gen_ai.user.message", {"content": "2+2?"})
        span.add_event("gen_ai.tool.message", {"content": "4", "id": "call_9"})
        span.add_event(
            "gen_ai.choice",
            {"index": 0, "finish_reason": "stop", "message": '{"role":"assistant","content":"4"}'},
        )
        span.add_event("cache.miss", {"key": "k"})
    with t.start_as_current_span("flat choice") as span:
        span.set_attribute("gen_ai.operation.name", "chat")
        span.add_event(
            "gen_ai.choice",
            {"index": 0, "finish_reason": "stop", "message.content": "A protocol.",
             "message.tool_calls": '[{"id": "c1", "name": "look"}]'},
        )  # fmt: skip
    with t.start_as_current_span("openai.chat") as span:
        span.set_attributes(
            {
                "llm.request.type": "chat",
                "gen_ai.system": "openai",
                "gen_ai.request.model": "gpt-4.1",
                "gen_ai.usage.prompt_tokens": 9,
                "gen_ai.usage.completion_tokens": 3,
                "gen_ai.prompt.0.role": "user",
                "gen_ai.prompt.0.content": "hi",
                "gen_ai.completion.0.role": "assistant",
                "gen_ai.completion.0.finish_reason": "tool_calls",
                "gen_ai.completion.0.tool_calls.0.id": "c1",
                "gen_ai.completion.0.tool_calls.0.name": "lookup",
                "gen_ai.completion.0.tool_calls.0.arguments": '{"q": 1}',
                "traceloop.workflow.name": "wf",
            }
        )
    rows = rows_by_name(protobuf(rec.spans()))

    ev = rows["events"]
    assert ev["span_attributes"]["type"] == "llm"
    assert ev["metadata"]["provider"] == "anthropic"
    assert ev["input"] == [
        {"role": "system", "content": "You are terse."},
        {"role": "user", "content": "2+2?"},
        {"role": "tool", "content": 4, "tool_call_id": "call_9"},
    ]
    assert ev["output"] == [{"role": "assistant", "content": "4", "finish_reason": "stop"}]
    assert [e["name"] for e in ev["metadata"]["otel_events"]] == ["cache.miss"]
    assert rows["flat choice"]["output"] == [
        {"role": "assistant", "content": "A protocol.", "finish_reason": "stop",
         "tool_calls": [{"id": "c1", "name": "look"}]},
    ]  # fmt: skip

    ol = rows["openai.chat"]
    assert (ol["span_attributes"]["type"], ol["span_attributes"]["kind"]) == ("llm", "chat")
    assert ol["metrics"]["prompt_tokens"] == 9 and ol["metrics"]["tokens"] == 12
    assert ol["input"] == [{"role": "user", "content": "hi"}]
    assert ol["output"] == [
        {
            "role": "assistant",
            "finish_reason": "tool_calls",
            "tool_calls": [
                {
                    "id": "c1",
                    "type": "function",
                    "function": {"name": "lookup", "arguments": '{"q": 1}'},
                }
            ],
        }
    ]
    assert ol["metadata"]["traceloop.workflow.name"] == "wf"


# -- errors, grouping, bounds --------------------------------------------------------------------


def test_exceptions_become_errors_only_with_error_status() -> None:
    rec = Recorder()
    t = rec.tracer
    with pytest.raises(KeyError), t.start_as_current_span("fails"):
        raise KeyError("missing-key")
    with t.start_as_current_span("recovers") as span:
        try:
            raise TimeoutError("slow upstream")
        except TimeoutError as exc:
            span.record_exception(exc)
    with t.start_as_current_span("status-only") as span:
        span.set_status(SdkStatus(StatusCode.ERROR, "quota exceeded"))
        span.set_attribute("error.type", "RateLimitError")
    rows = rows_by_name(protobuf(rec.spans()))

    err = rows["fails"]["error"]
    assert err["type"] == "KeyError"
    assert "missing-key" in err["message"]
    assert "Traceback" in err["stacktrace"]
    assert "exceptions" not in rows["fails"]["metadata"]

    ok = rows["recovers"]
    assert "error" not in ok
    assert ok["metadata"]["exceptions"][0]["type"] == "TimeoutError"
    assert ok["metadata"]["exceptions"][0]["message"] == "slow upstream"
    assert rows["status-only"]["error"] == {"type": "RateLimitError", "message": "quota exceeded"}


def test_rows_are_grouped_per_resource_with_their_project() -> None:
    recs = [
        Recorder(**{"openloop.project": "alpha"}),
        Recorder(**{"openloop.project": "  beta "}),
        Recorder(**{"service.name": "no-project"}),
    ]
    for i, rec in enumerate(recs):
        for n in range(i + 1):
            with rec.tracer.start_as_current_span(f"s{n}"):
                pass
    spans = [s for rec in recs for s in rec.spans()]
    groups = decode(protobuf(spans))
    assert [(g.project, len(g.rows)) for g in groups] == [("alpha", 1), ("beta", 2), (None, 3)]


def test_long_strings_are_truncated_with_a_marker() -> None:
    rec = Recorder()
    with rec.tracer.start_as_current_span("big") as span:
        span.set_attribute("output.value", "é" * 700_000)  # 1.4 MB of UTF-8
    (row,) = decode(protobuf(rec.spans()))[0].rows
    assert row["output"].endswith("bytes]") and "…[truncated" in row["output"]
    assert len(row["output"].encode()) < 1024 * 1024 + 64


def test_empty_body_is_a_valid_request_with_no_rows() -> None:
    assert decode(b"") == []
    assert decode(b"", JSON) == []
    assert decode(b"{}", JSON) == []
    assert decode(gzip.compress(b""), content_encoding="gzip") == []


# -- bad input -----------------------------------------------------------------------------------


def test_wrong_content_type_or_encoding_is_415(agent_spans: Any) -> None:
    with pytest.raises(InvalidInput) as info:
        decode(protobuf(agent_spans), "text/plain")
    assert info.value.status == 415 and "Content-Type" in info.value.message
    with pytest.raises(InvalidInput) as info:
        decode(protobuf(agent_spans), content_encoding="br")
    assert info.value.status == 415 and "br" in info.value.message


@pytest.mark.parametrize(
    ("body", "content_type", "encoding", "fragment"),
    [
        (b"\xff\x00garbage\x13\x37", PB, None, "protobuf"),
        (b"not json", JSON, None, "JSON"),
        (b'{"resourceSpans": "\xff\xfe"}', JSON, None, "UTF-8: byte 19 (0xff)"),
        (b"[1, 2]", JSON, None, "object"),
        (b'{"resourceSpans": 5}', JSON, None, "resourceSpans"),
        (
            b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"traceId": "W47/95gDgQPSabYzgT/GDA=="}]}]}]}',
            JSON,
            None,
            "hex",
        ),
        (
            b'{"resourceSpans": [{"scopeSpans": [{"spans": [{"spanId": 7}]}]}]}',
            JSON,
            None,
            "spanId",
        ),
        (b"\x1f\x8b\x08\x00garbage", PB, "gzip", "gzip"),
        (gzip.compress(b"x" * 1000)[:-12], PB, "gzip", "truncated"),
    ],
)
def test_malformed_bodies_are_invalid_input(
    body: bytes, content_type: str, encoding: str | None, fragment: str
) -> None:
    with pytest.raises(InvalidInput) as info:
        decode(body, content_type, content_encoding=encoding)
    assert not isinstance(info.value, PayloadTooLarge)
    assert info.value.status == 400
    assert fragment.lower() in info.value.message.lower()


def test_truncated_protobuf_is_invalid_input(agent_spans: Any) -> None:
    body = protobuf(agent_spans)
    with pytest.raises(InvalidInput, match="protobuf"):
        decode(body[: len(body) // 2])


def test_invalid_utf8_in_protobuf_strings_and_non_string_project() -> None:
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    req = ExportTraceServiceRequest()
    rs = req.resource_spans.add()
    rs.scope_spans.add().spans.add(trace_id=b"\x01" * 16, span_id=b"\x02" * 8, name="QQQ")
    body = req.SerializeToString()
    with pytest.raises(InvalidInput, match="UTF-8"):
        decode(body.replace(b"QQQ", b"Q\xffQ"))

    kv = rs.resource.attributes.add(key="openloop.project")
    kv.value.int_value = 7
    with pytest.raises(InvalidInput, match=r"openloop\.project must be a string"):
        decode(req.SerializeToString())


def test_span_with_bad_ids_is_rejected_with_its_location() -> None:
    bad = Span(trace_id=b"\x01" * 16, span_id=b"\x02" * 3, name="x")
    from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
        ExportTraceServiceRequest,
    )

    req = ExportTraceServiceRequest()
    req.resource_spans.add().scope_spans.add().spans.append(bad)
    with pytest.raises(InvalidInput, match=r"spans\[0\]: span_id must be 8 bytes"):
        decode(req.SerializeToString())


def test_gzip_bomb_and_oversized_body_are_413() -> None:
    bomb = gzip.compress(b"\0" * (20 * 1024 * 1024))
    assert len(bomb) < 64 * 1024
    with pytest.raises(PayloadTooLarge) as info:
        decode(bomb, content_encoding="gzip", max_bytes=1024 * 1024)
    assert info.value.status == 413
    with pytest.raises(PayloadTooLarge):
        decode(
            zlib.compress(b"\0" * (4 * 1024 * 1024)), content_encoding="deflate", max_bytes=10_000
        )
    with pytest.raises(PayloadTooLarge):
        decode(b"\0" * 5000, max_bytes=4096)


# -- fuzzing -------------------------------------------------------------------------------------


def _decode_or_invalid(body: bytes, content_type: str, encoding: str | None = None) -> None:
    try:
        groups = decode(body, content_type, content_encoding=encoding, max_bytes=64 * 1024)
    except InvalidInput:
        return
    orjson.dumps([g.rows for g in groups])


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=512), st.sampled_from([PB, JSON]), st.sampled_from([None, "gzip"]))
def test_random_bytes_never_raise_anything_but_invalid_input(
    body: bytes, content_type: str, encoding: str | None
) -> None:
    _decode_or_invalid(body, content_type, encoding)
    if encoding == "gzip":
        _decode_or_invalid(gzip.compress(body), content_type, encoding)


def _mutations(body: bytes) -> Iterator[bytes]:
    for i in range(0, len(body), max(1, len(body) // 40)):
        yield body[:i] + bytes([body[i] ^ 0xA5]) + body[i + 1 :]
        yield body[:i]


def test_mutated_real_payloads_never_raise_anything_but_invalid_input(agent_spans: Any) -> None:
    for body in _mutations(protobuf(agent_spans)):
        _decode_or_invalid(body, PB)
    for body in _mutations(otlp_json(agent_spans)):
        _decode_or_invalid(body, JSON)


_KEYS = st.sampled_from(
    [
        "openinference.span.kind", "gen_ai.operation.name", "gen_ai.request.model",
        "gen_ai.usage.input_tokens", "llm.token_count.total", "gen_ai.input.messages",
        "gen_ai.output.messages", "gen_ai.system_instructions", "llm.input_messages.0.message.role",
        "llm.input_messages.0.message.contents.1.message_content.type", "gen_ai.prompt.0.content",
        "gen_ai.completion.3.tool_calls.0.arguments", "input.value", "input.mime_type",
        "tag.tags", "metadata", "session.id", "llm.invocation_parameters", "error.type",
        "retrieval.documents.0.document.metadata", "gen_ai.request.top_p", "llm.cost.total",
        "gen_ai.tool.call.result", "traceloop.span.kind", "llm.request.type", "x.y",
    ]
)  # fmt: skip
_JSONISH = st.sampled_from(
    ['[{"role":"user","parts":[{"type":"text","content":"a"},{"type":"tool_call_response"}]}]',
     '[{"role":"x","parts":[1, null, {"type":"tool_call","arguments":{"a":[1]}}]}]', "[1,2]",
     '{"a": 1}', "LLM", "chat", "application/json", "12", "NaN", "[\"t\"]", "99999999999999999999"]
)  # fmt: skip


def _any_value(value: Any, av: Any) -> None:
    if isinstance(value, bool):
        av.bool_value = value
    elif isinstance(value, int):
        av.int_value = value
    elif isinstance(value, float):
        av.double_value = value
    elif isinstance(value, str):
        av.string_value = value
    elif isinstance(value, list):
        for item in value:
            _any_value(item, av.array_value.values.add())


_VALUES = st.one_of(
    _JSONISH,
    st.text(max_size=20),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(),
    st.booleans(),
    st.lists(st.one_of(st.text(max_size=5), st.integers(0, 9)), max_size=3),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(_KEYS, _VALUES, max_size=12),
    st.lists(st.tuples(st.sampled_from(["exception", "gen_ai.choice", "gen_ai.user.message", "e"]),
                       st.dictionaries(st.sampled_from(["message", "content", "body", "exception.type"]),
                                       _VALUES, max_size=3)), max_size=3),
    st.integers(0, 2),
)  # fmt: skip
def test_any_attribute_values_map_without_crashing(
    attrs: dict[str, Any], events: list[tuple[str, dict[str, Any]]], status: int
) -> None:
    span = Span(trace_id=b"\x01" * 16, span_id=b"\x02" * 8, name="fuzz", status=Status(code=status))
    for key, value in attrs.items():
        kv = span.attributes.add(key=key)
        _any_value(value, kv.value)
    for name, event_attrs in events:
        ev = span.events.add(name=name)
        for key, value in event_attrs.items():
            _any_value(value, ev.attributes.add(key=key).value)
    row = span_to_row(span, {}, None)
    assert row["span_attributes"]["type"] in {"llm", "task", "tool", "function", "score"}
    metrics = row["metrics"]
    assert all(isinstance(v, int | float) for v in metrics.values())
    assert all(isinstance(v, int) for k, v in metrics.items() if k.endswith("tokens"))
    orjson.dumps(row)


_JSON_LEAF = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=8))
_JSON = st.recursive(
    _JSON_LEAF,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["key", "value", "stringValue", "intValue", "arrayValue", "values",
                             "kvlistValue", "name", "traceId", "spanId", "events", "status",
                             "code", "attributes", "startTimeUnixNano", "x"]),
            inner, max_size=4),
    ),
    max_leaves=12,
)  # fmt: skip


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_JSON, st.sampled_from(["", "0102030405060708", "0" * 32, "zz"]))
def test_json_shaped_like_otlp_never_raises_anything_but_invalid_input(
    span_fields: Any, span_id: str
) -> None:
    span = dict(span_fields) if isinstance(span_fields, dict) else {"attributes": span_fields}
    span.update(traceId="0" * 31 + "1", spanId=span_id)
    doc = {"resourceSpans": [{"resource": span_fields, "scopeSpans": [{"spans": [span]}]}]}
    _decode_or_invalid(json.dumps(doc).encode(), JSON)


# -- the documented exporter setup, against a local stand-in for the route -----------------------


DOC = Path(__file__).parents[2] / "docs" / "tracing-otel.md"


def test_documented_exporter_setup_produces_decodable_requests(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import http.server
    import threading

    import opentelemetry.trace

    received: list[tuple[dict[str, str], bytes]] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append(({k.lower(): v for k, v in self.headers.items()}, body))
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        snippet = DOC.read_text().split("```python\n", 1)[1].split("```", 1)[0]
        assert "http://127.0.0.1:8000/v1/traces" in snippet
        snippet = snippet.replace("127.0.0.1:8000", f"127.0.0.1:{server.server_port}")
        monkeypatch.setattr(opentelemetry.trace, "set_tracer_provider", lambda provider: None)
        namespace: dict[str, Any] = {}
        exec(compile(snippet, str(DOC), "exec"), namespace)
        provider = namespace["provider"]
        with provider.get_tracer("doc").start_as_current_span("hello") as span:
            span.set_attribute("gen_ai.request.model", "gpt-4o")
        provider.shutdown()
    finally:
        server.shutdown()
        server.server_close()
        thread.join()

    ((headers, body),) = received
    assert headers["authorization"] == "Bearer <key>"
    assert headers["x-openloop-project"] == "my-project"
    groups = decode(body, headers["content-type"], content_encoding=headers.get("content-encoding"))
    (row,) = groups[0].rows
    assert groups[0].project is None  # the header names the project here
    assert row["span_attributes"]["name"] == "hello" and row["metadata"]["model"] == "gpt-4o"
    assert row["metadata"]["resource"]["service.name"] == "my-app"
