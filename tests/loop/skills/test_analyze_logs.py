"""/analyze-logs on the demo project surfaces every planted pattern with correct numbers."""

from __future__ import annotations

import re


def test_overview_finds_spike_slow_tool_bad_user_and_errors(demo) -> None:
    res = demo.run("analyze_logs")
    data, text = res.data, res.text
    spike = demo.facts["error_spike"]
    spikes = data["sections"]["errors"]["spikes"]
    assert spikes[0]["model"] == spike["model"] == "gpt-4o-mini"
    assert spikes[0]["day"] == spike["date"]
    assert spikes[0]["error_type"] == "RateLimitError"
    assert spikes[0]["count"] == spike["count"]
    assert f"on {spike['date']}" in text

    slow = data["sections"]["latency"]["slow_tools"]
    assert [t["name"] for t in slow] == ["check_status"]
    assert "Slow tool: `check_status`" in text

    low = data["sections"]["users"]["lowest_scores"]
    assert low[0]["user"] == "u_1042"
    assert {r["user"] for r in low} == {"u_1042"}

    assert data["days"] == 7
    assert "### Recommendations" in text
    assert any("check_status" in r for r in data["recommendations"])
    assert any("gpt-4o-mini" in r for r in data["recommendations"])


def test_error_counts_match_the_planted_truth(demo) -> None:
    # The demo covers 14 days; a 15-day window sees every trace.
    res = demo.run("analyze_logs", days=15)
    top = res.data["sections"]["errors"]["top"]
    assert {r["error_type"]: r["traces"] for r in top} == demo.facts["errors"]["by_type"]
    assert [r["traces"] for r in top] == sorted((r["traces"] for r in top), reverse=True)
    health = res.data["sections"]["health"]
    assert health["traces"] == demo.facts["traces"]
    assert health["error_traces"] == demo.facts["errors"]["traces"]
    # Example trace ids are real failing traces of that type.
    for row in top:
        assert 1 <= len(row["example_trace_ids"]) <= 3
        got = demo.run("explain_trace", trace_id=row["example_trace_ids"][0])
        assert got.data["root_span_id"] == row["example_trace_ids"][0]
        assert any(e["error"].startswith(row["error_type"]) for e in got.data["stats"]["errors"])


def test_models_tokens_and_cost_over_the_whole_window(demo) -> None:
    res = demo.run("analyze_logs", days=15, focus="cost and tokens by model")
    assert set(res.data["sections"]) == {"models"}
    by_model = {r["model"]: r for r in res.data["sections"]["models"]["by_model"]}
    for model, truth in demo.facts["models"].items():
        assert by_model[model]["calls"] == truth["llm_spans"]
        assert by_model[model]["errors"] == truth["errors"]
        assert by_model[model]["tokens"] == truth["tokens"]
        assert abs(by_model[model]["cost"] - truth["estimated_cost"]) < 1e-6


def test_every_query_is_time_bounded_and_limited(demo) -> None:
    res = demo.run("analyze_logs")
    queries = res.data["queries"]
    assert len(queries) >= 10
    for q in queries:
        assert "created > now() - interval 7 day" in q
        assert re.search(r"LIMIT \d+|count|percentile", q)  # aggregates are one row


def test_focus_on_errors_answers_with_messages_as_data(demo) -> None:
    res = demo.run("analyze_logs", focus="What are the most common errors?")
    assert set(res.data["sections"]) == {"errors"}
    assert "RateLimitError" in res.text
    # Raw log messages are fenced as data, never loose in the report.
    assert "<<<data from project logs" in res.text
    assert "Rate limit reached" in res.text.split("<<<data from project logs", 1)[1]


def test_focus_on_users_reports_returning_users(demo) -> None:
    res = demo.run("analyze_logs", focus="user retention trends")
    section = res.data["sections"]["users"]
    assert 0 < section["returning_users"] <= demo.facts["users"]
    assert "came back on more than one day" in res.text


def test_needs_a_project(demo) -> None:
    import pytest

    from openloop.errors import InvalidInput
    from openloop.loop.tools.base import LoopContext, get_tool

    spec = get_tool("analyze_logs")
    ctx = LoopContext(svc=demo.svc, principal=demo.principal)
    with pytest.raises(InvalidInput, match="needs a project"):
        spec.run(ctx, spec.args())
