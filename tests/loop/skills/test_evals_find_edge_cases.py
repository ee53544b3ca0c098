"""find_edge_cases compares the demo dataset with the demo's recent logs."""

from __future__ import annotations

from ._evals_demo import evals_demo, run


def test_gaps_against_recent_logs() -> None:
    d = evals_demo()
    res = run("find_edge_cases", d.ctx(dataset_id=d.summary.dataset_id), days=30)
    data = res.data
    assert data["dataset_rows"] == 50 and data["log_rows"] >= 290
    errors = {e["name"]: e["log_rows"] for e in data["log_errors"]}
    assert errors == d.facts["logs"]["errors"]["by_type"]
    ds_tags = {t for t in d.facts["evals"]["dataset"]["categories"]}
    assert data["uncovered_tags"] and all(t["name"] not in ds_tags for t in data["uncovered_tags"])
    assert {p["name"] for p in data["missing_edge_cases"]} >= {"instruction injection"}
    assert "Errors seen in logs" in res.text and "project_logs('demo-support-bot')" in res.text
