"""``@traced``: record a function call as a span.

Works on plain functions, coroutines, generators and async generators. The bound arguments
become the span's ``input`` (``self``/``cls`` left out), the return value — or, for a
generator, the list of yielded items — its ``output``; an exception is logged as ``error``
(type, message, traceback) and re-raised unchanged. ``notrace_io=True`` keeps input and output
out of the span (for secrets or huge payloads).
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncGenerator, Callable, Generator
from typing import Any, TypeVar, overload

from openloop.sdk.spans import Span, _reset_current, _set_current

F = TypeVar("F", bound=Callable[..., Any])
SpanFactory = Callable[..., Span]


def _bound_input(sig: inspect.Signature | None, args: tuple[Any, ...], kwargs: dict[str, Any]):
    if sig is None:
        return {"args": list(args), "kwargs": kwargs}
    try:
        bound = sig.bind(*args, **kwargs)
    except TypeError:
        return {"args": list(args), "kwargs": kwargs}
    arguments = dict(bound.arguments)
    params = list(sig.parameters)
    if params and params[0] in ("self", "cls"):
        arguments.pop(params[0], None)
    return arguments


def make_traced(
    fn: F, open_span: SpanFactory, *, name: str | None, type: str | None, notrace_io: bool
) -> F:
    """Wrap ``fn`` so each call runs inside a span made by ``open_span(name=, type=)``."""
    span_name = name or getattr(fn, "__name__", "function")
    try:
        sig: inspect.Signature | None = inspect.signature(fn)
    except (TypeError, ValueError):
        sig = None

    def begin(args: tuple[Any, ...], kwargs: dict[str, Any]) -> Span:
        span = open_span(name=span_name, type=type)
        if not notrace_io and not span.is_noop:
            span.log(input=_bound_input(sig, args, kwargs))
        return span

    def record_output(span: Span, value: Any) -> None:
        if not notrace_io and not span.is_noop:
            span.log(output=value)

    if inspect.isasyncgenfunction(fn):

        @functools.wraps(fn)
        async def agen_wrapper(*args: Any, **kwargs: Any) -> AsyncGenerator[Any, Any]:
            span = begin(args, kwargs)
            inner = fn(*args, **kwargs)
            collected: list[Any] = []
            sending: tuple[bool, Any] = (True, None)
            try:
                while True:
                    token = _set_current(span)
                    try:
                        if sending[0]:
                            item = await inner.asend(sending[1])
                        else:
                            item = await inner.athrow(sending[1])
                    except StopAsyncIteration:
                        break
                    finally:
                        _reset_current(token)
                    collected.append(item)
                    try:
                        sending = (True, (yield item))
                    except GeneratorExit:
                        await inner.aclose()
                        raise
                    except BaseException as exc:
                        sending = (False, exc)
            except GeneratorExit:
                record_output(span, collected)
                raise
            except BaseException as exc:
                span.log(error=exc)
                raise
            else:
                record_output(span, collected)
            finally:
                span.end()

        return agen_wrapper  # type: ignore[return-value]

    if inspect.isgeneratorfunction(fn):

        @functools.wraps(fn)
        def gen_wrapper(*args: Any, **kwargs: Any) -> Generator[Any, Any, Any]:
            span = begin(args, kwargs)
            inner = fn(*args, **kwargs)
            collected: list[Any] = []
            sending: tuple[bool, Any] = (True, None)
            result = None
            try:
                while True:
                    token = _set_current(span)
                    try:
                        item = inner.send(sending[1]) if sending[0] else inner.throw(sending[1])
                    except StopIteration as stop:
                        result = stop.value
                        break
                    finally:
                        _reset_current(token)
                    collected.append(item)
                    try:
                        sending = (True, (yield item))
                    except GeneratorExit:
                        inner.close()
                        raise
                    except BaseException as exc:
                        sending = (False, exc)
            except GeneratorExit:
                record_output(span, collected)
                raise
            except BaseException as exc:
                span.log(error=exc)
                raise
            else:
                record_output(span, collected)
            finally:
                span.end()
            return result

        return gen_wrapper  # type: ignore[return-value]

    if inspect.iscoroutinefunction(fn):

        @functools.wraps(fn)
        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            with begin(args, kwargs) as span:
                result = await fn(*args, **kwargs)
                record_output(span, result)
                return result

        return async_wrapper  # type: ignore[return-value]

    @functools.wraps(fn)
    def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
        with begin(args, kwargs) as span:
            result = fn(*args, **kwargs)
            record_output(span, result)
            return result

    return sync_wrapper  # type: ignore[return-value]


@overload
def traced(fn: F, /) -> F: ...


@overload
def traced(
    *, name: str | None = None, type: str | None = "function", notrace_io: bool = False
) -> Callable[[F], F]: ...


def traced(
    fn: F | None = None,
    /,
    *,
    name: str | None = None,
    type: str | None = "function",
    notrace_io: bool = False,
) -> Any:
    """Trace calls of the decorated function as spans of the current logger.

    >>> @openloop.traced                                   # doctest: +SKIP
    ... def answer(question: str) -> str: ...
    >>> @openloop.traced(name="retrieve", type="tool")     # doctest: +SKIP
    ... async def retrieve(query: str) -> list[str]: ...
    """
    from openloop.sdk.logger import start_span

    def decorate(func: F) -> F:
        return make_traced(func, start_span, name=name, type=type, notrace_io=notrace_io)

    return decorate(fn) if fn is not None else decorate
