"""Playground runs: one or more prompts over a dataset, scored, streamed row by row.

Every (prompt, dataset row) pair runs as one eval case — the prompt rendered with the row
(``{{input}}``, ``{{expected}}``, ``{{metadata.x}}``), sent to its model through the provider
layer, the output scored — with at most ``max_concurrency`` pairs in flight. Results stream as
they finish. With ``save_as_experiment`` each prompt's run is also kept as an experiment (one
``eval`` → ``task`` → ``llm``/``score`` trace per row, ``origin`` pointing at the dataset row).
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any, cast

from openloop.auth import require_write
from openloop.errors import InvalidInput, OpenLoopError
from openloop.evals import _models
from openloop.evals.compare import summarize
from openloop.evals.prompts import build, make_prompt_data
from openloop.evals.runner import EvalCase, EvalResult, as_scorer, run_cases
from openloop.sdk._util import merge_row_batch
from openloop.sdk.spans import Span, event_fields
from openloop.store.data.base import ObjectRef, WriteRequest

if TYPE_CHECKING:
    from pydantic_ai.settings import ModelSettings

    from openloop.auth import Principal
    from openloop.services import Services

__all__ = ["DEFAULT_CONCURRENCY", "StoreSink", "run_playground"]

logger = logging.getLogger(__name__)

DEFAULT_CONCURRENCY = 8
_MAX_ROWS = 1000


class StoreSink:
    """Span rows written straight to the data store (server-side runs)."""

    def __init__(self, svc: Services | None, ref: ObjectRef | None) -> None:
        self.svc, self.ref = svc, ref
        self._rows: list[dict[str, Any]] = []

    def _write(self, _ref: Any, row: dict[str, Any]) -> None:
        if self.ref is not None:
            self._rows.append(row)

    def _span_ended(self) -> None:
        return None

    def flush(self, timeout: float | None = None) -> bool:
        rows, self._rows = merge_row_batch(self._rows), []
        if rows and self.svc is not None and self.ref is not None:
            self.svc.data.write([WriteRequest(ref=self.ref, rows=rows)])
        return True

    def root(self, event: dict[str, Any]) -> Span:
        return Span(self, self.ref, name="eval", type="eval", event=event)  # type: ignore[arg-type]


def _prompt(svc: Services, p: Principal, item: Any, index: int) -> tuple[str, dict[str, Any]]:
    if isinstance(item, str):
        from openloop.services.prompts import get_prompt

        saved = get_prompt(svc, p, item)
        return saved["name"], saved["prompt_data"]
    if isinstance(item, dict) and "prompt_data" in item:
        return str(item.get("name") or f"prompt {index + 1}"), item["prompt_data"]
    if isinstance(item, dict):
        data = make_prompt_data(item.get("messages"), item.get("model"), item.get("params"))
        return str(item.get("name") or f"prompt {index + 1}"), data
    raise InvalidInput(f"prompts[{index}] must be a prompt id or {{messages, model, params}}")


def _to_model_messages(messages: Sequence[dict[str, Any]]) -> list[Any]:
    from pydantic_ai.messages import (
        ModelRequest,
        ModelResponse,
        SystemPromptPart,
        TextPart,
        UserPromptPart,
    )

    out: list[Any] = []
    for m in messages:
        content = m.get("content")
        text = content if isinstance(content, str) else _text(content)
        role = m.get("role")
        if role in ("system", "developer"):
            out.append(ModelRequest(parts=[SystemPromptPart(text)]))
        elif role == "assistant":
            out.append(ModelResponse(parts=[TextPart(text)]))
        else:
            out.append(ModelRequest(parts=[UserPromptPart(text)]))
    return out


def _text(content: Any) -> str:
    if isinstance(content, list):
        return "".join(str(c.get("text", "")) for c in content if isinstance(c, dict))
    return "" if content is None else str(content)


def _make_task(svc: Services, org_id: str, prompt_data: dict[str, Any]) -> Any:
    from pydantic_ai.direct import model_request
    from pydantic_ai.messages import TextPart, ToolCallPart

    model_name = (prompt_data.get("options") or {}).get("model")

    async def task(input: Any, hooks: Any) -> Any:
        request = build(prompt_data, {"input": input, "expected": hooks.expected,
                                      "metadata": hooks.metadata})  # fmt: skip
        params = {k: v for k, v in request.items() if k in ("temperature", "max_tokens", "top_p")}
        model = _models.model_for(svc, org_id, str(model_name))
        started = time.time()
        llm = Span(
            hooks.span._sink, hooks.span._ref, name="Chat Completion", type="llm",
            parent_span_id=hooks.span.span_id, root_span_id=hooks.span.root_span_id,
            event=event_fields(input=request["messages"], metadata={"model": model_name, **params}),
        )  # fmt: skip
        with llm:
            response = await model_request(
                model,
                _to_model_messages(request["messages"]),
                model_settings=cast("ModelSettings", params) if params else None,
            )
            text = "".join(p.content for p in response.parts if isinstance(p, TextPart))
            calls = [
                {"name": p.tool_name, "arguments": p.args_as_dict()}
                for p in response.parts
                if isinstance(p, ToolCallPart)
            ]
            output: Any = {"content": text, "tool_calls": calls} if calls else text
            usage = response.usage
            llm.log(
                output=output,
                metrics={
                    "prompt_tokens": usage.input_tokens or 0,
                    "completion_tokens": usage.output_tokens or 0,
                    "tokens": (usage.input_tokens or 0) + (usage.output_tokens or 0),
                    "time_to_first_token": time.time() - started,
                },
            )
        return output

    return task


async def run_playground(
    svc: Services,
    p: Principal,
    *,
    project: str,
    prompts: Sequence[Any],
    dataset_id: str,
    scorers: Sequence[Any] = (),
    save_as_experiment: str | None = None,
    max_concurrency: int = DEFAULT_CONCURRENCY,
    dataset_version: str | int | None = None,
) -> AsyncIterator[dict[str, Any]]:
    """Yield ``{"event", "data"}`` dicts: ``start``, one ``row`` per (prompt, row) as it
    finishes, then ``done`` with per-prompt summaries and saved experiment ids."""
    from openloop.services.datasets import read_rows
    from openloop.services.experiments import register_experiment
    from openloop.services.scorers import resolve_scorer

    if not prompts:
        raise InvalidInput("give at least one prompt")
    if save_as_experiment:
        require_write(p)
    proj = svc.control.get_project(p.org_id, project)
    named = [_prompt(svc, p, item, i) for i, item in enumerate(prompts)]
    runnable = [as_scorer(resolve_scorer(svc, p, proj.id, s)) for s in scorers]
    data = read_rows(svc, p, dataset_id, version=dataset_version, limit=_MAX_ROWS)
    cases = [
        EvalCase(
            input=r.get("input"),
            expected=r.get("expected"),
            metadata=r.get("metadata"),
            tags=r.get("tags"),
            id=r["id"],
            origin={
                "object_type": "dataset",
                "object_id": dataset_id,
                "id": r["id"],
                "_xact_id": r.get("_xact_id"),
            },
        )
        for r in data["rows"]
    ]
    sinks: list[StoreSink] = []
    experiments: list[dict[str, Any] | None] = []
    for name, _data in named:
        exp = None
        if save_as_experiment:
            exp = register_experiment(
                svc, p, project_id=proj.id, dataset_id=dataset_id, dataset_version=data["version"],
                name=save_as_experiment if len(named) == 1 else f"{save_as_experiment} [{name}]",
                metadata={"source": "playground", "prompt": name},
            )  # fmt: skip
            ref = ObjectRef(p.org_id, proj.id, "experiment", exp["id"])
            sinks.append(StoreSink(svc, ref))
        else:
            sinks.append(StoreSink(None, None))
        experiments.append(exp)
    yield {
        "event": "start",
        "data": {
            "rows": len(cases),
            "prompts": [{"index": i, "name": n} for i, (n, _) in enumerate(named)],
            "experiment_ids": [e["id"] if e else None for e in experiments],
        },
    }
    queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    gate = asyncio.Semaphore(max(1, max_concurrency))

    def gated(task: Any) -> Any:
        async def run(input: Any, hooks: Any) -> Any:
            async with gate:
                return await task(input, hooks)

        return run

    async def one(index: int) -> list[EvalResult]:
        name, prompt_data = named[index]

        def report(result: EvalResult) -> None:
            queue.put_nowait({"event": "row", "data": {
                "prompt_index": index, "prompt": name, "row_id": result.case_id,
                **result.to_dict()}})  # fmt: skip

        task = gated(_make_task(svc, p.org_id, prompt_data))
        return await run_cases(cases, task, runnable, sinks[index].root,
                               max_concurrency=max_concurrency, on_result=report)  # fmt: skip

    runs = asyncio.gather(*(one(i) for i in range(len(named))))
    while not runs.done() or not queue.empty():
        getter = asyncio.ensure_future(queue.get())
        waiting: set[asyncio.Future[Any]] = {getter, runs}
        await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
        if getter.done():
            yield getter.result()
        else:
            getter.cancel()
    try:
        results = runs.result()
    except OpenLoopError:
        raise
    for sink in sinks:
        await asyncio.to_thread(sink.flush)
    summaries = []
    for i, (name, _d) in enumerate(named):
        rows = [{"input": r.input, "scores": r.scores, "error": r.error} for r in results[i]]
        summaries.append({"prompt_index": i, "prompt": name, **summarize(rows)})
    logger.info("playground.run prompts=%d rows=%d saved=%s", len(named), len(cases),
                bool(save_as_experiment))  # fmt: skip
    yield {
        "event": "done",
        "data": {
            "summaries": summaries,
            "experiment_ids": [e["id"] if e else None for e in experiments],
        },
    }
