"""Golden SQL: one query per case, with the DuckDB and ClickHouse SQL it compiles to.

Regenerate with ``pytest tests/query --update-golden`` and review the diff."""

from __future__ import annotations

from pathlib import Path

import pytest

from openloop.query import compile_query

GOLDEN = Path(__file__).parent / "golden"

CASES: dict[str, str] = {
    "star_spans": "select: * | from: project_logs('p') | filter: created > '2024-01-01' | limit: 10",
    "hot_paths": "SELECT id FROM project_logs('p') WHERE metadata.model = 'gpt-4o' AND metrics.prompt_tokens > 100 AND span_attributes.type = 'llm' AND metrics.start > 0",
    "json_paths": "SELECT metadata.\"field name\".items[0] AS item, input.question FROM project_logs('p') WHERE metadata.region = 'eu' AND metrics.custom >= 2.5 AND metadata.models[-1].name IS NOT NULL",
    "scores_tags": "select: scores.Factuality, tags[0] AS first_tag | from: project_logs('p') | filter: tags includes 'triage' AND scores.\"Response Quality\" > 0.5",
    "in_like_nullsafe": "SELECT id FROM project_logs('p') WHERE span_attributes.type IN ('llm', 'tool') AND metadata.user NOT IN ['a'] AND input ILIKE '%reset%' AND metadata.d LIKE '%50\\% off%' AND model <=> 'x' AND error IS NULL",
    "ternary_arith": "SELECT (scores.Factuality > 0.8 ? 'high' : 'low') AS band, -metrics.tokens * 2 % 7 AS weird, metrics.completion_tokens / metrics.prompt_tokens AS ratio FROM project_logs('p')",
    "time_buckets": "SELECT day(created) AS d, date_trunc('15 minutes', created) AS q, week(created) AS w, count(*) AS n FROM project_logs('p') WHERE created > now() - interval 7 day AND created < current_date() GROUP BY 1, 2, 3",
    "aggregates": "SELECT metadata.model AS model, count(1) AS n, count_distinct(root_span_id) AS traces, sum(span_attributes.type = 'llm') AS llm, avg(scores.Factuality) AS f, min(created) AS first, max(metrics.tokens) AS mx, any_value(metadata.region) AS region, percentile(latency, 0.95) AS p95, sum(estimated_cost()) AS cost FROM project_logs('p') GROUP BY 1 HAVING count(1) > 2 ORDER BY n DESC",
    "functions": "SELECT lower(metadata.a) AS a, upper(span_attributes.name) AS b, concat(id, '-', span_id) AS c, length(input.q) AS d, len(tags) AS e, contains(tags, 'x') AS f, coalesce(metadata.x, 'none') AS g, nullif(model, '') AS h, least(metrics.tokens, 10) AS i, greatest(1, 2) AS j, round(scores.F, 2) AS k, to_number(metadata.n) AS l, to_integer('3') AS m, to_boolean(metadata.flag) AS n, to_datetime(metadata.when) AS o, CAST(output AS VARCHAR) AS p, json_extract(metadata.config, 'env') AS q FROM project_logs('p')",
    "traces_any_span": "select: * | from: project_logs('p') traces | filter: ANY_SPAN(error IS NOT NULL) AND NOT ANY_SPAN(span_attributes.type = 'score') AND FILTER_SPANS(span_attributes.type = 'llm') | limit: 5",
    "summary": "select: * | from: project_logs('p') summary | filter: created > now() - interval 1 day | sort: _pagination_key desc | limit: 20",
    "summary_grouped": "SELECT metadata.model AS model, count(1) AS traces, avg(scores.Factuality) AS f, avg(estimated_cost()) AS cost, sum(metrics.llm_calls) AS calls FROM project_logs('p', shape => 'summary') GROUP BY 1",
    "summary_having": "SELECT id, scores FROM project_logs('p', shape => 'summary') HAVING avg(scores.Factuality) > 0.8",
    "unpivot_scores": "dimensions: score | measures: avg(value) as avg_value | from: project_logs('p') | unpivot: scores as (score, value) | sort: avg_value desc",
    "unpivot_json_array": "SELECT classification.id, COUNT(1) AS count FROM project_logs('p') UNPIVOT (classification FOR _ IN (classifications.Issues)) GROUP BY classification.id",
    "sample_rate": "select: id | from: experiment('e') | sample: 10%",
    "sample_count": "SELECT id FROM dataset('d') TABLESAMPLE (25 ROWS)",
    "cursor": "SELECT id FROM project_logs('p') WHERE created > '2024-01-01' ORDER BY created DESC LIMIT 50 OFFSET 'eyJ2IjpbIjIwMjQtMDEtMDJUMDA6MDA6MDBaIiwxMjNdfQ'",
    "match_search": "SELECT id FROM project_logs('p') WHERE output MATCH 'timeout' OR search('refund')",
    "several_sources": "SELECT id FROM experiment('e1', 'e2')",
    "pinned_trace": "select: * | from: project_logs('p') | filter: root_span_id = 'abc' AND created > '2024-01-01' | limit: 1000",
    "pinned_trace_summary": "select: id, metrics.llm_calls AS calls | from: project_logs('p') summary | filter: 'abc' = root_span_id",
    "search_newest_page": "SELECT id FROM project_logs('p') WHERE search('refund') LIMIT 1",
}  # fmt: skip


def _compile(text: str, dialect: str) -> str:
    compiled = compile_query(text, dialect=dialect, resolver=lambda kind, name: [(kind, name)],
                             search=lambda refs, q, fields, page=None: [12, 11], version=None)  # fmt: skip
    params = f"\n-- {dialect} params\n{compiled.params!r}" if compiled.params else ""
    return compiled.sql + params


def render(name: str) -> str:
    text = CASES[name]
    return f"-- query\n{text}\n-- duckdb\n{_compile(text, 'duckdb')}\n-- clickhouse\n{_compile(text, 'clickhouse')}\n"


@pytest.mark.parametrize("name", sorted(CASES))
def test_golden_sql(name: str, update_golden: bool) -> None:
    path = GOLDEN / f"{name}.sql"
    got = render(name)
    if update_golden:
        path.write_text(got, encoding="utf-8")
        return
    assert path.exists(), f"missing {path.name}: run `pytest tests/query --update-golden`"
    assert got == path.read_text(encoding="utf-8")


def test_no_stale_golden_files() -> None:
    assert {p.stem for p in GOLDEN.glob("*.sql")} <= set(CASES)
