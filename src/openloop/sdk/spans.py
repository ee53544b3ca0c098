"""Spans, the current-span context, and span handles for distributed tracing.

A span is one timed unit of work inside a trace. Its first row is a *replace* carrying the trace
linkage (``id``, ``span_id``, ``root_span_id``, ``span_parents``), ``created``,
``metrics.start``, ``span_attributes`` and the caller's location; every later ``log()`` is a
*merge*, and ``end()`` merges ``metrics.end``. The sender folds these into one row when they
are still queued together.

The current span lives in a :class:`contextvars.ContextVar`, so asyncio tasks inherit their
parent automatically; threads do not (a new thread starts with an empty context), which is what
:class:`TracedThreadPoolExecutor` — or ``contextvars.copy_context().run`` — fixes.
"""

from __future__ import annotations

import base64
import binascii
import contextvars
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any, Protocol

import orjson

from openloop.errors import InvalidInput
from openloop.sdk._util import caller_context, format_error, iso_utc, new_id, snapshot

if TYPE_CHECKING:
    from types import TracebackType

    from openloop.sdk.transport import ProjectRef

_CURRENT_SPAN: contextvars.ContextVar[Span | None] = contextvars.ContextVar(
    "openloop_current_span", default=None
)


class SpanSink(Protocol):
    """Where a span's rows go (a :class:`~openloop.sdk.logger.Logger`)."""

    def _write(self, ref: ProjectRef, row: dict[str, Any]) -> None: ...

    def _span_ended(self) -> None: ...

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
    ) -> None: ...

    def flush(self, timeout: float | None = None) -> bool: ...


def event_fields(
    *,
    input: Any = None,
    output: Any = None,
    expected: Any = None,
    error: Any = None,
    scores: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    metrics: dict[str, Any] | None = None,
    tags: list[str] | None = None,
) -> dict[str, Any]:
    """Validate and snapshot the user-facing fields of a row; ``None`` means "not given"."""
    row: dict[str, Any] = {}
    for key, value in (("input", input), ("output", output), ("expected", expected)):
        if value is not None:
            row[key] = snapshot(value)
    if error is not None:
        row["error"] = format_error(error) if isinstance(error, BaseException) else snapshot(error)
    if scores is not None:
        row["scores"] = _check_scores(scores)
    if metadata is not None:
        if not isinstance(metadata, dict):
            raise InvalidInput(f"metadata must be a dict, got {type(metadata).__name__}")
        row["metadata"] = snapshot(metadata)
    if metrics is not None:
        row["metrics"] = _check_metrics(metrics)
    if tags is not None:
        if isinstance(tags, str) or not all(isinstance(t, str) for t in tags):
            raise InvalidInput("tags must be a list of strings")
        row["tags"] = list(dict.fromkeys(tags))
    return row


def _check_scores(scores: dict[str, Any]) -> dict[str, float | None]:
    if not isinstance(scores, dict):
        raise InvalidInput(f"scores must be a dict of name -> number, got {type(scores).__name__}")
    out: dict[str, float | None] = {}
    for name, value in scores.items():
        if isinstance(value, bool):
            value = float(value)
        if value is not None and (not isinstance(value, int | float) or not 0 <= value <= 1):
            raise InvalidInput(f"score {name!r} must be a number between 0 and 1, got {value!r}")
        out[str(name)] = None if value is None else float(value)
    return out


def _check_metrics(metrics: dict[str, Any]) -> dict[str, float | int]:
    if not isinstance(metrics, dict):
        raise InvalidInput(
            f"metrics must be a dict of name -> number, got {type(metrics).__name__}"
        )
    for name, value in metrics.items():
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise InvalidInput(f"metric {name!r} must be a number, got {value!r}")
    return {str(k): v for k, v in metrics.items()}


@dataclass(frozen=True)
class SpanHandle:
    """What :meth:`Span.export` encodes: enough to attach spans to a trace from elsewhere."""

    object_type: str
    project_id: str | None = None
    project_name: str | None = None
    row_id: str | None = None
    span_id: str | None = None
    root_span_id: str | None = None

    def encode(self) -> str:
        data = {"v": 1, **{k: v for k, v in asdict(self).items() if v is not None}}
        return base64.urlsafe_b64encode(orjson.dumps(data)).decode("ascii").rstrip("=")

    @classmethod
    def decode(cls, text: str) -> SpanHandle:
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            data = orjson.loads(raw)
            if not isinstance(data, dict) or data.pop("v", None) != 1:
                raise ValueError("unknown version")
            handle = cls(**data)
        except (binascii.Error, ValueError, TypeError) as exc:
            raise InvalidInput(f"not an OpenLoop span handle: {text[:40]!r}") from exc
        if handle.project_id is None and handle.project_name is None:
            raise InvalidInput("span handle names no project")
        return handle


class Span:
    """A span being recorded. Use as a context manager or call :meth:`end` yourself.

    >>> with logger.start_span(name="retrieve", type="tool") as span:  # doctest: +SKIP
    ...     span.log(input={"q": "hi"}, output=["doc1"])
    """

    def __init__(
        self,
        sink: SpanSink,
        ref: ProjectRef,
        *,
        name: str | None = None,
        type: str | None = None,
        parent_span_id: str | None = None,
        root_span_id: str | None = None,
        start_time: float | None = None,
        row_id: str | None = None,
        span_attributes: dict[str, Any] | None = None,
        event: dict[str, Any] | None = None,
    ) -> None:
        self._sink = sink
        self._ref = ref
        self._token: contextvars.Token[Span | None] | None = None
        self.id = row_id or new_id()
        self.span_id = new_id()
        self.root_span_id = root_span_id or self.span_id
        self.span_parents = [parent_span_id] if parent_span_id else []
        self.start_time = time.time() if start_time is None else start_time
        self.end_time: float | None = None
        context = caller_context()
        self.name = name or (context.get("caller_functionname") if self.span_parents else None)
        self.name = self.name or "root"
        attributes: dict[str, Any] = {"name": self.name, **(span_attributes or {})}
        if type is not None:
            attributes["type"] = type
        row: dict[str, Any] = {
            "id": self.id,
            "span_id": self.span_id,
            "root_span_id": self.root_span_id,
            "span_parents": self.span_parents,
            "created": iso_utc(self.start_time),
            **(event or {}),
            "span_attributes": attributes,
            "context": context,
            "_is_merge": False,
        }
        row["metrics"] = {**row.get("metrics", {}), "start": self.start_time}
        sink._write(ref, row)

    @property
    def is_noop(self) -> bool:
        return False

    def log(self, **event: Any) -> None:
        """Merge fields into this span: input, output, expected, error, scores, metadata,
        metrics, tags (later values overwrite, objects merge key by key)."""
        fields = event_fields(**event)
        if fields:
            self._sink._write(self._ref, {"id": self.id, **fields, "_is_merge": True})

    def set_attributes(self, *, name: str | None = None, type: str | None = None) -> None:
        attributes = {k: v for k, v in (("name", name), ("type", type)) if v is not None}
        if name is not None:
            self.name = name
        if attributes:
            row = {"id": self.id, "span_attributes": attributes, "_is_merge": True}
            self._sink._write(self._ref, row)

    def start_span(
        self,
        name: str | None = None,
        type: str | None = None,
        *,
        start_time: float | None = None,
        **event: Any,
    ) -> Span:
        """A child of this span (same trace, same project)."""
        return Span(
            self._sink, self._ref, name=name, type=type, parent_span_id=self.span_id,
            root_span_id=self.root_span_id, start_time=start_time, event=event_fields(**event),
        )  # fmt: skip

    def end(self, end_time: float | None = None) -> float:
        """Record ``metrics.end`` (once; later calls return the first end time)."""
        if self.end_time is not None:
            return self.end_time
        self.end_time = time.time() if end_time is None else end_time
        row = {"id": self.id, "metrics": {"end": self.end_time}, "_is_merge": True}
        self._sink._write(self._ref, row)
        self._sink._span_ended()
        return self.end_time

    close = end

    def log_feedback(self, **feedback: Any) -> None:
        """Feedback on this span's row: scores, expected, tags, comment, metadata, source."""
        self._sink.log_feedback(self.id, **feedback)

    def export(self) -> str:
        """A string handle; pass it as ``parent=`` to :func:`openloop.start_span` in another
        process (e.g. through an HTTP header) to continue this trace there."""
        return SpanHandle(
            object_type="project_logs",
            project_id=self._ref.id,
            project_name=self._ref.name,
            row_id=self.id,
            span_id=self.span_id,
            root_span_id=self.root_span_id,
        ).encode()

    def flush(self, timeout: float | None = None) -> bool:
        return self._sink.flush(timeout)

    def __enter__(self) -> Span:
        self._token = _CURRENT_SPAN.set(self)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc is not None and not isinstance(exc, GeneratorExit):
            self.log(error=exc)
        token, self._token = self._token, None
        if token is not None:
            try:
                _CURRENT_SPAN.reset(token)
            except ValueError:  # exited in another context than entered
                _CURRENT_SPAN.set(token.old_value if token.old_value is not token.MISSING else None)
        self.end()

    def __repr__(self) -> str:
        return f"<Span name={self.name!r} id={self.id} root_span_id={self.root_span_id}>"


class NoopSpan(Span):
    """Stands in when nothing is being logged: every method accepts its arguments and does
    nothing, so instrumented code runs unchanged without a logger."""

    def __init__(self) -> None:
        self.id = self.span_id = self.root_span_id = ""
        self.span_parents = []
        self.name = "noop"
        self.start_time = 0.0
        self.end_time = None
        self._token = None

    @property
    def is_noop(self) -> bool:
        return True

    def log(self, **event: Any) -> None:
        return None

    def set_attributes(self, *, name: str | None = None, type: str | None = None) -> None:
        return None

    def start_span(self, name: str | None = None, type: str | None = None, **kw: Any) -> Span:
        return self

    def end(self, end_time: float | None = None) -> float:
        return 0.0

    close = end

    def log_feedback(self, **feedback: Any) -> None:
        return None

    def export(self) -> str:
        return ""

    def flush(self, timeout: float | None = None) -> bool:
        return True

    def __enter__(self) -> Span:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        return None

    def __repr__(self) -> str:
        return "<NoopSpan>"


NOOP_SPAN = NoopSpan()


def current_span() -> Span:
    """The span of the innermost active ``with span:`` / ``@traced`` call, or a no-op span."""
    return _CURRENT_SPAN.get() or NOOP_SPAN


def _set_current(span: Span | None) -> contextvars.Token[Span | None]:
    return _CURRENT_SPAN.set(span)


def _reset_current(token: contextvars.Token[Span | None]) -> None:
    _CURRENT_SPAN.reset(token)


class TracedThreadPoolExecutor(ThreadPoolExecutor):
    """A ThreadPoolExecutor whose tasks run in a copy of the submitting thread's context, so
    spans started in a task nest under the span that was current at ``submit`` time."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Future[Any]:
        context = contextvars.copy_context()
        return super().submit(context.run, fn, *args, **kwargs)
