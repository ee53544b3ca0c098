"""Loggers: where spans are sent, and the module-level API that finds the current one.

``init_logger`` builds a :class:`Logger` bound to one project (registered lazily, on the sender
thread, the first time a row goes out) and, by default, makes it the *current* logger that
:func:`start_span`, ``@traced``, :func:`log_feedback` and the LLM wrappers use.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

from openloop.errors import InvalidInput, UsageError
from openloop.sdk._util import iso_utc, new_id, snapshot
from openloop.sdk.spans import _CURRENT_SPAN, NOOP_SPAN, Span, SpanHandle, event_fields
from openloop.sdk.transport import BackgroundSender, ProjectRef, SenderConfig, flush_all

F = TypeVar("F", bound=Callable[..., Any])

DEFAULT_BASE_URL = "http://127.0.0.1:8000"
_FEEDBACK_SOURCES = ("app", "api", "external")


class Logger:
    """Logs spans and feedback into one project's logs. Build it with :func:`init_logger`."""

    def __init__(self, ref: ProjectRef, sender: BackgroundSender, *, async_flush: bool = True):
        self._ref = ref
        self._sender = sender
        self.async_flush = async_flush

    # -- identity -------------------------------------------------------------------------------

    @property
    def project_name(self) -> str | None:
        return self._ref.name

    @property
    def project_id(self) -> str | None:
        """The project id, or None while the project has not been registered yet."""
        return self._ref.id

    @property
    def dropped_count(self) -> int:
        """Rows dropped because the send queue overflowed (oldest dropped first)."""
        return self._sender.dropped_count

    def export(self) -> str:
        """A handle for this logger's project; ``start_span(parent=handle)`` starts a new trace
        there, in this or another process."""
        return SpanHandle(
            object_type="project_logs", project_id=self._ref.id, project_name=self._ref.name
        ).encode()

    # -- writing --------------------------------------------------------------------------------

    def _write(self, ref: ProjectRef, row: dict[str, Any]) -> None:
        self._sender.enqueue(ref, row)

    def _span_ended(self) -> None:
        if not self.async_flush:
            self._sender.flush()

    def start_span(
        self,
        name: str | None = None,
        type: str | None = None,
        *,
        parent: Span | str | None = None,
        start_time: float | None = None,
        id: str | None = None,
        **event: Any,
    ) -> Span:
        """Start a span in this logger's project: a child of ``parent`` (a span or an exported
        handle), else of the current span when it belongs to this logger, else a new trace."""
        fields = event_fields(**event)
        if parent is None:
            active = _CURRENT_SPAN.get()
            if active is not None and getattr(active, "_sink", None) is self:
                parent = active
        if isinstance(parent, str) and parent:
            handle = SpanHandle.decode(parent)
            return Span(
                self, self._ref_for(handle), name=name, type=type, parent_span_id=handle.span_id,
                root_span_id=handle.root_span_id, start_time=start_time, row_id=id, event=fields,
            )  # fmt: skip
        if isinstance(parent, Span) and not parent.is_noop:
            return Span(
                self, parent._ref, name=name, type=type, parent_span_id=parent.span_id,
                root_span_id=parent.root_span_id, start_time=start_time, row_id=id, event=fields,
            )  # fmt: skip
        return Span(self, self._ref, name=name, type=type, start_time=start_time, row_id=id,
                    event=fields)  # fmt: skip

    def _ref_for(self, handle: SpanHandle) -> ProjectRef:
        same = (handle.project_id is not None and handle.project_id == self._ref.id) or (
            handle.project_id is None and handle.project_name == self._ref.name
        )
        return self._ref if same else ProjectRef(handle.project_name, handle.project_id)

    def log(
        self,
        input: Any = None,
        output: Any = None,
        expected: Any = None,
        error: Any = None,
        tags: list[str] | None = None,
        scores: dict[str, Any] | None = None,
        metadata: dict[str, Any] | None = None,
        metrics: dict[str, Any] | None = None,
        id: str | None = None,
    ) -> str:
        """Log a whole one-span trace at once; returns its row id (for :meth:`log_feedback`)."""
        fields = event_fields(
            input=input, output=output, expected=expected, error=error, tags=tags,
            scores=scores, metadata=metadata, metrics=metrics,
        )  # fmt: skip
        span = Span(self, self._ref, row_id=id, event=fields)
        span.end()
        return span.id

    def traced(
        self,
        fn: F | None = None,
        *,
        name: str | None = None,
        type: str = "function",
        notrace_io: bool = False,
    ) -> Any:
        """Like :func:`openloop.traced`, but always logs into this logger."""
        from openloop.sdk.traced import make_traced

        def decorate(func: F) -> F:
            return make_traced(func, self.start_span, name=name, type=type, notrace_io=notrace_io)

        return decorate(fn) if fn is not None else decorate

    def log_feedback(
        self,
        id: str,
        *,
        scores: dict[str, Any] | None = None,
        expected: Any = None,
        tags: list[str] | None = None,
        comment: str | None = None,
        metadata: dict[str, Any] | None = None,
        source: str = "external",
    ) -> None:
        """Attach feedback to the row ``id``: scores/expected/tags merge into it; a comment is
        stored as its own row pointing back at it."""
        if scores is None and expected is None and tags is None and comment is None:
            raise UsageError("log_feedback needs at least one of scores, expected, tags, comment")
        if source not in _FEEDBACK_SOURCES:
            raise InvalidInput(f"source must be one of {', '.join(_FEEDBACK_SOURCES)}")
        audit: dict[str, Any] = {"_audit_source": source}
        if metadata is not None:
            if not isinstance(metadata, dict):
                raise InvalidInput("metadata must be a dict")
            audit["_audit_metadata"] = snapshot(metadata)
        update = event_fields(scores=scores, expected=expected, tags=tags)
        if update:
            self._write(self._ref, {"id": id, **update, **audit, "_is_merge": True})
        if comment is not None:
            origin = {"object_type": "project_logs", "object_id": self._ref.id, "id": id}
            row = {"id": new_id(), "created": iso_utc(time.time()), "origin": origin,
                   "comment": {"text": str(comment)}, **audit, "_is_merge": False}  # fmt: skip
            self._write(self._ref, row)
        self._span_ended()

    def flush(self, timeout: float | None = None) -> bool:
        """Block until this logger's rows are sent; False if ``timeout`` seconds ran out."""
        return self._sender.flush(timeout)

    def close(self, timeout: float | None = None) -> None:
        """Flush and stop this logger's sender thread; it logs nothing afterwards."""
        self._sender.close(timeout)
        with _STATE.lock:
            if _STATE.current is self:
                _STATE.current = None

    def __repr__(self) -> str:
        return f"<Logger project={self._ref.name or self._ref.id!r}>"


class _State:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.current: Logger | None = None
        self.by_handle: dict[tuple[str | None, str | None], Logger] = {}


_STATE = _State()


def init_logger(
    project: str | None = None,
    *,
    project_id: str | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    async_flush: bool = True,
    set_current: bool = True,
    transport: Any = None,
    sender_config: SenderConfig | None = None,
) -> Logger:
    """A logger for project ``project`` (default ``"Global"``) or ``project_id``.

    ``base_url`` and ``api_key`` default to ``OPENLOOP_BASE_URL`` (else
    ``http://127.0.0.1:8000``) and ``OPENLOOP_API_KEY``. The project is registered lazily, on
    the background thread. ``async_flush=False`` sends on the caller's thread each time a span
    ends. ``transport`` is any httpx transport (tests pass ``httpx.MockTransport`` or
    ``httpx.ASGITransport``). ``set_current`` makes it the logger module-level calls use.

    >>> logger = openloop.init_logger("my-app")  # doctest: +SKIP
    >>> logger.log(input="2+2", output="4", scores={"correct": 1})  # doctest: +SKIP
    """
    url = base_url or os.environ.get("OPENLOOP_BASE_URL") or DEFAULT_BASE_URL
    key = api_key if api_key is not None else os.environ.get("OPENLOOP_API_KEY")
    sender = BackgroundSender(
        url, key, config=sender_config, transport=transport, async_flush=async_flush
    )
    logger = Logger(ProjectRef(project, project_id), sender, async_flush=async_flush)
    if set_current:
        with _STATE.lock:
            _STATE.current = logger
    return logger


def current_logger() -> Logger | None:
    """The logger set by the last ``init_logger(set_current=True)``, if any."""
    return _STATE.current


def _logger_for_handle(handle: SpanHandle) -> Logger:
    current = _STATE.current
    if current is not None:
        return current
    key = (handle.project_id, handle.project_name)
    with _STATE.lock:
        found = _STATE.by_handle.get(key)
    if found is None:
        found = init_logger(handle.project_name, project_id=handle.project_id, set_current=False)
        with _STATE.lock:
            found = _STATE.by_handle.setdefault(key, found)
    return found


def start_span(
    name: str | None = None,
    type: str | None = None,
    *,
    parent: Span | str | None = None,
    start_time: float | None = None,
    **event: Any,
) -> Span:
    """Start a span under ``parent`` (a span or an exported handle), else under the current
    span, else as a new trace of the current logger; a no-op span when there is no logger.

    >>> with openloop.start_span(name="step", type="task") as span:  # doctest: +SKIP
    ...     span.log(output=42)
    """
    if isinstance(parent, str) and parent:
        handle = SpanHandle.decode(parent)
        return _logger_for_handle(handle).start_span(
            name, type, parent=parent, start_time=start_time, **event
        )
    if parent is None:
        parent = _CURRENT_SPAN.get()
    if isinstance(parent, Span) and not parent.is_noop:
        return parent.start_span(name, type, start_time=start_time, **event)
    logger = _STATE.current
    if logger is None:
        return NOOP_SPAN
    return logger.start_span(name, type, start_time=start_time, **event)


def log_feedback(id: str, **feedback: Any) -> None:
    """:meth:`Logger.log_feedback` on the current logger (no-op without one)."""
    logger = _STATE.current
    if logger is not None:
        logger.log_feedback(id, **feedback)


def flush(timeout: float | None = None) -> bool:
    """Block until every logger's queued rows are sent; False if ``timeout`` ran out."""
    return flush_all(timeout)
