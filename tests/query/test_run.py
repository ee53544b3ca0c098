"""What a user gets back: shapes, filters, visibility, paging, sampling, pivots, search."""

from __future__ import annotations

from collections import defaultdict

import pytest

from openloop.errors import NotFound, QueryError
from openloop.query import run_query

from .fixtures import resolver

LOGS = "project_logs('my-project')"


def run(store, text, **kw):
    return run_query(store, text, resolver=resolver, **kw)


def visible_logs(rows):
    return [r for r in rows if r["object_type"] == "project_logs" and r["_superseded_by"] is None
            and not r["_object_delete"]]  # fmt: skip


def test_select_star_returns_braintrust_shaped_rows(duck) -> None:
    out = run(duck, f"select: * | from: {LOGS} | filter: id = 'trace-01-llm0'")
    (row,) = out["data"]
    assert row["span_attributes"] == {"name": "Chat Completion", "type": "llm"}
    assert row["metadata"]["model"] == "gpt-4o-mini"
    assert isinstance(row["metrics"]["prompt_tokens"], int)
    assert row["created"].endswith("Z") and "T" in row["created"]
    assert row["_xact_id"].isdigit() and row["_pagination_key"].isdigit()
    assert row["span_parents"] == ["trace-01"] and row["log_id"] == "g"
    (root,) = run(duck, f"select: * | from: {LOGS} | filter: id = 'trace-01-root'")["data"]
    assert root["facets"] == {"sentiment": "NEGATIVE"}  # top-level fields kept in `extra`
    assert out["warnings"] == []  # pinned to an id: no range-filter warning


def test_hot_and_json_paths_filter_the_same_rows(duck, rows) -> None:
    by_hot = run(
        duck, f"select: id | from: {LOGS} | filter: metadata.model = 'gpt-4o' | limit: 1000"
    )
    by_json = run(
        duck,
        f"select: id | from: {LOGS} | filter: metadata.temperature >= 0 AND metadata.provider = 'openai' AND metadata.model = 'gpt-4o' | limit: 1000",
    )
    expected = {r["id"] for r in visible_logs(rows) if r["model"] == "gpt-4o"}
    assert {r["id"] for r in by_hot["data"]} == expected == {r["id"] for r in by_json["data"]}


def test_superseded_versions_and_tombstones_are_invisible_but_readable_as_of(duck, rows) -> None:
    now = run(duck, f"select: id, output | from: {LOGS} | filter: id = 'trace-00-root'")
    assert [r["output"] for r in now["data"]] == [{"answer": "Answer 0"}]
    gone = run(duck, f"select: id | from: {LOGS} | filter: id = 'deleted-row'")
    assert gone["data"] == []
    old = run(duck, f"select: id, output | from: {LOGS} | filter: id = 'trace-00-root'", version=1)
    assert [r["output"] for r in old["data"]] == [{"answer": "stale answer"}]


def test_traces_shape_returns_every_span_and_limit_counts_traces(duck, rows) -> None:
    out = run(
        duck, f"select: * | from: {LOGS} traces | filter: span_attributes.type = 'tool' | limit: 3"
    )
    traces = {r["root_span_id"] for r in out["data"]}
    assert len(traces) == 3
    per_trace = defaultdict(int)
    for r in visible_logs(rows):
        per_trace[r["root_span_id"]] += 1
    assert len(out["data"]) == sum(per_trace[t] for t in traces)


def test_any_span_not_any_span_and_filter_spans(duck, rows) -> None:
    spans = visible_logs(rows)
    with_err = {r["root_span_id"] for r in spans if r["has_error"]}
    out = run(
        duck,
        f"select: root_span_id | from: {LOGS} traces | filter: ANY_SPAN(error IS NOT NULL) AND ANY_SPAN(span_attributes.type = 'llm') | limit: 100",
    )
    assert {r["root_span_id"] for r in out["data"]} == with_err
    out = run(
        duck,
        f"select: root_span_id | from: {LOGS} traces | filter: NOT ANY_SPAN(error IS NOT NULL) | limit: 100",
    )
    assert {r["root_span_id"] for r in out["data"]} == {r["root_span_id"] for r in spans} - with_err
    out = run(
        duck,
        f"select: span_attributes.type AS kind, root_span_id | from: {LOGS} traces | filter: ANY_SPAN(error IS NOT NULL) AND FILTER_SPANS(span_attributes.type = 'score') | limit: 100",
    )
    assert {r["kind"] for r in out["data"]} == {"score"}
    assert {r["root_span_id"] for r in out["data"]} == with_err


def test_summary_shape_aggregates_each_trace(duck, rows) -> None:
    out = run(
        duck,
        f"select: * | from: {LOGS} summary | filter: root_span_id = 'trace-03' | preview_length: 20",
    )
    (row,) = out["data"]
    spans = [r for r in visible_logs(rows) if r["root_span_id"] == "trace-03"]
    llm = [r for r in spans if r["span_type"] == "llm"]
    m = row["metrics"]
    assert m["prompt_tokens"] == sum(r["prompt_tokens"] for r in llm)
    assert m["llm_calls"] == len(llm)
    assert m["tool_calls"] == sum(r["span_type"] == "tool" for r in spans)
    assert m["errors"] == sum(r["has_error"] for r in spans) and m["llm_errors"] == 1
    assert m["estimated_cost"] == pytest.approx(sum(r["estimated_cost"] for r in llm))
    assert m["duration"] == pytest.approx(
        max(r["end_time"] or 0 for r in spans) - min(r["start_time"] for r in spans)
    )
    assert m["time_to_first_token"] == pytest.approx(
        sum(r["time_to_first_token"] for r in llm) / len(llm)
    )
    scores = [r["scores"]["Factuality"] for r in spans if "Factuality" in r["scores"]]
    assert row["scores"]["Factuality"] == pytest.approx(sum(scores) / len(scores))
    assert row["span_type_info"] == {"has_error": True}
    assert row["id"] == "trace-03-root" and row["input"].endswith("...") and len(row["input"]) == 23


def test_summary_having_filters_trace_aggregates(duck) -> None:
    everything = run(duck, f"select: root_span_id | from: {LOGS} summary | limit: 100")
    high = run(
        duck,
        "SELECT root_span_id, scores FROM project_logs('my-project', shape => 'summary') HAVING avg(scores.Factuality) > 0.5 LIMIT 100",
    )
    assert 0 < len(high["data"]) < len(everything["data"])
    assert all(r["scores"] is None or True for r in high["data"])


def test_group_by_ordinal_alias_and_having(duck, rows) -> None:
    out = run(
        duck,
        f"SELECT metadata.model AS model, count(1) AS n, sum(metrics.total_tokens) AS total_tokens FROM {LOGS} WHERE span_attributes.type = 'llm' GROUP BY 1 HAVING count(1) > 5 ORDER BY n DESC",
    )
    counts = defaultdict(int)
    for r in visible_logs(rows):
        if r["span_type"] == "llm":
            counts[r["model"]] += 1
    assert {r["model"]: r["n"] for r in out["data"]} == {k: v for k, v in counts.items() if v > 5}
    assert [r["n"] for r in out["data"]] == sorted((r["n"] for r in out["data"]), reverse=True)


def test_booleans_are_summable_and_ternary_works(duck, rows) -> None:
    out = run(
        duck,
        f"select: sum(span_attributes.type = 'llm') AS llm, avg(metrics.tokens > 1000 ? 1 : 0) AS long_share | from: {LOGS}",
    )
    spans = visible_logs(rows)
    assert out["data"][0]["llm"] == sum(r["span_type"] == "llm" for r in spans)


def test_cursor_pages_cover_every_row_once(duck, rows) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(50):
        out = run(
            duck,
            f"select: id | from: {LOGS} | filter: created > '2000-01-01' | sort: created desc | limit: 37",
            cursor=cursor,
        )
        seen += [r["id"] for r in out["data"]]
        cursor = out["cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(r["id"] for r in visible_logs(rows))


def test_offset_cursor_in_sql_and_trace_cursor(duck, rows) -> None:
    first = run(
        duck,
        f"SELECT id FROM {LOGS} WHERE created > '2000-01-01' ORDER BY _pagination_key DESC LIMIT 10",
    )
    second = run(
        duck,
        f"SELECT id FROM {LOGS} WHERE created > '2000-01-01' ORDER BY _pagination_key DESC LIMIT 10 OFFSET '{first['cursor']}'",
    )
    assert not {r["id"] for r in first["data"]} & {r["id"] for r in second["data"]}
    t1 = run(duck, f"select: root_span_id | from: {LOGS} summary | limit: 15")
    t2 = run(duck, f"select: root_span_id | from: {LOGS} summary | limit: 15", cursor=t1["cursor"])
    ids = [r["root_span_id"] for r in t1["data"] + t2["data"]]
    assert len(ids) == len(set(ids)) == 30


def test_sample_rate_and_count(duck, rows) -> None:
    total = len(visible_logs(rows))
    half = run(duck, f"select: id | from: {LOGS} | sample: 50% | limit: 1000")
    assert 0.25 * total < len(half["data"]) < 0.75 * total
    again = run(duck, f"select: id | from: {LOGS} | sample: 50% | limit: 1000")
    assert half["data"] == again["data"]  # stable, hash-based
    some = run(duck, f"SELECT id FROM {LOGS} TABLESAMPLE (7 ROWS)")
    assert len(some["data"]) == 7


def test_unpivot_and_pivot(duck, rows) -> None:
    tags = run(duck, f"select: id, tag | from: {LOGS} | unpivot: tags as (tag) | limit: 1000")
    expected = sorted((r["id"], t) for r in visible_logs(rows) for t in r["tags"])
    assert sorted((r["id"], r["tag"]) for r in tags["data"]) == expected
    piv = run(
        duck,
        f"dimensions: span_attributes.type AS kind, metadata.model AS model | measures: count(1) AS n | from: {LOGS} | filter: span_attributes.type = 'llm' | pivot: n",
    )
    (row,) = piv["data"]
    assert row["kind"] == "llm" and {k for k in row if k.endswith("_n")} == {
        "gpt-4o_n",
        "gpt-4o-mini_n",
        "claude-sonnet_n",
    }


def test_match_and_search_use_the_search_callback(duck) -> None:
    calls = []

    def search(refs, text, fields, page=None):
        calls.append((refs, text, fields))
        return [1003]

    out = run(
        duck,
        f"select: _pagination_key | from: {LOGS} | filter: output MATCH 'hello'",
        search=search,
    )
    assert calls == [([("project_logs", "proj-1")], "hello", ["output"])]
    assert [r["_pagination_key"] for r in out["data"]] == [1003]
    run(duck, f"select: id | from: {LOGS} | filter: search('x')", search=search)
    assert calls[-1][2] is None


def test_search_without_an_index_falls_back_to_a_scan(duck) -> None:
    out = run(duck, f"select: id | from: {LOGS} | filter: search('PASSWORD') | limit: 100")
    assert out["data"] and any(w["code"] == "search_unindexed" for w in out["warnings"])


def test_range_warning_and_strict_mode(duck) -> None:
    out = run(duck, f"select: id | from: {LOGS} | limit: 1")
    assert out["warnings"][0]["code"] == "no_range_filter"
    with pytest.raises(QueryError, match="range filter"):
        run(duck, f"select: id | from: {LOGS} | limit: 1", strict=True)
    assert run(duck, "select: id | from: dataset('golden-set') | limit: 1")["warnings"] == []


def test_unknown_source_name_is_not_found(duck) -> None:
    with pytest.raises(NotFound):
        run(duck, "select: id | from: project_logs('nope')")


def test_tz_offset_moves_day_buckets(duck) -> None:
    utc = run(
        duck,
        f"select: day(created) AS d, count(1) AS n | from: {LOGS} | dimensions: 1 | limit: 100",
    )
    pst = run(
        duck,
        f"select: day(created) AS d, count(1) AS n | from: {LOGS} | dimensions: 1 | limit: 100",
        tz_offset=480,
    )
    assert all(r["d"].endswith("T00:00:00Z") for r in utc["data"])
    assert all(r["d"].endswith("T08:00:00Z") for r in pst["data"])
    assert sum(r["n"] for r in utc["data"]) == sum(r["n"] for r in pst["data"])


def test_date_trunc_multiples_and_iso_comparisons(duck) -> None:
    out = run(
        duck,
        f"SELECT date_trunc('15 minutes', created) AS t, count(*) AS n FROM {LOGS} WHERE created > '2020-01-01T00:00:00+02:00' GROUP BY 1",
    )
    assert all(r["t"][14:16] in ("00", "15", "30", "45") for r in out["data"])


def test_string_functions_and_casts(duck) -> None:
    out = run(
        duck,
        f"select: upper(span_attributes.name) AS n, length(span_attributes.name) AS l, concat(span_attributes.type, ':', to_string(metrics.tokens)) AS c, to_number('2.5') AS f, CAST(metrics.tokens AS VARCHAR) AS s, coalesce(metadata.missing, 'none') AS d | from: {LOGS} | filter: id = 'trace-01-llm0'",
    )
    (r,) = out["data"]
    assert (
        r["n"] == "CHAT COMPLETION" and r["l"] == 15 and r["c"].startswith("llm:") and r["f"] == 2.5
    )
    assert r["d"] == "none" and r["s"].isdigit()


def test_parquet_format(duck) -> None:
    out = run(duck, f"select: id | from: {LOGS} | limit: 3", fmt="parquet")
    assert out["data"][:4] == b"PAR1"


def test_estimated_cost_ignores_scorer_spans(duck) -> None:
    out = run(
        duck,
        f"select: estimated_cost() AS c, metrics.estimated_cost AS raw | from: {LOGS} | filter: span_attributes.purpose = 'scorer' | limit: 3",
    )
    assert [(r["c"], r["raw"]) for r in out["data"]] == [(None, 0.5)] * 3


def test_cursor_paging_on_a_json_sort_key(duck, rows) -> None:
    seen, cursor = [], None
    for _ in range(50):
        out = run(
            duck,
            f"select: id | from: {LOGS} | filter: created > '2000-01-01' | sort: metadata.environment asc | limit: 40",
            cursor=cursor,
        )
        seen += [r["id"] for r in out["data"]]
        cursor = out["cursor"]
        if cursor is None:
            break
    assert sorted(seen) == sorted(r["id"] for r in visible_logs(rows))


def test_version_may_be_a_string_xact_id_and_bad_versions_are_400(duck) -> None:
    out = run(duck, f"select: output | from: {LOGS} | filter: id = 'trace-00-root'", version="1")
    assert out["data"] == [{"output": {"answer": "stale answer"}}]
    with pytest.raises(QueryError):
        run(duck, f"select: id | from: {LOGS} | limit: 1", version="yesterday")
