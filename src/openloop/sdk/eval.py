"""Experiments from code: ``init_experiment`` and ``Eval``.

``Eval(project, data=..., task=..., scores=[...])`` registers an experiment in ``project``
(``POST /v1/experiment/register``), runs every case through ``task`` and the scorers — each
case logged as an ``eval`` → ``task`` → ``score`` trace into the experiment — and returns the
results with the server's summary (per-score means, metrics, and the comparison with the base
experiment when there is one)::

    import openloop
    from openloop.evals.scorers import Levenshtein

    openloop.Eval(
        "greeter",
        data=[{"input": "Ada", "expected": "Hi Ada"}],
        task=lambda name: f"Hi {name}",
        scores=[Levenshtein],
    )

``data`` is a list (or iterable) of dicts/``EvalCase``, a callable returning one, or a dataset
object from ``openloop.init_dataset`` (rows then carry an ``origin`` pointing back at the
dataset row, and the experiment records the dataset id and version). ``scores`` items are
callables ``(input, output, expected, metadata)`` returning a number, ``Score``, dict or list;
scorer objects or classes from :mod:`openloop.evals.scorers`; or names — a scorer saved in the
project (run on the server) or a built-in.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from openloop.errors import InvalidInput, OpenLoopError, UsageError
from openloop.sdk.logger import DEFAULT_BASE_URL, Logger
from openloop.sdk.spans import Span
from openloop.sdk.transport import BackgroundSender, ProjectRef, SenderConfig

logger = logging.getLogger(__name__)

__all__ = ["Eval", "EvalAsync", "EvalResultWithSummary", "Experiment", "ExperimentSummary",
           "init_experiment"]  # fmt: skip

#: When set (by ``openloop eval``), every finished Eval appends its result here.
_collector: list[EvalResultWithSummary] | None = None


class _ExperimentRef(ProjectRef):
    """Rows of an experiment are addressed by ``experiment_id`` instead of project logs."""

    def __init__(self, experiment_id: str) -> None:
        super().__init__(None, experiment_id)

    def fields(self, project_id: str) -> dict[str, Any]:
        return {"experiment_id": project_id}


class _Client:
    """Blocking JSON calls to the server (sync httpx, or an async transport on a private loop)."""

    def __init__(self, base_url: str, api_key: str | None, transport: Any = None) -> None:
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        kwargs: dict[str, Any] = {"base_url": base_url, "headers": headers, "timeout": 120.0}
        self._loop: asyncio.AbstractEventLoop | None = None
        if transport is not None and not isinstance(transport, httpx.BaseTransport):
            self._async: httpx.AsyncClient | None = httpx.AsyncClient(transport=transport, **kwargs)
            self._loop = asyncio.new_event_loop()
            self._sync: httpx.Client | None = None
        else:
            self._async = None
            self._sync = httpx.Client(transport=transport, **kwargs)

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        if self._sync is not None:
            response = self._sync.request(method, path, **kwargs)
        else:
            assert self._async is not None and self._loop is not None
            coro = self._async.request(method, path, **kwargs)
            response = self._loop.run_until_complete(coro)
        if response.status_code >= 400:
            try:
                error = response.json()["error"]
                message = error.get("message") or str(error)
            except (ValueError, KeyError, TypeError):
                message = response.text[:300]
            raise OpenLoopError(f"{method} {path} failed: {message}", status=response.status_code)
        return response.json() if response.content else None

    def close(self) -> None:
        if self._sync is not None:
            self._sync.close()
        elif self._async is not None and self._loop is not None:
            self._loop.run_until_complete(self._async.aclose())
            self._loop.close()


@dataclass
class ExperimentSummary:
    """Per-score means and metrics of an experiment, with diffs against its baseline."""

    project_name: str | None
    experiment_name: str | None
    experiment_id: str | None = None
    experiment_url: str | None = None
    comparison_experiment_name: str | None = None
    scores: dict[str, dict[str, Any]] = field(default_factory=dict)
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, body: dict[str, Any]) -> ExperimentSummary:
        keys = cls.__dataclass_fields__
        return cls(**{k: v for k, v in body.items() if k in keys})

    def __str__(self) -> str:
        head = f"Experiment {self.experiment_name} ({self.project_name})"
        if self.comparison_experiment_name:
            head += f" compared with {self.comparison_experiment_name}"
        lines = [head]
        for s in self.scores.values():
            value = "n/a" if s.get("score") is None else f"{s['score'] * 100:.2f}%"
            diff = s.get("diff")
            change = "" if diff is None else f" ({diff * 100:+.2f}%)"
            counts = ""
            if diff is not None:
                counts = f"  {s['improvements']} improvements, {s['regressions']} regressions"
            lines.append(f"  {s['name']:<24} {value}{change}{counts}")
        for m in self.metrics.values():
            lines.append(f"  {m['name']:<24} {m['metric']:.4g}{m.get('unit') or ''}")
        if self.experiment_url:
            lines.append(f"  See results at {self.experiment_url}")
        return "\n".join(lines)


@dataclass
class EvalResultWithSummary:
    """What ``Eval`` returns: the summary and one ``EvalResult`` per case and trial."""

    summary: ExperimentSummary
    results: list[Any]

    def __repr__(self) -> str:
        return f"EvalResultWithSummary(summary={self.summary!r}, results=[...{len(self.results)}])"


class Experiment:
    """An experiment being logged to. Build it with :func:`init_experiment`."""

    def __init__(self, record: dict[str, Any], client: _Client, sender: BackgroundSender):
        self.id: str = record["id"]
        self.name: str = record["name"]
        self.project_id: str = record["project_id"]
        self.project_name: str | None = record.get("project_name")
        self.record = record
        self._client = client
        self._logger = Logger(_ExperimentRef(self.id), sender)

    def start_span(self, name: str | None = None, type: str | None = None, **event: Any) -> Span:
        """A new trace in the experiment (or a child of ``parent=``)."""
        return self._logger.start_span(name, type, **event)

    def log(self, **event: Any) -> str:
        """Log one whole case as a single-span trace; returns its row id."""
        return self._logger.log(**event)

    def _root(self, event: dict[str, Any]) -> Span:
        return Span(self._logger, self._logger._ref, name="eval", type="eval", event=event)

    def flush(self, timeout: float | None = None) -> bool:
        return self._logger.flush(timeout)

    def summarize(self, comparison_experiment_id: str | None = None) -> ExperimentSummary:
        """Flush, then ask the server for the summary."""
        self.flush()
        params = {"comparison_experiment_id": comparison_experiment_id}
        body = self._client.request(
            "GET",
            f"/v1/experiment/{self.id}/summarize",
            params={k: v for k, v in params.items() if v},
        )
        return ExperimentSummary.from_dict(body)

    def close(self) -> None:
        self._logger.close()
        self._client.close()

    def __repr__(self) -> str:
        return f"<Experiment {self.name!r} id={self.id}>"


def init_experiment(
    project: str | None = None,
    experiment: str | None = None,
    *,
    project_id: str | None = None,
    description: str = "",
    dataset: Any = None,
    base_experiment: str | None = None,
    base_experiment_id: str | None = None,
    metadata: dict[str, Any] | None = None,
    tags: list[str] | None = None,
    api_key: str | None = None,
    base_url: str | None = None,
    transport: Any = None,
    sender_config: SenderConfig | None = None,
) -> Experiment:
    """Register a new experiment in ``project`` (created if needed) and return it. A taken
    ``experiment`` name gets a numeric suffix."""
    url = base_url or os.environ.get("OPENLOOP_BASE_URL") or DEFAULT_BASE_URL
    key = api_key if api_key is not None else os.environ.get("OPENLOOP_API_KEY")
    if project is None and project_id is None:
        raise UsageError("init_experiment needs a project name (or project_id)")
    client = _Client(url, key, transport)
    body: dict[str, Any] = {
        "project_name": project,
        "project_id": project_id,
        "name": experiment,
        "description": description,
        "base_experiment_id": base_experiment_id,
        "base_experiment": base_experiment,
        "metadata": metadata,
        "tags": tags,
    }
    if dataset is not None:
        body["dataset_id"] = getattr(dataset, "id", None)
        version = getattr(dataset, "version", None)
        body["dataset_version"] = None if version is None else str(version)
    record = client.request(
        "POST", "/v1/experiment/register", json={k: v for k, v in body.items() if v is not None}
    )
    sender = BackgroundSender(url, key, config=sender_config, transport=transport)
    logger.info("eval.experiment id=%s name=%s", record["id"], record["name"])
    return Experiment(record, client, sender)


# -- Eval ----------------------------------------------------------------------------------------


def _cases(data: Any) -> tuple[list[Any], Any]:
    """(cases, dataset object or None)."""
    from openloop.evals.runner import normalize_case

    source = data() if callable(data) and not hasattr(data, "__iter__") else data
    dataset = source if getattr(source, "id", None) and hasattr(source, "__iter__") else None
    rows = source.fetch() if dataset is not None and hasattr(source, "fetch") else source
    if isinstance(rows, str | bytes) or not hasattr(rows, "__iter__"):
        raise UsageError("data must be a list of cases, a callable returning one, or a dataset")
    cases = []
    for row in rows:
        origin = None
        if dataset is not None:
            get = row.get if isinstance(row, dict) else (lambda k, r=row: getattr(r, k, None))
            origin = {"object_type": "dataset", "object_id": dataset.id, "id": get("id")}
            if get("_xact_id") is not None:
                origin["_xact_id"] = str(get("_xact_id"))
        cases.append(normalize_case(row, origin=origin))
    return cases, dataset


@dataclass
class _RemoteScorer:
    """A scorer saved in the project, run by the server (so its model keys stay there)."""

    name: str
    scorer_id: str
    client: _Client

    def evaluate(self, **args: Any) -> Any:
        from openloop.evals.score import Score

        body = self.client.request("POST", f"/v1/scorer/{self.scorer_id}/test", json=args)
        return Score(self.name, body.get("score"), body.get("metadata") or {}, body.get("error"))


def _name_resolver(exp: Experiment | None) -> Callable[[str], Any]:
    saved: dict[str, dict[str, Any]] | None = None

    def resolve(name: str) -> Any:
        nonlocal saved
        from openloop.evals.scorers.registry import get_scorer

        if exp is not None:
            if saved is None:
                listed = exp._client.request(
                    "GET", "/v1/scorer", params={"project": exp.project_id}
                )
                saved = {}
                for s in listed.get("objects", []):
                    for k in (s["id"], s["name"], s.get("slug")):
                        if k:
                            saved.setdefault(k, s)
            found = saved.get(name)
            if found is not None:
                return _RemoteScorer(found["name"], found["id"], exp._client)
        return get_scorer(name)

    return resolve


def _progress(total: int, enabled: bool) -> tuple[Callable[[Any], None], Callable[[], None]]:
    if not enabled or not sys.stderr.isatty():
        return (lambda _r: None), (lambda: None)
    from rich.console import Console
    from rich.progress import Progress

    bar = Progress(console=Console(stderr=True), transient=True)
    task = bar.add_task("Running cases", total=total)
    bar.start()
    return (lambda _r: bar.advance(task)), bar.stop


def _local_summary(project: str | None, name: str | None, results: list[Any]) -> ExperimentSummary:
    from openloop.evals.compare import summarize

    rows = [{"input": r.input, "scores": r.scores, "error": r.error} for r in results]
    body = summarize(rows)
    return ExperimentSummary(project, name, scores=body["scores"], metrics=body["metrics"])


class _NullSink:
    """Where spans go with ``no_send_logs=True``."""

    def _write(self, ref: Any, row: dict[str, Any]) -> None:
        return None

    def _span_ended(self) -> None:
        return None

    def flush(self, timeout: float | None = None) -> bool:
        return True


async def EvalAsync(
    name: str,
    data: Any,
    task: Callable[..., Any],
    scores: Sequence[Any] = (),
    experiment_name: str | None = None,
    trial_count: int = 1,
    max_concurrency: int | None = None,
    metadata: dict[str, Any] | None = None,
    tags: list[str] | None = None,
    base_experiment_name: str | None = None,
    base_experiment_id: str | None = None,
    description: str = "",
    project_id: str | None = None,
    no_send_logs: bool = False,
    progress: bool = True,
    api_key: str | None = None,
    base_url: str | None = None,
    transport: Any = None,
) -> EvalResultWithSummary:
    """Async form of :func:`Eval` (use it inside a running event loop)."""
    from openloop.evals.runner import as_scorer, run_cases

    if not isinstance(name, str) or not name:
        raise UsageError("the first argument of Eval is the project name")
    cases, dataset = await asyncio.to_thread(_cases, data)
    exp: Experiment | None = None
    if not no_send_logs:
        exp = await asyncio.to_thread(
            init_experiment, name, experiment_name, project_id=project_id,
            description=description, dataset=dataset, base_experiment=base_experiment_name,
            base_experiment_id=base_experiment_id, metadata=metadata, tags=tags,
            api_key=api_key, base_url=base_url, transport=transport,
        )  # fmt: skip
    try:
        resolve = _name_resolver(exp)
        runnable = [as_scorer(s, resolve_name=resolve) for s in scores]
        null = _NullSink()
        start_root = (
            exp._root
            if exp is not None
            else (lambda event: Span(null, ProjectRef(name), name="eval", type="eval", event=event))  # type: ignore[arg-type]
        )
        advance, stop = _progress(len(cases) * trial_count, progress)
        try:
            results = await run_cases(
                cases, task, runnable, start_root, trial_count=trial_count,
                max_concurrency=max_concurrency, on_result=advance,
            )  # fmt: skip
        finally:
            stop()
        if exp is None:
            summary = _local_summary(name, experiment_name, results)
        else:
            try:
                summary = await asyncio.to_thread(exp.summarize)
            except OpenLoopError as exc:
                logger.warning("eval.summary unavailable: %s", exc.message)
                summary = _local_summary(name, exp.name, results)
    finally:
        if exp is not None:
            await asyncio.to_thread(exp.close)
    outcome = EvalResultWithSummary(summary, results)
    if progress and sys.stderr.isatty():
        from rich.console import Console

        Console(stderr=True).print(str(summary), highlight=False)
    if _collector is not None:
        _collector.append(outcome)
    return outcome


def Eval(
    name: str, data: Any, task: Callable[..., Any], scores: Sequence[Any] = (), **kwargs: Any
) -> EvalResultWithSummary:
    """Run an evaluation in project ``name`` and log it as a new experiment; see the module
    docs for ``data``, ``task`` and ``scores``. Other options: ``experiment_name``,
    ``trial_count``, ``max_concurrency``, ``metadata``, ``tags``, ``base_experiment_name``,
    ``base_experiment_id``, ``description``, ``no_send_logs``, ``progress``, ``api_key``,
    ``base_url``, ``transport``."""
    unknown = set(kwargs) - set(EvalAsync.__code__.co_varnames[: EvalAsync.__code__.co_argcount])
    if unknown:
        raise InvalidInput(f"Eval got unexpected option(s): {', '.join(sorted(unknown))}")

    def run() -> EvalResultWithSummary:
        return asyncio.run(EvalAsync(name, data, task, scores, **kwargs))

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run()
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(run).result()
