"""Native row validation, normalization and hot-column extraction."""

from __future__ import annotations

import math
from typing import Any

import orjson
import pytest

from openloop.errors import InvalidInput, PayloadTooLarge
from openloop.ingest.rows import (
    IncomingRow,
    RowLimits,
    deep_merge,
    error_type,
    parse_created,
    prepare_row,
    to_columns,
)

LIMITS = RowLimits(max_field_bytes=1024, max_json_depth=8)


def columns_of(row: dict[str, Any]) -> dict[str, Any]:
    prepared = prepare_row(row, 0, LIMITS)
    prepared.created = prepared.created or 0
    return {name: values[0] for name, values in to_columns([prepared]).items()}


def test_missing_id_gets_a_uuid_and_control_keys_are_not_stored() -> None:
    row = prepare_row(
        {"input": "x", "_is_merge": True, "_xact_id": 5, "project_id": "p"}, 3, LIMITS
    )
    assert len(row.id) == 36 and row.is_merge and row.index == 3
    assert row.fields == {"input": "x"}


@pytest.mark.parametrize(
    ("row", "field"),
    [
        ({"scores": [1]}, "scores"),
        ({"scores": {"a": 2}}, "scores.a"),
        ({"scores": {"a": "0.5"}}, "scores.a"),
        ({"tags": "t"}, "tags"),
        ({"tags": ["ok", 3]}, "tags"),
        ({"span_parents": "p"}, "span_parents"),
        ({"metadata": [1]}, "metadata"),
        ({"metrics": {"tokens": "12"}}, "metrics.tokens"),
        ({"metrics": {"start": math.inf}}, "metrics.start"),
        ({"span_id": 5}, "span_id"),
        ({"id": 1.5}, "id"),
        ({"created": "yesterday"}, "created"),
        ({"output": {"v": [1, 2, math.nan]}}, "output"),
        ({"input": {"a": {"b": {"c": {"d": {"e": {"f": {"g": {"h": 1}}}}}}}}}, "input"),
        ({"expected": {1, 2}}, "expected"),
        ({"metrics": {"tokens": 10**30}}, "metrics.tokens"),
        ({"created": 1e300}, "created"),
        ({"id": "bad\ud800"}, "id"),
        ({"tags": ["ok", "\udfff"]}, "tags"),
        ({"input": "lone \ud800 surrogate"}, "input"),
    ],
)
def test_bad_fields_are_rejected_by_name(row: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidInput) as info:
        prepare_row(row, 0, LIMITS)
    assert field in info.value.message


def test_oversized_field_is_payload_too_large() -> None:
    with pytest.raises(PayloadTooLarge) as info:
        prepare_row({"output": "x" * 2000}, 0, LIMITS)
    assert "output" in info.value.message and info.value.status == 413


def test_deep_but_allowed_nesting_and_nulls_pass() -> None:
    ok = {"a": {"b": {"c": {"d": {"e": {"f": None}}}}}}
    assert prepare_row({"metadata": ok}, 0, LIMITS).fields["metadata"] == ok


def test_scores_accept_bools_and_null() -> None:
    row = prepare_row({"scores": {"a": True, "b": False, "c": None, "d": 1}}, 0, LIMITS)
    assert row.fields["scores"] == {"a": 1.0, "b": 0.0, "c": None, "d": 1.0}


def test_otel_token_names_become_canonical() -> None:
    row = prepare_row(
        {"metrics": {"input_tokens": 3, "output_tokens": 4, "total_tokens": 7}}, 0, LIMITS
    )
    assert row.fields["metrics"] == {"prompt_tokens": 3, "completion_tokens": 4, "tokens": 7}
    both = prepare_row({"metrics": {"prompt_tokens": 1, "input_tokens": 9}}, 0, LIMITS)
    assert both.fields["metrics"] == {"prompt_tokens": 1}


@pytest.mark.parametrize(
    ("value", "micros"),
    [
        ("2024-01-02T03:04:05Z", 1704164645000000),
        ("2024-01-02T03:04:05.5+00:00", 1704164645500000),
        ("2024-01-02T04:04:05+01:00", 1704164645000000),
        (1704164645, 1704164645000000),
        (1704164645.25, 1704164645250000),
        (1704164645000, 1704164645000000),
    ],
)
def test_created_accepts_iso_and_epoch(value: Any, micros: int) -> None:
    assert parse_created(value) == micros


def test_hot_columns_from_an_llm_span() -> None:
    cols = columns_of(
        {
            "id": "s",
            "span_parents": ["p"],
            "span_attributes": {"type": "llm", "name": "chat", "purpose": None},
            "metadata": {
                "model": "claude-3-5-sonnet-20241022",
                "provider": "anthropic",
                "user_id": 42,
                "session_id": "sess",
            },
            "metrics": {
                "start": 1.0,
                "end": 3.0,
                "prompt_tokens": 1000,
                "completion_tokens": 100,
                "prompt_cached_tokens": 400,
                "time_to_first_token": 0.2,
            },
            "tags": ["a"],
            "scores": {"x": 0.5},
            "comment": "lifted",
        }
    )
    assert cols["is_root"] is False and cols["root_span_id"] == "s"
    assert (cols["span_type"], cols["span_name"], cols["model"]) == (
        "llm", "chat", "claude-3-5-sonnet-20241022")  # fmt: skip
    assert cols["user_id"] == "42" and cols["session_id"] == "sess"
    assert cols["total_tokens"] == 1100 and cols["prompt_cached_tokens"] == 400
    expected = (600 * 3.0 + 400 * 0.30 + 100 * 15.0) / 1e6
    assert math.isclose(cols["estimated_cost"], expected)
    assert cols["duration"] == 2.0 and cols["time_to_first_token"] == 0.2
    assert cols["has_error"] is False and cols["error_type"] is None
    assert cols["scores"] == [("x", 0.5)]
    assert orjson.loads(cols["extra"]) == {"comment": "lifted"}
    assert orjson.loads(cols["metrics"])["prompt_tokens"] == 1000


def test_cost_override_unknown_model_and_non_llm_spans() -> None:
    given = columns_of({"span_attributes": {"type": "llm"}, "metrics": {"estimated_cost": 0.5}})
    assert given["estimated_cost"] == 0.5
    unknown = columns_of({"span_attributes": {"type": "llm"}, "metadata": {"model": "mine"},
                          "metrics": {"prompt_tokens": 5}})  # fmt: skip
    assert unknown["estimated_cost"] is None
    task = columns_of({"span_attributes": {"type": "task"}, "metadata": {"model": "gpt-4o"},
                       "metrics": {"prompt_tokens": 5}})  # fmt: skip
    assert task["estimated_cost"] is None and task["total_tokens"] == 5
    assert columns_of({"metrics": {"tokens": 9, "prompt_tokens": 1}})["total_tokens"] == 9


@pytest.mark.parametrize(
    ("error", "kind"),
    [
        ("ValueError: bad value", "ValueError"),
        ("openai.RateLimitError: slow down", "openai.RateLimitError"),
        ("Traceback (most recent call last):\n  File x\nKeyError: 'k'\n", "KeyError"),
        ("something went wrong", None),
        ("it failed: because of reasons", None),
        ({"type": "Timeout", "message": "m"}, "Timeout"),
        ({"message": "m"}, None),
    ],
)
def test_error_type(error: Any, kind: str | None) -> None:
    assert error_type(error) == kind
    assert columns_of({"error": error})["has_error"] is True


def test_deep_merge_merges_objects_and_replaces_the_rest() -> None:
    base = {"m": {"a": 1, "n": {"x": 1}}, "l": [1], "s": "old"}
    merged = deep_merge(base, {"m": {"n": {"y": 2}}, "l": [2], "s": None})
    assert merged == {"m": {"a": 1, "n": {"x": 1, "y": 2}}, "l": [2], "s": None}
    assert base["m"]["n"] == {"x": 1}
    assert deep_merge(base, {"m": {"n": {"y": 2}}}, [("m", "n")])["m"]["n"] == {"y": 2}


def test_deleted_rows_have_empty_hot_columns() -> None:
    row = IncomingRow(0, "gone", is_delete=True, created=1)
    cols = {k: v[0] for k, v in to_columns([row]).items()}
    assert cols["_object_delete"] is True and cols["has_error"] is False
    assert cols["model"] is None and cols["input"] is None
