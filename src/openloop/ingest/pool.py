"""Decoding ingest request bodies in worker processes.

Turning a request body into columns (:func:`~openloop.ingest.columnar.decode_batch` for native
batches, :func:`decode_otlp` for OTLP exports) is Python work: about 25 µs per span for an SDK
batch and 60 µs for an OTLP span, all of it holding the interpreter lock. In the server process
that lock is also what HTTP handling, the store's writes and the full-text indexer need, so under
heavy ingest the process waits on it rather than on its CPUs. A :class:`DecodePool` runs the
decoding in worker processes instead. What comes back is a
:class:`~openloop.ingest.columnar.ColumnBatch` of Arrow arrays (pickled as a few buffers per
column; the store writes them without converting), or row dicts for the general path.

The pool never decides what is stored: a worker runs exactly the function the server would run,
and when no worker can (none configured, or a worker died) the server runs it itself.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:  # imported where they run: a worker, or the first decode
    from openloop.ingest.columnar import ColumnBatch
    from openloop.ingest.otlp import OtlpSpanRows
    from openloop.ingest.rows import RowLimits

__all__ = ["DecodePool", "DecodedExport", "decode_otlp"]

logger = logging.getLogger(__name__)

T = TypeVar("T")

_MAX_FAILURES = 3


@dataclass
class DecodedExport:
    """An OTLP export ready to write: its spans grouped per resource as row dicts, or, when all
    of them belong to one resource and are plain (:func:`columns_from_rows`), as columns."""

    groups: list[OtlpSpanRows] = field(default_factory=list)
    project: str | None = None  # the resource's project, when ``columns`` is set
    columns: ColumnBatch | None = None

    @property
    def spans(self) -> int:
        if self.columns is not None:
            return len(self.columns.ids)
        return sum(len(g.rows) for g in self.groups)


def decode_otlp(
    body: bytes,
    *,
    content_type: str,
    content_encoding: str | None,
    max_bytes: int,
    limits: RowLimits,
) -> DecodedExport:
    """:func:`~openloop.ingest.otlp.decode_request`, with the rows of a single-resource export
    turned into columns when they are plain. Raises what ``decode_request`` raises."""
    from openloop.ingest.columnar import columns_from_rows
    from openloop.ingest.otlp import decode_request

    groups = decode_request(
        body, content_type=content_type, content_encoding=content_encoding, max_bytes=max_bytes
    )
    if len(groups) == 1:
        columns = columns_from_rows(groups[0].rows, limits)
        if columns is not None:
            return DecodedExport(project=groups[0].project, columns=columns.to_arrow())
    return DecodedExport(groups=groups)


def _ready() -> bool:
    return True


def _exit_with_parent(parent: int) -> None:
    """Worker start-up: end this worker as soon as the server process is gone, however it
    ended (a killed server never shuts its pool down)."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(0.5)
        os._exit(0)

    threading.Thread(target=watch, name="openloop-parent-watch", daemon=True).start()


class DecodePool:
    """``processes`` worker processes for :meth:`run` (none: everything runs in this process).

    Workers are started on first use (or by :meth:`warm`), from a fresh interpreter ("spawn"):
    the server holds database handles and threads that a forked child must not inherit."""

    def __init__(self, processes: int = 0) -> None:
        self.processes = max(0, processes)
        self._executor: ProcessPoolExecutor | None = None
        self._lock = threading.Lock()
        self._closed = False
        self._failures = 0  # pools lost in a row; after _MAX_FAILURES, decode here for good

    def run(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """``fn(*args, **kwargs)`` in a worker, or here if there is no working pool. ``fn``
        must be a module-level function; what it raises is raised here."""
        executor = self._get()
        if executor is None:
            return fn(*args, **kwargs)
        try:
            future = executor.submit(fn, *args, **kwargs)
        except (BrokenProcessPool, RuntimeError) as exc:  # broken, or shut down meanwhile
            return self._fallback(executor, exc, fn, args, kwargs)
        try:
            result = future.result()
        except BrokenProcessPool as exc:
            return self._fallback(executor, exc, fn, args, kwargs)
        self._failures = 0
        return result

    def warm(self) -> None:
        """Start the workers now, so the first request does not wait for them."""
        try:
            for _ in range(self.processes):
                self.run(_ready)
        except Exception:  # the first real request will report it
            logger.exception("ingest.decode_pool_start_failed")

    def close(self) -> None:
        with self._lock:
            self._closed = True
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.shutdown(wait=True, cancel_futures=True)

    def _get(self) -> ProcessPoolExecutor | None:
        if self.processes == 0 or self._closed:
            return None
        with self._lock:
            if self._executor is None and not self._closed:
                self._executor = ProcessPoolExecutor(
                    self.processes,
                    mp_context=multiprocessing.get_context("spawn"),
                    initializer=_exit_with_parent,
                    initargs=(os.getpid(),),
                )
            return self._executor

    def _fallback(
        self,
        executor: ProcessPoolExecutor,
        exc: BaseException,
        fn: Callable[..., T],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> T:
        """A worker died (or the pool was closed): drop the pool (the next call starts a new
        one) and do this request's work here."""
        logger.warning("ingest.decode_pool_failed error=%r: decoding in the server process", exc)
        with self._lock:
            if self._executor is executor:
                self._executor = None
                self._failures += 1
                if self._failures >= _MAX_FAILURES:  # workers cannot run here: stop trying
                    logger.error("ingest.decode_pool_disabled after %d failures", self._failures)
                    self.processes = 0
        executor.shutdown(wait=False, cancel_futures=True)
        return fn(*args, **kwargs)
