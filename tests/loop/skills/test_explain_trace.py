"""explain_trace rebuilds a trace's tree with timings, errors, tokens and the slowest span."""

from __future__ import annotations

import pytest


def test_slow_retried_trace(demo) -> None:
    tid = demo.facts["slow_traces"]["ids"][0]
    res = demo.run("explain_trace", trace_id=tid)
    st = res.data["stats"]
    assert st["duration"] > 60
    assert st["by_type"]["task"] == 1
    assert res.data["tree"][0].startswith("- support_request (task) +0.00s")
    assert all(line.startswith("  - ") for line in res.data["tree"][1:])
    assert st["slowest"]["name"] == "Chat Completion" and st["slowest"]["seconds"] > 29
    if st["errors"]:
        assert all("TimeoutError" in e["error"] for e in st["errors"])
    assert st["tokens"] == st["prompt_tokens"] + st["completion_tokens"] > 0
    assert f"Trace {tid}" in res.text and "Slowest span: Chat Completion" in res.text


def test_any_span_id_finds_its_trace(demo) -> None:
    from openloop.services.query import run_user_query

    rows = run_user_query(demo.svc, demo.principal,
                          "SELECT id, root_span_id FROM project_logs('demo-support-bot') WHERE "
                          "span_attributes.name = 'check_status' AND created > now() - interval 15 day "
                          "LIMIT 1")["data"]  # fmt: skip
    res = demo.run("explain_trace", trace_id=rows[0]["id"])
    assert res.data["root_span_id"] == rows[0]["root_span_id"]
    assert any("check_status (tool)" in line for line in res.data["tree"])


def test_unknown_trace(demo) -> None:
    from openloop.errors import NotFound

    with pytest.raises(NotFound):
        demo.run("explain_trace", trace_id="no-such-trace")
