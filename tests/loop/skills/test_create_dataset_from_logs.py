"""create_dataset_from_logs: the approval preview counts and samples; running creates rows
with origins back to the spans."""

from __future__ import annotations

import pytest


def _spec():
    from openloop.loop.tools.base import get_tool

    return get_tool("create_dataset_from_logs")


def test_preview_then_run_creates_the_dataset(demo) -> None:
    from openloop.services import datasets

    spec = _spec()
    assert spec.kind == "write"
    args = spec.args(dataset="errors-two-weeks", filter="error IS NOT NULL", days=15)
    card = spec.preview(demo.ctx(), args)
    errors = demo.facts["errors"]["traces"]
    assert card.description == (f"Add {errors} rows from the logs of 'demo-support-bot' to new "
                                 "dataset 'errors-two-weeks'")  # fmt: skip
    assert card.preview["new"] is True and len(card.preview["sample"]) == 3
    assert not [
        d for d in datasets.list_datasets(demo.svc, demo.principal) if d.name == "errors-two-weeks"
    ]

    res = spec.run(demo.ctx(), args)
    assert res.data["created"] is True and res.data["rows"] == errors
    rows = datasets.read_rows(demo.svc, demo.principal, res.data["dataset_id"])["rows"]
    assert len(rows) == errors
    assert all(r["origin"]["object_type"] == "project_logs" for r in rows)
    assert all(r["origin"]["object_id"] == demo.project_id for r in rows)


def test_add_span_ids_to_an_existing_dataset(demo) -> None:
    from openloop.services import datasets

    spec = _spec()
    ids = demo.facts["slow_traces"]["ids"][:2]
    first = spec.run(demo.ctx(), spec.args(dataset="slow-ones", span_ids=ids[:1]))
    assert first.data["created"] is True
    card = spec.preview(demo.ctx(), spec.args(dataset="slow-ones", span_ids=ids[1:]))
    assert "existing dataset 'slow-ones'" in card.description
    again = spec.run(demo.ctx(), spec.args(dataset="slow-ones", span_ids=ids[1:]))
    assert again.data["created"] is False and again.data["dataset_id"] == first.data["dataset_id"]
    rows = datasets.read_rows(demo.svc, demo.principal, first.data["dataset_id"])["rows"]
    assert sorted(r["origin"]["id"] for r in rows) == sorted(ids)


def test_limit_bounds_the_rows(demo) -> None:
    spec = _spec()
    card = spec.preview(demo.ctx(), spec.args(dataset="llm-sample", filter="span_attributes.type = 'llm'",
                                              roots_only=False, limit=25))  # fmt: skip
    assert card.preview["rows"] == 25


def test_bad_filter_asks_the_model_to_retry(demo) -> None:
    from pydantic_ai import ModelRetry

    spec = _spec()
    with pytest.raises(ModelRetry, match="did you mean 'metadata'"):
        spec.preview(demo.ctx(), spec.args(dataset="x", filter="metadta.user_id = 'u_1042'"))
