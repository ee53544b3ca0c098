"""The demo project: a deterministic generator whose planted patterns (the ``facts``) are exactly
what a user finds by counting the rows, and a loader that puts it into real stores once."""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

import chevron
import pytest

from openloop.demo import CITES, DEMO_PROJECT, JUDGE, DemoData, build_demo
from openloop.demo._tally import SEARCH_TERMS

NOW = datetime(2026, 3, 10, 9, 30, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo() -> DemoData:
    return build_demo(now=NOW, seed=7, traces=1500)


def _traces(rows: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        out[row["root_span_id"]].append(row)
    return out


def _roots(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if not r["span_parents"]]


# -- determinism ---------------------------------------------------------------------------------


def test_same_seed_and_now_give_identical_rows() -> None:
    a = build_demo(now=NOW, seed=3, traces=200)
    b = build_demo(now=NOW, seed=3, traces=200)
    assert a.logs.rows == b.logs.rows
    assert a.logs.late_rows == b.logs.late_rows
    assert a.evals.dataset_rows == b.evals.dataset_rows
    assert [e.rows for e in a.evals.experiments] == [e.rows for e in b.evals.experiments]
    assert a.facts == b.facts


def test_other_seed_other_rows_and_scope_changes_only_ids() -> None:
    a = build_demo(now=NOW, seed=3, traces=200)
    assert build_demo(now=NOW, seed=4, traces=200).logs.rows != a.logs.rows
    scoped = build_demo(now=NOW, seed=3, traces=200, scope="project-2")
    assert {r["id"] for r in scoped.logs.rows}.isdisjoint({r["id"] for r in a.logs.rows})
    questions = [r["input"]["question"] for r in _roots(a.logs.rows)]
    assert [r["input"]["question"] for r in _roots(scoped.logs.rows)] == questions


def test_naive_now_is_refused() -> None:
    from openloop.errors import UsageError

    with pytest.raises(UsageError):
        build_demo(now=datetime(2026, 3, 10), traces=10)


def test_traffic_has_a_daily_rhythm_and_grows(demo: DemoData) -> None:
    starts = [datetime.fromtimestamp(r["metrics"]["start"], UTC) for r in _roots(demo.logs.rows)]
    afternoon = sum(1 for t in starts if 12 <= t.hour < 18)
    night = sum(1 for t in starts if 0 <= t.hour < 6)
    assert afternoon > 2 * night
    midpoint = NOW - timedelta(days=7)
    assert sum(1 for t in starts if t >= midpoint) > 1.05 * sum(1 for t in starts if t < midpoint)
    assert sum(demo.facts["logs"]["traces_by_date"].values()) == len(starts)


# -- trace structure -----------------------------------------------------------------------------


def test_every_trace_is_a_tree_under_a_support_request(demo: DemoData) -> None:
    window_start = (NOW - timedelta(days=14)).timestamp()
    for root_id, spans in _traces(demo.logs.rows).items():
        ids = {s["span_id"] for s in spans}
        roots = _roots(spans)
        assert len(roots) == 1 and roots[0]["span_id"] == root_id
        root = roots[0]
        assert root["span_attributes"] == {"name": "support_request", "type": "task"}
        assert set(root["metadata"]) >= {"user_id", "session_id", "channel", "plan", "region"}
        assert window_start <= root["metrics"]["start"] < NOW.timestamp()
        for span in spans:
            assert all(p in ids for p in span["span_parents"])
            assert span["metrics"]["start"] <= span["metrics"]["end"]
            if span is not root and span["span_attributes"].get("purpose") != "scorer":
                assert span["metrics"]["end"] <= root["metrics"]["end"]
        assert any(s["span_attributes"]["name"] == "retrieve_docs" for s in spans)


def test_llm_spans_carry_model_tokens_and_cost(demo: DemoData) -> None:
    llm = [r for r in demo.logs.rows if r["span_attributes"]["type"] == "llm"]
    assert {r["metadata"]["model"] for r in llm} == {
        "gpt-4o",
        "gpt-4o-mini",
        "claude-3-5-sonnet",
        "claude-3-5-haiku",
    }
    for span in llm:
        assert span["metadata"]["provider"] in ("openai", "anthropic")
        assert span["input"][0]["role"] == "system" and span["input"][-1]["role"] in (
            "user",
            "tool",
        )
        if "error" in span:
            continue
        m = span["metrics"]
        assert m["tokens"] == m["prompt_tokens"] + m["completion_tokens"]
        assert m["estimated_cost"] > 0 and m["time_to_first_token"] > 0
        assert 0 <= m["prompt_cached_tokens"] <= m["prompt_tokens"]


def test_tool_spans_follow_a_tool_call_message(demo: DemoData) -> None:
    by_trace = _traces(demo.logs.rows)
    actions = [r for r in demo.logs.rows if r["span_attributes"]["name"] in SLOW_AND_OTHERS]
    assert actions
    for tool in actions:
        calls = [
            c["function"]["name"]
            for s in by_trace[tool["root_span_id"]]
            if s["span_attributes"]["type"] == "llm" and isinstance(s.get("output"), dict)
            for c in s["output"].get("tool_calls") or []
        ]
        assert calls == [tool["span_attributes"]["name"]]


SLOW_AND_OTHERS = ("lookup_account", "create_ticket", "check_status")


# -- planted facts, counted from the rows ----------------------------------------------------------


def test_error_facts(demo: DemoData) -> None:
    facts = demo.facts["logs"]["errors"]
    roots = _roots(demo.logs.rows)
    by_type = Counter(r["error"].split(":")[0] for r in roots if "error" in r)
    assert dict(by_type) == facts["by_type"]
    assert set(by_type) == {"RateLimitError", "TimeoutError", "ToolError"}
    assert 0.015 <= sum(by_type.values()) / len(roots) <= 0.045
    # A failed trace ends at the failing child span; a trace whose LLM call timed out twice and
    # then succeeded has no error on its root but takes over a minute.
    slow = set()
    for root_id, spans in _traces(demo.logs.rows).items():
        root = next(s for s in spans if s["span_id"] == root_id)
        child_errors = [s["error"] for s in spans if s is not root and "error" in s]
        if "error" in root:
            assert child_errors[-1] == root["error"]
        elif child_errors:
            assert all("retrying" in e for e in child_errors) and "output" in root
        if root["metrics"]["end"] - root["metrics"]["start"] > 60:
            slow.add(root_id)
    assert slow and slow == set(demo.facts["logs"]["slow_traces"]["ids"])


def test_one_day_rate_limit_spike_for_one_model(demo: DemoData) -> None:
    spike = demo.facts["logs"]["error_spike"]
    counts: Counter[tuple[str, str]] = Counter()
    for spans in _traces(demo.logs.rows).values():
        root = next(s for s in spans if not s["span_parents"])
        if root.get("error", "").startswith("RateLimitError"):
            model = next(
                s["metadata"]["model"] for s in spans if s["span_attributes"]["type"] == "llm"
            )
            counts[(root["created"][:10], model)] += 1
    assert spike["date"] == (NOW - timedelta(days=5)).date().isoformat()
    assert counts[(spike["date"], spike["model"])] == spike["count"]
    others = [c for (d, m), c in counts.items() if (d, m) != (spike["date"], spike["model"])]
    assert spike["count"] >= 2 * max(others)
    same_model = [spike["by_date"][d] for d in spike["by_date"] if d != spike["date"]]
    assert spike["count"] >= 5 * statistics.fmean(same_model)


def test_slow_tool(demo: DemoData) -> None:
    durations: dict[str, list[float]] = defaultdict(list)
    for r in demo.logs.rows:
        if r["span_attributes"]["type"] == "tool":
            durations[r["span_attributes"]["name"]].append(
                r["metrics"]["end"] - r["metrics"]["start"]
            )
    p50 = {k: statistics.median(v) for k, v in durations.items()}
    slow = demo.facts["logs"]["slow_tool"]
    assert slow["name"] == "check_status" and slow["calls"] == len(durations["check_status"])
    assert slow["p50_seconds"] == pytest.approx(p50["check_status"], abs=1e-3)
    assert 3.0 < p50["check_status"] < 5.0
    assert all(v < 0.5 for k, v in p50.items() if k != "check_status")


def test_struggling_user(demo: DemoData) -> None:
    facts = demo.facts["logs"]["bad_user"]
    roots = _roots(demo.logs.rows)
    mine = [r for r in roots if r["metadata"]["user_id"] == "u_1042"]
    scored = [r["scores"] for r in mine if "scores" in r]
    others = [r["scores"] for r in roots if "scores" in r and r["metadata"]["user_id"] != "u_1042"]
    assert facts["traces"] == len(mine) >= 10
    assert facts["scored_traces"] == len(scored)
    assert facts["mean_factuality"] == pytest.approx(
        statistics.fmean(s["Factuality"] for s in scored), abs=1e-3
    )
    assert facts["mean_factuality"] < 0.4 < 0.7 < statistics.fmean(s["Factuality"] for s in others)
    assert statistics.fmean(s["Helpfulness"] for s in scored) < 0.4
    mine_ids = {r["id"] for r in mine}
    negative = [
        f
        for f in demo.logs.late_rows
        if f.get("_is_merge") and f["id"] in mine_ids and f["scores"]["user_feedback"] == 0
    ]
    assert len(negative) == facts["negative_feedback"] >= 3
    worst = max(demo.facts["logs"]["feedback"]["negative_by_user"].items(), key=lambda kv: kv[1])
    assert worst[0] == "u_1042"


def test_users_sessions_and_tags(demo: DemoData) -> None:
    facts = demo.facts["logs"]
    roots = _roots(demo.logs.rows)
    sessions = Counter(r["metadata"]["session_id"] for r in roots)
    assert facts["users"] == len({r["metadata"]["user_id"] for r in roots}) >= 200
    assert facts["sessions"] == len(sessions)
    assert facts["multi_trace_sessions"] == sum(1 for n in sessions.values() if n > 1) > 100
    for session in sessions:
        assert (
            len({r["metadata"]["user_id"] for r in roots if r["metadata"]["session_id"] == session})
            == 1
        )
    tags = Counter(t for r in roots for t in r["tags"])
    assert dict(sorted(tags.items())) == facts["tags"]
    assert {"billing", "sso", "escalated", "beta", "webhooks"} <= set(tags)
    for term, pattern in SEARCH_TERMS.items():
        hits = sum(1 for r in roots if re.search(pattern, r["input"]["question"], re.I))
        assert hits == facts["questions_mentioning"][term] > 0


def test_online_scores_and_score_spans(demo: DemoData) -> None:
    facts = demo.facts["logs"]["online_scores"]
    roots = _roots(demo.logs.rows)
    scored = [r for r in roots if "scores" in r]
    ok = [r for r in roots if "error" not in r]
    assert facts["scored_traces"] == len(scored)
    assert 0.25 <= len(scored) / len(ok) <= 0.36
    score_spans = [r for r in demo.logs.rows if r["span_attributes"]["type"] == "score"]
    assert len(score_spans) == facts["score_spans"] == 2 * len(scored)
    by_trace = defaultdict(dict)
    for s in score_spans:
        assert s["span_attributes"]["purpose"] == "scorer"
        by_trace[s["root_span_id"]].update(s["scores"])
    for r in scored:
        assert set(r["scores"]) == {"Factuality", "Helpfulness"}
        assert all(0 <= v <= 1 for v in r["scores"].values())
        assert by_trace[r["id"]] == r["scores"]


def test_feedback_is_late_merges_and_comment_rows(demo: DemoData) -> None:
    facts = demo.facts["logs"]["feedback"]
    root_ids = {r["id"] for r in _roots(demo.logs.rows)}
    merges = [r for r in demo.logs.late_rows if r.get("_is_merge")]
    comments = [r for r in demo.logs.late_rows if "comment" in r]
    assert len(merges) + len(comments) == len(demo.logs.late_rows)
    assert len(merges) == facts["merges"] and len(comments) == facts["comments"]
    assert 0.02 <= len(merges) / len(root_ids) <= 0.05
    assert all(m["id"] in root_ids and m["scores"]["user_feedback"] in (0, 1) for m in merges)
    assert all(c["origin"]["id"] in root_ids and c["comment"]["text"] for c in comments)
    assert facts["positive"] == sum(m["scores"]["user_feedback"] for m in merges)


# -- evals -----------------------------------------------------------------------------------------


def test_dataset_prompt_and_scorers(demo: DemoData) -> None:
    ev = demo.evals
    assert len(ev.dataset_rows) == 50
    assert len({r["input"]["question"] for r in ev.dataset_rows}) == 50
    for r in ev.dataset_rows:
        assert r["expected"]["answer"] and r["metadata"]["difficulty"] in ("easy", "medium", "hard")
    assert [v["metadata"]["version_label"] for v in ev.prompt_versions] == ["v1", "v2", "v3"]
    assert {v["id"] for v in ev.prompt_versions} == {ev.prompt_id}
    v1, v2, v3 = (v["prompt_data"]["prompt"]["messages"] for v in ev.prompt_versions)
    assert "Source:" not in v1[0]["content"] and "Source:" in v2[0]["content"]
    assert len(v3) > len(v2)  # few-shot examples
    judge, code = ev.scorer_rows
    rendered = chevron.render(
        judge["function_data"]["prompt"], {"input": "Q?", "output": "A.", "expected": "R."}
    )
    assert "Q?" in rendered and "A." in rendered and "R." in rendered
    assert judge["function_data"]["choice_scores"] == {"A": 1.0, "B": 0.5, "C": 0.0}
    assert code["function_data"]["language"] == "python"


def test_experiments_have_eval_shape_and_code_scorer_agrees(demo: DemoData) -> None:
    ev = demo.evals
    dataset_ids = {r["id"] for r in ev.dataset_rows}
    namespace: dict[str, Any] = {}
    exec(ev.scorer_rows[1]["function_data"]["code"], namespace)  # the demo's own scorer code
    for exp in ev.experiments:
        traces = _traces(exp.rows)
        assert len(traces) == 50
        for root_id, spans in traces.items():
            root = next(s for s in spans if s["span_id"] == root_id)
            assert root["span_attributes"]["type"] == "eval"
            assert root["origin"]["id"] in dataset_ids
            children = [s for s in spans if s["span_parents"] == [root_id]]
            kinds = sorted(s["span_attributes"]["type"] for s in children)
            assert kinds == ["score", "score", "task"]
            for s in children:
                if s["span_attributes"]["type"] == "score":
                    name = s["span_attributes"]["name"]
                    assert s["scores"] == {name: root["scores"][name]}
            assert (
                namespace["handler"](root["input"], root["output"], root["expected"], {})
                == root["scores"][CITES]
            )


def test_comparison_facts(demo: DemoData) -> None:
    base, new = demo.evals.experiments
    cmp = demo.facts["evals"]["comparison"]["scores"]

    def by_origin(rows: list[dict[str, Any]]) -> dict[str, dict[str, float]]:
        return {r["origin"]["id"]: r["scores"] for r in _roots(rows)}

    a, b = by_origin(base.rows), by_origin(new.rows)
    for name in (JUDGE, CITES):
        assert set(cmp[name]["improved"]) == {k for k in a if b[k][name] > a[k][name]}
        assert set(cmp[name]["regressed"]) == {k for k in a if b[k][name] < a[k][name]}
    assert cmp[JUDGE]["improved"] and cmp[JUDGE]["regressed"]
    means = demo.facts["evals"]["experiments"]
    assert means["citations-v2"]["mean"][CITES] > means["baseline-v1"]["mean"][CITES] + 0.5


# -- loading into the real stores ------------------------------------------------------------------


def _stores(settings: Any):
    try:
        from openloop.store.control import ControlStore
        from openloop.store.data.duckdb import DuckDBStore
    except ImportError as exc:  # pragma: no cover - only while the stores are being built
        pytest.skip(f"stores not importable: {exc}")
    control = ControlStore.open(f"sqlite:///{settings.data_dir}/control.db", secret_key=b"k" * 32)
    data = DuckDBStore.open(settings)
    return control, data


_VISIBLE = "_superseded_by IS NULL AND NOT _object_delete"


def test_load_demo_into_real_stores_once(settings: Any) -> None:
    from openloop.demo import load_demo
    from openloop.store.data.base import ObjectRef

    control, data = _stores(settings)
    try:
        org = control.bootstrap().org.id
        summary = load_demo(control, data, org, now=NOW, traces=300)
        pid = summary.project_id
        assert summary.loaded and summary.project_name == DEMO_PROJECT
        facts = summary.facts["logs"]

        def one(sql: str, *params: Any) -> Any:
            return data.execute(sql, [pid, *params]).to_pylist()

        logs = "FROM rows WHERE project_id = ? AND object_type = 'project_logs' AND " + _VISIBLE
        assert (
            one(f"SELECT count(*) AS n {logs} AND span_type <> 'comment'")[0]["n"] == facts["spans"]
        )
        roots = f"{logs} AND is_root AND span_name = 'support_request'"
        assert one(f"SELECT count(*) AS n {roots}")[0]["n"] == facts["traces"] == 300
        errors = one(f"SELECT error_type, count(*) AS n {roots} AND has_error GROUP BY 1")
        assert {r["error_type"]: r["n"] for r in errors} == facts["errors"]["by_type"]
        # Late merges added user_feedback and kept the online scores already on the span.
        fb = one(f"SELECT count(*) AS n {roots} AND scores['user_feedback'] IS NOT NULL")
        assert fb[0]["n"] == facts["feedback"]["merges"]
        fact = one(f"SELECT count(*) AS n {roots} AND scores['Factuality'] IS NOT NULL")
        assert fact[0]["n"] == facts["online_scores"]["scored_traces"]
        tools = one(
            f"SELECT span_name, median(duration) AS p50 {logs} AND span_type = 'tool' GROUP BY 1"
        )
        assert max(tools, key=lambda r: r["p50"])["span_name"] == "check_status"

        exp_ref = ObjectRef(org, pid, "experiment", summary.experiment_ids["citations-v2"])
        assert data.count(exp_ref) == summary.counts["experiment_spans:citations-v2"]
        ds_ref = ObjectRef(org, pid, "dataset", summary.dataset_id)
        assert data.count(ds_ref) == 50
        prompt_ref = ObjectRef(org, pid, "prompt", pid)
        assert data.count(prompt_ref) == 1 and len(data.history(prompt_ref, summary.prompt_id)) == 3
        exp = control.get_object(org, pid, "experiment", "citations-v2")
        assert exp.metadata["base_exp_id"] == summary.experiment_ids["baseline-v1"]
        assert exp.metadata["dataset_version"] == str(data.versions(ds_ref)[-1])
        assert (
            control.get_project_settings(org, pid)["baseline_experiment_id"]
            == exp.metadata["base_exp_id"]
        )
        logs_ref = ObjectRef(org, pid, "project_logs", pid)
        for term in ("refund", "SSO", "webhook"):
            assert len(data.search_ids([logs_ref], term)) > 0

        versions = data.versions(logs_ref)
        again = load_demo(control, data, org, traces=999)
        assert not again.loaded and again.facts == summary.facts
        assert data.versions(logs_ref) == versions
    finally:
        data.close()
        control.close()


def test_load_demo_refuses_a_project_with_foreign_logs(settings: Any) -> None:
    from openloop.demo import load_demo
    from openloop.errors import Conflict
    from openloop.store.data.base import ObjectRef, WriteRequest

    control, data = _stores(settings)
    try:
        org = control.bootstrap().org.id
        project = control.get_or_create_project(org, DEMO_PROJECT)
        ref = ObjectRef(org, project.id, "project_logs", project.id)
        data.write([WriteRequest(ref=ref, rows=[{"input": "hello"}])])
        with pytest.raises(Conflict):
            load_demo(control, data, org, now=NOW, traces=20)
    finally:
        data.close()
        control.close()
