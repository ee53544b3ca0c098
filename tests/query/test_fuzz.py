"""Whatever text arrives, parse/compile either succeed with exactly one SELECT or raise
QueryError — never another exception, never a second statement."""

from __future__ import annotations

import sqlglot
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from openloop.errors import QueryError
from openloop.query import compile_query

_FRAGMENTS = [
    "select:", "from:", "filter:", "sort:", "limit:", "dimensions:", "measures:", "unpivot:",
    "SELECT", "FROM", "WHERE", "GROUP BY", "ORDER BY", "HAVING", "LIMIT", "OFFSET", "UNPIVOT",
    "project_logs('p')", "project_logs('p', shape => 'summary')", "experiment('e')", "traces",
    "*", "id", "metadata.model", "metrics.tokens", "scores.Factuality", "tags", "tags[0]",
    "created", "error", "input", 'metadata."odd key"', "'x'", "'it''s'", '"q"', "1", "-2.5",
    "1e400", "99999999999999999999", "=", "!=", "<=>", "<!=>", ">", "IN", "('a', 'b')", "['a']",
    "IS NULL", "IS NOT NULL", "LIKE", "ILIKE", "MATCH", "INCLUDES", "AND", "OR", "NOT", "?",
    ":", "(", ")", ",", "|", ";", "--", "/*", "*/", "count(1)", "avg(", "percentile(latency, 0.5)",
    "ANY_SPAN(", "FILTER_SPANS(", "search('x')", "now() - interval 7 day", "interval '3 days'",
    "day(created)", "date_trunc('15 minutes', created)", "AS", "desc", "'; DROP TABLE rows; --",
    "\u00e9t\u00e9", "\U0001f600", "\\", "`", "\n", "\x00",
]  # fmt: skip


def resolver(kind: str, name: str) -> list[tuple[str, str]]:
    return [(kind, name)]


def check(text: str) -> None:
    for dialect in ("duckdb", "clickhouse"):
        try:
            compiled = compile_query(text, dialect=dialect, resolver=resolver)
        except QueryError as err:
            assert err.status == 400
            assert err.line is None or err.line >= 1
            continue
        statements = [s for s in sqlglot.parse(compiled.sql, read=dialect) if s is not None]
        assert len(statements) == 1
        assert isinstance(statements[0], sqlglot.exp.Select | sqlglot.exp.Union) is True
        assert isinstance(statements[0], sqlglot.exp.Select)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.sampled_from(_FRAGMENTS), max_size=25).map(" ".join))
def test_token_soup_never_crashes(text: str) -> None:
    check(text)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=200))
def test_random_text_never_crashes(text: str) -> None:
    check(text)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=60), st.sampled_from(["metadata.\"{}\" = 'v'", "input = '{}'", "tags includes '{}'",
                                              "metadata.a LIKE '{}'"]))  # fmt: skip
def test_any_literal_text_stays_one_statement(value: str, template: str) -> None:
    quoted = value.replace("'", "''").replace('"', '""')
    check(f"select: id | from: project_logs('p') | filter: {template.format(quoted)}")


def test_deep_nesting_is_a_query_error() -> None:
    for text in (
        "SELECT * FROM project_logs('p') WHERE " + "(" * 500 + "1" + ")" * 500,
        "SELECT * FROM project_logs('p') WHERE " + " AND ".join(["a = 1"] * 3000),
        "SELECT * FROM project_logs('p') WHERE " + "NOT " * 500 + "a",
        "SELECT * FROM project_logs('p') WHERE a = " + "-" * 500 + "1",
        "SELECT * FROM project_logs('p') WHERE " + "f(" * 500 + ")" * 500,
        "SELECT * FROM project_logs('p') WHERE a = " + " + ".join(["1"] * 3000),
    ):
        check(text)


def test_adversarial_inputs() -> None:
    for text in (
        "'; DROP TABLE rows; --",
        "SELECT * FROM project_logs('p'); DROP TABLE rows",
        "SELECT * FROM project_logs('p') -- comment",
        "select: * /* c */ | from: project_logs('p')",
        "SELECT * FROM project_logs('p\\'); DROP TABLE rows; --')",
        "",
        " ",
        ";",
        "select:",
        "SELECT * FROM project_logs('p') WHERE a = 1e308 * 10",
        "SELECT " + "x," * 2000 + "y FROM project_logs('p')",
    ):
        check(text)
