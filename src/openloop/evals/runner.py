"""The experiment runner: every case of an eval through the task and the scorers, traced.

One case produces one trace in the experiment::

    eval   (type eval; input, expected, tags, metadata, origin; later output and scores)
    └── task                 (type task; input -> output, or error)
    └── <scorer name> ...    (type score, purpose "scorer"; one per scorer)

The runner is transport-agnostic: spans are :class:`openloop.sdk.spans.Span` objects written
through whatever sink the caller provides (the SDK's HTTP sender for ``Eval``, the data store
directly for playground runs). Cases run concurrently under an optional limit; a sync task or
scorer runs on a worker thread (with the current span propagated), an async one on the loop.
A failing task or scorer is recorded on its row — ``error`` set, score None — and never stops
the run.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from openloop.errors import UsageError
from openloop.evals.score import Score, normalize_scores
from openloop.sdk._util import format_error
from openloop.sdk.spans import Span, event_fields

logger = logging.getLogger(__name__)

__all__ = [
    "EvalCase",
    "EvalHooks",
    "EvalResult",
    "RunnableScorer",
    "as_scorer",
    "normalize_case",
    "run_cases",
]

_SCORER_ARGS = ("input", "output", "expected", "metadata")


@dataclass
class EvalCase:
    """One row to evaluate. ``origin`` points back at a dataset row when there is one."""

    input: Any
    expected: Any = None
    metadata: dict[str, Any] | None = None
    tags: list[str] | None = None
    id: str | None = None
    origin: dict[str, Any] | None = None


@dataclass
class EvalHooks:
    """What ``task(input, hooks)`` can see and change for its case."""

    metadata: dict[str, Any]
    expected: Any
    span: Span
    trial_index: int
    tags: list[str]

    def report_progress(self, event: Any) -> None:
        """Record a progress note on the task span."""
        self.span.log(metadata={"progress": event})


@dataclass
class EvalResult:
    """The outcome of one case (one trial)."""

    input: Any
    output: Any
    expected: Any
    scores: dict[str, float | None]
    metadata: dict[str, Any] = field(default_factory=dict)
    tags: list[str] = field(default_factory=list)
    error: str | None = None
    score_errors: dict[str, str] = field(default_factory=dict)
    id: str | None = None
    trial_index: int = 0
    case_id: str | None = None
    exc_info: BaseException | None = field(default=None, repr=False)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "input": self.input,
            "output": self.output,
            "expected": self.expected,
            "scores": dict(self.scores),
            "metadata": dict(self.metadata),
            "tags": list(self.tags),
            "error": self.error,
            "score_errors": dict(self.score_errors),
            "trial_index": self.trial_index,
            "case_id": self.case_id,
        }


def normalize_case(item: Any, *, origin: dict[str, Any] | None = None) -> EvalCase:
    """An :class:`EvalCase` from an EvalCase, a dict ``{input, expected?, metadata?, tags?,
    id?}`` or any object with those attributes (dataset records)."""
    if isinstance(item, EvalCase):
        return item
    get = item.get if isinstance(item, dict) else (lambda k, d=None: getattr(item, k, d))
    if isinstance(item, dict) and "input" not in item:
        raise UsageError(f"an eval case needs an 'input' key, got keys {sorted(item)}")
    metadata = get("metadata")
    tags = get("tags")
    return EvalCase(
        input=get("input"),
        expected=get("expected"),
        metadata=dict(metadata) if isinstance(metadata, dict) else None,
        tags=list(tags) if isinstance(tags, list | tuple) else None,
        id=get("id"),
        origin=origin or get("origin"),
    )


# -- scorers -------------------------------------------------------------------------------------


def _accepted(fn: Callable[..., Any]) -> tuple[set[str], bool]:
    try:
        params = inspect.signature(fn).parameters.values()
    except (TypeError, ValueError):
        return set(_SCORER_ARGS), True
    names = {p.name for p in params if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD)}
    return names, any(p.kind == p.VAR_KEYWORD for p in params)


@dataclass
class RunnableScorer:
    """A scorer of any accepted shape behind one awaitable call returning ``Score`` rows."""

    name: str
    call: Callable[[dict[str, Any]], Awaitable[Any]]

    async def __call__(self, args: dict[str, Any]) -> list[Score]:
        try:
            value = await self.call(args)
        except Exception as exc:
            logger.info("eval.scorer_error name=%s type=%s", self.name, type(exc).__name__)
            return [Score.failure(self.name, f"{type(exc).__name__}: {exc}")]
        return normalize_scores(self.name, value)


def _scorer_name(obj: Any) -> str:
    name = getattr(obj, "name", None) or getattr(obj, "__name__", None)
    return str(name or type(obj).__name__)


def as_scorer(obj: Any, *, resolve_name: Callable[[str], Any] | None = None) -> RunnableScorer:
    """Wrap a scorer: a callable ``(input, output, expected, metadata)`` (any subset, sync or
    async), an object with ``evaluate``/``evaluate_async`` (or its class), or a name that
    ``resolve_name`` (default: the built-in registry) turns into one."""
    if isinstance(obj, RunnableScorer):
        return obj
    if isinstance(obj, str):
        if resolve_name is None:
            from openloop.evals.scorers.registry import get_scorer

            resolve_name = get_scorer
        return as_scorer(resolve_name(obj))
    if isinstance(obj, type):
        obj = obj()
    name = _scorer_name(obj)
    evaluate_async = getattr(obj, "evaluate_async", None)
    if callable(evaluate_async):

        async def call_async(args: dict[str, Any]) -> Any:
            return await evaluate_async(**args)

        return RunnableScorer(name, call_async)
    evaluate = getattr(obj, "evaluate", None)
    fn = evaluate if callable(evaluate) else obj
    if not callable(fn):
        raise UsageError(f"scorer {obj!r} is not callable and has no evaluate method")
    accepted, var_kw = _accepted(fn)
    is_async = inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(
        getattr(fn, "__call__", None)  # noqa: B004 - async __call__ on instances
    )

    async def call(args: dict[str, Any]) -> Any:
        kwargs = args if var_kw else {k: v for k, v in args.items() if k in accepted}
        if is_async:
            return await fn(**kwargs)
        result = await asyncio.to_thread(fn, **kwargs)
        if inspect.isawaitable(result):
            result = await result
        return result

    return RunnableScorer(name, call)


# -- running -------------------------------------------------------------------------------------

#: ``start_root(event) -> Span``: opens the ``eval`` span of one case in the experiment.
RootFactory = Callable[[dict[str, Any]], Span]


def _child(parent: Span, name: str, type: str, purpose: str | None = None, **event: Any) -> Span:
    attributes = {"purpose": purpose} if purpose else None
    return Span(
        parent._sink,
        parent._ref,
        name=name,
        type=type,
        parent_span_id=parent.span_id,
        root_span_id=parent.root_span_id,
        span_attributes=attributes,
        event=event_fields(**event),
    )


def _error_text(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


async def _call_task(task: Callable[..., Any], case: EvalCase, hooks: EvalHooks) -> Any:
    positional = [
        p
        for p in _params(task)
        if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD, p.VAR_POSITIONAL)
    ]
    wants_hooks = len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in positional)
    args: tuple[Any, ...] = (case.input, hooks) if wants_hooks else (case.input,)
    if inspect.iscoroutinefunction(task):
        return await task(*args)
    result = await asyncio.to_thread(task, *args)
    if inspect.isawaitable(result):
        result = await result
    return result


def _params(fn: Callable[..., Any]) -> list[inspect.Parameter]:
    try:
        return list(inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return []


async def _score_case(
    root: Span, scorers: Sequence[RunnableScorer], args: dict[str, Any]
) -> tuple[dict[str, float | None], dict[str, str]]:
    async def one(scorer: RunnableScorer) -> list[Score]:
        span = _child(root, scorer.name, "score", "scorer", input=args)
        started = time.time()
        results = await scorer(args)
        ok = {s.name: s.score for s in results}
        errors = [f"{s.name}: {s.error}" for s in results if s.error]
        span.log(
            output={s.name: s.to_dict() for s in results},
            scores=ok,
            metadata={k: v for s in results for k, v in s.metadata.items()} or None,
            error="; ".join(errors) if errors else None,
        )
        span.end(max(time.time(), started))
        return results

    scores: dict[str, float | None] = {}
    errors: dict[str, str] = {}
    for results in await asyncio.gather(*(one(s) for s in scorers)):
        for s in results:
            scores[s.name] = s.score
            if s.error:
                errors[s.name] = s.error
    return scores, errors


async def run_case(
    case: EvalCase,
    task: Callable[..., Any],
    scorers: Sequence[RunnableScorer],
    start_root: RootFactory,
    *,
    trial_index: int = 0,
) -> EvalResult:
    """Run one case: the root span, the task span, one span per scorer."""
    metadata = dict(case.metadata or {})
    tags = list(case.tags or [])
    event: dict[str, Any] = event_fields(
        input=case.input, expected=case.expected, metadata=metadata or None, tags=tags or None
    )
    if case.origin:
        event["origin"] = case.origin
    root = start_root(event)
    output: Any = None
    error: str | None = None
    exc_info: BaseException | None = None
    with root:
        task_span = _child(root, "task", "task", input=case.input)
        hooks = EvalHooks(metadata, case.expected, task_span, trial_index, tags)
        try:
            with task_span:
                output = await _call_task(task, case, hooks)
                task_span.log(output=output)
        except Exception as exc:
            error, exc_info = _error_text(exc), exc
            root.log(error=format_error(exc))
        if error is None:
            args = {
                "input": case.input,
                "output": output,
                "expected": case.expected,
                "metadata": metadata,
            }
            scores, score_errors = await _score_case(root, scorers, args)
        else:
            scores = {s.name: None for s in scorers}
            score_errors = {}
        root.log(
            output=output,
            scores=scores,
            metadata=hooks.metadata or None,
            tags=hooks.tags or None,
        )
    return EvalResult(
        input=case.input,
        output=output,
        expected=case.expected,
        scores=scores,
        metadata=hooks.metadata,
        tags=hooks.tags,
        error=error,
        score_errors=score_errors,
        id=root.id,
        trial_index=trial_index,
        case_id=case.id,
        exc_info=exc_info,
    )


async def run_cases(
    cases: Iterable[EvalCase],
    task: Callable[..., Any],
    scorers: Sequence[RunnableScorer],
    start_root: RootFactory,
    *,
    trial_count: int = 1,
    max_concurrency: int | None = None,
    on_result: Callable[[EvalResult], None] | None = None,
) -> list[EvalResult]:
    """Run every case ``trial_count`` times, at most ``max_concurrency`` at once; results come
    back in case order (trials of a case together)."""
    if trial_count < 1:
        raise UsageError("trial_count must be at least 1")
    if max_concurrency is not None and max_concurrency < 1:
        raise UsageError("max_concurrency must be at least 1 (or None for no limit)")
    limit = asyncio.Semaphore(max_concurrency) if max_concurrency else None
    jobs = [(case, t) for case in cases for t in range(trial_count)]

    async def one(case: EvalCase, trial: int) -> EvalResult:
        if limit is None:
            result = await run_case(case, task, scorers, start_root, trial_index=trial)
        else:
            async with limit:
                result = await run_case(case, task, scorers, start_root, trial_index=trial)
        if on_result is not None:
            on_result(result)
        return result

    started = time.perf_counter()
    results = list(await asyncio.gather(*(one(c, t) for c, t in jobs)))
    logger.info(
        "eval.run cases=%d errors=%d ms=%.0f",
        len(results),
        sum(1 for r in results if r.error),
        (time.perf_counter() - started) * 1e3,
    )
    return results
