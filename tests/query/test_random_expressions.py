"""Random nestings of every field kind, function and operator: each one either runs or is refused
with a query error (line, column, caret) — never an engine error about the generated SQL."""

from __future__ import annotations

import random

import pytest

from openloop.errors import QueryError
from openloop.query import run_query

from .fixtures import resolver

LEAVES = [
    "input", "output", "error", "metadata", "metrics", "span_attributes", "tags", "scores",
    "created", "input.question", "input[0].content", "input[0].role", "output.answer",
    "output[0].content", "metadata.user_id", "metadata.temperature", "metadata.config",
    "metadata.missing", "metrics.tokens", "metrics.start", "metrics.prompt_tokens",
    "scores.Factuality", "error.type", "error.message", "latency", "is_root", "has_error",
    "span_type", "model", "span_attributes.name", "tags[0]", "span_parents[0]", "root_span_id",
    "id", "'abc'", "'12'", "' 7.5 '", "'true'", "'2024-05-01T10:00:00Z'", "3", "2.5", "0", "-1",
    "NULL", "true", "false", "''",
]  # fmt: skip
UNARY = [
    "lower({})", "upper({})", "length({})", "len({})", "to_string({})", "to_number({})",
    "to_integer({})", "to_boolean({})", "to_datetime({})", "to_date({})", "abs({})", "floor({})",
    "ceil({})", "round({}, 1)", "-({})", "NOT ({})", "({}) IS NULL", "({}) IS NOT NULL",
    "coalesce({}, 'd')", "nullif({}, 'abc')", "hour({})", "day({})", "CAST({} AS VARCHAR)",
    "json_extract({}, 'environment')", "date_trunc('15 minutes', {})", "({}) MATCH 'refund'",
]  # fmt: skip
BINARY = [
    "({}) + ({})", "({}) - ({})", "({}) * ({})", "({}) / ({})", "({}) % ({})", "({}) = ({})",
    "({}) != ({})", "({}) < ({})", "({}) >= ({})", "({}) <=> ({})", "concat({}, {})",
    "coalesce({}, {})", "least({}, {})", "greatest({}, {})", "({}) AND ({})", "({}) OR ({})",
    "({}) LIKE ({})", "({}) ILIKE ({})", "({}) IN (({}), 'x')", "(({}) ? ({}) : 'no')",
    "({}) BETWEEN ({}) AND 10",
]  # fmt: skip


def _expression(rnd: random.Random, depth: int) -> str:
    if depth == 0 or rnd.random() < 0.3:
        return rnd.choice(LEAVES)
    if rnd.random() < 0.5:
        return rnd.choice(UNARY).format(_expression(rnd, depth - 1))
    return rnd.choice(BINARY).format(_expression(rnd, depth - 1), _expression(rnd, depth - 1))


def _expressions(seed: int, n: int) -> list[str]:
    rnd = random.Random(seed)
    return [_expression(rnd, 3) for _ in range(n)]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_expressions_run_or_fail_as_query_errors(seed: int, duck) -> None:
    ran = refused = 0
    for expr in _expressions(seed, 300):
        text = (f"SELECT id, {expr} AS v FROM project_logs('my-project') "
                "WHERE created > now() - interval 30 day ORDER BY id LIMIT 300")  # fmt: skip
        try:
            run_query(duck, text, resolver=resolver)
        except QueryError as exc:
            assert exc.line == 1 and exc.column >= 1 and "^" in exc.snippet, expr
            refused += 1
        else:
            ran += 1
    assert ran > 100 and refused > 50  # the generator reaches both outcomes
