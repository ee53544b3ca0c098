"""The fast path of native ingest: a plain batch decoded straight into columns must give exactly
the columns the general path gives, and anything that is not plain must go the general way."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest

from bench._spans import make_batches
from openloop.ingest.columnar import columns_from_rows, decode_batch, decode_batch_arrow
from openloop.ingest.rows import RowLimits, prepare_row, to_columns
from openloop.model.fields import JSON_FIELDS

LIMITS = RowLimits()


def _varied_rows() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = [dict(r) for r in next(iter(make_batches(40, 40, seed=7)))]
    extra: list[dict[str, Any]] = [
        {"id": "tags", "tags": ["a", "b"], "scores": {"ok": 1, "half": 0.5, "none": None}},
        {"id": "meta", "metadata": {"model": "gpt-4o", "user_id": 42, "session_id": "s",
                                    "provider": "openai", "nested": {"deep": [1, 2]}}},
        {"id": "err-text", "error": "ValueError: bad input"},
        {"id": "err-obj", "error": {"type": "Timeout", "message": "slow"}},
        {"id": "err-tb", "error": "Traceback (most recent call last):\n  x\nKeyError: 'k'"},
        {"id": "created-z", "created": "2026-11-22T02:08:06.5Z"},
        {"id": "created-offset", "created": "2026-11-22T04:08:06+02:00"},
        {"id": "created-naive", "created": "2026-11-22T02:08:06"},
        {"id": "created-secs", "created": 1795313286.25},
        {"id": "created-ms", "created": 1795313286250},
        {"id": 17, "output": None, "expected": {"answer": 3}},
        {"id": "ctx", "context": {"caller": "x"}, "origin": {"id": "o"}, "input": [1, "two"]},
        {"id": "llm-est", "span_attributes": {"type": "llm", "name": "c"},
         "metadata": {"model": "gpt-4o-mini"},
         "metrics": {"prompt_tokens": 1000, "completion_tokens": 200, "prompt_cached_tokens": 10}},
        {"id": "llm-cost", "span_attributes": {"type": "llm"},
         "metrics": {"estimated_cost": 0.5, "tokens": 7, "start": 1.0, "end": 3.5}},
        {"id": "scorer", "span_attributes": {"type": "score", "purpose": "scorer"},
         "metrics": {"estimated_cost": 0.5, "duration": 2, "time_to_first_token": 0.1}},
        {"id": "unicode", "input": "héllo ✓ 😀", "tags": ["ü"]},
        {"id": "nulls", "metadata": None, "input": None, "span_parents": None},
    ]  # fmt: skip
    rows.extend(extra)
    for r in rows:
        r["project_id"], r["log_id"] = "p1", "g"
    return rows


def _general(rows: list[dict[str, Any]]) -> dict[str, Any]:
    return to_columns([prepare_row(r, i, LIMITS) for i, r in enumerate(rows)])


def _body(rows: list[dict[str, Any]]) -> bytes:
    return orjson.dumps({"rows": rows})


def test_plain_batch_gives_the_columns_of_the_general_path() -> None:
    rows = _varied_rows()
    batch = decode_batch(_body(rows), LIMITS, 10_000)
    assert batch is not None
    assert batch.container == {"project_id": "p1", "log_id": "g"}
    assert batch.ids == [str(r["id"]) for r in rows]
    general = _general(rows)
    assert list(batch.columns) == list(general)
    for name, values in general.items():
        got = list(batch.columns[name])
        if name in JSON_FIELDS:
            got = [None if v is None else orjson.loads(v) for v in got]
            values = [None if v is None else orjson.loads(v) for v in values]
        else:
            values = list(values)
        assert got == values, name


def test_rows_without_an_id_get_a_fresh_one() -> None:
    batch = decode_batch(_body([{"project_id": "p"}, {"project_id": "p", "id": ""}]), LIMITS, 9)
    assert batch is not None
    assert len(set(batch.ids)) == 2 and all(len(i) == 36 for i in batch.ids)
    assert list(batch.columns["span_id"]) == batch.ids == list(batch.columns["root_span_id"])


_NOT_PLAIN: dict[str, Any] = {
    "merge": {"_is_merge": True},
    "delete": {"_object_delete": True},
    "merge paths": {"_merge_paths": [["a"]]},
    "unknown key": {"custom_field": 1},
    "comment": {"comment": {"text": "hi"}},
    "span_id not text": {"span_id": 5},
    "metadata not an object": {"metadata": [1]},
    "score out of range": {"scores": {"s": 1.5}},
    "boolean score": {"scores": {"s": True}},
    "metric alias": {"metrics": {"input_tokens": 3}},
    "huge metric": {"metrics": {"x": 1e19}},
    "metric not a number": {"metrics": {"x": "1"}},
    "tags not text": {"tags": [1]},
    "created not RFC 3339": {"created": "22 Nov 2026"},
    "org_id": {"org_id": "other"},
    "deep nesting": {"input": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]},
}  # fmt: skip


@pytest.mark.parametrize("change", list(_NOT_PLAIN), ids=list(_NOT_PLAIN))
def test_batches_that_are_not_plain_take_the_general_path(change: str) -> None:
    rows = [{"id": "a", "project_id": "p"}, {"id": "b", "project_id": "p", **_NOT_PLAIN[change]}]
    limits = RowLimits(max_json_depth=32)
    assert decode_batch(_body(rows[:1]), limits, 10) is not None
    assert decode_batch(_body(rows), limits, 10) is None


@pytest.mark.parametrize(
    "body",
    [
        b'{"rows": [{"id": "a", "project_id": "p"}, {"id": "a", "project_id": "p"}]}',
        b'{"rows": [{"id": "a", "project_id": "p"}, {"id": "b", "project_id": "q"}]}',
        b'{"rows": [{"id": "a", "project_id": "p", "input": "\\ud800"}]}',
        b'{"rows": [{"id": "a", "project_id": "p", "input": "\xff"}]}',
        b'{"rows": []}',
        b'{"rows": {"id": "a"}}',
        b"[1, 2]",
        b'{"rows": [{"id": "a"',
    ],
    ids=["same id twice", "two containers", "surrogate", "bad utf-8", "empty", "not a list",
         "not an object", "truncated"],
)  # fmt: skip
def test_malformed_or_mixed_bodies_take_the_general_path(body: bytes) -> None:
    assert decode_batch(body, LIMITS, 10) is None


def test_limits_send_a_batch_the_general_way() -> None:
    rows = [{"id": str(i), "project_id": "p", "input": "x" * 100} for i in range(3)]
    assert decode_batch(_body(rows), LIMITS, 2) is None  # more rows than allowed
    assert decode_batch(_body(rows), RowLimits(max_field_bytes=50), 10) is None


# -- row dicts built by the server (OTLP spans) --------------------------------------------------


def _otlp_rows() -> list[dict[str, Any]]:
    from bench.ingest import _otlp_payloads
    from openloop.ingest.otlp import decode_request

    bodies = [
        *_otlp_payloads(60, 2),
        (Path(__file__).parent / "otlp_fixtures" / "trace.json").read_bytes(),
        _sdk_spans(),
    ]
    rows = []
    for i, body in enumerate(bodies):
        kind = "application/json" if body.startswith(b"{") else "application/x-protobuf"
        for group in decode_request(body, content_type=kind, max_bytes=1 << 24):
            rows += [{**r, "id": f"{i}-{r['id']}"} for r in group.rows]
    return rows


def _sdk_spans() -> bytes:
    """An LLM call that failed and a tagged tool call, recorded by the OpenTelemetry SDK."""
    from opentelemetry.exporter.otlp.proto.common.trace_encoder import encode_spans
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
    from opentelemetry.trace import Status, StatusCode

    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    tracer = provider.get_tracer("tests")
    with tracer.start_as_current_span("chat gpt-4o") as llm:
        llm.set_attributes({"gen_ai.operation.name": "chat", "gen_ai.request.model": "gpt-4o",
                            "gen_ai.usage.input_tokens": 120, "gen_ai.usage.output_tokens": 9,
                            "gen_ai.input.messages": '[{"role": "user", "content": "hi"}]'})  # fmt: skip
        llm.record_exception(TimeoutError("upstream timed out"))
        llm.set_status(Status(StatusCode.ERROR, "timed out"))
        with tracer.start_as_current_span("lookup") as tool:
            tool.set_attributes({"openinference.span.kind": "TOOL", "tag.tags": ["a", "ü"],
                                 "input.value": '{"q": "weather"}', "input.mime_type": "application/json"})  # fmt: skip
    return bytes(encode_spans(exporter.get_finished_spans()).SerializeToString())


def test_server_built_rows_give_the_columns_of_the_general_path() -> None:
    rows = _otlp_rows()
    assert (
        len(rows) == 123 and any(r.get("error") for r in rows) and any(r.get("tags") for r in rows)
    )
    rows.append({"id": "aliases", "metrics": {"input_tokens": 3, "output_tokens": 4},
                 "span_attributes": {"type": "llm"}, "metadata": {"model": "gpt-4o"},
                 "scores": {"ok": True}, "expected": [1], "context": {"c": 1}, "origin": {"o": 2}})  # fmt: skip
    rows.append(
        {"id": "extra", "custom_field": {"k": 1}}
    )  # kept in ``extra``, as the row path does
    rows.append({"id": "note", "comment": "hi", "origin": {"id": "0-x"}})  # a comment, not a span
    batch = columns_from_rows(rows, LIMITS)
    assert batch is not None
    general = _general(rows)
    assert batch.ids == [r["id"] for r in rows]
    assert list(batch.columns) == list(general)
    for name, values in general.items():
        assert list(batch.columns[name]) == list(values), name  # JSON text byte for byte
    k = batch.ids.index("aliases")
    assert batch.columns["prompt_tokens"][k] == 3 and batch.columns["estimated_cost"][k] > 0


_NOT_PLAIN_ROW: dict[str, Any] = {
    "merge": {"_is_merge": True},
    "delete": {"_object_delete": True},
    "span_id not text": {"span_id": 5},
    "metadata not an object": {"metadata": [1]},
    "metric not a number": {"metrics": {"x": "1"}},
    "non-finite number": {"output": {"x": float("nan")}},
    "score out of range": {"scores": {"s": 1.5}},
    "tags not text": {"tags": [1]},
    "lone surrogate": {"input": "\ud800"},
    "created not a time": {"created": "22 Nov 2026"},
    "field over the limit": {"input": "x" * 200},
    "deep nesting": {"input": [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]},
}  # fmt: skip


@pytest.mark.parametrize("change", list(_NOT_PLAIN_ROW), ids=list(_NOT_PLAIN_ROW))
def test_server_built_rows_that_are_not_plain_go_the_general_way(change: str) -> None:
    rows = [{"id": "a", "input": "ok"}, {"id": "b", **_NOT_PLAIN_ROW[change]}]
    limits = RowLimits(max_field_bytes=100, max_json_depth=32)
    assert columns_from_rows(rows[:1], limits) is not None
    assert columns_from_rows(rows, limits) is None
    assert columns_from_rows([rows[0], {"id": "a"}], limits) is None  # the same id twice
    assert columns_from_rows([], limits) is None


def test_server_built_rows_without_an_id_get_a_fresh_one() -> None:
    batch = columns_from_rows([{"input": "a"}, {"id": "", "input": "b"}], LIMITS)
    assert batch is not None and len(set(batch.ids)) == 2 and all(len(i) == 36 for i in batch.ids)


def test_arrow_columns_store_the_same_rows_as_lists(tmp_path: Path) -> None:
    from openloop.settings import Settings
    from openloop.store.data.base import ObjectRef, WriteRequest
    from openloop.store.data.duckdb import DuckDBStore

    rows = _varied_rows()
    batch = decode_batch(_body(rows), LIMITS, 10_000)
    arrow = decode_batch_arrow(_body(rows), LIMITS, 10_000)
    assert batch is not None and arrow is not None and arrow.ids == batch.ids
    ref = ObjectRef("o", "p1", "project_logs", "p1")
    stored = []
    for name, b in (("lists", batch), ("arrow", arrow)):
        store = DuckDBStore.open(Settings(data_dir=tmp_path / name, load_demo=False))
        try:
            store.write([WriteRequest(ref=ref, rows=(), columns=b)])
            got = store.read(ref)
            assert store.wait_indexed(30)
            found = store.search_ids([ref], "héllo")
            assert len(found) == 1
            drop = ("_xact_id", "_pagination_key")
            stored.append([{k: v for k, v in r.items() if k not in drop} for r in got])
        finally:
            store.close()
    timed = {str(r["id"]) for r in rows if r.get("created") is not None}
    assert len(timed) > 5
    for got in stored:
        for r in got:
            if r["id"] not in timed:  # the time of the write
                assert r.pop("created")
    assert stored[0] == stored[1]
