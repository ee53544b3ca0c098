"""Guard, runner and watchdog for :meth:`DataStore.execute`.

* **Guard.** Exactly one read-only statement. DuckDB's own parser splits the text and classifies
  each statement (one C++ parse, ~0.1 ms). Compiled queries repeat the same text with new
  parameters, so the verdict for a text is remembered: a text checked once is not parsed again
  to be checked. What a SELECT can still reach is limited at open: external access is disabled
  and the configuration locked, and DuckDB's grammar has no data-modifying statements inside a
  SELECT.
* **Runner.** The checked text goes straight to the engine with its parameters and comes back
  as Arrow, skipping the lazy relation layer of the Python client (which binds the statement,
  scans its text for parameter markers and renders it again before running it: ~0.3-0.8 ms per
  query).
* **Watchdog.** One daemon thread per process cancels statements that outlive their deadline.
  Arming it is a heap push under a lock (a few µs) where a ``threading.Timer`` per query would
  start and stop a thread (~0.3 ms)."""

from __future__ import annotations

import contextlib
import heapq
import itertools
import logging
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import duckdb
import pyarrow as pa

from openloop.errors import InvalidInput

__all__ = ["WATCHDOG", "Watchdog", "check_read_only", "read_only_statement", "run_arrow"]

logger = logging.getLogger(__name__)

_CHECKED_MAX = 2048
_checked: dict[str, bool] = {}  # SQL text -> passed the guard (bounded; cleared when full)
_BATCH = 131_072


def read_only_statement(con: duckdb.DuckDBPyConnection, sql: str) -> duckdb.Statement:
    """The one SELECT statement in ``sql``, parsed by ``con``; :class:`InvalidInput` otherwise
    (several statements, a write, DDL, COPY, PRAGMA, SET, ATTACH, CALL, EXPLAIN, …)."""
    try:
        statements = con.extract_statements(sql)
    except duckdb.Error as exc:
        raise InvalidInput(f"cannot parse SQL: {exc}") from None
    if len(statements) != 1:
        raise InvalidInput("exactly one SQL statement is allowed")
    (stmt,) = statements
    if stmt.type != duckdb.StatementType.SELECT:
        raise InvalidInput("only read-only queries (SELECT) can be run")
    return stmt


def check_read_only(con: duckdb.DuckDBPyConnection, sql: str) -> None:
    """:func:`read_only_statement` for a text, remembered: only texts that pass are stored, so a
    rejected text is parsed (and rejected) every time."""
    if _checked.get(sql):
        return
    read_only_statement(con, sql)
    if len(_checked) >= _CHECKED_MAX:
        _checked.clear()
    _checked[sql] = True


def run_arrow(
    cur: duckdb.DuckDBPyConnection,
    sql: str,
    params: Sequence[Any] | Mapping[str, Any] | None,
) -> pa.Table:
    """Run one checked SELECT on ``cur`` and fetch its result as a ``pyarrow.Table``."""
    values: list[Any] | dict[str, Any] | None
    if not params:
        values = None
    elif isinstance(params, Mapping):
        values = dict(params)
    else:
        values = list(params)
    submit = getattr(cur, "_submit", None)
    if submit is not None:
        try:
            return submit(sql, values, "arrow", _BATCH).arrow_table()
        except (TypeError, AttributeError):  # a client whose private entry point differs
            logger.debug("duckdb _submit unavailable; using the relation API")
    return cur.sql(sql, params=values).to_arrow_table()


class _Armed:
    __slots__ = ("cur", "done", "fired")

    def __init__(self, cur: duckdb.DuckDBPyConnection) -> None:
        self.cur = cur
        self.done = False
        self.fired = False


class Watchdog:
    """Interrupts a cursor whose statement runs past its deadline. One thread, started on first
    use, sleeps until the earliest pending deadline; finished statements are only marked done and
    dropped when they reach the top of the heap."""

    def __init__(self) -> None:
        self._cond = threading.Condition(threading.Lock())
        self._heap: list[tuple[float, int, _Armed]] = []
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    @contextlib.contextmanager
    def armed(self, cur: duckdb.DuckDBPyConnection, seconds: float) -> Iterator[_Armed]:
        """Within the block, ``cur`` is interrupted once ``seconds`` have passed. The cursor
        must stay open until the block exits (the interrupt and the exit share one lock)."""
        entry = _Armed(cur)
        deadline = time.monotonic() + seconds
        with self._cond:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._loop, name="openloop-query-watchdog", daemon=True
                )
                self._thread.start()
            heapq.heappush(self._heap, (deadline, next(self._seq), entry))
            if self._heap[0][2] is entry:
                self._cond.notify()
        try:
            yield entry
        finally:
            with self._cond:
                entry.done = True

    def _loop(self) -> None:
        heap = self._heap
        with self._cond:
            while True:
                while heap and heap[0][2].done:
                    heapq.heappop(heap)
                if not heap:
                    self._cond.wait()
                    continue
                delay = heap[0][0] - time.monotonic()
                if delay > 0:
                    self._cond.wait(delay)
                    continue
                entry = heapq.heappop(heap)[2]
                entry.fired = True
                try:
                    entry.cur.interrupt()
                except duckdb.Error:  # the statement ended meanwhile
                    logger.debug("query watchdog: interrupt after the statement ended")


#: The process-wide watchdog of :meth:`DuckDBStore.execute`.
WATCHDOG = Watchdog()
