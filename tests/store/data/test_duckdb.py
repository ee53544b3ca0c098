"""The DuckDB data store: the backend contract plus what only the embedded engine promises
(index use, crash durability, index catch-up, sandboxed SQL)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from openloop.errors import InvalidInput
from openloop.settings import Settings
from openloop.store.data import open_data_store
from openloop.store.data.duckdb import DuckDBStore, visible_predicate

from .contract import OTHER, REF, DataStoreContract, put


def _settings(data_dir: Path, **kw: Any) -> Settings:
    return Settings(data_dir=data_dir, load_demo=False, index_commit_interval_ms=20, **kw)


@pytest.fixture
def store(data_dir: Path) -> Iterator[DuckDBStore]:
    opened: list[DuckDBStore] = [DuckDBStore.open(_settings(data_dir))]
    yield opened[0]
    for s in opened:
        s.close()


@pytest.fixture
def reopen(data_dir: Path):
    extra: list[DuckDBStore] = []

    def _reopen(old: DuckDBStore) -> DuckDBStore:
        old.close()
        new = DuckDBStore.open(_settings(data_dir))
        extra.append(new)
        return new

    yield _reopen
    for s in extra:
        s.close()


class TestDuckDBContract(DataStoreContract):
    pass


def test_open_data_store_picks_duckdb(settings: Settings) -> None:
    store = open_data_store(settings)
    try:
        assert store.dialect == "duckdb" and isinstance(store, DuckDBStore)
    finally:
        store.close()


def _two_containers(store: DuckDBStore) -> None:
    """Rows in two containers plus a superseded version, so no predicate but the trace's is
    trivially true (DuckDB drops filters its statistics prove true, which would hide a scan)."""
    put(store, *[{"id": f"s{i}", "root_span_id": f"t{i % 3}"} for i in range(30)])
    put(store, *[{"id": f"o{i}", "root_span_id": f"t{i % 3}"} for i in range(30)], ref=OTHER)
    put(store, {"id": "s1", "_is_merge": True, "input": "second version"})


def _scan_types(store: DuckDBStore, sql: str, params: list[Any]) -> list[str]:
    with store._reader.cursor() as cur:
        plan = cur.execute("EXPLAIN ANALYZE " + sql, params).fetchall()[0][1]
    return re.findall(r"Type: (Index Scan|Sequential Scan)", plan)


def test_trace_lookup_uses_the_index(store: DuckDBStore) -> None:
    _two_containers(store)
    params = ["t1", REF.org_id, REF.object_type, REF.object_id]
    assert _scan_types(store, store.trace_sql(), params) == ["Index Scan"]
    # the same predicates side by side in one WHERE: DuckDB scans the table instead
    naive = (f"SELECT id FROM rows WHERE root_span_id = ? AND org_id = ? AND object_type = ? "
             f"AND object_id = ? AND {visible_predicate()}")  # fmt: skip
    assert _scan_types(store, naive, params) == ["Sequential Scan"]
    spans = store.trace(REF, "t1")
    assert sorted(r["id"] for r in spans) == sorted(f"s{i}" for i in range(1, 30, 3))
    assert next(r for r in spans if r["id"] == "s1")["input"] == "second version"


def test_span_parents_are_stored_for_row_by_row_reads(store: DuckDBStore) -> None:
    # A trace read fetches span_parents row by row through the index; a dictionary-compressed
    # segment makes every such fetch decode the segment's whole dictionary.
    put(
        store,
        *[{"id": f"s{i}", "root_span_id": "t", "span_parents": [f"p{i}"]} for i in range(3000)],
    )
    with store._lock:  # the indexer thread records its watermark on the same connection
        store._con.execute("CHECKPOINT")
    with store._reader.cursor() as cur:
        kinds = cur.execute("SELECT DISTINCT compression FROM pragma_storage_info('rows') "
                            "WHERE column_name = 'span_parents'").fetchall()  # fmt: skip
    assert {k for (k,) in kinds} <= {"Uncompressed", "Constant"}
    assert sorted(r["span_parents"][0] for r in store.trace(REF, "t")) == sorted(
        f"p{i}" for i in range(3000)
    )


def test_reads_by_id_use_the_index(store: DuckDBStore, monkeypatch: pytest.MonkeyPatch) -> None:
    _two_containers(store)
    seen: list[tuple[str, list[Any]]] = []
    query = store._query
    monkeypatch.setattr(store, "_query", lambda sql, params: seen.append((sql, list(params))) or
                        query(sql, params))  # fmt: skip
    rows = store.read(REF, ids=["s1", "s2", "o1"])
    assert sorted(r["id"] for r in rows) == ["s1", "s2"] and len(rows) == 2
    assert _scan_types(store, *seen[-1]) == ["Index Scan"]


def test_execute_accepts_exactly_one_select(store: DuckDBStore) -> None:
    put(store, {"id": "a"})
    ok = ("WITH t AS MATERIALIZED (SELECT id FROM rows) SELECT * FROM t",
          "SELECT id FROM rows UNION ALL SELECT 'x'", "FROM rows SELECT id", "  SELECT 1 AS x; ")  # fmt: skip
    for sql in ok:
        assert store.execute(sql).num_rows >= 1, sql
    assert store.execute("SELECT $1::BIGINT[] AS k", [[1, 2]]).to_pylist() == [{"k": [1, 2]}]
    bad = ("SELECT 1; SELECT 2", "INSERT INTO rows (id) VALUES ('x') RETURNING id",
           "COPY (SELECT 1) TO 'out.csv'", "PRAGMA table_info('rows')", "SET threads = 1",
           "ATTACH 'other.db'", "CALL checkpoint()", "EXPLAIN SELECT 1", "CHECKPOINT",
           "BEGIN", "DETACH data", "CREATE TABLE t AS SELECT 1", "SELECT FROM WHERE",
           "SELECT * FROM query('DELETE FROM rows')", "")  # fmt: skip
    for sql in bad:
        with pytest.raises(InvalidInput):
            store.execute(sql)
    assert [r["id"] for r in store.read(REF)] == ["a"]


def test_execute_cannot_touch_files(store: DuckDBStore, tmp_path: Path) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text("a\n1\n")
    with pytest.raises(InvalidInput):
        store.execute("SELECT * FROM read_csv(?)", [str(secret)])


def test_slow_queries_are_cancelled(store: DuckDBStore) -> None:
    with pytest.raises(InvalidInput, match="cancelled") as info:
        store.execute("SELECT count(*) FROM range(100000000000) a", timeout=0.2)
    assert info.value.status == 400
    assert store.execute("SELECT 1 AS x").to_pylist() == [{"x": 1}]


def test_search_index_matches_brute_force(store: DuckDBStore) -> None:
    words = ["alpha", "beta", "gamma", "delta", "eps"]
    rows = [
        {"id": f"r{i}", "input": " ".join(words[(i * j) % 5] for j in range(1, 6)),
         "metadata": {"k": words[i % 5]}}
        for i in range(60)
    ]  # fmt: skip
    rows[:0] = [  # indexed below, so the index's tokenizer is checked against the scan
        {"id": "u1", "input": "Un CAFÉ noir\nnext_line", "tags": ["snake_case"]},
        {"id": "u2", "output": {"k": 'say "alpha"'}, "error": "ZeroDivisionError: x"},
    ]
    put(store, *rows[:31])
    assert store.wait_indexed(30)
    put(store, *rows[31:])  # the tail above the watermark is scanned
    queries = ["alpha", "beta gamma", '"gamma delta"', "eps", '"alpha alpha"', "café", "caf",
               "next", "nnext", "snake", "case", "zerodivisionerror"]  # fmt: skip
    for q in queries:
        assert store.search_ids([REF], q).equals(store.substring_scan_ids([REF], q)), q
    counts = {q: len(store.search_ids([REF], q)) for q in ("café", "caf", "next", "nnext", "case")}
    assert counts == {"café": 1, "caf": 0, "next": 1, "nnext": 0, "case": 1}


def test_index_catches_up_after_deletes(store: DuckDBStore) -> None:
    put(store, {"id": "a", "input": "findable"}, {"id": "b"})
    store.delete_object(REF)
    assert store.wait_indexed(10)
    assert store.search_ids([REF], "findable").to_pylist() == []


def test_concurrent_writers_and_readers(store: DuckDBStore) -> None:
    def work(n: int) -> int:
        for i in range(10):
            put(store, *[{"id": f"t{n}-{i}-{j}", "input": f"thread {n}"} for j in range(20)])
            assert store.count(REF) >= 20
            store.search_ids([REF], f"thread {n}")
        return n

    with ThreadPoolExecutor(4) as pool:
        assert sorted(pool.map(work, range(4))) == [0, 1, 2, 3]
    assert store.count(REF) == 4 * 10 * 20
    xacts = store.versions(REF)
    assert len(xacts) == 40 and xacts == sorted(set(xacts))


def _queued_writes(store: DuckDBStore, batches: list[list[dict[str, Any]]]) -> list[Any]:
    """Start one writer thread per batch while the write lock is held, wait until every one has
    queued its rows, then let them go: the first to get the lock stores the whole group."""
    results: list[Any] = [None] * len(batches)

    def work(i: int) -> None:
        try:
            results[i] = put(store, *batches[i])
        except Exception as exc:
            results[i] = exc

    with store._lock:
        threads = [threading.Thread(target=work, args=(i,)) for i in range(len(batches))]
        for t in threads:
            t.start()
        deadline = time.monotonic() + 10
        while len(store._queued) < len(batches) and time.monotonic() < deadline:
            time.sleep(0.005)
        assert len(store._queued) == len(batches)
    for t in threads:
        t.join(10)
    return results


def _count_transactions(store: DuckDBStore, monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Requests per write transaction, appended as the store writes."""
    calls: list[int] = []
    real = store._write_locked
    monkeypatch.setattr(
        store, "_write_locked", lambda jobs: (calls.append(len(jobs)), real(jobs))[1]
    )
    return calls


def test_concurrent_writes_share_one_transaction(
    store: DuckDBStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_transactions(store, monkeypatch)
    batches = [[{"id": f"g{n}-{j}", "input": f"group {n}"} for j in range(50)] for n in range(4)]
    results = _queued_writes(store, batches)
    assert calls == [4]  # one transaction for the four requests
    xacts = [r.xact_id for r in results]
    assert len(set(xacts)) == 4  # each request keeps its own transaction id
    assert store.count(REF) == 200
    assert sorted(store.versions(REF)) == sorted(xacts)
    for n, r in enumerate(results):
        assert r.ids == [f"g{n}-{j}" for j in range(50)]
    assert store.wait_indexed(10)
    assert len(store.search_ids([REF], "group 2")) == 50


def test_concurrent_writes_of_one_id_keep_one_visible_version(
    store: DuckDBStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = _count_transactions(store, monkeypatch)
    put(store, {"id": "same", "input": "stored"})
    results = _queued_writes(store, [[{"id": "same", "input": f"v{n}"}] for n in range(3)])
    assert calls[1:] == [1, 1, 1]  # they share an id: one request per transaction
    (row,) = store.read(REF)
    last = max(range(3), key=lambda n: results[n].xact_id)
    assert row["input"] == f"v{last}"  # the latest transaction wins, as without grouping
    assert len(store.history(REF, "same")) == 4


def test_a_failed_group_is_retried_one_request_at_a_time(
    store: DuckDBStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    from openloop.errors import StorageUnavailable

    real = store._write_locked

    def flaky(jobs):  # the group fails, and so does the request that holds "bad"
        if len(jobs) > 1 or any("bad" in item.ids for _, staged in jobs for item in staged):
            raise StorageUnavailable("write failed: simulated")
        return real(jobs)

    monkeypatch.setattr(store, "_write_locked", flaky)
    batches = [[{"id": "ok1"}], [{"id": "bad"}], [{"id": "ok2"}]]
    results = _queued_writes(store, batches)
    assert isinstance(results[1], StorageUnavailable)
    assert not isinstance(results[0], Exception) and not isinstance(results[2], Exception)
    assert sorted(r["id"] for r in store.read(REF)) == ["ok1", "ok2"]


def test_id_filter_rebuild_keeps_every_id(store: DuckDBStore) -> None:
    put(store, *[{"id": f"f{i}", "input": i} for i in range(10)])
    store._ids._capacity = 5  # force the rebuild path on the next write
    put(store, *[{"id": f"g{i}"} for i in range(10)])
    assert not store._ids.full
    put(store, *[{"id": f"f{i}", "_is_merge": True, "output": "o"} for i in range(10)])
    assert store.count(REF) == 20
    assert {r["input"] for r in store.read(REF) if r["id"].startswith("f")} == set(range(10))


def test_visible_predicate_text() -> None:
    assert visible_predicate() == "(_superseded_by IS NULL AND NOT _object_delete)"
    assert "_xact_id <= 7" in visible_predicate(7)
    with pytest.raises(Exception):  # noqa: B017 - any refusal will do
        visible_predicate("1; DROP TABLE rows")  # type: ignore[arg-type]


_WRITER = textwrap.dedent(
    """
    import sys
    from openloop.settings import Settings
    from openloop.store.data.base import ObjectRef, WriteRequest
    from openloop.store.data.duckdb import DuckDBStore

    s = Settings(data_dir=sys.argv[1], load_demo=False, index_commit_interval_ms=60000)
    store = DuckDBStore.open(s)
    ref = ObjectRef("org-1", "proj-1", "project_logs", "proj-1")
    n = 0
    while True:
        rows = [{"id": f"b{n}-{i}", "input": f"durable words {n}", "output": "x" * 500}
                for i in range(200)]
        store.write([WriteRequest(ref, rows)])
        print(" ".join(r["id"] for r in rows), flush=True)
        n += 1
    """
)


def test_acknowledged_writes_survive_sigkill(data_dir: Path) -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(data_dir)],
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert proc.stdout is not None
    acked: list[str] = []
    deadline = time.monotonic() + 60
    while len(acked) < 2_000 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        acked.extend(line.split())
    proc.send_signal(signal.SIGKILL)
    # Lines already written before the kill were acknowledged too.
    rest = proc.stdout.read()
    proc.stdout.close()
    proc.wait()
    acked.extend(rest.split())
    assert len(acked) >= 2_000, "writer did not get going"
    store = DuckDBStore.open(_settings(data_dir))
    try:
        with store._reader.cursor() as cur:  # not the writer's connection: the indexer uses it
            stored = {r[0] for r in cur.execute("SELECT id FROM rows").fetchall()}
        missing = [i for i in acked if i not in stored]
        assert missing == []
        # Nothing had been committed to the full-text index: it catches up from the rows.
        assert store.wait_indexed(60)
        assert store._fts.watermark >= store._last_key
        hits = store.search_ids([REF], '"durable words 3"')
        assert len(hits) == 200
    finally:
        store.close()
