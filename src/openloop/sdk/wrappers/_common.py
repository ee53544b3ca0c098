"""Plumbing shared by the LLM client wrappers: attribute proxies, stream tracing, costs.

The wrappers return proxies instead of patching the client, so the caller's own client object
is never modified; every attribute the wrapper does not trace is passed straight through.
"""

from __future__ import annotations

import inspect
import logging
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, Protocol

from openloop.sdk.logger import start_span
from openloop.sdk.spans import Span

logger = logging.getLogger(__name__)

# Request options that are transport plumbing (and may carry secrets), not model parameters.
_NOT_PARAMS = {
    "extra_headers",
    "extra_query",
    "extra_body",
    "timeout",
    "messages",
    "model",
    "system",
}


class Proxy:
    """Forwards every attribute it does not define to the wrapped object."""

    def __init__(self, target: Any) -> None:
        object.__setattr__(self, "_target", target)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)

    def __setattr__(self, name: str, value: Any) -> None:
        if name.startswith("_openloop"):
            object.__setattr__(self, name, value)
        else:
            setattr(self._target, name, value)

    def __dir__(self) -> list[str]:
        return sorted(set(dir(self._target)) | set(super().__dir__()))

    def __repr__(self) -> str:
        return f"<traced {self._target!r}>"


def is_async_method(method: Any) -> bool:
    return inspect.iscoroutinefunction(inspect.unwrap(method))


def request_params(kwargs: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in kwargs.items() if k not in _NOT_PARAMS and not _omitted(v)}


def _omitted(value: Any) -> bool:
    # The SDKs use sentinel objects (NOT_GIVEN / omit) for "parameter not passed".
    return type(value).__name__ in ("NotGiven", "Omit")


def open_llm_span(name: str, provider: str, kwargs: dict[str, Any], messages: Any) -> Span:
    metadata = {
        "model": kwargs.get("model"),
        "provider": provider,
        "params": request_params(kwargs),
    }
    return start_span(name=name, type="llm", input=messages, metadata=metadata)


def add_cost(metrics: dict[str, Any], model: str | None) -> dict[str, Any]:
    """Add ``estimated_cost`` when the price table knows the model; silently skip otherwise."""
    if not model or "prompt_tokens" not in metrics:
        return metrics
    try:
        from openloop.llm.prices import estimate_cost
    except ImportError:
        return metrics
    try:
        cost = estimate_cost(
            model,
            metrics.get("prompt_tokens", 0),
            metrics.get("completion_tokens", 0),
            metrics.get("prompt_cached_tokens", 0),
        )
    except Exception:
        logger.debug("sdk.cost failed model=%s", model, exc_info=True)
        return metrics
    if isinstance(cost, int | float) and not isinstance(cost, bool):
        metrics["estimated_cost"] = float(cost)
    return metrics


def finish(span: Span, output: Any, metrics: dict[str, Any], metadata: dict[str, Any]) -> None:
    try:
        span.log(output=output, metrics=metrics, metadata=metadata or None)
    except Exception:  # tracing must never break the call it observes
        logger.debug("sdk.wrapper could not log the response", exc_info=True)
    span.end()


def fail(span: Span, exc: BaseException) -> None:
    span.log(error=exc)
    span.end()


class StreamRecorder(Protocol):
    """Accumulates stream items; ``result`` gives (output, metrics, extra metadata)."""

    def add(self, item: Any) -> None: ...

    def result(self) -> tuple[Any, dict[str, Any], dict[str, Any]]: ...


class _StreamBase(Proxy):
    def __init__(self, target: Any, span: Span, recorder: StreamRecorder, model: str | None):
        super().__init__(target)
        self._openloop_span = span
        self._openloop_recorder = recorder
        self._openloop_model = model
        self._openloop_start = span.start_time or time.time()
        self._openloop_done = False

    def _openloop_finish(self, exc: BaseException | None = None) -> None:
        if self._openloop_done:
            return
        self._openloop_done = True
        if exc is not None:
            fail(self._openloop_span, exc)
            return
        output, metrics, metadata = self._openloop_recorder.result()
        first = getattr(self._openloop_recorder, "first_token_at", None)
        if first is not None:
            metrics["time_to_first_token"] = max(0.0, first - self._openloop_start)
        finish(self._openloop_span, output, add_cost(metrics, self._openloop_model), metadata)


class TracedStream(_StreamBase):
    """A sync stream that records every item it hands out and ends the span when exhausted
    or closed."""

    def __iter__(self) -> Iterator[Any]:
        return self

    def __next__(self) -> Any:
        try:
            item = next(self._target)
        except StopIteration:
            self._openloop_finish()
            raise
        except BaseException as exc:
            self._openloop_finish(exc)
            raise
        self._openloop_recorder.add(item)
        return item

    def close(self) -> None:
        try:
            self._target.close()
        finally:
            self._openloop_finish()

    def __enter__(self) -> TracedStream:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.close()


class AsyncTracedStream(_StreamBase):
    """The async twin of :class:`TracedStream`."""

    def __aiter__(self) -> AsyncIterator[Any]:
        return self

    async def __anext__(self) -> Any:
        try:
            item = await self._target.__anext__()
        except StopAsyncIteration:
            self._openloop_finish()
            raise
        except BaseException as exc:
            self._openloop_finish(exc)
            raise
        self._openloop_recorder.add(item)
        return item

    async def close(self) -> None:
        try:
            await self._target.close()
        finally:
            self._openloop_finish()

    async def __aenter__(self) -> AsyncTracedStream:
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        await self.close()


def get(obj: Any, name: str, default: Any = None) -> Any:
    """Attribute or key access, for SDK objects and plain dicts alike."""
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)
