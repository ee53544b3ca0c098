"""describe_source grounds generation in the real fields and values of a source."""

from __future__ import annotations


def _fields(res) -> dict[str, dict]:
    return {f["path"]: f for f in res.data["fields"]}


def test_logs_fields_with_types_and_top_values(demo) -> None:
    res = demo.run("describe_source")
    fields = _fields(res)
    assert res.data["rows_sampled"] == 200
    assert fields["metadata.model"]["type"] == "string"
    assert {t["value"] for t in fields["metadata.model"]["top"]} <= set(demo.facts["models"])
    assert {t["value"] for t in fields["span_attributes.type"]["top"]} >= {"llm", "tool"}
    assert fields["metrics.prompt_tokens"]["type"] == "integer"
    assert fields["metrics.prompt_tokens"]["min"] > 0
    score = fields["scores.Factuality"]
    assert score["type"] == "number" and 0 <= score["min"] <= score["max"] <= 1
    assert "metadata.user_id (string)" in res.text
    assert "<<<data from project_logs('demo-support-bot')" in res.text


def test_dataset_fields(demo) -> None:
    from openloop.demo import DATASET

    res = demo.run("describe_source", kind="dataset", name=DATASET)
    fields = _fields(res)
    assert res.data["rows_sampled"] == demo.summary.counts["dataset_rows"]
    assert any(p.startswith("input") for p in fields)
    assert any(p.startswith("expected") for p in fields)


def test_dataset_from_the_page(demo) -> None:
    res = demo.run("describe_source", kind="dataset", _page={"dataset_id": demo.summary.dataset_id})
    assert res.data["rows_sampled"] == demo.summary.counts["dataset_rows"]


def test_empty_window_says_so(demo) -> None:
    from openloop.loop.skills.querying import Scope
    from openloop.loop.skills.schema import describe_source

    other = demo.svc.control.create_project(demo.principal.org_id, "empty-project")
    schema = describe_source(Scope(demo.svc, demo.principal, other.id, other.name))
    assert schema.fields == [] and schema.rows_sampled == 0
