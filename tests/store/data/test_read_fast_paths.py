"""The DuckDB store's fast read paths: index hits filtered to visible rows without a semi-join,
the remembered read-only guard, the shared query watchdog."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from openloop.errors import InvalidInput
from openloop.settings import Settings
from openloop.store.data import _search
from openloop.store.data.base import ObjectRef
from openloop.store.data.duckdb import DuckDBStore

from .contract import REF, put

FOREIGN = ObjectRef("org-2", REF.project_id, REF.object_type, REF.object_id)


@pytest.fixture
def store(data_dir: Path) -> Iterator[DuckDBStore]:
    s = DuckDBStore.open(Settings(data_dir=data_dir, load_demo=False, index_commit_interval_ms=20))
    yield s
    s.close()


def _visible_keys(store: DuckDBStore, ref: ObjectRef = REF) -> dict[str, int]:
    return {r["id"]: r["_pagination_key"] for r in store.read(ref)}


def _found(store: DuckDBStore, text: str) -> set[int]:
    return set(store.search_ids([REF], text).to_pylist())


def _history(store: DuckDBStore) -> None:
    put(store, *({"id": f"r{i}", "input": f"apple number {i}"} for i in range(6)))
    put(store, {"id": "r1", "input": "apple replaced"})  # r1's first version is superseded
    put(store, {"id": "r2", "input": "pear only now"})  # r2 no longer mentions apple
    put(store, {"id": "r3", "_object_delete": True})  # r3 is deleted
    put(store, {"id": "x1", "input": "apple from elsewhere"}, ref=FOREIGN)  # same object, other org
    assert store.wait_indexed(30)


@pytest.mark.parametrize("exclude_max", [_search._EXCLUDE_MAX, 0])
def test_index_hits_are_only_visible_rows(
    store: DuckDBStore, monkeypatch: pytest.MonkeyPatch, exclude_max: int
) -> None:
    # exclude_max=0 forces the semi-join path: both paths answer the same
    monkeypatch.setattr(_search, "_EXCLUDE_MAX", exclude_max)
    _history(store)
    keys = _visible_keys(store)
    expected = {keys[i] for i in ("r0", "r1", "r4", "r5")}
    assert _found(store, "apple") == expected
    assert _found(store, "apple") == set(store.substring_scan_ids([REF], "apple").to_pylist())
    assert _found(store, "pear") == {keys["r2"]}
    assert store.search_ids([FOREIGN], "apple").to_pylist() == [_visible_keys(store, FOREIGN)["x1"]]


def test_rows_above_the_watermark_are_still_found(store: DuckDBStore) -> None:
    _history(store)
    put(store, {"id": "r9", "input": "apple arrived late"})
    # whether or not the indexer has caught up, the new row is found exactly once
    assert _visible_keys(store)["r9"] in _found(store, "apple")
    assert len(_found(store, "apple")) == 5


def test_deleted_object_hides_every_hit(store: DuckDBStore) -> None:
    _history(store)
    assert store.delete_object(REF) == 5
    assert _found(store, "apple") == set()
    assert store.search_ids([FOREIGN], "apple").to_pylist() != []


def test_guard_verdict_is_remembered_only_for_passing_text(store: DuckDBStore) -> None:
    put(store, {"id": "a", "input": "x"}, {"id": "b", "input": "y"})
    sql = "SELECT id FROM rows WHERE id = ? AND NOT _object_delete"
    assert store.execute(sql, ["a"]).column("id").to_pylist() == ["a"]
    assert store.execute(sql, ["b"]).column("id").to_pylist() == ["b"]
    for _ in range(2):
        with pytest.raises(InvalidInput):
            store.execute("SELECT 1; DELETE FROM rows")
    assert store.execute("SELECT count(*) AS n FROM rows").column("n").to_pylist() == [2]


def test_watchdog_cancels_only_the_slow_statement(store: DuckDBStore) -> None:
    slow = "SELECT count(*) FROM range(100000000000) a"
    errors: list[str] = []

    def run_slow() -> None:
        try:
            store.execute(slow, timeout=0.3)
        except InvalidInput as exc:
            errors.append(exc.message)

    worker = threading.Thread(target=run_slow)
    worker.start()
    for _ in range(20):  # fast statements with a long deadline run alongside, untouched
        assert store.execute("SELECT 42 AS v", timeout=60).column("v").to_pylist() == [42]
    worker.join(30)
    assert errors and "cancelled" in errors[0]
    assert store.execute("SELECT 1 AS v", timeout=0.5).column("v").to_pylist() == [1]
