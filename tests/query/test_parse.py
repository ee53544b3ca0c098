"""Parsing and checking: one AST for both syntaxes; errors a person can act on."""

from __future__ import annotations

import pytest

from openloop.errors import QueryError
from openloop.query import ast, compile_query, describe, parse


def resolver(kind: str, name: str) -> list[tuple[str, str]]:
    return [(kind, name)]


def compile_(text: str, dialect: str = "duckdb", **kw):
    return compile_query(text, dialect=dialect, resolver=resolver, **kw)


def error_of(text: str, **kw) -> QueryError:
    with pytest.raises(QueryError) as exc:
        compile_(text, **kw)
    return exc.value


@pytest.mark.parametrize(("btql", "sql"), [
    ("select: id, metadata.model as m | from: project_logs('p') | filter: scores.Factuality > 0.5 | sort: created desc | limit: 5",
     "SELECT id, metadata.model AS m FROM project_logs('p') WHERE scores.Factuality > 0.5 ORDER BY created DESC LIMIT 5"),
    ("dimensions: metadata.model as model | measures: count(1) as n | from: project_logs('p') | final_filter: count(1) > 2",
     "SELECT metadata.model AS model, count(1) AS n FROM project_logs('p') GROUP BY 1 HAVING count(1) > 2"),
    ("select: * | from: project_logs('p') traces | filter: x.y IN ['a', 'b']",
     "SELECT * FROM project_logs('p', shape => 'traces') WHERE x.y IN ('a', 'b')"),
])  # fmt: skip
def test_both_syntaxes_give_the_same_ast(btql: str, sql: str) -> None:
    assert parse(btql) == parse(sql)
    assert parse(btql).syntax == "btql" and parse(sql).syntax == "sql"


def test_btql_clauses_on_separate_lines() -> None:
    text = "select: id\nfrom: project_logs('p')\nfilter: a = 1\n  AND b = 2  -- both\nlimit: 3"
    q = parse(text)
    assert q.limit == 3 and isinstance(q.filter, ast.Binary) and q.filter.op == "and"


def test_paths_quoted_keys_and_indexes() -> None:
    q = parse(
        "select: metadata.\"field name\".items[0].x, tags[-1], scores['Decision quality'] | from: project_logs('p')"
    )
    assert [i.expr.path for i in q.select] == [("metadata", "field name", "items", 0, "x"), ("tags", -1),
                                               ("scores", "Decision quality")]  # fmt: skip


def test_operators_parse_to_expected_nodes() -> None:
    q = parse("SELECT * FROM project_logs('p') WHERE a <=> 1 AND b <!=> 2 AND c NOT IN (1, 2) AND d IS NOT NULL "
              "AND e NOT LIKE 'x%' AND NOT f ILIKE 'y' AND -g + 2 * 3 % 4 > 1 AND (h ? 1 : 0) = 1")  # fmt: skip
    text = repr(q.filter)
    for needle in (
        "nseq",
        "nsne",
        "negated=True",
        "IsNull",
        "'like'",
        "'ilike'",
        "'neg'",
        "'mod'",
        "Ternary",
    ):
        assert needle in text


def test_error_has_line_column_and_caret() -> None:
    err = error_of("select: id\nfrom: project_logs('p')\nfilter: metadta.model = 'x'")
    assert (err.line, err.column) == (3, 9)
    assert err.snippet == "filter: metadta.model = 'x'\n        ^"
    assert "did you mean 'metadata'" in err.message and "metadata" in err.suggestions


def test_unknown_function_and_clause_suggest_names() -> None:
    assert "count" in error_of("select: cuont(1) | from: project_logs('p')").suggestions
    assert "filter" in error_of("select: * | from: project_logs('p') | fliter: a = 1").suggestions


@pytest.mark.parametrize(("text", "message"), [
    ("SELECT * FROM project_logs('p') WHERE tags INCLUDES 'x'", "only available in BTQL"),
    ("SELECT * FROM project_logs('p') LIMIT 5 OFFSET 10", "numeric OFFSET"),
    ("SELECT * FROM project_logs('p') JOIN x", "not supported"),
    ("SELECT * FROM project_logs('p'); SELECT 1", "only one statement"),
    ("SELECT * FROM project_logs('p') WHERE count(1) > 1", "not allowed here"),
    ("SELECT id, count(1) FROM project_logs('p')", "must be in GROUP BY"),
    ("SELECT id, id FROM project_logs('p')", "duplicate column name"),
    ("SELECT metadata.model, span_attributes.model FROM project_logs('p')", "duplicate column name"),
    ("SELECT * FROM project_logs('p') WHERE created > 'yesterday'", "not an ISO date"),
    ("SELECT * FROM project_logs('p') LIMIT 100000", "over the maximum"),
    ("SELECT * FROM project_logs('p') WHERE percentile(x, 2) > 1", "not allowed"),
    ("SELECT percentile(metrics.x, 2) FROM project_logs('p')", "between 0 and 1"),
    ("SELECT * FROM project_logs('p') WHERE 'a", "unterminated string"),
    ("SELECT * FROM project_logs('p') /* x", "unterminated comment"),
    ("SELECT * FROM project_logs('p') WHERE a = 99999999999999999999", "too large"),
    ("SELECT * FROM project_logs('p') WHERE x = 1 ORDER BY", "expected a value"),
    ("select: * | from: nowhere('p')", "unknown data source"),
    ("select: *", "missing data source"),
    ("SELECT * FROM project_logs('p') WHERE id > 1 + 'a'", "arithmetic on text"),
    ("SELECT * FROM project_logs('p') WHERE FILTER_SPANS(a = 1) OR b = 2", "top-level AND"),
    ("SELECT * FROM project_logs('p') WHERE date_trunc('3 weeks', created) > now()", "date_trunc unit"),
    ("select: tag | from: project_logs('p') | unpivot: tags as tag", "unpivot: tags as (tag)"),
    # values of the wrong kind are refused before the engine sees them
    ("SELECT id FROM project_logs('p') WHERE is_root = 1", "cannot compare a boolean with a number"),
    ("SELECT id FROM project_logs('p') WHERE span_attributes.name = 5", "cannot compare text with a number"),
    ("SELECT id FROM project_logs('p') WHERE tags = 'x'", "cannot compare an array with text"),
    ("SELECT floor(span_attributes.name) AS f FROM project_logs('p')", "floor() needs a number, got text"),
    ("SELECT abs(created) AS a FROM project_logs('p')", "abs() needs a number, got a timestamp"),
    ("SELECT id FROM project_logs('p') WHERE metadata.x = 1 AND span_attributes.name", "AND joins conditions, got text"),
    ("SELECT id FROM project_logs('p') WHERE NOT metrics.tokens", "NOT needs a condition, got a number"),
    ("SELECT (is_root ? 1 : 'no') AS v FROM project_logs('p')", "the two results of ?: must be of one kind"),
    ("SELECT (span_attributes.name ? 1 : 2) AS v FROM project_logs('p')", "condition before ? must be true or false"),
    ("SELECT coalesce(metrics.tokens, 'none') AS v FROM project_logs('p')", "arguments of coalesce() must be of one kind"),
    ("SELECT id FROM project_logs('p') WHERE span_attributes.name IN (1, 2)", "IN compares text with a number"),
    ("SELECT hour(is_root) AS h FROM project_logs('p')", "hour() needs a timestamp, got a boolean"),
    ("SELECT created + 1 AS t FROM project_logs('p')", "shifted by an interval"),
    ("SELECT json_extract(metrics.tokens, 'a') AS j FROM project_logs('p')", "json_extract() reads JSON text, got a number"),
    ("SELECT to_datetime(is_root) AS t FROM project_logs('p')", "to_datetime() reads text or epoch seconds"),
    ("select: 'a' || 'b' AS x | from: project_logs('p')", "`||` is SQL syntax"),
    ("SELECT CASE WHEN is_root THEN 1 AS x FROM project_logs('p')", "expected END"),
    ("SELECT CASE END AS x FROM project_logs('p')", "expected WHEN after CASE"),
    ("SELECT latency::money AS x FROM project_logs('p')", "unknown CAST type"),
    ("SELECT id FROM project_logs('p') WHERE created > DATE 'soon'", "not an ISO date"),
])  # fmt: skip
def test_errors(text: str, message: str) -> None:
    err = error_of(text)
    assert message in err.message, err.message
    assert err.status == 400


def test_implicit_alias_usable_in_where_and_group_but_explicit_alias_disables_it() -> None:
    sql = compile_("SELECT metadata.region FROM project_logs('p') WHERE region = 'eu'").sql
    assert sql.count("region") >= 2
    err = error_of("SELECT metadata.region AS r FROM project_logs('p') WHERE region = 'eu'")
    assert "unknown field 'region'" in err.message
    ok = compile_(
        "SELECT classifications.Task[0].label AS topic, count(*) AS n FROM project_logs('p') GROUP BY topic"
    )
    assert "GROUP BY" in ok.sql


def test_top_level_names_win_over_aliases() -> None:
    sql = compile_("SELECT metadata.input AS input FROM project_logs('p') WHERE input IS NULL").sql
    assert '"input" IS NULL' in sql.replace(
        "JSON_EXTRACT_STRING(\"input\", '$') IS NULL", '"input" IS NULL'
    )


def test_error_is_null_uses_the_error_flag_column() -> None:
    assert '"has_error"' in compile_("SELECT id FROM project_logs('p') WHERE error IS NOT NULL").sql


def test_hot_paths_compile_to_columns_and_others_to_json() -> None:
    c = compile_("SELECT id FROM project_logs('p') WHERE metadata.model = 'x' AND metrics.tokens > 3 AND "
                 "span_attributes.type = 'llm' AND metadata.region = 'eu' AND metrics.foo > 1")  # fmt: skip
    assert '"model" = ' in c.sql and '"total_tokens" > 3' in c.sql and '"span_type" = ' in c.sql
    assert 'JSON_EXTRACT_STRING("metadata", \'$."region"\')' in c.sql
    assert 'TRY_CAST(JSON_EXTRACT_STRING("metrics", \'$."foo"\') AS DOUBLE)' in c.sql
    ch = compile_("SELECT id FROM project_logs('p') WHERE metadata.region = 'eu'", "clickhouse")
    assert "JSONExtract(\"metadata\", 'region', 'Nullable(String)')" in ch.sql


def test_user_text_is_quoted_not_spliced() -> None:
    nasty = "x'; DROP TABLE rows; --"
    for dialect in ("duckdb", "clickhouse"):
        c = compile_(
            f"SELECT id FROM project_logs('p') WHERE metadata.\"{nasty}\" = '{nasty.replace(chr(39), chr(39) * 2)}'",
            dialect,
        )
        import sqlglot

        statements = sqlglot.parse(c.sql, read=dialect)
        assert len(statements) == 1 and isinstance(statements[0], sqlglot.exp.Select)


def test_describe_says_what_the_query_does() -> None:
    assert describe("select: * | from: project_logs('p') | filter: scores.Factuality < 0.5 | limit: 10") == \
        "Up to 10 spans from project logs 'p' where scores.Factuality < 0.5, newest first."  # fmt: skip
    text = describe(
        "SELECT metadata.model AS model, count(1) AS n FROM project_logs('p', shape => 'traces') GROUP BY 1 ORDER BY n DESC"
    )
    assert "grouped by model" in text and "traces" in text and "n descending" in text


def test_public_api_is_pinned() -> None:
    import openloop.query as q

    assert sorted(q.__all__) == [
        "Compiled",
        "OutputColumn",
        "Query",
        "compile_query",
        "describe",
        "parse",
        "run_query",
    ]


@pytest.mark.parametrize(("text", "tokens"), [
    ("a.b >= 1.5", [("ident", "a", 0, 1), ("op", ".", 1, 2), ("ident", "b", 2, 3),
                    ("op", ">=", 4, 6), ("number", "1.5", 7, 10)]),
    ("1.5.3", [("number", "1.5", 0, 3), ("number", ".3", 3, 5)]),
    ("x = 1e5", [("ident", "x", 0, 1), ("op", "=", 2, 3), ("number", "1e5", 4, 7)]),
    ("'it''s' 'a\\'b' 'plain'", [("string", "it's", 0, 7), ("string", "a'b", 8, 14),
                                 ("string", "plain", 15, 22)]),
    ('"a b" "x""y" `c`', [("qident", "a b", 0, 5), ("qident", 'x"y', 6, 12), ("qident", "c", 13, 16)]),
    ("a--note\n-b", [("ident", "a", 0, 1), ("op", "-", 8, 9), ("ident", "b", 9, 10)]),
    ("é1 ٣", [("ident", "é1", 0, 2), ("number", "٣", 3, 4)]),
])  # fmt: skip
def test_tokens_on_both_scanner_paths(text: str, tokens: list[tuple[str, str, int, int]]) -> None:
    """Common tokens take one regex step and the rest the character scanner; both agree."""
    from openloop.query.tokens import tokenize

    got = tokenize(text)
    assert [(t.kind, t.value, t.pos, t.end) for t in got[:-1]] == tokens
    assert got[-1].kind == "eof"


def test_line_start_marks_the_first_token_of_each_line() -> None:
    from openloop.query.tokens import tokenize

    got = tokenize("select: a -- c\n  /* x */ from: t /* 1\n2 */ | limit: 5")
    assert [t.value for t in got if t.line_start] == ["select", "from"]


def test_tokenizer_errors_are_unchanged() -> None:
    assert "a name cannot start with a digit" in str(error_of("SELECT 1x FROM project_logs('p')"))
    assert "unterminated string" in str(error_of("SELECT 'abc FROM project_logs('p')"))
    assert "unterminated quoted name" in str(error_of("SELECT \"abc FROM project_logs('p')"))


def test_ast_nodes_stay_frozen_with_their_defaults() -> None:
    node = ast.Binary("eq", ast.Literal(1), ast.Literal(2, pos=4))
    assert node == ast.Binary("eq", ast.Literal(1), ast.Literal(2)) and node.pos == 0
    assert hash(node) == hash(ast.Binary("eq", ast.Literal(1), ast.Literal(2)))
    with pytest.raises(AttributeError):
        node.op = "ne"  # type: ignore[misc]
    assert ast.Query().sort == () and ast.Field(("a",)).bare_quoted is False
