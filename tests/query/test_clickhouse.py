"""The ClickHouse SQL runs on chDB and returns what DuckDB returns for the same rows."""

from __future__ import annotations

import pytest

from openloop.query import run_query

from .fixtures import resolver
from .parity import normalize

LOGS = "project_logs('my-project')"

QUERIES = [
    f"select: * | from: {LOGS} | filter: created > '2000-01-01' | limit: 25",
    f"select: id, metadata.temperature AS t | from: {LOGS} | filter: metadata.temperature > 0.15 | limit: 500",
    f"select: id | from: {LOGS} | filter: metadata.note = 'it''s a \\\\ back\\\\slash' OR input.question ILIKE '%50\\% off%' | limit: 5",
    f"select: id, tags[-1] AS last, span_parents[0] AS parent | from: {LOGS} | filter: len(tags) > 1 | limit: 100",
    f"select: * | from: {LOGS} summary | filter: created > now() - interval 30 day | limit: 7",
    f"select: * | from: {LOGS} traces | filter: ANY_SPAN(span_attributes.type = 'tool' AND error IS NOT NULL) | limit: 3",
    f"dimensions: span_attributes.type AS kind | measures: count(1) AS n, sum(metrics.tokens) AS tokens, avg(latency) AS lat, percentile(latency, 0.5) AS p50 | from: {LOGS}",
    f"select: id, output | from: {LOGS} | filter: id = 'trace-00-root'",
    f"SELECT id, (scores.Factuality > 0.5 ? 'good' : 'bad') AS band, coalesce(error.type, 'none') AS et FROM {LOGS} WHERE root_span_id IN ('trace-03', 'trace-10') ORDER BY id",
    "select: id, scores | from: experiment('baseline') | sort: id",
    "select: metadata.split AS split, count(1) AS n | from: dataset('golden-set') | dimensions: 1",
    # pinned to one trace or row: DuckDB reads it through its index (a guarded page, a lookup CTE
    # for the other shapes), ClickHouse not
    f"select: * | from: {LOGS} | filter: root_span_id = 'trace-03' AND created > '2000-01-01'",
    f"select: * | from: {LOGS} traces | filter: root_span_id = 'trace-04' | limit: 3",
    f"select: * | from: {LOGS} summary | filter: 'trace-05' = root_span_id",
    f"select: id, input | from: {LOGS} | filter: id = 'trace-00-root' AND root_span_id = 'trace-00'",
]  # fmt: skip


@pytest.mark.parametrize("text", QUERIES, ids=[f"q{i}" for i in range(len(QUERIES))])
def test_same_rows_on_both_engines(text: str, duck, ch) -> None:
    a = run_query(duck, text, resolver=resolver)
    b = run_query(ch, text, resolver=resolver)
    assert normalize(a["data"]) == normalize(b["data"])
    assert a["cursor"] == b["cursor"]


def test_as_of_version_and_paging_on_clickhouse(ch, rows) -> None:
    old = run_query(
        ch,
        f"select: output | from: {LOGS} | filter: id = 'trace-00-root'",
        resolver=resolver,
        version=1,
    )
    assert old["data"] == [{"output": {"answer": "stale answer"}}]
    seen, cursor = [], None
    for _ in range(20):
        out = run_query(
            ch,
            f"select: id | from: {LOGS} | filter: created > '2000-01-01' | limit: 60",
            resolver=resolver,
            cursor=cursor,
        )
        seen += [r["id"] for r in out["data"]]
        cursor = out["cursor"]
        if not cursor:
            break
    live = [
        r
        for r in rows
        if r["object_type"] == "project_logs"
        and r["_superseded_by"] is None
        and not r["_object_delete"]
    ]
    assert sorted(seen) == sorted(r["id"] for r in live)


def test_quotes_and_backslashes_round_trip(duck, ch) -> None:
    text = f"select: id, metadata.note AS note | from: {LOGS} | filter: metadata.note = 'it''s a \\\\ back\\\\slash'"
    for store in (duck, ch):
        assert run_query(store, text, resolver=resolver)["data"] == [
            {"id": "trace-05-root", "note": "it's a \\ back\\slash"}
        ]


# Every function and operator on values of each kind (JSON objects, arrays, strings, numbers,
# missing paths, NULL columns, typed columns), one per query, on both engines. Left out: text
# made from a whole number stored as a float, which reads "1.0" on DuckDB and "1" on ClickHouse
# (docs/query-language.md, "Functions").
EXPRESSIONS = [
    'input',
    'output',
    'error',
    'metadata',
    'span_attributes',
    'metrics',
    'scores',
    'tags',
    'span_parents',
    'expected',
    'input.question',
    'input[0].content',
    'input[0]',
    'output.answer',
    'metadata.temperature',
    'metadata.config',
    'metadata.missing',
    'metrics.tokens',
    'metrics.start',
    'scores.Factuality',
    'error.type',
    'error.message',
    'CAST(output AS VARCHAR)',
    'CAST(input AS VARCHAR)',
    'CAST(error AS VARCHAR)',
    'to_string(output)',
    'to_string(metrics.tokens)',
    'to_string(is_root)',
    'to_string(created)',
    'to_string(scores.Factuality)',
    'to_string(input.question)',
    'to_string(input[0])',
    'to_number(metadata.temperature)',
    'to_number(metrics.tokens)',
    'to_number(input.question)',
    'to_integer(metadata.temperature)',
    'to_integer(metrics.start)',
    'to_boolean(is_root)',
    'to_boolean(metadata.temperature)',
    'to_date(created)',
    'to_datetime(metrics.start)',
    'to_datetime(input.question)',
    "coalesce(output, 'none')",
    "coalesce(output.answer, 'none')",
    'coalesce(metrics.tokens, 0)',
    'coalesce(metadata.temperature, metrics.tokens)',
    'coalesce(error, input)',
    "nullif(metadata.user_id, 'user-1')",
    'nullif(metrics.tokens, 0)',
    'least(metrics.tokens, 1000)',
    'greatest(metrics.tokens, 10)',
    'least(metrics.tokens, metrics.start)',
    'greatest(scores.Factuality, 0.5)',
    'lower(input.question)',
    'upper(span_attributes.name)',
    "concat(span_attributes.type, ':', metrics.tokens)",
    "concat(metadata.user_id, '-', metadata.missing)",
    "concat(input, '!')",
    'length(input.question)',
    'length(output)',
    'length(input)',
    'len(tags)',
    'len(span_parents)',
    'len(input)',
    'len(metadata.missing)',
    "contains(tags, 'triage')",
    "'feedback' IN tags",
    "'user' IN input",
    'tags[0]',
    'tags[-1]',
    'span_parents[0]',
    "json_extract(metadata.config, 'environment')",
    "json_extract(metadata.config, 'version')",
    "json_extract(input.question, 'x')",
    'round(scores.Factuality, 1)',
    'round(metrics.tokens / 3, 2)',
    'round(metadata.temperature, 0)',
    'abs(metrics.tokens - 2000)',
    'floor(latency)',
    'ceil(latency)',
    'metrics.tokens / 7',
    'metrics.tokens % 7',
    'metrics.tokens * 1.5',
    'metrics.tokens + metadata.temperature',
    '-metrics.tokens',
    'metrics.tokens / 0',
    'latency',
    'estimated_cost()',
    'metadata.temperature > 0.05',
    'metadata.temperature = 0.1',
    'metrics.tokens > 1000',
    "input.question = 'x'",
    "input.question LIKE '%refund%'",
    "input.question ILIKE '%REFUND%'",
    "input.question NOT LIKE '%refund%'",
    "input.question LIKE 'Question 1_:%'",
    "input MATCH 'refund'",
    'output.answer IS NULL',
    'output IS NULL',
    'error IS NOT NULL',
    'metadata.missing IS NULL',
    "metadata.user_id IN ('user-1', 'user-2')",
    "metadata.user_id NOT IN ('user-1', 'user-2')",
    'metrics.tokens BETWEEN 500 AND 2000',
    'metrics.tokens NOT BETWEEN 500 AND 2000',
    "metadata.user_id <=> 'user-1'",
    'metadata.missing <=> NULL',
    "metadata.user_id <!=> 'user-1'",
    "metadata.user_id != 'user-1'",
    "(metrics.tokens > 1000 ? 'big' : 'small')",
    '(metadata.missing IS NULL ? 1 : 0)',
    'metadata.temperature > 0.05 AND metrics.tokens > 1000',
    'metadata.temperature > 0.05 OR metrics.tokens > 1000',
    'NOT (metrics.tokens > 1000)',
    'hour(created)',
    'day(created)',
    'week(created)',
    'month(created)',
    'year(created)',
    'minute(created)',
    'second(created)',
    "date_trunc('15 minutes', created)",
    "date_trunc('2 hours', created)",
    "date_trunc('day', created)",
    'created > now() - interval 1 day',
    'created - interval 1 hour',
    'is_root',
    'has_error',
    'span_type',
    'error_type',
    'model',
    'scores.missing',
    'metadata.config.environment',
    'metadata."user_id"',
    "scores['Factuality']",
    '1 + 1',
    '1 / 2',
    '7 % 3',
    '2.5 * 2',
    "'x'",
    'NULL',
    'true',
    'coalesce(metrics.tokens, metrics.start)',
    'greatest(metadata.temperature, metrics.tokens)',
    'least(metrics.tokens, 5)',
    'to_string(input[0].content)',
    'to_string(tags)',
    "to_boolean('yes')",
    "to_integer('2.7')",
    "to_integer('-2.7')",
    'to_integer(true)',
    'to_number(false)',
    "to_integer('1e3')",
    "to_number(' 5 ')",
    "to_integer(' 42 ')",
    "to_integer('9007199254740993')",
    "to_integer('1e30')",
    "to_datetime('2024-05-01T10:00:00Z')",
    "to_datetime('2024-05-01')",
    'to_datetime(1714557600)',
    "to_datetime('1714557600.5')",
    "to_datetime('1e20')",
    'to_string(to_datetime(metrics.start))',
    'to_date(metrics.start)',
    'len(input[0])',
    'len(output.hits)',
    'input[0].role',
    'metadata[0]',
    'input[-1].content',
    'output[0]',
    "'x' IN tags",
    "'x' IN output",
    "'Answer 3' IN output.hits",
]  # fmt: skip
AGGREGATES = [
    'count(1)',
    'count(*)',
    'count(error)',
    'count(output)',
    'count(metadata.missing)',
    'count_distinct(root_span_id)',
    'count_distinct(metadata.user_id)',
    'sum(metrics.tokens)',
    'avg(metrics.tokens)',
    'min(metrics.tokens)',
    'max(metrics.tokens)',
    'min(created)',
    'max(input.question)',
    'min(metadata.user_id)',
    'sum(estimated_cost())',
    'percentile(latency, 0.5)',
    'percentile(latency, 0.95)',
    'percentile(metrics.tokens, 0.9)',
    'avg(scores.Factuality)',
    "sum(span_attributes.type = 'llm')",
    'sum(error IS NOT NULL) / count(1)',
    'avg(is_root)',
    'sum(metadata.temperature)',
    'max(latency) - min(latency)',
    'count(1) > 5',
]  # fmt: skip


_PER_ROW = f"SELECT id, {{}} AS v FROM {LOGS} WHERE created > now() - interval 30 day ORDER BY id LIMIT 300"
_PER_TYPE = (f"SELECT span_attributes.type AS k, {{}} AS v FROM {LOGS} "
             "WHERE created > now() - interval 30 day GROUP BY 1 ORDER BY k")  # fmt: skip


@pytest.mark.parametrize(("template", "expr"), [(_PER_ROW, e) for e in EXPRESSIONS]
                         + [(_PER_TYPE, e) for e in AGGREGATES])  # fmt: skip
def test_same_values_on_both_engines(template: str, expr: str, duck, ch) -> None:
    text = template.format(expr)
    a = run_query(duck, text, resolver=resolver)["data"]
    b = run_query(ch, text, resolver=resolver)["data"]
    assert len(a) == 4 if template is _PER_TYPE else len(a) > 100
    assert normalize(a) == normalize(b)


# What each conversion returns, on both engines.
CONVERSIONS = {
    "to_integer('2.7')": 2,
    "to_integer('-2.7')": -2,
    "to_integer(' 42 ')": 42,
    "to_integer('1e3')": 1000,
    "to_integer('9007199254740993')": 9007199254740993,
    "to_integer('1e30')": None,
    "to_integer('abc')": None,
    "to_integer(true)": 1,
    "to_number(false)": 0.0,
    "to_number(' 5 ')": 5.0,
    "to_boolean('Yes')": True,
    "to_boolean('0.0')": False,
    "to_boolean('2')": True,
    "to_boolean('maybe')": None,
    "to_datetime(1714557600)": "2024-05-01T10:00:00Z",
    "to_datetime('1714557600.5')": "2024-05-01T10:00:00.500000Z",
    "to_datetime('2024-05-01T10:00:00Z')": "2024-05-01T10:00:00Z",
    "to_datetime('1e20')": None,
    "to_string(to_datetime('2024-05-01T10:00:00.25Z'))": "2024-05-01T10:00:00.250000Z",
    "to_string(to_datetime(1714557600))": "2024-05-01T10:00:00Z",
    "least(NULL, 3, 1.5)": 1.5,
    "greatest(metrics.tokens, 10)": 10,  # tokens is NULL on this row: NULLs are skipped
    "least(metrics.tokens, metrics.missing)": None,
    "CAST(output AS VARCHAR)": None,  # no output
    "to_string(input.question)": "Question 3: refund timeout",  # unquoted
    "input[0]": None,  # input is an object: no element 0
    "len(output)": None,
    "to_string(tags)": "[]",
    # values converted where a function or operator needs another kind
    "concat('root:', is_root)": "root:true",
    "to_string(1 < 2)": "true",
    "floor(is_root)": 1,
    "is_root + is_root": 2,
    "lower(-1)": "-1",
    "hour('2024-05-01T10:30:00Z')": "2024-05-01T10:00:00Z",
    "(error.type IS NULL ? input.question : 'no')": "Question 3: refund timeout",
    "(1 < 2) = (2 < 3)": True,
    "(input IS NULL) IS NULL": False,
    "metrics.tokens > '100'": None,
    "to_datetime('2024-05-01T10:00:01.5Z') - to_datetime('2024-05-01T10:00:00Z')": 1.5,
    "metrics.missing % 0": None,
    # SQL's || joins text: looser than + and -, tighter than comparisons, NULL when a side is
    "id || '/' || span_id": "trace-03-root/trace-03",
    "'x' || 1 + 2": "x3",
    "'q' || 'r' = 'qr'": True,
    "'n:' || metadata.missing": None,
    # SQL spellings: CASE, ::, IS [NOT] DISTINCT FROM, DATE '…'
    "CASE WHEN is_root THEN 'root' ELSE 'child' END": "root",
    "CASE span_attributes.type WHEN 'llm' THEN 1 WHEN 'task' THEN 2 END": 2,
    "CASE WHEN has_error THEN 'err' END": None,
    "'5'::double + 1": 6.0,
    "latency::int": 5,
    "metrics.tokens::varchar": None,
    "model IS DISTINCT FROM 'gpt-4o'": True,
    "model IS NOT DISTINCT FROM NULL": True,
    "created >= DATE '2000-01-01'": True,
    "to_date(to_datetime('2024-05-01T10:30:00Z'))": "2024-05-01T00:00:00Z",
    "to_datetime(to_datetime('2024-05-01T10:30:00Z'))": "2024-05-01T10:30:00Z",
}


@pytest.mark.parametrize("expr", list(CONVERSIONS))
def test_conversions(expr: str, duck, ch) -> None:
    text = f"SELECT {expr} AS v FROM {LOGS} WHERE id = 'trace-03-root' AND created > '2000-01-01'"
    for store in (duck, ch):
        assert run_query(store, text, resolver=resolver)["data"] == [{"v": CONVERSIONS[expr]}], (
            store.dialect
        )
