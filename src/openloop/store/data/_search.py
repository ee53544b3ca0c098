"""Full-text search for the DuckDB store: index hits at or below the watermark, filtered to
visible rows, plus an exact scan of the rows above it (see :mod:`openloop.search.fulltext`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import duckdb
import pyarrow as pa

from openloop.search import fulltext
from openloop.store.data._schema import REF_WHERE, ref_params, visible_predicate
from openloop.store.data.base import ObjectRef

__all__ = ["backlog", "scan_ids", "search_ids"]


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
    found: set[int] = set()
    with con.cursor() as cur:
        if hits:
            found.update(_visible_hits(cur, refs, list(hits)))
        # keys are handed out before their rows commit, so a watermark at the last key handed
        # out means every committed row is indexed
        if last_key is None or last_key() > watermark:
            found.update(_scan(cur, refs, terms, names, watermark))
    return pa.array(sorted(found, reverse=True), pa.int64())


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
