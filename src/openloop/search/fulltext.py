"""Full-text search over rows: a Tantivy inverted index plus an exact scan of the not-yet-indexed
tail, with one definition of "matches" shared by both.

**What a word is.** A field's text is its stored JSON text with JSON escapes (``\\n``,
``\\"``, ``\\u0001``...) blanked out; a word is a maximal run of letters and digits, compared
case-insensitively. Keys and values of objects are both text. A query is whitespace-separated
words and ``"quoted phrases"``; a chunk that holds punctuation (``gpt-4o``) is a phrase of its
words. A row matches when *every* word/phrase occurs in at least one of the searched fields.

**Freshness.** :class:`FullTextIndex` is fed by a background thread after each durable write
and commits every ``index_commit_interval_ms``; :attr:`FullTextIndex.watermark` is the highest
``_pagination_key`` that is committed and searchable. Search asks the index for keys at or
below the watermark and scans the rows above it (:func:`prefilter_condition` in SQL, then
:func:`matcher`, the same word rule in Python), so a row is found the moment its write returns.
"""

from __future__ import annotations

import logging
import queue
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tantivy

from openloop.errors import InvalidInput

__all__ = [
    "SEARCH_FIELDS",
    "FullTextIndex",
    "IndexBatch",
    "check_fields",
    "column_text_sql",
    "field_text",
    "matcher",
    "parse_query",
    "prefilter_condition",
]

logger = logging.getLogger(__name__)

#: Row fields full-text search covers (``fields=`` narrows to a subset).
SEARCH_FIELDS: tuple[str, ...] = (
    "input", "output", "expected", "metadata", "span_attributes", "error", "tags",
)  # fmt: skip

_WORD = re.compile(r"[^\W_]+")
_ESCAPE = re.compile(r"\\(?:u[0-9a-fA-F]{4}|.)")
_ANALYZER = "ol_words"
_COMMIT_NOW = "commit-now"  # queued by a waiter: commit what is pending without delay
_KEY = "pkey"


def parse_query(query: str) -> list[list[str]]:
    """Terms of a search query; each term is a list of lowercase words (a phrase when > 1).

    >>> parse_query('timeout "Rate limit" gpt-4o')
    [['timeout'], ['rate', 'limit'], ['gpt', '4o']]
    """
    if not isinstance(query, str):
        raise InvalidInput("search query must be a string")
    terms: list[list[str]] = []
    for i, part in enumerate(query.split('"')):
        chunks = [part] if i % 2 else part.split()
        for chunk in chunks:
            words = _WORD.findall(chunk.lower())
            if words:
                terms.append(words)
    if not terms:
        raise InvalidInput("search query has no words to look for")
    return terms


def check_fields(fields: Sequence[str] | None) -> tuple[str, ...]:
    if fields is None:
        return SEARCH_FIELDS
    bad = [f for f in fields if f not in SEARCH_FIELDS]
    if bad or not fields:
        raise InvalidInput(
            f"cannot search field(s) {', '.join(bad) or '(none)'}; "
            f"searchable: {', '.join(SEARCH_FIELDS)}"
        )
    return tuple(dict.fromkeys(fields))


def field_text(raw: str | bytes | None) -> str:
    """Indexable text of one stored JSON value (escapes blanked, as the scan sees it)."""
    if raw is None:
        return ""
    text = raw.decode() if isinstance(raw, bytes) else raw
    return _ESCAPE.sub(" ", text) if "\\" in text else text


def column_text_sql(field: str) -> str:
    """SQL for the stored JSON text of a searchable field."""
    col = "to_json(tags)" if field == "tags" else f'"{field}"'
    return f"CAST({col} AS VARCHAR)"


def prefilter_condition(terms: list[list[str]], fields: Sequence[str]) -> tuple[str, list[str]]:
    """A cheap SQL condition every matching row satisfies (each word, in order, as a
    case-insensitive substring of some field), with its bound parameters. Rows that pass are
    checked exactly with :func:`matcher`. Words hold only letters and digits, so they need no
    LIKE escaping."""
    clauses: list[str] = []
    params: list[str] = []
    for words in terms:
        ors = []
        for field in fields:
            ors.append(f"coalesce({column_text_sql(field)} ILIKE ?, false)")
            params.append("%" + "%".join(words) + "%")
        clauses.append("(" + " OR ".join(ors) + ")")
    return " AND ".join(clauses), params


def matcher(terms: list[list[str]]) -> Callable[[Sequence[str | bytes | None]], bool]:
    """Exact test of one row given the stored JSON text of each searched field: the same word
    rule as the index (Unicode letters and digits, case-insensitive, phrases in order)."""
    patterns = [
        re.compile(
            r"(?<![^\W_])" + r"[\W_]+".join(re.escape(w) for w in words) + r"(?![^\W_])",
            re.IGNORECASE,
        )
        for words in terms
    ]

    def matches(texts: Sequence[str | bytes | None]) -> bool:
        cleaned = [field_text(t) for t in texts if t is not None]
        return all(any(p.search(t) for t in cleaned) for p in patterns)

    return matches


@dataclass
class IndexBatch:
    """Rows of one durable write, column-wise, as handed to the indexer."""

    keys: Sequence[int] | Any  # a list or a numpy array
    object_types: Sequence[str]
    object_ids: Sequence[str]
    #: field -> stored JSON text (str/bytes/None) per row, as a list or an Arrow array
    texts: Mapping[str, Sequence[Any]]
    #: Every key up to this one is covered once the batch is committed (a write's tombstones
    #: have keys but no text).
    upto: int | None = None


class FullTextIndex:
    """The Tantivy index in ``path`` plus the thread that feeds it.

    ``persist_watermark`` is called (from the indexer thread) after each commit with the new
    watermark, so the store can record it next to the rows.
    """

    def __init__(
        self,
        path: Path,
        *,
        watermark: int,
        commit_interval_ms: int,
        persist_watermark: Callable[[int], None],
    ) -> None:
        self.path = Path(path)
        self._persist = persist_watermark
        self._interval = commit_interval_ms / 1000
        self._queue: queue.Queue[IndexBatch | str | None] = queue.Queue()
        self._index, fresh = self._open_index()
        self.watermark = -1 if fresh else watermark
        self._writer = self._index.writer(heap_size=64_000_000, num_threads=1)
        if not fresh:
            # Documents committed after the last recorded watermark are re-added below.
            self._writer.delete_documents_by_query(
                tantivy.Query.range_query(
                    self._index.schema,
                    _KEY,
                    tantivy.FieldType.Integer,
                    self.watermark,
                    None,
                    include_lower=False,
                )
            )
        self._pending_max: int | None = None
        self._ix_lock = threading.Lock()
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    # -- lifecycle ------------------------------------------------------------------------------

    def _open_index(self) -> tuple[tantivy.Index, bool]:
        b = tantivy.SchemaBuilder()
        b.add_integer_field(_KEY, stored=False, indexed=True, fast=True)
        b.add_text_field("object_type", tokenizer_name="raw", index_option="basic")
        b.add_text_field("object_id", tokenizer_name="raw", index_option="basic")
        for name in SEARCH_FIELDS:
            b.add_text_field(name, tokenizer_name=_ANALYZER, index_option="position")
        schema = b.build()
        self.path.mkdir(parents=True, exist_ok=True)
        fresh = not tantivy.Index.exists(str(self.path))
        try:
            index = tantivy.Index(schema, path=str(self.path), reuse=True)
        except Exception as exc:  # an unreadable or foreign index: rebuild it from the rows
            logger.warning("search.index_rebuild path=%s reason=%s", self.path, exc)
            shutil.rmtree(self.path)
            self.path.mkdir(parents=True)
            index, fresh = tantivy.Index(schema, path=str(self.path), reuse=False), True
        analyzer = (
            tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
            .filter(tantivy.Filter.lowercase())
            .build()
        )
        index.register_tokenizer(_ANALYZER, analyzer)
        return index, fresh

    def start(self, backlog: Callable[[int], Iterable[IndexBatch]]) -> None:
        """Start the feeding thread; it first indexes ``backlog(watermark)`` (rows stored but
        not yet searchable, e.g. after a crash), then every batch passed to :meth:`add`."""
        self._thread = threading.Thread(
            target=self._run, args=(backlog,), name="openloop-fulltext", daemon=True
        )
        self._thread.start()

    def add(self, batch: IndexBatch) -> None:
        self._queue.put(batch)

    def close(self) -> None:
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
            self._thread = None
        self._writer.wait_merging_threads()

    def wait(self, key: int, timeout: float = 30.0) -> bool:
        """Block until rows up to ``key`` are searchable through the index (tests, benchmarks)."""
        deadline = time.monotonic() + timeout
        if self.watermark < key:
            self._queue.put(_COMMIT_NOW)  # someone is waiting: do not wait for the interval
        with self._cond:
            while self.watermark < key:
                left = deadline - time.monotonic()
                if left <= 0 or self._thread is None or self._error is not None:
                    return self.watermark >= key
                self._cond.wait(left)
        return True

    # -- feeding --------------------------------------------------------------------------------

    def _run(self, backlog: Callable[[int], Iterable[IndexBatch]]) -> None:
        try:
            pending = 0
            for batch in backlog(self.watermark):
                self._add_docs(batch)
                pending += len(batch.keys)
                if pending >= 50_000:  # let searches use what is done so far
                    self._commit()
                    pending = 0
            self._commit()
            last = time.monotonic()
            while True:
                timeout = max(self._interval - (time.monotonic() - last), 0.001)
                try:
                    item = self._queue.get(timeout=timeout)
                except queue.Empty:
                    pass
                else:
                    if item is None:
                        self._drain()
                        self._commit()
                        return
                    if item == _COMMIT_NOW:
                        self._drain()
                        last = 0.0
                    elif not isinstance(item, str):
                        self._add_docs(item)
                if time.monotonic() - last >= self._interval:
                    self._commit()
                    last = time.monotonic()
        except BaseException as exc:  # keep serving: search falls back to scanning the tail
            self._error = exc
            logger.exception("search.indexer_failed path=%s", self.path)
        finally:
            with self._cond:
                self._cond.notify_all()

    def _drain(self) -> None:
        while True:
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return
            if item is not None and not isinstance(item, str):
                self._add_docs(item)

    def _add_docs(self, batch: IndexBatch) -> None:
        texts = [
            (name, values.to_pylist() if hasattr(values, "to_pylist") else values)
            for name in SEARCH_FIELDS
            if (values := batch.texts.get(name)) is not None and len(values)
        ]
        add = self._writer.add_document
        for i, key in enumerate(batch.keys):
            doc = None
            for name, values in texts:
                value = values[i]
                if value is not None:
                    if doc is None:
                        doc = tantivy.Document()
                    doc.add_text(name, field_text(value))
            if doc is None:  # no text at all (a tombstone): nothing a search could find
                continue
            doc.add_integer(_KEY, int(key))
            doc.add_text("object_type", batch.object_types[i])
            doc.add_text("object_id", batch.object_ids[i])
            add(doc)
        top = (
            batch.upto if batch.upto is not None else (max(batch.keys) if len(batch.keys) else None)
        )
        if top is not None:
            self._pending_max = max(self._pending_max or -1, int(top))

    def _commit(self) -> None:
        if self._pending_max is None:
            return
        self._writer.commit()
        with self._ix_lock:
            self._index.reload()
        mark = self._pending_max
        self._pending_max = None
        with self._cond:
            self.watermark = max(self.watermark, mark)
            self._cond.notify_all()
        self._persist(self.watermark)

    # -- querying -------------------------------------------------------------------------------

    def search(
        self, refs: Sequence[tuple[str, str]], terms: list[list[str]], fields: Sequence[str]
    ) -> list[int]:
        """``_pagination_key`` of every indexed row version matching ``terms`` in ``refs``
        (visibility is the caller's job)."""
        schema = self._index.schema
        occ = tantivy.Occur
        musts: list[tuple[Any, Any]] = []
        for words in terms:
            per_field = [
                (
                    occ.Should,
                    tantivy.Query.term_query(schema, f, words[0])
                    if len(words) == 1
                    else tantivy.Query.phrase_query(schema, f, list[Any](words)),
                )
                for f in fields
            ]
            musts.append((occ.Must, tantivy.Query.boolean_query(per_field)))
        scope = [
            (
                occ.Should,
                tantivy.Query.boolean_query(
                    [
                        (occ.Must, tantivy.Query.term_query(schema, "object_type", t)),
                        (occ.Must, tantivy.Query.term_query(schema, "object_id", oid)),
                    ]
                ),
            )
            for t, oid in refs
        ]
        musts.append((occ.Must, tantivy.Query.boolean_query(scope)))
        query = tantivy.Query.boolean_query(musts)
        with self._ix_lock:
            searcher = self._index.searcher()
        # One pass, ordered by the key's fast field: no relevance scoring, and each hit comes
        # with its key (newest first). The limit is only an upper bound; nothing is allocated
        # for it up front.
        limit = max(int(searcher.num_docs), 1)
        hits = searcher.search(query, limit=limit, count=False, order_by_field=_KEY).hits
        keys = [k for k, _ in hits]
        return [k for k in keys if k is not None] if None in keys else keys
