"""/fix repairs each common error class; the fixed query compiles and runs."""

from __future__ import annotations

import pytest

P = "project_logs('demo-support-bot')"
W = "created > now() - interval 7 day"

CASES = [
    (f"select: id | from: {P} | filter: metadta.model = 'gpt-4o' AND {W}",
     "metadata.model = 'gpt-4o'", "unknown field `metadta` → `metadata`"),
    (f"SELECT id FROM {P} WHERE tags INCLUDES 'billing' AND {W}",
     "'billing' IN tags", "INCLUDES is BTQL-only"),
    (f"SELECT id FROM {P} WHERE output INCLUDES 'refund' AND {W}",
     "output MATCH 'refund'", "INCLUDES is BTQL-only"),
    (f"SELECT id FROM {P} WHERE metadata.model = gpt-4o-mini AND {W}",
     "metadata.model = 'gpt-4o-mini' AND", "quoted the value"),
    (f"SELECT id FROM {P} WHERE metadata.user_id = John Smith AND {W}",
     "metadata.user_id = 'John Smith'", "quoted the value"),
    (f"SELECT id FROM {P} WHERE metadata.model == 'gpt-4o' AND {W}",
     "metadata.model = 'gpt-4o'", "`==` → `=`"),
    (f"SELECT id FROM {P} WHERE (metadata.model = 'gpt-4o' AND {W} ORDER BY created DESC LIMIT 5",
     f"{W}) ORDER BY", "added a missing `)`"),
    (f"SELECT id FROM {P} WHERE metadata.model = 'gpt-4o') AND {W}",
     "'gpt-4o' AND", "removed a stray `)`"),
    (f"SELECT metadata.model AS model, count(1) AS n FROM {P} GROUP BY 1 ORDER BY n DESC",
     f"WHERE {W} GROUP BY 1", "added a time range"),
    (f"select: id | from: {P} | filtr: span_attributes.type = 'llm'",
     f"filter: (span_attributes.type = 'llm') AND {W}", "unknown clause `filtr` → `filter`"),
]  # fmt: skip


@pytest.mark.parametrize(("broken", "expect", "change"), CASES)
def test_each_error_class_is_fixed_and_runs(demo, broken: str, expect: str, change: str) -> None:
    from openloop.services.query import run_user_query

    res = demo.run("fix_query", query=broken)
    assert res.data["ok"], res.text
    assert expect in res.data["query"]
    assert any(change in c for c in res.data["changes"])
    assert "What changed" in res.text
    out = run_user_query(demo.svc, demo.principal, res.data["query"])
    assert not [w for w in out["warnings"] if w["code"] == "no_range_filter"]
    assert len(out["data"]) == res.data["rows"]


def test_two_errors_in_one_query(demo) -> None:
    res = demo.run("fix_query", query=f"SELECT id FROM {P} WHERE spanattributes.type = llm")
    assert res.data["ok"]
    assert res.data["query"] == f"SELECT id FROM {P} WHERE (span_attributes.type = 'llm') AND {W}"
    assert res.data["rows"] == 100


def test_working_query_is_left_alone(demo) -> None:
    q = f"SELECT id FROM {P} WHERE {W} LIMIT 3"
    res = demo.run("fix_query", query=q)
    assert res.data == {
        "original": q,
        "query": q,
        "changes": [],
        "ok": True,
        "error": None,
        "rows": 3,
    }
    assert "nothing to fix" in res.text


def test_unfixable_query_reports_the_error_for_the_model(demo) -> None:
    res = demo.run("fix_query", query=f"SELECT id FROM {P} WHERE nosuchthing(1) > 2 AND {W}")
    assert not res.data["ok"]
    assert "nosuchthing" in res.data["error"]
    assert "Propose a corrected query" in res.text


def test_page_query_is_fixed_when_no_argument(demo) -> None:
    res = demo.run("fix_query", _page={"query": f"SELECT id FROM {P} WHERE metadta.model = 'x'"})
    assert res.data["ok"]
    assert "metadata.model = 'x'" in res.data["query"]
