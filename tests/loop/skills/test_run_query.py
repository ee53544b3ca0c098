"""/query runs a query, summarizes it in plain words and suggests follow-ups that run."""

from __future__ import annotations

P = "project_logs('demo-support-bot')"
W = "created > now() - interval 15 day"


def test_summary_counts_and_top_values(demo) -> None:
    q = (f"SELECT metadata.model AS model, count(1) AS calls FROM {P} "
         f"WHERE span_attributes.type = 'llm' AND {W} GROUP BY 1 ORDER BY calls DESC")  # fmt: skip
    res = demo.run("run_query", query=q)
    assert res.data["row_count"] == 4
    calls = {r["model"]: r["calls"] for r in res.data["rows"]}
    assert calls == {m: v["llm_spans"] for m, v in demo.facts["models"].items()}
    summary = " ".join(res.data["summary"])
    assert "4 rows." in summary
    low, high = min(calls.values()), max(calls.values())
    assert f"`calls`: {low} to {high}" in summary
    assert res.text.startswith("Ran: ")


def test_follow_ups_compile_and_run(demo) -> None:
    from openloop.services.query import run_user_query

    q = f"SELECT id, input FROM {P} WHERE error IS NOT NULL AND {W} LIMIT 5"
    res = demo.run("run_query", query=q)
    follow = res.data["follow_ups"]
    assert 2 <= len(follow) <= 3
    for f in follow:
        assert W in f
        run_user_query(demo.svc, demo.principal, f)
    assert any("day(created)" in f for f in follow)


def test_results_are_bounded(demo) -> None:
    res = demo.run("run_query", query=f"SELECT id, input, output FROM {P} WHERE {W} LIMIT 500")
    assert res.data["row_count"] == 500
    assert len(res.data["rows"]) <= 200
    assert res.truncated
    assert "showing" in res.text
    assert len(res.text) < 20_000
    assert "<<<data from query results" in res.text


def test_update_the_page_query(demo) -> None:
    old = f"SELECT id FROM {P} WHERE {W} LIMIT 5"
    new = f"SELECT day(created) AS day, count(error) AS errors FROM {P} WHERE {W} GROUP BY 1"
    res = demo.run("run_query", query=new, _page={"query": old})
    assert res.data["replaces"] == old
    assert "replaces the one in the sandbox" in res.text
    same = demo.run("run_query", _page={"query": old})
    assert same.data["query"] == old and same.data["row_count"] == 5
    assert same.data["replaces"] is None


def test_bad_query_is_a_query_error(demo) -> None:
    import pytest

    from openloop.errors import QueryError

    with pytest.raises(QueryError, match="did you mean 'metadata'"):
        demo.run("run_query", query=f"SELECT id FROM {P} WHERE metadta.model = 'x' AND {W}")
