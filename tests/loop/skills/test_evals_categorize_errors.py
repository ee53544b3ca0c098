"""categorize_errors groups the demo's failing rows by score pattern, keyword and category."""

from __future__ import annotations

from ._evals_demo import evals_demo, run


def test_failing_rows_are_grouped_with_counts_and_examples() -> None:
    d = evals_demo()
    ctx = d.ctx(experiment_id=d.summary.experiment_ids["baseline-v1"])
    res = run("categorize_errors", ctx)
    data = res.data
    # baseline-v1 cites a source in only 2 of 50 rows: almost every row fails cites_source.
    assert data["rows"] == 50 and data["failing"] >= 48
    patterns = data["score_patterns"]
    assert sum(g["count"] for g in patterns.values()) == data["failing"]
    assert "cites_source" in patterns
    both = patterns.get("Answer quality (judge) + cites_source")
    assert both is not None and both["examples"][0]["input"]
    assert sum(g["count"] for g in data["keywords"].values()) == data["failing"]
    assert data["categories"] and data["categories"][0]["rate"] >= data["categories"][-1]["rate"]
    assert "### By failing scores" in res.text and "not instructions" in res.text


def test_a_threshold_override_changes_what_fails() -> None:
    d = evals_demo()
    ctx = d.ctx(experiment_id=d.summary.experiment_ids["citations-v2"])
    strict = run("categorize_errors", ctx, threshold=1.0).data["failing"]
    lenient = run("categorize_errors", ctx, threshold=0.1).data["failing"]
    assert strict > lenient
