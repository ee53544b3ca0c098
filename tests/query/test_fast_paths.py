"""The read path's fast forms give the same answers as the plain ones: column-wise row shaping,
full-text keys as one bound parameter (bounded for a newest-N page), pinned trace lookups that
DuckDB answers from its ART index, and one SQL rendering per compilation."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pyarrow as pa
import pytest
from sqlglot import generator

from openloop.model.search import SearchPage
from openloop.query import compile_query, run_query
from openloop.query.run import shape_rows
from openloop.query.shapes import OutputColumn, encode_cursor

from .fixtures import resolver

LOGS = "project_logs('my-project')"


def test_shape_rows_by_column_matches_value_by_value() -> None:
    ts = pa.timestamp("us", tz="Etc/UTC")
    table = pa.table({
        "j": pa.array(['{"a": [1, 2.5, "x"]}', "", None, "not json", "123456789012345678901234",
                       '"\\u00e9t\\u00e9"'], pa.string()),
        "t": pa.array([datetime(2024, 1, 31, 12, tzinfo=UTC), datetime(2024, 2, 1, 0, 0, 1, 5, tzinfo=UTC),
                       None, datetime(1999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
                       datetime(2024, 1, 1, tzinfo=UTC), datetime(1, 1, 1, tzinfo=UTC)], ts),
        "naive": pa.array([datetime(2024, 1, 1, 5, 30)] * 5 + [None], pa.timestamp("us")),
        "s": pa.array(["a", None, "c", "", "e", "f"]),
        "n": pa.array([1.5, None, 3.0, -0.0, 5.25, 6.0]),
        "b": pa.array([1, 0, None, 1, 0, 1], pa.int64()),
        "d": pa.array([Decimal("1.50"), Decimal("2"), None, Decimal("0"), Decimal("-3.25"), Decimal("7")],
                      pa.decimal128(6, 2)),
        "m": pa.array([[("x", 1.0)], [], None, [("y", None)], [("x", 2.0), ("z", 0.5)], [("k", 3.0)]],
                      pa.map_(pa.string(), pa.float64())),
        "sl": pa.array([[[("x", 1.0)], [("x", 3.0)]], [], None, [[("y", 1.0)]], [None], [[("k", 0.5)]]],
                       pa.list_(pa.map_(pa.string(), pa.float64()))),
        "tags": pa.array([["a"], [], None, ["b", "c"], ["d"], ["e"]], pa.list_(pa.string())),
    })  # fmt: skip
    kinds = {"j": "json", "t": "ts", "naive": "ts", "s": "str", "n": "num", "b": "bool", "d": "num",
             "m": "map", "sl": "scorelist", "tags": "array"}  # fmt: skip
    columns = [OutputColumn(name, kind) for name, kind in kinds.items()]
    compiled = compile_query(f"select: id | from: {LOGS}", dialect="duckdb", resolver=resolver)
    compiled.columns = columns
    by_column = shape_rows(compiled, table)
    by_value = shape_rows(compiled, [tuple(r.values()) for r in table.to_pylist()])
    assert by_column == by_value
    # The same rows many times over: longer columns format timestamps with Arrow's kernels
    # instead of one by one, and must give the same text.
    for times in (4, 400):
        assert shape_rows(compiled, pa.concat_tables([table] * times)) == by_value * times
    assert [r["t"] for r in by_column[:2]] == [
        "2024-01-31T12:00:00Z",
        "2024-02-01T00:00:01.000005Z",
    ]
    assert by_column[0]["j"] == {"a": [1, 2.5, "x"]} and by_column[1]["j"] is None
    assert by_column[3]["j"] == "not json"
    # integers beyond 64 bits come back as floats (as a JavaScript client reads them anyway)
    assert by_column[4]["j"] == pytest.approx(1.2345678901234568e23)
    assert by_column[0]["b"] is True and by_column[0]["sl"] == {"x": 2.0}
    assert by_column[0]["naive"] == "2024-01-01T05:30:00Z"


def _keys(rows, word: str) -> list[int]:
    return [r["_pagination_key"] for r in rows if r["object_type"] == "project_logs"
            and r["_superseded_by"] is None and not r["_object_delete"] and word in (r["input"] or "")]  # fmt: skip


def test_search_keys_are_one_parameter_and_a_newest_page_asks_for_no_more(duck, rows) -> None:
    hits = _keys(rows, "password")
    assert len(hits) > 10

    def search(refs, text, fields, page=None):
        return pa.array(sorted(hits, key=lambda k: k % 7), pa.int64())  # any order, as stored

    def compiled(text: str):
        return compile_query(text, dialect="duckdb", resolver=resolver, search=search)

    page = compiled(
        f"select: id, _pagination_key | from: {LOGS} | filter: search('password') | limit: 5"
    )
    assert "$1" in page.sql and str(hits[0]) not in page.sql
    assert page.params == [sorted(hits)[-5:]]  # only the five newest keys can be on the page
    got = run_query(duck, page_text := f"select: _pagination_key | from: {LOGS} | filter: search('password') | limit: 5",
                    resolver=resolver, search=search)  # fmt: skip
    assert [int(r["_pagination_key"]) for r in got["data"]] == sorted(hits, reverse=True)[:5]
    assert got["cursor"] is not None
    nxt = run_query(duck, page_text, resolver=resolver, search=search, cursor=got["cursor"])
    assert [int(r["_pagination_key"]) for r in nxt["data"]] == sorted(hits, reverse=True)[5:10]
    # other orders, other filters, counts: every key stays, the answer is exact
    for text in (f"select: id | from: {LOGS} | filter: search('password') | sort: created desc | limit: 5",
                 f"select: id | from: {LOGS} | filter: search('password') AND span_attributes.type = 'llm' | limit: 5",
                 f"select: count(1) AS n | from: {LOGS} | filter: search('password')",
                 f"select: * | from: {LOGS} traces | filter: search('password') | limit: 2"):  # fmt: skip
        assert compiled(text).params == [sorted(hits)], text
    count = run_query(duck, f"select: count(1) AS n | from: {LOGS} | filter: search('password')",
                      resolver=resolver, search=search)  # fmt: skip
    assert count["data"] == [{"n": len(hits)}]


def _page_of(text: str) -> SearchPage | None:
    pages = []

    def search(refs, text, fields, page=None):
        pages.append(page)
        return [1, 2, 3]

    compile_query(text, dialect="duckdb", resolver=resolver, search=search)
    assert len(set(pages)) == 1  # one search, or several asked the same
    return pages[0]


_US_2024 = 1704067200 * 10**6  # 2024-01-01T00:00:00Z in microseconds


@pytest.mark.parametrize(("text", "page"), [
    (f"SELECT id FROM {LOGS} WHERE search('x') ORDER BY created DESC LIMIT 20",
     SearchPage(20, True)),
    (f"select: id | from: {LOGS} | filter: input MATCH 'x' AND created >= '2024-01-01' "
     "AND created < '2024-01-02T00:00:00Z' | sort: created asc",
     SearchPage(100, False, _US_2024, _US_2024 + 86400 * 10**6,
                "\"created\" >= CAST('2024-01-01 00:00:00.000000+00' AS TIMESTAMPTZ) "
                "AND \"created\" < CAST('2024-01-02 00:00:00.000000+00' AS TIMESTAMPTZ)")),
    (f"SELECT id FROM {LOGS} WHERE '2024-01-01' < created AND created <= '2024-01-01' "
     "AND search('x') ORDER BY created DESC LIMIT 5", (5, True, _US_2024 + 1, _US_2024 + 1)),
    (f"SELECT id FROM {LOGS} WHERE search('x') AND created = '2024-01-01' ORDER BY created DESC",
     (100, True, _US_2024, _US_2024 + 1)),
    # other conditions travel as SQL
    (f"SELECT id FROM {LOGS} WHERE (search('x') AND model = 'a') AND created > '2024-01-01' "
     "ORDER BY created DESC", (100, True, _US_2024 + 1, None)),
    # anything else: every match is used
    (f"SELECT id FROM {LOGS} WHERE search('x') ORDER BY created DESC, id LIMIT 5", None),
    (f"SELECT id FROM {LOGS} WHERE search('x') OR created > '2024-01-01' ORDER BY created DESC", None),
    (f"SELECT id FROM {LOGS} WHERE search('x') AND search('y') ORDER BY created DESC", None),
    (f"SELECT id FROM {LOGS} WHERE search('x') AND ANY_SPAN(error IS NOT NULL) "
     "ORDER BY created DESC", None),
    # the store would read the date before the query does
    (f"SELECT id FROM {LOGS} WHERE search('x') AND created > current_date() "
     "ORDER BY created DESC", None),
    (f"SELECT id FROM {LOGS} WHERE search('x') AND NOT search('y') ORDER BY created DESC", None),
    (f"SELECT id FROM {LOGS} WHERE search('x') ORDER BY start_time DESC", None),
    (f"SELECT count(1) AS n FROM {LOGS} WHERE search('x')", None),
    ("SELECT * FROM project_logs('my-project', shape => 'traces') WHERE search('x') ORDER BY created DESC", None),
    (f"select: id | from: {LOGS} | filter: search('x') | sort: created desc | sample: 10", None),
])  # fmt: skip
def test_a_page_sorted_by_created_tells_the_search_which_page(text: str, page: Any) -> None:
    got = _page_of(text)
    if page is None or isinstance(page, SearchPage):
        assert got == page
    else:
        assert got is not None and (got.limit, got.descending, got.lo, got.hi) == page
        assert got.condition


def test_a_cursor_page_tells_the_search_where_it_starts() -> None:
    pages = []

    def search(refs, text, fields, page=None):
        pages.append(page)
        return [1, 2, 3]

    text = f"SELECT id FROM {LOGS} WHERE search('x') ORDER BY created DESC LIMIT 5"
    cursor = encode_cursor(["2024-01-01T00:00:00Z", 77])
    compile_query(text, dialect="duckdb", resolver=resolver, search=search, cursor=cursor)
    (page,) = pages
    assert (page.limit, page.descending, page.lo, page.hi) == (5, True, None, _US_2024 + 1)
    assert "77" in page.condition  # the cursor's key breaks ties at its time


def test_the_store_and_the_query_read_the_same_now() -> None:
    pages = []

    def search(refs, text, fields, page=None):
        pages.append(page)
        return [1, 2, 3]

    text = (f"SELECT id, now() AS t FROM {LOGS} WHERE search('x') AND created > now() - interval "
            "1 day ORDER BY created DESC")  # fmt: skip
    compiled = compile_query(text, dialect="duckdb", resolver=resolver, search=search)
    (page,) = pages
    stamps = re.findall(r"'(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6})\+00'", page.condition)
    assert len(stamps) == 1  # one instant, fixed for the whole statement
    assert "CURRENT_TIMESTAMP" not in compiled.sql.upper() and compiled.sql.count(stamps[0]) == 2
    # without a search page the engine's clock is read as before
    plain = compile_query(f"SELECT id FROM {LOGS} WHERE created > now() - interval 1 day",
                          dialect="duckdb", resolver=resolver)  # fmt: skip
    assert "CURRENT_TIMESTAMP" in plain.sql.upper()


def test_only_the_filters_search_is_told_the_page() -> None:
    pages = {}

    def search(refs, text, fields, page=None):
        pages[text] = page
        return [1, 2, 3]

    compile_query(f"SELECT id, search('y') AS y FROM {LOGS} WHERE search('x') ORDER BY created DESC",
                  dialect="duckdb", resolver=resolver, search=search)  # fmt: skip
    assert pages["x"] is not None and pages["y"] is None


def test_one_sql_rendering_per_compilation(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = []
    original = generator.Generator.generate

    def counting(self, expression, copy=True):  # type: ignore[no-untyped-def]
        calls.append(type(expression).__name__)
        return original(self, expression, copy=copy)

    monkeypatch.setattr(generator.Generator, "generate", counting)
    for n, text in enumerate((
        f"SELECT id FROM {LOGS} WHERE created > '2024-01-01' ORDER BY created DESC LIMIT 50",
        f"select: * | from: {LOGS} summary | filter: root_span_id = 'x' | sort: _pagination_key desc",
        f"SELECT metadata.model AS m, count(1) AS n FROM {LOGS} GROUP BY 1 ORDER BY n DESC",
    )):  # fmt: skip
        calls.clear()
        compile_query(f"{text} -- {n}", dialect="duckdb", resolver=resolver)
        assert calls == ["Select"], text


def test_a_pinned_trace_is_read_through_the_index(settings) -> None:
    from openloop.store.data.base import ObjectRef, WriteRequest
    from openloop.store.data.duckdb import DuckDBStore

    store = DuckDBStore.open(settings)
    try:
        logs = ObjectRef("org", "p1", "project_logs", "p1")
        other = ObjectRef("org", "p1", "experiment", "e1")
        store.write([WriteRequest(logs, [{"id": f"s{i}", "root_span_id": f"t{i % 4}"} for i in range(40)]),
                     WriteRequest(other, [{"id": f"e{i}", "root_span_id": f"t{i % 4}"} for i in range(40)])])  # fmt: skip
        store.write([WriteRequest(logs, [{"id": "s1", "_is_merge": True, "output": "v2"}])])

        def res(kind, name):
            return [("project_logs", "p1")]

        for text, want in (
            ("select: id, output | from: project_logs('p1') | filter: root_span_id = 't1'", 10),
            ("select: * | from: project_logs('p1') traces | filter: root_span_id = 't1'", 10),
            ("select: id | from: project_logs('p1') summary | filter: root_span_id = 't1'", 1),
            ("select: id | from: project_logs('p1') | filter: id = 's1' AND created > '2000-01-01'", 1),
            # small pages and other sort keys: no Top-N boundary is pushed next to the lookup
            ("select: id | from: project_logs('p1') | filter: root_span_id = 't1' | limit: 3", 3),
            ("select: id | from: project_logs('p1') | filter: root_span_id = 't1' | sort: id | limit: 1", 1),
            ("select: id | from: project_logs('p1') | filter: root_span_id = 't1' | sort: created desc | limit: 2", 2),
        ):  # fmt: skip
            compiled = compile_query(text, dialect="duckdb", resolver=res)
            with store._reader.cursor() as cur:
                plan = cur.execute("EXPLAIN ANALYZE " + compiled.sql).fetchall()[0][1]
            scans = re.findall(r"Type: (Index Scan|Sequential Scan)", plan)
            assert scans and set(scans) == {"Index Scan"}, text  # traces shapes look it up twice
            data = run_query(store, text, resolver=res)["data"]
            assert len(data) == want, text
        spans = run_query(store, "select: id, output | from: project_logs('p1') | filter: root_span_id = 't1'",
                          resolver=res)["data"]  # fmt: skip
        assert {r["id"]: r["output"] for r in spans}["s1"] == "v2"
    finally:
        store.close()


def test_a_pinned_lookup_answers_what_the_plain_scan_answers(duck) -> None:
    """Every shape and clause over a pinned lookup (read through the index, with the other
    predicates kept out of the scan: a guard for a plain page, a CTE for the other shapes) gives
    what the same query without the pin (``IN``) gives."""
    trace, span = (
        duck.execute(
            "SELECT root_span_id, id FROM rows WHERE object_type = 'project_logs' AND len(tags) > 0 "
            "ORDER BY id LIMIT 1"
        )
        .to_pylist()[0]
        .values()
    )
    for pin in (f"root_span_id = '{trace}'", f"id = '{span}'"):
        plain = pin.replace(" = ", " IN (") + ")"
        for text in (
            f"select: * | from: {LOGS} | filter: {pin}",
            f"select: id, metadata.model AS m, metrics.prompt_tokens * 2 AS t2 | from: {LOGS} | filter: {pin}",
            f"select: * | from: {LOGS} traces | filter: {pin}",
            f"select: * | from: {LOGS} summary | filter: {pin}",
            f"SELECT count(*) AS n, sum(metrics.total_tokens) AS tok FROM {LOGS} WHERE {pin}",
            f"dimensions: span_attributes.type AS t | measures: count(1) AS n | from: {LOGS} | filter: {pin}",
            f"select: id, tags | from: {LOGS} | filter: {pin} AND (error IS NULL OR scores.accuracy > 0) | sort: created asc",
            f"select: id, tag | from: {LOGS} | unpivot: tags as (tag) | filter: {pin}",
            f"select: id | from: {LOGS} | sample: 50% | filter: {pin}",
            f"select: id, created | from: {LOGS} | filter: {pin} AND created > '2000-01-01' | sort: created desc | limit: 1",
        ):  # fmt: skip
            got = run_query(duck, text, resolver=resolver)["data"]
            want = run_query(duck, text.replace(pin, plain), resolver=resolver)["data"]
            assert got == want, text
            assert got, text


def test_a_pinned_page_holds_its_limit_and_pages_on(duck) -> None:
    """A pinned page is compiled without a LIMIT (the runner keeps the first rows): its pages
    are the plain scan's pages, and the cursor walks the whole trace once."""
    (trace,) = (
        duck.execute(
            "SELECT root_span_id FROM rows WHERE object_type = 'project_logs' "
            "GROUP BY 1 HAVING count(*) >= 3 ORDER BY 1 LIMIT 1"
        )
        .to_pylist()[0]
        .values()
    )
    pin = f"root_span_id = '{trace}'"
    for sort in ("", " | sort: created asc", " | sort: id desc"):
        text = f"select: id, created | from: {LOGS} | filter: {pin}{sort} | limit: 2"
        compiled = compile_query(text, dialect="duckdb", resolver=resolver)
        assert "LIMIT" not in compiled.sql and compiled.row_cap == 2
        pages: list[list[str]] = []
        for query in (text, text.replace(pin, f"root_span_id IN ('{trace}')")):
            seen, cursor = [], None
            while True:
                out = run_query(duck, query, resolver=resolver, cursor=cursor)
                assert len(out["data"]) <= 2
                seen += [r["id"] for r in out["data"]]
                cursor = out["cursor"]
                if cursor is None:
                    break
            pages.append(seen)
        assert pages[0] == pages[1], sort
        assert len(pages[0]) == len(set(pages[0])) >= 3


def test_star_rows_by_column_match_row_by_row(duck) -> None:
    from openloop.query.run import _STAR_DROP, _spans_star

    for text in (
        f"select: * | from: {LOGS} | filter: created > '2000-01-01' | limit: 500",
        "select: * | from: experiment('baseline')",
        "select: * | from: dataset('golden-set')",
    ):
        compiled = compile_query(text, dialect="duckdb", resolver=resolver)
        table = duck.execute(compiled.sql, compiled.params or None)
        hidden = frozenset(c.name for c in compiled.columns if c.hidden)
        expected = [_spans_star(r, _STAR_DROP | hidden) for r in shape_rows(compiled, table)]
        got = run_query(duck, text, resolver=resolver)["data"]
        assert got == expected and len(got) > 5
        assert [list(r) for r in got] == [list(r) for r in expected]  # same key order too
        assert any("log_id" in r or "experiment_id" in r or "dataset_id" in r for r in got)
