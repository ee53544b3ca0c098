"""Full-text search for the DuckDB store: index hits at or below the watermark, filtered to
visible rows, plus an exact scan of the rows above it (see :mod:`openloop.search.fulltext`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import duckdb
import numpy as np
import pyarrow as pa

from openloop.model.search import SearchPage
from openloop.search import fulltext
from openloop.store.data._schema import REF_WHERE, ref_params, visible_predicate
from openloop.store.data.base import ObjectRef

__all__ = ["KeyBlocks", "backlog", "narrow_to_page", "scan_ids", "search_ids"]


def _scope(refs: Sequence[ObjectRef]) -> tuple[str, list[Any]]:
    params: list[Any] = []
    for ref in refs:
        params += ref_params(ref)
    return "(" + " OR ".join(f"({REF_WHERE})" for _ in refs) + ")", params


def _scan(
    cur: duckdb.DuckDBPyConnection,
    refs: Sequence[ObjectRef],
    terms: list[list[str]],
    names: Sequence[str],
    above: int | None,
) -> list[int]:
    scope, args = _scope(refs)
    cond, params = fulltext.prefilter_condition(terms, names)
    texts = ", ".join(fulltext.column_text_sql(f) for f in names)
    sql = f"SELECT _pagination_key, {texts} FROM rows WHERE {scope} AND {visible_predicate()}"
    if above is not None:
        sql += " AND _pagination_key > ?"
        args.append(above)
    matches = fulltext.matcher(terms)
    cur.execute(f"{sql} AND {cond}", args + params)
    found: list[int] = []
    while batch := cur.fetchmany(2048):
        found.extend(r[0] for r in batch if matches(r[1:]))
    return found


#: Above this many superseded, deleted or foreign versions among the hits' key range, the hits
#: are checked with a semi-join instead (see :func:`_visible_hits`).
_EXCLUDE_MAX = 20_000


def _visible_hits(
    cur: duckdb.DuckDBPyConnection, refs: Sequence[ObjectRef], hits: list[int]
) -> list[int]:
    """The index hits that are visible rows of ``refs``.

    The index matched (object_type, object_id) exactly, and its keys are keys of stored rows (it
    drops documents above the watermark recorded with the rows when it opens, and rows are never
    removed). So a hit is hidden only when its row is superseded, a tombstone, or stored under
    another organization. Those versions are found in the hits' key range by three conditions
    DuckDB decides per row group from column statistics (a group with no superseded version is
    not read at all): ~1 ms where a semi-join of the hits reads every row group (~10 ms per
    million rows)."""
    orgs = {r.org_id for r in refs}
    if len(orgs) == 1:
        lo, hi = min(hits), max(hits)
        objects = " OR ".join("(object_type = ? AND object_id = ?)" for _ in refs)
        in_range = "SELECT _pagination_key FROM rows WHERE _pagination_key BETWEEN ? AND ?"
        sql = (
            f"{in_range} AND _superseded_by IS NOT NULL UNION ALL "
            f"{in_range} AND _object_delete UNION ALL "
            f"{in_range} AND org_id <> ? AND ({objects}) LIMIT {_EXCLUDE_MAX + 1}"
        )
        params: list[Any] = [lo, hi, lo, hi, lo, hi, *orgs]
        for ref in refs:
            params += [ref.object_type, ref.object_id]
        hidden = cur.execute(sql, params).fetchall()
        if len(hidden) <= _EXCLUDE_MAX:
            drop = {r[0] for r in hidden}
            return [k for k in hits if k not in drop] if drop else hits
    # Many hidden versions (or refs of several organizations): the hits travel as one BIGINT[]
    # parameter, a semi-join whose key range DuckDB pushes into the scan.
    scope, args = _scope(refs)
    rows = cur.execute(
        f"SELECT _pagination_key FROM rows WHERE {scope} AND {visible_predicate()} "
        "AND _pagination_key IN (SELECT UNNEST(?::BIGINT[]))",
        [*args, hits],
    ).fetchall()
    return [r[0] for r in rows]


def search_ids(
    con: duckdb.DuckDBPyConnection,
    index: fulltext.FullTextIndex,
    refs: Sequence[ObjectRef],
    query: str,
    fields: Sequence[str] | None,
    *,
    last_key: Callable[[], int] | None = None,
) -> pa.Array:
    """Visible keys matching ``query``, newest first. ``last_key()`` is the highest key the
    store has handed out: when the watermark has reached it, no row is above the watermark and
    the scan of those rows is skipped."""
    terms = fulltext.parse_query(query)
    names = fulltext.check_fields(fields)
    if not refs:
        return pa.array([], pa.int64())
    # Read the watermark first: everything at or below it is in the searcher used next.
    watermark = index.watermark
    hits = index.search([(r.object_type, r.object_id) for r in refs], terms, names)
    with con.cursor() as cur:
        visible = _visible_hits(cur, refs, hits) if hits else []
        # keys are handed out before their rows commit, so a watermark at the last key handed
        # out means every committed row is indexed
        tail = (
            _scan(cur, refs, terms, names, watermark)
            if last_key is None or last_key() > watermark
            else []
        )
    keys = np.array(visible + tail if tail else visible, dtype=np.int64)
    # index hits come newest first, one per row version; anything else is sorted here
    if len(keys) > 1 and not bool((keys[1:] < keys[:-1]).all()):
        keys = np.unique(keys)[::-1]
    return pa.array(keys)


def scan_ids(
    con: duckdb.DuckDBPyConnection,
    refs: Sequence[ObjectRef],
    query: str,
    fields: Sequence[str] | None,
) -> pa.Array:
    terms = fulltext.parse_query(query)
    names = fulltext.check_fields(fields)
    if not refs:
        return pa.array([], pa.int64())
    with con.cursor() as cur:
        keys = _scan(cur, refs, terms, names, None)
    return pa.array(sorted(keys, reverse=True), pa.int64())


def backlog(con: duckdb.DuckDBPyConnection, watermark: int) -> Iterator[fulltext.IndexBatch]:
    """Rows stored above the index watermark (after a crash, a lost index or a bulk load), in
    key order, 5,000 at a time. Each page is found on the key column alone, then its text is
    read as one key range: an ``ORDER BY ... LIMIT`` over the text columns would read many
    times the page to sort it."""
    fields = ", ".join(fulltext.column_text_sql(f) for f in fulltext.SEARCH_FIELDS)
    with con.cursor() as cur:
        top = cur.execute("SELECT coalesce(max(_pagination_key), -1) FROM rows").fetchall()[0][0]
        last = watermark
        while last < top:
            bound = cur.execute(
                "SELECT max(k) FROM (SELECT _pagination_key AS k FROM rows "
                "WHERE _pagination_key > ? AND _pagination_key <= ? ORDER BY k LIMIT 5000)",
                [last, top],
            ).fetchall()[0][0]
            if bound is None:
                break
            page = (
                cur.sql(
                    f"SELECT _pagination_key, object_type, object_id, {fields} FROM rows "
                    "WHERE _pagination_key > $1 AND _pagination_key <= $2 AND NOT _object_delete",
                    params=[last, bound],
                )
                .to_arrow_table()
                .sort_by("_pagination_key")
            )
            cols = [c.to_pylist() for c in page.columns]
            texts = dict(zip(fulltext.SEARCH_FIELDS, cols[3:], strict=True))
            yield fulltext.IndexBatch(cols[0], cols[1], cols[2], texts, upto=bound)
            last = bound
        yield fulltext.IndexBatch([], [], [], {}, upto=top)


class KeyBlocks:
    """The lowest and highest ``created`` (µs since the epoch) of the rows in each block of
    ``_pagination_key`` values that share ``key >> SHIFT``. A key is the write's time in ms
    shifted left by 20 bits (plus a counter), so a block holds the rows written in the same
    ~65 s, and its ``created`` range is narrow unless old rows were imported then. Three arrays
    sorted by block: ~24 bytes per block.

    :func:`narrow_to_page` uses it to tell, without reading them, that the rows of some blocks
    cannot be on a page sorted by ``created``. A block's range only has to contain every row of
    the block (it may be wider), so writes widen it before their rows commit."""

    SHIFT = 36

    def __init__(self) -> None:
        empty = np.empty(0, dtype=np.int64)
        # (block ids, lowest, highest), replaced as one tuple when a block is added, so a reader
        # never pairs one version's ids with another's ranges; widened in place otherwise
        self.arrays: tuple[np.ndarray, np.ndarray, np.ndarray] = (empty, empty, empty)

    @classmethod
    def from_table(cls, cur: duckdb.DuckDBPyConnection) -> KeyBlocks:
        """One aggregate over the stored rows (0.1–0.6 s at 10 M)."""
        got = cur.execute(
            f"SELECT _pagination_key >> {cls.SHIFT} AS b, min(epoch_us(created)) AS lo, "
            "max(epoch_us(created)) AS hi FROM rows WHERE created IS NOT NULL GROUP BY b ORDER BY b"
        ).fetchnumpy()
        self = cls()
        self.arrays = tuple(np.asarray(got[k], dtype=np.int64) for k in ("b", "lo", "hi"))  # type: ignore[assignment]
        return self

    def add(self, first_key: int, created: np.ndarray) -> None:
        """Rows with keys ``first_key, first_key + 1, ...`` and these ``created`` values."""
        n = len(created)
        shift = self.SHIFT
        start = 0
        while start < n:
            block = (first_key + start) >> shift
            end = min(n, ((block + 1) << shift) - first_key)
            part = created[start:end]
            lo, hi = int(part.min()), int(part.max())
            ids, los, his = self.arrays
            at = int(np.searchsorted(ids, block))
            if at < len(ids) and ids[at] == block:
                los[at] = min(int(los[at]), lo)
                his[at] = max(int(his[at]), hi)
            else:
                self.arrays = (np.insert(ids, at, block), np.insert(los, at, lo),
                               np.insert(his, at, hi))  # fmt: skip
            start = end

    def ranges(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray] | None:
        """``(lo, hi)`` of each key's block, or ``None`` if a key's block is unknown."""
        ids, lo, hi = self.arrays
        blocks = keys >> self.SHIFT
        at = np.searchsorted(ids, blocks)
        if len(at) and (int(at.max()) >= len(ids) or not bool((ids[at] == blocks).all())):
            return None
        return lo[at], hi[at]


#: A page of L rows first reads the ``created`` of about this many times L matches.
_PAGE_READ_FACTOR = 4
_PAGE_ROUNDS = 3


_MAX_RANGES = 32


def _key_ranges(keys: np.ndarray) -> tuple[str, list[int]]:
    """A condition on ``_pagination_key`` covering sorted ``keys`` one key range per block, so
    the scan reads only those blocks' row groups (and checks the page's condition only there)
    even when the blocks lie far apart; one range over all of them past ``_MAX_RANGES``."""
    blocks = keys >> KeyBlocks.SHIFT
    cuts = np.flatnonzero(blocks[1:] != blocks[:-1]) + 1
    starts = np.concatenate(([0], cuts))
    ends = np.concatenate((cuts, [len(keys)])) - 1
    if len(starts) > _MAX_RANGES:
        starts, ends = starts[:1], ends[-1:]
    params: list[int] = []
    for a, b in zip(keys[starts].tolist(), keys[ends].tolist(), strict=True):
        params += [a, b]
    return " OR ".join(["_pagination_key BETWEEN ? AND ?"] * len(starts)), params


def narrow_to_page(
    cur: duckdb.DuckDBPyConnection, keys: np.ndarray, page: SearchPage, blocks: KeyBlocks
) -> np.ndarray:
    """Of ``keys`` (visible rows matching a search), those that can be on ``page``: at least
    every key of the page, usually little more. Exact, never a guess.

    Keys in blocks (:class:`KeyBlocks`) whose ``created`` range misses ``page.lo``/``page.hi``
    are dropped. The other blocks are ranked by how good their best row could be (the highest
    ``created`` for a newest-first page), and the ``created`` of the matches in the best few
    blocks is read, with ``page.condition``. When ``page.limit`` of them meet it and the page's
    last one is strictly better than anything the unread blocks can hold, the page is among them.
    Otherwise more blocks are read; after a few rounds every key is returned as it came."""
    limit = page.limit
    want = max(_PAGE_READ_FACTOR * limit, 256)
    if len(keys) <= want:
        return keys
    ranges = blocks.ranges(keys)
    if ranges is None:  # a row the summary has not seen
        return keys
    b_lo, b_hi = ranges
    keep = np.ones(len(keys), dtype=bool)
    if page.lo is not None:
        keep &= b_hi >= page.lo
    if page.hi is not None:
        keep &= b_lo < page.hi
    if not keep.all():
        keys, b_lo, b_hi = keys[keep], b_lo[keep], b_hi[keep]
    if len(keys) <= want:
        return keys
    # only the part of a block's range inside the bounds can hold a row of the page
    if page.lo is not None:
        b_lo = np.maximum(b_lo, page.lo)
    if page.hi is not None:
        b_hi = np.minimum(b_hi, page.hi - 1)
    # rank the blocks: by their best possible time, then all keys of a block together
    block_of = keys >> KeyBlocks.SHIFT
    ids, first, counts = np.unique(block_of, return_index=True, return_counts=True)
    best = b_hi[first] if page.descending else b_lo[first]
    order = np.argsort(-best if page.descending else best, kind="stable")
    ranked, total = ids[order], np.cumsum(counts[order])
    ranked_best = best[order]
    condition = f" AND ({page.condition})" if page.condition else ""
    for _ in range(_PAGE_ROUNDS):
        n_blocks = int(np.searchsorted(total, want)) + 1
        if n_blocks >= len(ranked) or want > len(keys) // 2:  # reading them all is as cheap
            break
        sel = keys[np.isin(block_of, ranked[:n_blocks])]
        rest_best = int(ranked_best[n_blocks])  # the best any unread block can hold
        spans, params = _key_ranges(np.sort(sel))
        got = cur.execute(
            f"SELECT _pagination_key AS k, epoch_us(created) AS c FROM rows WHERE ({spans}) "
            f"AND _pagination_key IN (SELECT UNNEST(?::BIGINT[])){condition}",
            [*params, sel.tolist()],
        ).fetchnumpy()
        if np.ma.is_masked(got["c"]):  # a row without a time: leave the ordering to the query
            break
        k = np.asarray(got["k"], dtype=np.int64)
        c = np.asarray(got["c"], dtype=np.int64)
        inside = np.ones(len(k), dtype=bool)
        if page.lo is not None:
            inside &= c >= page.lo
        if page.hi is not None:
            inside &= c < page.hi
        k, c = k[inside], c[inside]
        if len(k) >= limit:
            times = np.sort(c)
            # strictly better: a row of equal time in an unread block may have a larger key
            if page.descending and rest_best < int(times[-limit]):
                return np.sort(k)[::-1]
            if not page.descending and rest_best > int(times[limit - 1]):
                return np.sort(k)[::-1]
        want *= 8
    return keys
