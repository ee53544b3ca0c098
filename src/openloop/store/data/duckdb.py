"""The embedded data plane: one DuckDB file holding the ``rows`` table (see
:mod:`openloop.model.fields`) and a Tantivy full-text index next to it.

* **Writes** (:meth:`DuckDBStore.write`) are serialized by one lock and one connection. Each is a
  single DuckDB transaction, committed (WAL fsync) before it returns: new versions are appended
  through Arrow, and the few previous versions they replace get ``_superseded_by`` set — found
  through the ART index on ``id``, and only for ids an in-memory Bloom filter says may exist, so
  a batch of fresh spans probes nothing.
* **Ids.** ``_xact_id`` is microseconds since the epoch, bumped to stay strictly increasing;
  ``_pagination_key`` is ``milliseconds << 20`` plus a sequence, unique and increasing across
  restarts (both resume from the table's maximum at open).
* **Reads** run on their own cursors, so they never wait for a write; :meth:`execute` accepts
  one read-only statement. External file access is disabled and the configuration locked at
  open, so SQL cannot read or attach files.
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from openloop.errors import InvalidInput, StorageUnavailable, UsageError
from openloop.ingest.rows import IncomingRow, RowLimits, prepare_row
from openloop.model.search import SearchPage
from openloop.search import fulltext
from openloop.store.data import _schema, _search
from openloop.store.data._rows import (
    IdFilter,
    Staged,
    check_ref,
    dedupe,
    gc_paused,
    resolve,
    row_from_record,
)
from openloop.store.data._schema import ARROW_SCHEMA, REF_WHERE, ref_params, visible_predicate
from openloop.store.data._sql import WATCHDOG, check_read_only, run_arrow
from openloop.store.data.base import ObjectRef, RowError, WriteRequest, WriteResult

__all__ = ["DuckDBStore", "visible_predicate"]

logger = logging.getLogger(__name__)

_READ = _schema.read_select()
_REF = REF_WHERE
_WATERMARK = "fts_watermark"
_CHUNK = 1000


_ref_params = ref_params


class DuckDBStore:
    """The DuckDB :class:`~openloop.store.data.base.DataStore`. Open with :meth:`open`."""

    dialect = "duckdb"

    def __init__(self, con: duckdb.DuckDBPyConnection, settings: Any) -> None:
        self._con = con
        # Reads run on cursors of this second handle, so they never queue behind a write.
        self._reader = con.cursor()
        self._lock = threading.RLock()
        # Group commit: writers queue their staged rows here; whoever holds the write lock next
        # stores every queued request in one transaction (one INSERT, one commit and fsync).
        self._queued: list[_Ticket] = []
        self._queue_lock = threading.Lock()
        self._limits = RowLimits.from_settings(settings)
        self._query_timeout = float(settings.query_timeout_seconds)
        self._closed = False
        last_xact, last_key = con.execute(
            "SELECT coalesce(max(_xact_id), 0), coalesce(max(_pagination_key), 0) FROM rows"
        ).fetchall()[0]
        self._last_xact, self._last_key = int(last_xact), int(last_key)
        self._ids = self._build_id_filter()
        self._blocks: _search.KeyBlocks | None = None  # built by the first search that needs it
        row = con.execute("SELECT value FROM openloop_meta WHERE key = ?", [_WATERMARK]).fetchone()
        self._fts = fulltext.FullTextIndex(
            Path(settings.index_dir),
            watermark=int(row[0]) if row else -1,
            commit_interval_ms=settings.index_commit_interval_ms,
            persist_watermark=self._persist_watermark,
        )
        self._fts.start(self._backlog)

    @classmethod
    def open(cls, settings: Any) -> DuckDBStore:
        """Open (creating if needed) ``settings.duckdb_path`` and the index in
        ``settings.index_dir``."""
        path = Path(settings.duckdb_path)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            con = duckdb.connect(str(path))
        except duckdb.Error as exc:
            raise StorageUnavailable(f"cannot open the data store at {path}: {exc}") from exc
        for stmt in _schema.create_statements():
            con.execute(stmt)
        con.execute(
            "INSERT OR IGNORE INTO openloop_meta VALUES ('schema_version', ?)",
            [_schema.SCHEMA_VERSION],
        )
        con.execute("SET TimeZone = 'UTC'")
        con.execute(f"SET checkpoint_threshold = '{int(settings.duckdb_checkpoint_mb)}MB'")
        # An ART lookup fetches each matching row on its own (~0.25 ms a row on a wide table):
        # past a few hundred rows (a big trace) one scan is faster. DuckDB's default allows
        # lookups of up to 0.1 % of the table, 10,000 rows at 10 M.
        con.execute("SET index_scan_max_count = 256")
        con.execute("SET index_scan_percentage = 0.0001")
        con.execute("SET enable_external_access = false")
        con.execute("SET lock_configuration = true")
        store = cls(con, settings)
        logger.info("datastore.open path=%s last_xact=%s", path, store._last_xact)
        return store

    def close(self) -> None:
        with self._lock:
            if self._closed:
                return
            self._closed = True
        self._fts.close()
        with self._lock:
            self._con.execute("CHECKPOINT")
            self._reader.close()
            self._con.close()

    # -- ids ------------------------------------------------------------------------------------

    def _next_ids(self) -> int:
        now_us = time.time_ns() // 1000
        self._last_xact = max(self._last_xact + 1, now_us)
        return self._last_xact

    def _next_keys(self, n: int) -> int:
        base = max(self._last_key + 1, (time.time_ns() // 1_000_000) << 20)
        self._last_key = base + n - 1
        return base

    def _hashes(self, ids: pa.Array) -> np.ndarray:
        """DuckDB's ``hash()`` of each id (what the id filter is keyed by), on a cursor of its
        own so that writers compute them side by side."""
        cur = self._reader.cursor()
        try:
            cur.register("_ids", pa.table({"id": ids}))
            return cur.execute("SELECT hash(id) AS h FROM _ids").fetchnumpy()["h"]
        finally:
            cur.close()

    def _build_id_filter(self) -> IdFilter:
        return IdFilter.from_table(self._con)

    # -- writes ---------------------------------------------------------------------------------

    def write(self, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        """Store every request in one durable transaction; bad rows are reported per row.

        Rows are validated and turned into Arrow columns before the write lock is taken,
        assuming their ids are new; under the lock only the few rows that replace or merge
        into a stored version are rebuilt. So concurrent writers overlap their Python work with
        each other's DuckDB commits."""
        with gc_paused():
            return self._write(requests)

    def _write(self, requests: Sequence[WriteRequest]) -> list[WriteResult]:
        staged: list[Staged] = []
        results: list[WriteResult] = []
        now_us = time.time_ns() // 1000
        for req in requests:
            check_ref(req.ref)
            if req.columns is not None:
                batch = req.columns
                if not isinstance(batch.columns["created"], pa.Array):
                    batch = batch.to_arrow()  # decoded here, not by a worker
                columns = {
                    **batch.columns,
                    "created": pc.fill_null(batch.columns["created"], now_us),
                }
                results.append(WriteResult(xact_id=0, ids=list(batch.ids)))
                staged.append(Staged(req.ref, None, columns))
                continue
            result = WriteResult(xact_id=0)
            good: list[IncomingRow] = []
            for i, raw in enumerate(req.rows):
                try:
                    good.append(prepare_row(raw, i, self._limits))
                except InvalidInput as exc:
                    rid = raw.get("id") if isinstance(raw, Mapping) else None
                    result.errors.append(
                        RowError(
                            i,
                            exc.message,
                            rid if isinstance(rid, str) else None,
                            413 if exc.status == 413 else 422,
                        )
                    )
            result.ids = list(dict.fromkeys(r.id for r in good))
            results.append(result)
            rows = dedupe(good)
            if rows:
                for row in rows:
                    if row.created is None:
                        row.created = now_us
                staged.append(Staged(req.ref, rows))
        for item in staged:  # before the lock: it is held by one writer at a time
            item.hashes = self._hashes(item.arrays["id"])
        ticket = _Ticket(staged, results)
        with self._queue_lock:
            self._queued.append(ticket)
        with self._lock:
            if not ticket.done:  # nobody took it along: lead a group of everything queued
                if self._closed:
                    with self._queue_lock:
                        self._queued.remove(ticket)
                    raise UsageError("the data store is closed")
                with self._queue_lock:
                    group, self._queued = self._queued, []
                self._commit_group(group)
        if ticket.error is not None:
            raise ticket.error
        return results

    def _commit_group(self, group: list[_Ticket]) -> None:
        """Store the queued requests of ``group``, each under its own transaction id, in one
        DuckDB transaction; requests that share an id, or a group that fails, are stored one
        request per transaction instead, so a failure stays with its own request."""
        for ticket in group:
            ticket.xact = self._next_ids()
            for result in ticket.results:
                result.xact_id = ticket.xact
        writing = [t for t in group if t.staged]
        try:
            if len(writing) > 1 and not _shares_ids(writing):
                try:
                    self._write_locked([(t.xact, t.staged) for t in writing])
                    writing = []
                except StorageUnavailable:
                    logger.warning("datastore.group_failed requests=%d: retrying one by one",
                                   len(writing))  # fmt: skip
            for ticket in writing:
                try:
                    self._write_locked([(ticket.xact, ticket.staged)])
                except StorageUnavailable as exc:
                    ticket.error = exc
        except BaseException as exc:  # not a storage error: every request of the group sees it
            for ticket in group:
                ticket.error = ticket.error or exc
            raise
        finally:
            for ticket in group:
                ticket.done = True

    def _write_locked(self, jobs: list[tuple[int, list[Staged]]]) -> None:
        """Store ``(transaction id, staged requests)`` jobs in one DuckDB transaction. The jobs
        must not share ids: each one's stored versions are probed before any is written."""
        t0 = time.perf_counter()
        tables: list[pa.Table] = []
        supersede: list[tuple[int, ObjectRef, list[str]]] = []
        batches: list[fulltext.IndexBatch] = []
        new_hashes: list[np.ndarray] = []
        n_rows = 0
        for xact, item in ((x, i) for x, staged in jobs for i in staged):
            ref, rows, ids, hashes = item.ref, item.rows, item.ids, item.hashes
            new_hashes.append(hashes)
            current = self._current(ref, ids, hashes)
            if current:
                supersede.append((xact, ref, list(current)))
                # a fast-path batch holds plain replaces only: nothing to merge into
                if rows is not None and any([resolve(row, current.get(row.id)) for row in rows]):
                    item.build()
            n = len(ids)
            base = self._next_keys(n)
            keys = np.arange(base, base + n, dtype=np.int64)
            system = {
                "org_id": pa.array([ref.org_id] * n, pa.string()),
                "project_id": pa.array([ref.project_id] * n, pa.string()),
                "object_type": pa.array([ref.object_type] * n, pa.string()),
                "object_id": pa.array([ref.object_id] * n, pa.string()),
                "_xact_id": pa.array(np.full(n, xact, dtype=np.int64)),
                "_pagination_key": pa.array(keys),
                "_superseded_by": pa.nulls(n, pa.int64()),
            }
            arrays = item.arrays
            columns = [system[f.name] if f.name in system else arrays[f.name] for f in ARROW_SCHEMA]
            tables.append(pa.Table.from_arrays(columns, schema=ARROW_SCHEMA))
            if self._blocks is not None:  # widened before the commit: see KeyBlocks
                created = arrays["created"].cast(pa.int64()).fill_null(0).to_numpy()
                self._blocks.add(base, created)
            batches.append(
                fulltext.IndexBatch(
                    keys, [ref.object_type] * n, [ref.object_id] * n, item.texts, base + n - 1
                )
            )
            n_rows += n
        con = self._con
        try:
            con.begin()
            for xact, ref, ids in supersede:
                for i in range(0, len(ids), _CHUNK):
                    chunk = ids[i : i + _CHUNK]
                    con.execute(
                        f"UPDATE rows SET _superseded_by = ? WHERE {_REF} "
                        f"AND _superseded_by IS NULL AND _xact_id < ? "
                        f"AND id IN ({', '.join('?' * len(chunk))})",
                        [xact, *_ref_params(ref), xact, *chunk],
                    )
            # one INSERT for everything: each statement costs several ms of planning
            con.register("_incoming", tables[0] if len(tables) == 1 else pa.concat_tables(tables))
            try:
                con.execute("INSERT INTO rows SELECT * FROM _incoming")
            finally:
                con.unregister("_incoming")
            con.commit()
        except duckdb.Error as exc:
            with contextlib.suppress(duckdb.Error):
                con.rollback()
            raise StorageUnavailable(f"write failed: {exc}") from exc
        for hashes in new_hashes:
            self._ids.add(hashes)
        if self._ids.full:
            self._ids = self._build_id_filter()
        for batch in batches:
            self._fts.add(batch)
        logger.debug(
            "datastore.write requests=%d rows=%d superseded=%d ms=%.1f",
            len(jobs),
            n_rows,
            sum(len(i) for _, _, i in supersede),
            (time.perf_counter() - t0) * 1000,
        )

    def _current(
        self, ref: ObjectRef, ids: list[str], hashes: np.ndarray
    ) -> dict[str, dict[str, Any]]:
        """Current stored versions (tombstones included) of the ids that exist."""
        mask = self._ids.maybe_contains(hashes)
        candidates = [i for i, m in zip(ids, mask, strict=True) if m]
        found: dict[str, dict[str, Any]] = {}
        for i in range(0, len(candidates), _CHUNK):
            chunk = candidates[i : i + _CHUNK]
            # the ids alone first, so DuckDB answers them from the ART index on id instead of
            # scanning the table (it uses the index only for a lone IN list)
            recs = self._con.execute(
                f"WITH _ids AS MATERIALIZED (SELECT * FROM rows WHERE id IN "
                f"({', '.join('?' * len(chunk))})) SELECT {_READ} FROM _ids "
                f"WHERE {_REF} AND _superseded_by IS NULL",
                [*chunk, *_ref_params(ref)],
            ).fetchall()
            for rec in recs:
                found[rec[3]] = row_from_record(rec)
        return found

    def _persist_watermark(self, key: int) -> None:
        with self._lock:
            self._con.execute(
                "INSERT OR REPLACE INTO openloop_meta VALUES (?, ?)", [_WATERMARK, key]
            )

    def _backlog(self, watermark: int) -> Iterator[fulltext.IndexBatch]:
        return _search.backlog(self._reader, watermark)

    def wait_indexed(self, timeout: float = 30.0) -> bool:
        """Block until every row written so far is searchable through the index."""
        return self._fts.wait(self._last_key, timeout)

    def delete_object(self, ref: ObjectRef) -> int:
        """Tombstone every visible row of ``ref`` in one transaction."""
        check_ref(ref)
        with self._lock:
            xact = self._next_ids()
            con = self._con
            n = con.execute(
                f"SELECT count(*) FROM rows WHERE {_REF} AND {visible_predicate()}",
                _ref_params(ref),
            ).fetchall()[0][0]
            if not n:
                return 0
            base = self._next_keys(n)
            try:
                con.begin()
                con.execute(
                    f"INSERT INTO rows BY NAME SELECT org_id, project_id, object_type, object_id, "
                    f"id, ?::BIGINT AS _xact_id, "
                    f"?::BIGINT + row_number() OVER (ORDER BY _pagination_key) - 1 "
                    f"AS _pagination_key, TRUE AS _object_delete, to_timestamp(? / 1e6) AS created, "
                    f"span_id, root_span_id, span_parents, is_root, FALSE AS has_error "
                    f"FROM rows WHERE {_REF} AND {visible_predicate()}",
                    [xact, base, xact, *_ref_params(ref)],
                )
                if self._blocks is not None:  # the tombstones' time is the transaction's
                    self._blocks.add(base, np.full(n, xact, dtype=np.int64))
                con.execute(
                    f"UPDATE rows SET _superseded_by = ? WHERE {_REF} AND _superseded_by IS NULL "
                    f"AND _xact_id < ? AND NOT _object_delete",
                    [xact, *_ref_params(ref), xact],
                )
                con.commit()
            except duckdb.Error as exc:
                con.rollback()
                raise StorageUnavailable(f"delete failed: {exc}") from exc
            self._fts.add(fulltext.IndexBatch([], [], [], {}, upto=base + n - 1))
            return int(n)

    # -- reads ----------------------------------------------------------------------------------

    def _query(self, sql: str, params: Sequence[Any]) -> list[tuple[Any, ...]]:
        cur = self._reader.cursor()
        try:
            return cur.execute(sql, list(params)).fetchall()
        except duckdb.Error as exc:
            raise StorageUnavailable(f"read failed: {exc}") from exc
        finally:
            cur.close()

    def read(
        self,
        ref: ObjectRef,
        *,
        ids: Sequence[str] | None = None,
        version: int | None = None,
        limit: int | None = None,
    ) -> list[dict[str, Any]]:
        sql = f"SELECT {_READ} FROM rows WHERE {_REF} AND {visible_predicate(version)}"
        params: list[Any] = _ref_params(ref)
        if ids is not None:
            if not ids:
                return []
            # the ids alone first: DuckDB answers a lone IN list from the ART index on id
            sql = (
                f"WITH _ids AS MATERIALIZED (SELECT * FROM rows WHERE id IN "
                f"({', '.join('?' * len(ids))})) SELECT {_READ} FROM _ids "
                f"WHERE {_REF} AND {visible_predicate(version)}"
            )
            params = [*ids, *params]
        sql += " ORDER BY _pagination_key DESC"
        if limit is not None:
            sql += f" LIMIT {int(limit)}"
        return [row_from_record(r) for r in self._query(sql, params)]

    def trace_sql(self) -> str:
        # DuckDB answers a lone equality from the ART index but scans the whole table when other
        # predicates sit next to it in the scan: the CASE keeps them in a filter above it, as in
        # the query compiler's flat pinned page (query/shapes.py, ``_guard``).
        return (
            f"SELECT {_READ} FROM rows WHERE root_span_id = ? AND CASE WHEN {_REF} AND "
            f"{visible_predicate()} THEN TRUE ELSE FALSE END ORDER BY created, _pagination_key"
        )

    def trace(self, ref: ObjectRef, root_span_id: str) -> list[dict[str, Any]]:
        recs = self._query(self.trace_sql(), [root_span_id, *_ref_params(ref)])
        return [row_from_record(r) for r in recs]

    def versions(self, ref: ObjectRef) -> list[int]:
        recs = self._query(
            f"SELECT DISTINCT _xact_id FROM rows WHERE {_REF} ORDER BY 1", _ref_params(ref)
        )
        return [int(r[0]) for r in recs]

    def history(self, ref: ObjectRef, row_id: str) -> list[dict[str, Any]]:
        recs = self._query(
            f"SELECT {_READ} FROM rows WHERE id = ? AND {_REF} ORDER BY _xact_id",
            [row_id, *_ref_params(ref)],
        )
        return [row_from_record(r) for r in recs]

    def iter_rows(
        self, ref: ObjectRef, *, batch_size: int = 1000
    ) -> Iterator[list[dict[str, Any]]]:
        last = -1
        while True:
            recs = self._query(
                f"SELECT {_READ} FROM rows WHERE {_REF} AND {visible_predicate()} "
                f"AND _pagination_key > ? ORDER BY _pagination_key LIMIT {int(batch_size)}",
                [*_ref_params(ref), last],
            )
            if not recs:
                return
            yield [row_from_record(r) for r in recs]
            last = recs[-1][5]

    def count(self, ref: ObjectRef) -> int:
        recs = self._query(
            f"SELECT count(*) FROM rows WHERE {_REF} AND {visible_predicate()}", _ref_params(ref)
        )
        return int(recs[0][0])

    def execute(
        self,
        sql: str,
        params: Sequence[Any] | Mapping[str, Any] | None = None,
        *,
        timeout: float | None = None,
    ) -> pa.Table:
        """Run one read-only statement on its own cursor and return a ``pyarrow.Table``. It is
        cancelled after ``timeout`` seconds (default: ``settings.query_timeout_seconds``)."""
        limit = self._query_timeout if timeout is None else timeout
        cur = self._reader.cursor()
        try:
            check_read_only(cur, sql)
            with WATCHDOG.armed(cur, limit):
                return run_arrow(cur, sql, params)
        except duckdb.InterruptException:
            raise InvalidInput(
                f"query cancelled after {limit:g} s; narrow it (for example with a range on "
                "created) or raise the timeout"
            ) from None
        except duckdb.Error as exc:
            raise InvalidInput(f"query failed: {exc}") from exc
        finally:
            cur.close()

    # -- search ---------------------------------------------------------------------------------

    def search_ids(
        self,
        ref_filter: Sequence[ObjectRef],
        query: str,
        *,
        fields: Sequence[str] | None = None,
        page: SearchPage | None = None,
    ) -> pa.Array:
        """``_pagination_key`` of visible rows matching ``query``, newest first: index hits at or
        below the watermark, plus a scan of the rows above it. With ``page``, only the keys that
        can be on that page (:func:`~openloop.store.data._search.narrow_to_page`)."""
        found = _search.search_ids(
            self._reader, self._fts, ref_filter, query, fields, last_key=lambda: self._last_key
        )
        if page is None or len(found) <= page.limit:
            return found
        blocks = self._blocks
        if blocks is None:
            with self._lock:  # no write runs meanwhile, so no row is missed
                if self._blocks is None:
                    with self._reader.cursor() as cur:
                        self._blocks = _search.KeyBlocks.from_table(cur)
                blocks = self._blocks
        with self._reader.cursor() as cur:
            keys = _search.narrow_to_page(cur, found.to_numpy(), page, blocks)
        return pa.array(keys, pa.int64())

    def substring_scan_ids(
        self, ref_filter: Sequence[ObjectRef], query: str, *, fields: Sequence[str] | None = None
    ) -> pa.Array:
        """The brute-force equivalent of :meth:`search_ids` (no index): for checks and benchmarks."""
        return _search.scan_ids(self._reader, ref_filter, query, fields)


class _Ticket:
    """One ``write`` call waiting for the write lock; see ``DuckDBStore._commit_group``."""

    __slots__ = ("done", "error", "results", "staged", "xact")

    def __init__(self, staged: list[Staged], results: list[WriteResult]) -> None:
        self.staged = staged
        self.results = results
        self.xact = 0
        self.done = False
        self.error: BaseException | None = None


def _shares_ids(tickets: list[_Ticket]) -> bool:
    """Whether two of ``tickets`` write the same id (by its hash, so rarely a false yes)."""
    per_ticket = [np.unique(np.concatenate([i.hashes for i in t.staged])) for t in tickets]
    return len(np.unique(np.concatenate(per_ticket))) < sum(len(h) for h in per_ticket)
