"""The query benchmark's operations: each one as a query in our language, the hand-written SQL a
DuckDB user would write on the store's ``rows`` table and on the L0 ``spans`` table, and the
check of its result against the planted truth (:class:`bench._gen.Facts`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bench._gen import END, PHRASE, RARE_MODEL, START, Facts
from bench._load import PROJECT

__all__ = ["Op", "build_ops"]

Check = Callable[[list[dict[str, Any]]], str | None]  # rows -> error message or None


@dataclass
class Op:
    name: str
    title: str
    ours: str  # our query language
    store_sql: str | None  # hand-written on the store's rows table
    l0_sql: str  # hand-written on the L0 table
    check: Check  # applied to ours, store and l0 results (normalized to the `ours` names)
    kind: str = "query"  # "query" (<= 1.5x hand SQL), "search" (>= 20x faster than a scan), "trace"
    scan_ours: str | None = None  # our query run without the index (substring fallback)


def _iso(d: Any) -> str:
    return d.strftime("%Y-%m-%dT%H:%M:%SZ")


def _days(facts_counter: Counter[Any], first_day: int, pred: Callable[[Any], bool]) -> int:
    return sum(n for k, n in facts_counter.items() if k[0] >= first_day and pred(k))


def _expect_ids(expected: list[str], ordered: bool = True, n: int | None = None) -> Check:
    def check(rows: list[dict[str, Any]]) -> str | None:
        got = [r["id"] for r in rows]
        if n is not None and len(got) != n:
            return f"{len(got)} rows, planted truth says {n}"
        if (got if ordered else sorted(got)) != (expected if ordered else sorted(expected)):
            return f"ids differ: got {len(got)} (first {got[:2]}), expected {len(expected)} (first {expected[:2]})"
        return None

    return check


def _expect_n(n: int) -> Check:
    def check(rows: list[dict[str, Any]]) -> str | None:
        got = rows[0]["n"] if rows else None
        return None if got == n else f"count {got} != planted {n}"

    return check


def build_ops(facts: Facts, ref_rows: Callable[[str], list[dict[str, Any]]]) -> list[Op]:
    """``ref_rows(sql)`` runs SQL on L0 (used to pin page results whose truth is an ordering
    that the facts do not list, e.g. the newest 50 of a filter)."""
    end, d1, d7 = _iso(END), _iso(END - timedelta(days=1)), _iso(END - timedelta(days=7))
    start = _iso(START)
    src = f"project_logs('{PROJECT}')"
    base = (f"object_type = 'project_logs' AND object_id = '{PROJECT}' "
            "AND _superseded_by IS NULL AND NOT _object_delete")  # fmt: skip
    ts = "TIMESTAMPTZ"
    ops: list[Op] = []

    # Q1 list page: newest 50 llm spans of one model in the last 24 h.
    page_l0 = (f"SELECT span_id AS id, created, name, model, total_tokens AS tokens, duration AS latency, "
               f"input, output FROM spans WHERE created >= {ts} '{d1}' AND created < {ts} '{end}' "
               "AND model = 'gpt-4o' ORDER BY created DESC LIMIT 50")  # fmt: skip
    truth = [r["id"] for r in ref_rows(page_l0)]
    n_day = _days(facts.llm_by_day_model, 29, lambda k: k[1] == "gpt-4o")
    ops.append(Op(
        "list_page", "List page: newest 50 (24 h, model filter)",
        f"SELECT id, created, span_attributes.name AS name, metadata.model AS model, "
        f"metrics.tokens AS tokens, latency, input, output FROM {src} "
        f"WHERE created >= '{d1}' AND created < '{end}' AND metadata.model = 'gpt-4o' "
        "ORDER BY created DESC LIMIT 50",
        f"SELECT id, created, span_name AS name, model, total_tokens AS tokens, duration AS latency, "
        f"input, output FROM rows WHERE {base} AND created >= {ts} '{d1}' AND created < {ts} '{end}' "
        "AND model = 'gpt-4o' ORDER BY created DESC LIMIT 50",
        page_l0,
        _expect_ids(truth, n=min(50, n_day)),
    ))  # fmt: skip

    # Q2 hot fields: errors of one model in 7 days, count and newest page.
    n_err = _days(facts.errors_by_day_model, 23, lambda k: k[1] == "gpt-4o-mini")
    ops.append(Op(
        "hot_filter_count", "Hot-field filter: count (error + model, 7 d)",
        f"SELECT count(1) AS n FROM {src} WHERE error IS NOT NULL AND metadata.model = 'gpt-4o-mini' "
        f"AND created >= '{d7}'",
        f"SELECT count(*) AS n FROM rows WHERE {base} AND has_error AND model = 'gpt-4o-mini' "
        f"AND created >= {ts} '{d7}'",
        f"SELECT count(*) AS n FROM spans WHERE has_error AND model = 'gpt-4o-mini' "
        f"AND created >= {ts} '{d7}'",
        _expect_n(n_err),
    ))  # fmt: skip
    hot_l0 = (f"SELECT span_id AS id, created, error FROM spans WHERE has_error "
              f"AND model = 'gpt-4o-mini' AND created >= {ts} '{d7}' ORDER BY created DESC LIMIT 50")  # fmt: skip
    ops.append(Op(
        "hot_filter_page", "Hot-field filter: newest 50 (error + model, 7 d)",
        f"SELECT id, created, error FROM {src} WHERE error IS NOT NULL "
        f"AND metadata.model = 'gpt-4o-mini' AND created >= '{d7}' ORDER BY created DESC LIMIT 50",
        f"SELECT id, created, error FROM rows WHERE {base} AND has_error AND model = 'gpt-4o-mini' "
        f"AND created >= {ts} '{d7}' ORDER BY created DESC LIMIT 50",
        hot_l0,
        _expect_ids([r["id"] for r in ref_rows(hot_l0)], n=min(50, n_err)),
    ))  # fmt: skip
    ops.append(Op(
        "rare_model", "Hot-field filter: rare model count (30 d)",
        f"SELECT count(1) AS n FROM {src} WHERE metadata.model = '{RARE_MODEL}' AND created >= '{start}'",
        f"SELECT count(*) AS n FROM rows WHERE {base} AND model = '{RARE_MODEL}' "
        f"AND created >= {ts} '{start}'",
        f"SELECT count(*) AS n FROM spans WHERE model = '{RARE_MODEL}' AND created >= {ts} '{start}'",
        _expect_n(facts.rare_model),
    ))  # fmt: skip

    # Q3 a deep, non-shredded JSON path with an array index.
    ops.append(Op(
        "json_path", "Deep JSON path: output.steps[1].tool = 'router' (7 d)",
        f"SELECT count(1) AS n FROM {src} WHERE output.steps[1].tool = 'router' AND created >= '{d7}'",
        f"SELECT count(*) AS n FROM rows WHERE {base} AND json_extract_string(output, '$.steps[1].tool') "
        f"= 'router' AND created >= {ts} '{d7}'",
        f"SELECT count(*) AS n FROM spans WHERE json_extract_string(output, '$.steps[1].tool') = 'router' "
        f"AND created >= {ts} '{d7}'",
        _expect_n(sum(n for d, n in facts.router_by_day.items() if d >= 23)),
    ))  # fmt: skip

    # Q4 30-day hourly rollup by model.
    per_model: Counter[str] = Counter()
    for (_, model), n in facts.llm_by_day_model.items():
        per_model[model] += n

    def check_rollup(rows: list[dict[str, Any]]) -> str | None:
        got: Counter[str] = Counter()
        for r in rows:
            got[r["model"]] += r["n"]
            if not (0 <= r["error_rate"] <= 1 and r["p50"] <= r["p95"]):
                return f"bad aggregate row {r}"
        return (
            None
            if got == per_model
            else f"per-model counts {dict(got)} != planted {dict(per_model)}"
        )

    agg = ("count(*) AS n, avg(CASE WHEN has_error THEN 1.0 ELSE 0.0 END) AS error_rate, "
           "quantile_cont(duration, 0.5) AS p50, quantile_cont(duration, 0.95) AS p95, "
           "sum(total_tokens) AS tokens, sum({cost}) AS cost")  # fmt: skip
    ops.append(Op(
        "rollup", "30-day hourly rollup by model (count, error rate, p50/p95, tokens, cost)",
        f"SELECT hour(created) AS h, metadata.model AS model, count(1) AS n, "
        f"sum(error IS NOT NULL) / count(1) AS error_rate, percentile(latency, 0.5) AS p50, "
        f"percentile(latency, 0.95) AS p95, sum(metrics.tokens) AS tokens, "
        f"sum(metrics.estimated_cost) AS cost FROM {src} "
        f"WHERE span_attributes.type = 'llm' AND created >= '{start}' GROUP BY 1, 2 LIMIT 10000",
        f"SELECT date_trunc('hour', created) AS h, model, {agg.format(cost='estimated_cost')} "
        f"FROM rows WHERE {base} AND span_type = 'llm' AND created >= {ts} '{start}' GROUP BY 1, 2",
        f"SELECT date_trunc('hour', created) AS h, model, {agg.format(cost='cost')} "
        f"FROM spans WHERE type = 'llm' AND created >= {ts} '{start}' GROUP BY 1, 2",
        check_rollup,
    ))  # fmt: skip

    # Q5 full text: phrase newest 50, phrase count, a unique token.
    newest = [i for _, i in sorted(facts.phrase, reverse=True)[:50]]
    like = f"%{PHRASE}%"
    scan = " OR ".join(
        f"{c} ILIKE '{like}'" for c in ("input", "output", "metadata", "span_attributes")
    )
    scan_rows = " OR ".join(
        f"CAST({c} AS VARCHAR) ILIKE '{like}'"
        for c in ("input", "output", "metadata", "span_attributes")
    )
    q_phrase = f"search('\"{PHRASE}\"') AND created >= '{start}'"
    ops.append(Op(
        "fulltext_page", "Full text: phrase, newest 50",
        f"SELECT id, created FROM {src} WHERE {q_phrase} ORDER BY created DESC LIMIT 50",
        f"SELECT id, created FROM rows WHERE {base} AND ({scan_rows}) ORDER BY created DESC LIMIT 50",
        f"SELECT span_id AS id, created FROM spans WHERE {scan} ORDER BY created DESC LIMIT 50",
        _expect_ids(newest), kind="search",
        scan_ours=f"SELECT id, created FROM {src} WHERE (input ILIKE '{like}' OR output ILIKE '{like}' "
                  f"OR metadata ILIKE '{like}' OR span_attributes ILIKE '{like}') AND created >= '{start}' "
                  "ORDER BY created DESC LIMIT 50",
    ))  # fmt: skip
    ops.append(Op(
        "fulltext_count", "Full text: phrase, count",
        f"SELECT count(1) AS n FROM {src} WHERE {q_phrase}",
        f"SELECT count(*) AS n FROM rows WHERE {base} AND ({scan_rows})",
        f"SELECT count(*) AS n FROM spans WHERE {scan}",
        _expect_n(len(facts.phrase)), kind="search",
    ))  # fmt: skip
    token, token_id = facts.token or ("", "")
    cols4 = ("input", "output", "metadata", "span_attributes")
    tscan = " OR ".join(f"{c} ILIKE '%{token}%'" for c in cols4)
    tscan_rows = " OR ".join(f"CAST({c} AS VARCHAR) ILIKE '%{token}%'" for c in cols4)
    ops.append(Op(
        "fulltext_token", "Full text: unique token",
        f"SELECT id FROM {src} WHERE search('{token}') AND created >= '{start}'",
        f"SELECT id FROM rows WHERE {base} AND ({tscan_rows})",
        f"SELECT span_id AS id FROM spans WHERE {tscan}",
        _expect_ids([token_id]), kind="search",
    ))  # fmt: skip

    # Q7 one trace (all spans, whole rows), an ordinary one and the big one.
    assert facts.sample_trace is not None and facts.big_trace is not None
    for name, title, (trace_id, n) in (
        ("trace", "One trace, all spans with payloads", facts.sample_trace),
        ("big_trace", "Big trace, all spans with payloads", facts.big_trace),
    ):
        ops.append(Op(
            name, f"{title} ({n} spans)",
            f"SELECT * FROM {src} WHERE root_span_id = '{trace_id}' LIMIT 10000",
            f"SELECT * FROM rows WHERE {base} AND root_span_id = '{trace_id}' ORDER BY _pagination_key",
            f"SELECT * FROM spans WHERE trace_id = '{trace_id}' ORDER BY created",
            _expect_count(n), kind="trace",
        ))  # fmt: skip

    # Q8 top errors of the last 7 days.
    by_type: Counter[str] = Counter()
    for (day, typ), n in facts.errors_by_day_type.items():
        if day >= 23:
            by_type[typ] += n
    top = dict(by_type.most_common(10))

    def check_top(rows: list[dict[str, Any]]) -> str | None:
        got = {r["error_type"]: r["n"] for r in rows}
        return None if got == top else f"top errors {got} != planted {top}"

    ops.append(Op(
        "top_errors", "Top 10 error types, last 7 days, with an example trace",
        f"SELECT error_type, count(1) AS n, any_value(root_span_id) AS example FROM {src} "
        f"WHERE error IS NOT NULL AND created >= '{d7}' GROUP BY 1 ORDER BY n DESC LIMIT 10",
        f"SELECT error_type, count(*) AS n, any_value(root_span_id) AS example FROM rows "
        f"WHERE {base} AND has_error AND created >= {ts} '{d7}' GROUP BY 1 ORDER BY n DESC LIMIT 10",
        f"SELECT error_type, count(*) AS n, any_value(trace_id) AS example FROM spans "
        f"WHERE has_error AND created >= {ts} '{d7}' GROUP BY 1 ORDER BY n DESC LIMIT 10",
        check_top,
    ))  # fmt: skip
    return ops


def _expect_count(n: int) -> Check:
    def check(rows: list[dict[str, Any]]) -> str | None:
        return None if len(rows) == n else f"{len(rows)} spans, planted {n}"

    return check
