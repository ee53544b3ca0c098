"""The query engine on the real DuckDB data store: rows written through the store's write path
(merges, versions) and full-text search through ``DataStore.search_ids``."""

from __future__ import annotations

import pytest

from openloop.query import run_query

duckdb_store = pytest.importorskip("openloop.store.data.duckdb")


def test_run_query_on_the_duckdb_store(settings) -> None:
    from openloop.store.data.base import ObjectRef, WriteRequest

    store = duckdb_store.DuckDBStore.open(settings)
    try:
        ref = ObjectRef("org", "p1", "project_logs", "p1")
        first = store.write([WriteRequest(ref, [{
            "id": "a", "input": {"q": "hello"}, "output": "the call hit a timeout",
            "metadata": {"model": "gpt-4o", "region": "eu"}, "metrics": {"prompt_tokens": 10, "start": 1, "end": 3},
            "scores": {"F": 0.5}, "span_attributes": {"type": "llm", "name": "x"}, "tags": ["t1"],
        }])])[0]  # fmt: skip
        store.write(
            [WriteRequest(ref, [{"id": "a", "_is_merge": True, "metadata": {"region": "us"}}])]
        )

        def resolver(kind, name):
            return [("project_logs", "p1")]

        def search(refs, text, fields, page=None):
            return store.search_ids(
                [ObjectRef("org", "p1", t, i) for t, i in refs], text, fields=fields, page=page
            )

        q = "select: id, metadata.region AS region, metrics.prompt_tokens AS pt, scores.F AS f, latency | from: project_logs('p1') | filter: metadata.model = 'gpt-4o' AND created > '2000-01-01'"
        assert run_query(store, q, resolver=resolver)["data"] == [
            {"id": "a", "region": "us", "pt": 10, "f": 0.5, "latency": 2.0}
        ]
        old = run_query(store, q, resolver=resolver, version=first.xact_id)
        assert old["data"][0]["region"] == "eu"
        hits = run_query(
            store,
            "select: id | from: project_logs('p1') | filter: output MATCH 'timeout' AND created > '2000-01-01'",
            resolver=resolver,
            search=search,
        )
        assert hits["data"] == [{"id": "a"}]
        summary = run_query(
            store,
            "select: * | from: project_logs('p1') summary | filter: created > '2000-01-01'",
            resolver=resolver,
        )
        assert summary["data"][0]["metrics"]["llm_calls"] == 1
    finally:
        store.close()
