"""docs/query-language.md is a contract: every ```sql and ```btql block parses, compiles for
both engines and returns the same rows on both for the sample project; every ```text error
example fails as shown."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from openloop.errors import QueryError
from openloop.query import compile_query, parse, run_query

from .fixtures import resolver
from .parity import normalize

DOC = Path(__file__).resolve().parents[2] / "docs" / "query-language.md"
_BLOCK = re.compile(r"```(sql|btql|text)\n(.*?)```", re.S)


def blocks(kind: str) -> list[str]:
    return [
        body.strip() for k, body in _BLOCK.findall(DOC.read_text(encoding="utf-8")) if k == kind
    ]


EXAMPLES = blocks("sql") + blocks("btql")


def test_doc_has_examples_of_both_syntaxes() -> None:
    assert len(blocks("sql")) >= 15 and len(blocks("btql")) >= 10


@pytest.mark.parametrize("text", EXAMPLES, ids=[f"ex{i}" for i in range(len(EXAMPLES))])
def test_doc_example_parses_compiles_and_runs(text: str, duck, ch) -> None:
    q = parse(text)
    assert q.syntax == ("btql" if re.match(r"(?i)\w+\s*:", text) else "sql")
    out = run_query(duck, text, resolver=resolver, search=lambda refs, t, f, page=None: [1003])
    assert isinstance(out["data"], list)
    if "project_logs" in text:
        assert not any(w["code"] == "no_range_filter" for w in out["warnings"]), (
            "examples bound their scans"
        )
    ch_out = run_query(ch, text, resolver=resolver, search=lambda refs, t, f, page=None: [1003])
    if "sample" in text.lower():  # each engine draws its own sample
        return
    a, b = normalize(out["data"]), normalize(ch_out["data"])
    if not re.search(r"(?i)order by|sort:", text):  # no order asked for: any order will do
        a, b = sorted(a, key=repr), sorted(b, key=repr)
    assert a == b, "ClickHouse returns other rows"


@pytest.mark.parametrize("block", blocks("text"))
def test_doc_error_examples_fail_as_documented(block: str) -> None:
    query, _, expected = block.partition("\n-> ")
    with pytest.raises(QueryError) as exc:
        compile_query(query, dialect="duckdb", resolver=resolver)
    assert str(exc.value).startswith(expected.strip().split(" (line")[0])


def test_every_construct_has_an_example() -> None:
    text = "\n".join(EXAMPLES).lower()
    constructs = ["select", "from:", "filter:", "where", "group by", "dimensions:", "measures:",
                  "having", "final_filter:", "order by", "sort:", "limit", "offset '", "cursor:",
                  "tablesample", "sample:", "unpivot", "pivot", "preview_length", "shape => 'traces'",
                  ") traces", "summary", "any_span(", "not any_span(", "filter_spans(", " match ",
                  "search(", "includes", " in (", " in [", "not in", "is null", "is not null",
                  " like ", " ilike ", "<=>", " between ", "?", " % ", "interval 7 day",
                  "interval '30 days'", "date_trunc('15 minutes'", "current_timestamp",
                  "percentile(", "count_distinct(", "any_value(", "estimated_cost()", "json_extract(",
                  "cast(", "to_date(", "[-1]", '."user_id"', "['factuality']", "group by 1", " || ", "case when", "::int", "is distinct from", "date '"]  # fmt: skip
    missing = [c for c in constructs if c not in text]
    assert not missing
