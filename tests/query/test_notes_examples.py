"""Every example query collected in the Braintrust notes (§1.12) parses; those whose fields
exist in our data run on DuckDB and give the same rows on ClickHouse (chDB)."""

from __future__ import annotations

import pytest

from openloop.query import compile_query, parse, run_query

from .fixtures import resolver
from .parity import normalize

P = "'my-project'"
TRACES = f"SELECT * FROM project_logs({P}, shape => 'traces')"
LOGS = f"SELECT * FROM project_logs({P})"

# (number, query, runs) — "runs" is False only where the text cannot run as written.
EXAMPLES: list[tuple[str, str, bool]] = [
    ("1", f"SELECT * FROM project_logs({P}, shape => 'spans') WHERE scores.Factuality > 0.8 AND created > now() - interval 7 day ORDER BY created DESC LIMIT 100", True),
    ("2", f"select: * | from: project_logs({P}) | filter: tags includes 'triage' AND created > now() - interval 7 day", True),
    ("3", f"SELECT metadata.model AS model, scores.Factuality AS score, created AS timestamp FROM project_logs({P}) WHERE created > now() - interval 7 day", True),
    ("4", f"SELECT metadata.model, metrics.tokens > 1000 AS is_long_response, (scores.Factuality > 0.8 ? \"high\" : \"low\") AS quality FROM project_logs({P}) WHERE created > now() - interval 7 day", True),
    ("5", f"SELECT day(created) AS date, hour(created) AS hour, round(scores.Factuality, 2) AS rounded_score FROM project_logs({P}) WHERE created > now() - interval 7 day", True),
    ("6", f"SELECT metadata.model AS model, day(created) AS date, count(1) AS total_calls, avg(scores.Factuality) AS avg_score, percentile(latency, 0.95) AS p95_latency FROM project_logs({P}) WHERE created > now() - interval 7 day GROUP BY metadata.model, day(created)", True),
    ("7", f"dimensions: metadata.model as model, day(created) as date | measures: count(1) as total_calls, avg(scores.Factuality) as avg_score, percentile(latency, 0.95) as p95_latency | from: project_logs({P})", True),
    ("8", f"SELECT metadata.model AS model, avg(scores.Factuality) AS avg_score, count(1) AS total_calls FROM project_logs({P}) WHERE created > now() - interval 7 day GROUP BY metadata.model HAVING avg(scores.Factuality) > 0.8 AND count(1) > 100 ORDER BY avg_score DESC", True),
    ("9", f"SELECT * FROM project_logs({P}, shape => 'spans') WHERE span_attributes.type = 'llm' AND metrics.time_to_first_token > 0.1 AND created > now() - interval 7 day LIMIT 10", True),
    ("10", f"SELECT * FROM project_logs({P}, shape => 'traces') WHERE root_span_id = 'trace-03' AND error IS NOT NULL", True),
    ("11", f"select: * | from: project_logs({P}) summary | preview_length: 1024 | limit: 10", True),
    ("12", f"SELECT metadata.model AS model, day(created) AS date, count(1) AS trace_count, avg(scores.Factuality) AS avg_score, avg(estimated_cost()) AS avg_cost FROM project_logs({P}, shape => 'summary') WHERE created > now() - interval 7 day GROUP BY 1, 2 ORDER BY date DESC", True),
    ("13", f"{TRACES} WHERE ANY_SPAN(error IS NOT NULL) AND ANY_SPAN(span_attributes.type = 'llm')", True),
    ("14", f"{TRACES} WHERE NOT ANY_SPAN(span_attributes.type = 'score' AND ANY_SPAN(span_attributes.name = 'null_score'))", True),
    ("15", f"{TRACES} WHERE FILTER_SPANS(span_attributes.type = 'score') AND metrics.duration > 1", True),
    ("16a", f"{TRACES} WHERE search('timeout') AND metadata.environment = 'production'", True),
    ("16b", f"{TRACES} WHERE output MATCH 'timeout'", True),
    ("17a", f"{LOGS} WHERE input ILIKE '%question%'", True),
    ("17b", f"{LOGS} WHERE metadata.email ILIKE '%@braintrust.com'", True),
    ("17c", f"{LOGS} WHERE metadata.description LIKE '%50\\% off%'", True),
    ("18", f"SELECT * FROM project_logs({P}) WHERE created < now() - interval 7 day AND created > now() - interval 1 month", True),
    ("19a", f"SELECT score, AVG(value) AS avg_value, COUNT(1) AS count FROM project_logs({P}) UNPIVOT (value FOR score IN (scores)) WHERE created > now() - interval 7 day GROUP BY score ORDER BY avg_value DESC", True),
    ("19b", f"dimensions: score | measures: avg(value) as avg_value, count(1) as count | from: project_logs({P}) | unpivot: scores as (score, value) | sort: avg_value desc", True),
    ("20", f"SELECT day(created) AS date, metadata.model, AVG(scores.Factuality) FROM project_logs({P}) WHERE created > now() - interval 7 day GROUP BY day(created), metadata.model PIVOT(AVG(scores.Factuality) FOR metadata.model IN (ANY))", True),
    ("21", f"SELECT id, tag FROM project_logs({P}) UNPIVOT (tag FOR _ IN (tags)) WHERE created > now() - interval 7 day", True),
    ("22", f"SELECT classification.id, COUNT(1) AS count FROM project_logs({P}) UNPIVOT (classification FOR _ IN (classifications.Issues)) WHERE created >= NOW() - INTERVAL 3 DAY GROUP BY classification.id", True),
    ("23", f"SELECT * FROM project_logs({P}) WHERE created > now() - interval 7 day ORDER BY _pagination_key DESC LIMIT 100 OFFSET 'eyJ2IjpbMTE4Nl19'", True),
    ("24a", f"SELECT day(created) AS time, sum(metrics.total_tokens) AS total_tokens, sum(metrics.prompt_tokens) AS input_tokens, sum(metrics.completion_tokens) AS output_tokens FROM project_logs({P}) WHERE created > '2024-01-01T00:00:00Z' GROUP BY 1 ORDER BY time ASC", True),
    ("24b", f"SELECT date_trunc('day', created) AS time, sum(metrics.total_tokens) AS total_tokens FROM project_logs({P}) WHERE created > '2024-01-01T00:00:00Z' GROUP BY 1 ORDER BY time ASC", True),
    ("25", f"SELECT metadata.model AS model, day(created) AS date, avg(scores.Factuality) AS avg_factuality, percentile(scores.Factuality, 0.05) AS p05_factuality, percentile(scores.Factuality, 0.95) AS p95_factuality, count(1) AS total_calls FROM project_logs({P}) WHERE created > '2024-01-01' GROUP BY 1, 2 ORDER BY date DESC, model ASC", True),
    ("26", f"SELECT metadata.model AS model, hour(created) AS hour, count(1) AS total, count(error) AS errors, count(error) / count(1) AS error_rate FROM project_logs({P}) WHERE created > now() - interval 1 day GROUP BY 1, 2 ORDER BY error_rate DESC", True),
    ("27", f"SELECT error.type AS error_type, metadata.model AS model, count(1) AS error_count, avg(metrics.latency) AS avg_latency FROM project_logs({P}) WHERE error IS NOT NULL AND created > now() - interval 7 day GROUP BY 1, 2 ORDER BY error_count DESC", True),
    ("28", f"SELECT metadata.endpoint AS endpoint, hour(created) AS hour, percentile(metrics.latency, 0.95) AS p95_latency, percentile(metrics.latency, 0.50) AS median_latency, count(1) AS requests FROM project_logs({P}) WHERE created > now() - interval 1 day GROUP BY 1, 2 ORDER BY hour DESC, p95_latency DESC", True),
    ("29", f"select: tags[0] AS primary_tag, metadata.model AS model, count(1) AS feedback_count, avg(scores.Factuality > 0.8 ? 1 : 0) AS high_quality_rate | from: project_logs({P}) | filter: tags INCLUDES 'feedback' AND created > now() - interval 30 day | dimensions: 1, 2 | sort: feedback_count DESC", True),
    ("30", f"select: * | from: project_logs({P}) traces | filter: ANY_SPAN(tags INCLUDES 'content-change') AND ANY_SPAN(scores.\"email sent\" IS NOT NULL) AND created > now() - interval 7 day | limit: 100", True),
    ("31", f"SELECT * FROM project_logs({P}) WHERE json_extract(metadata.config, 'environment') = 'production' AND json_extract(metadata.config, 'version') > 2.0 AND created > now() - interval 7 day", True),
    ("32", f"SELECT classifications.Task[0].label AS topic, count(*) AS count FROM project_logs({P}) WHERE classifications.Task IS NOT NULL AND created > now() - interval 7 day GROUP BY topic ORDER BY count DESC", True),
    ("33", f"SELECT id, created, facets.task, facets.sentiment FROM project_logs({P}) WHERE facets.sentiment IN ('NEGATIVE', 'MIXED') AND created > now() - interval 7 day ORDER BY created DESC LIMIT 100", True),
    ("34", f"SELECT sum(estimated_cost()) / count_distinct(root_span_id) AS cost_per_trace, sum(span_attributes.type = 'llm') / count_distinct(root_span_id) AS llm_calls_per_trace, count(1) / count_distinct(root_span_id) AS spans_per_trace FROM project_logs({P}) WHERE created > now() - interval 7 day", True),
    ("35", "SELECT root_span_id, scores, metadata FROM experiment('baseline') WHERE created >= '2024-01-01T00:00:00Z' AND created <= '2099-01-01T00:00:00Z' AND span_attributes.type = 'score' LIMIT 1000", True),
    ("36", f"select: * | from: project_logs({P}) summary | filter: (created >= NOW() - INTERVAL 3600 SECOND) AND (input MATCH 'x' OR expected MATCH 'x' OR metadata MATCH 'x' OR tags MATCH 'x' OR output MATCH 'x' OR span_attributes MATCH 'x') | preview_length: 125 | sort: _pagination_key DESC | limit: 50", True),
    ("37", f"select: id, span_id, root_span_id, _pagination_key, _xact_id, created, span_parents, span_attributes, metadata.model, error, scores, metrics | from: project_logs({P}) spans | filter: root_span_id = 'trace-03' | preview_length: 125 | sort: _pagination_key ASC | limit: 1000", True),
    ("38", f"select: * | from: project_logs({P}) spans | filter: id = 'trace-03-root' | preview_length: -1 | limit: 1", True),
    ("39a", "SELECT count(*) as count FROM logs WHERE created > now() - interval 1 day", False),
    ("39b", "SELECT metadata.model, count(*) as count FROM logs GROUP BY metadata.model", False),
    ("39c", "SELECT hour(created) as hr, count(*) as count FROM logs GROUP BY hour(created)", False),
    ("40", f"SELECT id, input, output FROM project_logs({P}, shape => 'summary') WHERE created >= NOW() - INTERVAL 7 day AND (input IS NULL OR output IS NULL OR length(CAST(output AS VARCHAR)) < 5) LIMIT 20", True),
]  # fmt: skip


def _search(refs, text, fields, page=None):
    # a stand-in for DataStore.search_ids: rows whose output or error mention the word
    del refs, fields, page
    return [1003, 1004] if text == "timeout" else []


@pytest.mark.parametrize(("num", "text", "runs"), EXAMPLES, ids=[e[0] for e in EXAMPLES])
def test_example_parses(num: str, text: str, runs: bool) -> None:
    q = parse(text)
    assert q.source is not None


@pytest.mark.parametrize(("num", "text"), [(n, t) for n, t, r in EXAMPLES if r],
                         ids=[e[0] for e in EXAMPLES if e[2]])  # fmt: skip
def test_example_runs_same_on_duckdb_and_clickhouse(num: str, text: str, duck, ch) -> None:
    got_duck = run_query(duck, text, resolver=resolver, search=_search)
    got_ch = run_query(ch, text, resolver=resolver, search=_search)
    assert normalize(got_duck["data"]) == normalize(got_ch["data"])


def test_bare_logs_source_is_reported_with_a_suggestion() -> None:
    from openloop.errors import QueryError

    with pytest.raises(QueryError) as exc:
        compile_query(EXAMPLES[-4][1], dialect="duckdb", resolver=resolver)
    assert "project_logs" in str(exc.value)


def test_rewritten_agent_skill_queries_run(duck) -> None:
    for num, text, runs in EXAMPLES:
        if not runs:
            fixed = text.replace("FROM logs", f"FROM project_logs({P})")
            assert isinstance(run_query(duck, fixed, resolver=resolver)["data"], list), num
