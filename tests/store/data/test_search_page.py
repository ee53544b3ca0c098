"""A search that feeds one page sorted by ``created`` reads only the matches that can be on it
(``narrow_to_page``), and the page is the same as when every match is used: with rows imported
out of time order, ties, superseded and deleted versions, time bounds, and both directions."""

from __future__ import annotations

import random
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from openloop.model.search import SearchPage
from openloop.query import run_query
from openloop.settings import Settings
from openloop.store.data import _search
from openloop.store.data.base import ObjectRef
from openloop.store.data.duckdb import DuckDBStore

from .contract import REF, put

T0 = datetime(2026, 3, 1, tzinfo=UTC)
LOGS = "project_logs('p')"


def _at(minutes: float) -> str:
    return (T0 + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


@pytest.fixture
def store(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[DuckDBStore]:
    # blocks of 256 keys instead of ~65 s of writes, so one test's writes span many blocks
    monkeypatch.setattr(_search.KeyBlocks, "SHIFT", 8)
    s = DuckDBStore.open(Settings(data_dir=data_dir, load_demo=False, index_commit_interval_ms=20))
    rng = random.Random(7)
    n = 0

    def rows(times: list[float]) -> list[dict[str, Any]]:
        nonlocal n
        out = []
        for t in times:
            n += 1
            word = "apple" if n % 3 else "pear"
            out.append({"id": f"r{n}", "created": _at(t), "input": f"{word} number {n}"})
        return out

    # written in time order, as live traffic is
    for batch in range(4):
        put(s, *rows([batch * 1000 + i for i in range(300)]))
    put(s, *rows([-5000 + i for i in range(300)]))  # an import of older rows, written later
    put(s, *rows([rng.choice([10.0, 1500.0, 3299.0]) for _ in range(200)]))  # ties, mixed times
    # newer versions of some rows (the old versions are superseded), and deletions
    put(s, *({"id": f"r{i}", "created": _at(4000 + i), "input": f"apple again {i}"}
             for i in range(1, 40)))  # fmt: skip
    put(s, *({"id": f"r{i}", "_object_delete": True} for i in range(280, 300)))
    assert s.wait_indexed(30)
    yield s
    s.close()


def _callbacks(store: DuckDBStore) -> tuple[Any, Any, list[tuple[int, int]]]:
    sizes: list[tuple[int, int]] = []

    def narrowed(refs: Any, text: str, fields: Any, page: SearchPage | None = None) -> Any:
        refs = [ObjectRef(REF.org_id, "", t, i) for t, i in refs]
        got = store.search_ids(refs, text, fields=fields, page=page)
        if page is not None:
            sizes.append((len(got), len(store.search_ids(refs, text, fields=fields))))
        return got

    def every(refs: Any, text: str, fields: Any, page: SearchPage | None = None) -> Any:
        refs = [ObjectRef(REF.org_id, "", t, i) for t, i in refs]
        return store.search_ids(refs, text, fields=fields)

    return narrowed, every, sizes


def _resolver(kind: str, name: str) -> list[tuple[str, str]]:
    return [(REF.object_type, REF.object_id)]


FILTERS = [
    "",
    f" AND created >= '{_at(1500)}'",
    f" AND created < '{_at(1500)}'",
    f" AND created > '{_at(-4900)}' AND created <= '{_at(2100)}'",
    f" AND '{_at(3000)}' <= created",
    f" AND created = '{_at(1500)}'",
    f" AND created > '{_at(99999)}'",
    # other conditions: the rows read first are checked with them too
    " AND id NOT IN ('r39', 'r38', 'r1')",
    " AND input ILIKE '%again%'",
    f" AND input NOT ILIKE '%again%' AND created < '{_at(3500)}' AND comment IS NULL",
    " AND created < now() AND created > now() - interval 36500 day",  # one instant for both
]


@pytest.mark.parametrize("direction", ["DESC", "ASC"])
@pytest.mark.parametrize("limit", [1, 7, 60])
@pytest.mark.parametrize("extra", FILTERS)
def test_a_narrowed_page_is_the_page_of_every_match(
    store: DuckDBStore, direction: str, limit: int, extra: str
) -> None:
    narrowed, every, _ = _callbacks(store)
    text = (f"SELECT id, created FROM {LOGS} WHERE search('apple'){extra} "
            f"ORDER BY created {direction} LIMIT {limit}")  # fmt: skip
    cursor = None
    for _ in range(4):  # the first page and the next ones, through their cursors
        got = run_query(store, text, resolver=_resolver, search=narrowed, cursor=cursor)
        want = run_query(store, text, resolver=_resolver, search=every, cursor=cursor)
        assert got["data"] == want["data"]
        assert got["cursor"] == want["cursor"]
        cursor = got["cursor"]
        if cursor is None:
            break


def test_the_newest_page_reads_a_few_blocks_not_every_match(store: DuckDBStore) -> None:
    narrowed, _, sizes = _callbacks(store)
    text = f"SELECT id FROM {LOGS} WHERE search('apple') ORDER BY created DESC LIMIT 5"
    rows = run_query(store, text, resolver=_resolver, search=narrowed)["data"]
    assert [r["id"] for r in rows] == [f"r{i}" for i in range(39, 34, -1)]  # the newer versions
    (returned, total), *_ = sizes
    assert total > 1000 and returned < total / 3


def test_the_oldest_page_finds_rows_imported_late(store: DuckDBStore) -> None:
    narrowed, _, sizes = _callbacks(store)
    text = f"SELECT id, created FROM {LOGS} WHERE search('apple') ORDER BY created ASC LIMIT 3"
    rows = run_query(store, text, resolver=_resolver, search=narrowed)["data"]
    assert [r["created"] for r in rows] == [_at(-5000), _at(-4999), _at(-4997)]
    assert sizes[0][0] < sizes[0][1]


def test_block_ranges_kept_on_write_match_a_rebuild(store: DuckDBStore) -> None:
    narrowed, _, _ = _callbacks(store)
    run_query(store, f"SELECT id FROM {LOGS} WHERE search('apple') ORDER BY created DESC LIMIT 5",
              resolver=_resolver, search=narrowed)  # fmt: skip
    kept = store._blocks
    assert kept is not None
    put(store, *({"id": f"n{i}", "created": _at(-9000 + i), "input": "apple late"}
                 for i in range(500)))  # fmt: skip
    with store._reader.cursor() as cur:
        rebuilt = _search.KeyBlocks.from_table(cur)
    (ids, lo, hi), (ids2, lo2, hi2) = kept.arrays, rebuilt.arrays
    assert np.array_equal(ids, ids2)
    # kept ranges may be wider than the rows, never narrower
    assert bool((lo <= lo2).all()) and bool((hi >= hi2).all())
    keys = np.array([r["_pagination_key"] for r in store.read(REF)], dtype=np.int64)
    ranges = kept.ranges(keys)
    assert ranges is not None


def test_rows_are_read_one_key_range_per_block() -> None:
    shift = _search.KeyBlocks.SHIFT
    keys = np.array([5 << shift, (5 << shift) + 9, 9 << shift, (40 << shift) + 3], dtype=np.int64)
    sql, params = _search._key_ranges(keys)
    assert sql.count("BETWEEN") == 3
    assert params == [5 << shift, (5 << shift) + 9, 9 << shift, 9 << shift,
                      (40 << shift) + 3, (40 << shift) + 3]  # fmt: skip
    many = np.arange(100, dtype=np.int64) << shift  # past the cap: one range over all of them
    sql, params = _search._key_ranges(many)
    assert sql.count("BETWEEN") == 1 and params == [0, 99 << shift]


def test_pages_stay_exact_while_writes_add_blocks(store: DuckDBStore) -> None:
    narrowed, every, _ = _callbacks(store)
    text = f"SELECT id FROM {LOGS} WHERE search('apple') ORDER BY created DESC LIMIT 7"
    want = run_query(store, text, resolver=_resolver, search=every)["data"]
    stop = threading.Event()
    errors: list[BaseException] = []

    def write() -> None:  # rows that do not match, each write in new blocks
        i = 0
        try:
            while not stop.is_set():
                put(store, *({"id": f"w{i}-{j}", "created": _at(9000 + i), "input": "plum"}
                             for j in range(300)))  # fmt: skip
                i += 1
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        for _ in range(25):
            assert run_query(store, text, resolver=_resolver, search=narrowed)["data"] == want
    finally:
        stop.set()
        writer.join()
    assert not errors
