"""Every registered Loop tool, end to end through the agent, on the demo project.

For each tool a scripted model (a pydantic-ai ``FunctionModel`` behind ``override_models``)
calls exactly that tool with real arguments, then answers quoting the tool's result. The turn
runs through ``services.loop`` (send_message → events → decide_approval) on a real thread:

* read tools run at once (no approval card);
* write tools pause with a one-line approval card, change nothing until approved, and make the
  change once approved (or nothing when rejected);
* every result reaches the model bounded; the turn ends with the answer and ``done``.

The table ``CASES`` must name every registered tool: a new tool fails this file until it has
an entry. Models behind evals and the playground are scripted too (``evals._models``).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    RetryPromptPart,
    TextPart,
    ToolCallPart,
    ToolReturnPart,
)
from pydantic_ai.models.function import AgentInfo, FunctionModel

from openloop.loop.models import override_models
from openloop.loop.tools.base import MAX_TEXT_CHARS, list_tools
from openloop.services import loop as svc_loop

from ._script import call, scripted, text

TOOL_NAMES = [t.name for t in list_tools()]
CUT_NOTE = f"\n(result cut at {MAX_TEXT_CHARS} characters)"


# -- the demo project -------------------------------------------------------------------------


@dataclass
class Env:
    svc: Any
    principal: Any
    project_id: str
    project: str
    summary: Any
    trace_id: str
    reshape_dataset_id: str

    @property
    def dataset_id(self) -> str:
        return self.summary.dataset_id

    def exp(self, name: str) -> str:
        return self.summary.experiment_ids[name]

    def thread(self) -> str:
        return svc_loop.create_thread(self.svc, self.principal, project=self.project).id


def _task_or_judge(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """Models behind evals: a judge always picks A; a task model echoes its last message."""
    tools = [t.name for t in (*info.function_tools, *info.output_tools)]
    if "select_choice" in tools:
        return ModelResponse(
            parts=[ToolCallPart("select_choice", {"reasons": "ok", "choice": "A"})]
        )
    return ModelResponse(parts=[TextPart(str(messages[-1].parts[-1].content))])


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    from openloop.auth import Principal
    from openloop.demo import load_demo
    from openloop.evals import _models
    from openloop.services import Services
    from openloop.services.datasets import create_dataset, insert_rows
    from openloop.services.query import run_user_query
    from openloop.settings import Settings

    settings = Settings(data_dir=tmp_path_factory.mktemp("loop-e2e"), load_demo=False,
                        secret_key="test-secret-key")  # fmt: skip
    svc = Services.open(settings)
    boot = svc.control.bootstrap()
    p = Principal(boot.org.id, boot.user.id, "owner")
    now = datetime.now(UTC).replace(hour=9, minute=30, second=0, microsecond=0)
    summary = load_demo(svc.control, svc.data, boot.org.id, traces=300, now=now)
    project = summary.project_name
    trace_id = run_user_query(
        svc, p,
        f"select: root_span_id | from: project_logs('{project}') | "
        "filter: is_root and created > now() - interval 14 day | limit: 1",
    )["data"][0]["root_span_id"]  # fmt: skip
    # Reshaping rewrites every row; it gets a dataset of its own so the demo's stays as loaded.
    reshape = create_dataset(svc, p, summary.project_id, "reshape-e2e")
    insert_rows(svc, p, reshape.id, [{"id": f"r{i}", "input": {"question": f"q{i}"},
                                      "expected": f"a{i}"} for i in range(3)])  # fmt: skip
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_models, "model_factory", lambda s, org, name: FunctionModel(_task_or_judge))
        yield Env(svc, p, summary.project_id, project, summary, trace_id, reshape.id)
    svc.close()


# -- state probes for write tools ---------------------------------------------------------------


def _dataset(e: Env, name: str) -> Any | None:
    from openloop.services.datasets import list_datasets

    return next(
        (d for d in list_datasets(e.svc, e.principal, e.project_id) if d.name == name), None
    )


def dataset_rows(name: str) -> Callable[[Env], int]:
    """Rows of the named dataset (0 when it does not exist)."""

    def probe(e: Env) -> int:
        from openloop.services.datasets import dataset_ref

        obj = _dataset(e, name)
        return 0 if obj is None else e.svc.data.count(dataset_ref(obj))

    return probe


def prompt_versions(e: Env) -> int:
    from openloop.services.prompts import list_versions

    return len(list_versions(e.svc, e.principal, e.summary.prompt_id))


def reshape_versions(e: Env) -> int:
    from openloop.services.datasets import list_versions

    return len(list_versions(e.svc, e.principal, e.reshape_dataset_id))


def judge_versions(e: Env) -> int:
    from openloop.services.scorers import scorer_versions

    return len(scorer_versions(e.svc, e.principal, e.summary.scorer_ids["Answer quality (judge)"]))


def scorers_named(name: str) -> Callable[[Env], int]:
    def probe(e: Env) -> int:
        from openloop.services.scorers import list_scorers

        return sum(1 for s in list_scorers(e.svc, e.principal, e.project_id) if s["name"] == name)

    return probe


def charts_titled(title: str) -> Callable[[Env], int]:
    def probe(e: Env) -> int:
        from openloop.services.charts import list_charts

        return sum(1 for c in list_charts(e.svc, e.principal, e.project_id) if c["title"] == title)

    return probe


# -- the table ----------------------------------------------------------------------------------


@dataclass
class Case:
    args: Callable[[Env], dict[str, Any]]
    page: Callable[[Env], dict[str, Any]] = lambda e: {}
    #: Write tools: what the change moves, and by how much once approved (None: just changes).
    probe: Callable[[Env], Any] | None = None
    delta: int | None = 1
    #: Something the tool's result text must say.
    says: str = ""


JUDGE_PROMPT = (
    "Grade the answer.\n{{output}}\nReference: {{expected}}\n(A) right (B) partial (C) wrong"
)
PROPOSED = [
    {"role": "system", "content": "Answer the Acme Cloud support question in one sentence."},
    {"role": "user", "content": "{{input.question}}"},
]

CASES: dict[str, Case] = {
    # read tools
    "analyze_dataset": Case(
        lambda e: {},
        page=lambda e: {"page": "dataset", "dataset_id": e.dataset_id},
        says="support-questions",
    ),
    "analyze_logs": Case(lambda e: {"focus": "most common errors", "days": 14}),
    "ask_user_to_choose": Case(
        lambda e: {"kind": "dataset", "question": "Which dataset should I use?"},
        says="support-questions",
    ),
    "categorize_errors": Case(
        lambda e: {},
        page=lambda e: {"page": "experiment", "experiment_id": e.exp("baseline-v1")},
        says="baseline-v1",
    ),
    "compare_experiments": Case(
        lambda e: {"experiments": "citations-v2 baseline-v1", "top": 3}, says="citations-v2"
    ),
    "describe_source": Case(
        lambda e: {"kind": "dataset", "name": "support-questions"}, says="input"
    ),
    "drill_rows": Case(
        lambda e: {
            "experiment": "citations-v2",
            "score": "cites_source",
            "sort": "score",
            "limit": 5,
        },
        says="rows of citations-v2",
    ),
    "explain_trace": Case(lambda e: {"trace_id": e.trace_id}, says="Span tree"),
    "few_shot_from_logs": Case(lambda e: {"count": 2, "min_score": 0.5}, says="examples from"),
    "find_edge_cases": Case(lambda e: {"dataset": "support-questions"}, says="Edge cases"),
    "fix_query": Case(
        lambda e: {
            "query": f"select: id | from: project_logs('{e.project}') | "
            "filter: created > now() - interval 3 day and eror is not null | "
            "limit: 3"
        },
    ),
    "generate_filter": Case(lambda e: {"filter": "span_attributes.type = 'llm'"}, says="matches"),
    "pick_best_scorers": Case(
        lambda e: {},
        page=lambda e: {"page": "experiment", "experiment_id": e.exp("baseline-v1")},
        says="Scorers for baseline-v1",
    ),
    "run_query": Case(
        lambda e: {},
        page=lambda e: {
            "page": "sandbox",
            "query": f"select: count(1) as n | from: "
            f"project_logs('{e.project}') | filter: created > now() - interval 7 day",
        },
        says="Summary",
    ),
    "sample_eval_code": Case(lambda e: {"experiment": "citations-v2"}, says="Eval("),
    "search_docs": Case(lambda e: {"query": "send traces with OpenTelemetry"}, says="docs/"),
    "search_traces": Case(lambda e: {"query": "refund", "days": 14}),
    "summarize_experiment": Case(lambda e: {"experiment": "citations-v2"}, says="citations-v2"),
    # write tools
    "add_dataset_rows": Case(
        lambda e: {
            "dataset": "support-questions",
            "rows": [
                {
                    "input": {"question": "Can I export invoices as CSV?"},
                    "expected": {"answer": "Yes: Billing → Invoices → Export."},
                    "metadata": {"category": "billing"},
                }
            ],
        },
        probe=dataset_rows("support-questions"),
        says="Added 1 rows",
    ),
    "create_chart": Case(
        lambda e: {
            "title": "Errors per day (e2e)",
            "chart_type": "timeseries",
            "query": f"SELECT day(created) AS day, count(error) AS errors FROM "
            f"project_logs('{e.project}') WHERE created > now() - interval 7 day "
            "GROUP BY 1",
        },
        probe=charts_titled("Errors per day (e2e)"),
        says="Saved chart",
    ),
    "create_dataset": Case(
        lambda e: {
            "name": "baseline-failures (e2e)",
            "from_experiment": "baseline-v1",
            "select": "failing",
            "limit": 5,
        },
        probe=dataset_rows("baseline-failures (e2e)"),
        delta=None,
        says="Created dataset",
    ),
    "create_dataset_from_logs": Case(
        lambda e: {"dataset": "errors-week (e2e)", "filter": "error IS NOT NULL", "limit": 5},
        probe=dataset_rows("errors-week (e2e)"),
        delta=5,
        says="Created dataset",
    ),
    "optimize_prompt_in_playground": Case(
        lambda e: {
            "prompt": "support-answer",
            "dataset": "support-questions",
            "messages": PROPOSED,
            "scorers": ["Levenshtein"],
        },
        probe=prompt_versions,
        delta=0,
        says="A (current) vs B (proposed)",
    ),
    "reshape_dataset_rows": Case(
        lambda e: {
            "dataset": "reshape-e2e",
            "operations": [{"op": "rename", "path": "input.question", "to": "content"}],
        },
        probe=reshape_versions,
        says="Reshaped 3 of 3 rows",
    ),
    "save_prompt": Case(
        lambda e: {"prompt": "support-answer", "params": {"temperature": 0.0}},
        probe=prompt_versions,
        says="Saved a new version",
    ),
    "save_scorer": Case(
        lambda e: {
            "name": "Concise (e2e)",
            "prompt": "Is this concise?\n{{output}}\n(Y) yes (N) no",
            "choice_scores": {"Y": 1, "N": 0},
        },
        probe=scorers_named("Concise (e2e)"),
        says="Created scorer",
    ),
    "tune_scorer": Case(
        lambda e: {
            "scorer": "Answer quality (judge)",
            "prompt": JUDGE_PROMPT,
            "labels": [{"output": "Refunds arrive in 5-10 days.", "expected": "x", "choice": "A"}],
        },
        probe=judge_versions,
        says="Saved the revision",
    ),
}


# -- driving one turn ---------------------------------------------------------------------------


def gist(result: str) -> str:
    """A short piece of a tool result the scripted model repeats in its answer."""
    line = next((ln for ln in result.splitlines() if ln.strip()), "")
    return re.sub(r"\s+", " ", line).strip()[:60].strip()


def script(tool: str, args: dict[str, Any]) -> FunctionModel:
    """Call ``tool`` with ``args`` once; then answer quoting what came back."""

    def fn(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        last = messages[-1]
        if isinstance(last, ModelRequest):
            for part in last.parts:
                if isinstance(part, ToolReturnPart):
                    return text(f"From {tool}: {gist(str(part.content))}")
                if isinstance(part, RetryPromptPart):
                    return text(f"RETRY {tool}: {part.content}")
        return call(tool, args)

    return scripted(fn)


def of(events: list[Any], kind: str) -> list[dict[str, Any]]:
    return [e.data for e in events if e.type == kind]


def said(events: list[Any]) -> str:
    return "".join(d["text"] for d in of(events, "text_delta"))


async def collect(e: Env, thread: str, after: int) -> list[Any]:
    stream = await svc_loop.subscribe(e.svc, e.principal, thread, after=after, until_idle=True)
    out = []
    async with asyncio.timeout(60):
        async for ev in stream:
            if ev is not None:
                out.append(ev)
    return out


async def send(e: Env, thread: str, page: dict[str, Any]) -> list[Any]:
    sent = await svc_loop.send_message(e.svc, e.principal, thread, "please do it", page=page)
    return await collect(e, thread, sent["last_event_id"])


async def decide(e: Env, approval: str, decision: str) -> list[Any]:
    r = await svc_loop.decide_approval(e.svc, e.principal, approval, decision)
    assert r["resumed"] is True
    return await collect(e, _thread_of(approval), r["last_event_id"])


def _thread_of(approval: str) -> str:
    from openloop.loop.threads import parse_approval_id

    return parse_approval_id(approval)[0]


def check_result(name: str, events: list[Any], says: str) -> str:
    """The tool ran once, its result is bounded, and the answer quotes it; returns the text."""
    results = [r for r in of(events, "tool_result") if r["name"] == name]
    assert len(results) == 1, f"{name}: tool_results {[(x.type, x.data) for x in events]}"
    res = results[0]
    assert res["display"] != "error", f"{name} failed through the agent: {res['text']}"
    body = res["text"]
    assert body.strip() and len(body) <= MAX_TEXT_CHARS + len(CUT_NOTE)
    assert says in body, f"{name}: {says!r} not in result {body[:300]!r}"
    answer = said(events)
    assert "RETRY" not in answer, answer
    assert f"From {name}: {gist(body)}" in answer
    assert of(events, "done")[-1]["status"] == "done"
    return body


# -- the tests ----------------------------------------------------------------------------------


def test_every_registered_tool_has_a_case() -> None:
    missing = sorted(set(TOOL_NAMES) - set(CASES))
    assert not missing, f"add these tools to CASES in {__name__}: {missing}"
    assert not sorted(set(CASES) - set(TOOL_NAMES)), "CASES names tools that are not registered"
    assert len(TOOL_NAMES) >= 27


@pytest.mark.parametrize("name", TOOL_NAMES)
def test_tool_through_the_agent(env: Env, name: str) -> None:
    from openloop.loop.tools.base import get_tool

    if name not in CASES:
        pytest.fail(f"tool {name!r} has no entry in CASES: add valid demo arguments for it")
    case, spec = CASES[name], get_tool(name)
    args, page, thread = case.args(env), case.page(env), env.thread()
    if spec.kind == "write":
        assert case.probe is not None, f"write tool {name} needs a probe in CASES"
        before = case.probe(env)

    async def flow() -> tuple[list[Any], list[Any]]:
        first = await send(env, thread, page)
        if spec.kind == "read":
            return first, []
        req = of(first, "approval_request")
        assert len(req) == 1, f"{name}: {[(x.type, x.data) for x in first]}"
        assert case.probe is not None and case.probe(env) == before  # nothing done yet
        return first, await decide(env, req[0]["id"], "approve")

    with override_models(script(name, args)):
        first, after = asyncio.run(flow())

    calls = of(first, "tool_call")
    assert [c["name"] for c in calls] == [name] and calls[0]["args"] == args
    if spec.kind == "read":
        assert of(first, "approval_request") == []
        check_result(name, first, case.says)
        if name == "ask_user_to_choose":
            picked = of(first, "choices")
            assert picked and picked[0]["kind"] == "dataset"
            assert "support-questions" in [c["name"] for c in picked[0]["choices"]]
        return
    card = of(first, "approval_request")[0]
    assert card["tool"] == name and card["args"] == args
    assert card["description"].strip() and "\n" not in card["description"]
    assert of(first, "done")[-1]["status"] == "awaiting_approval"
    assert of(after, "approval_decision")[0]["decision"] == "approved"
    check_result(name, after, case.says)
    now = case.probe(env)
    if case.delta is None:
        assert now > before, f"{name}: nothing changed ({before} → {now})"
    else:
        assert now == before + case.delta, f"{name}: {before} → {now}, wanted +{case.delta}"


@pytest.mark.parametrize(
    ("name", "args", "probe"),
    [
        ("save_prompt", {"prompt": "support-answer", "params": {"temperature": 1.0}},
         prompt_versions),
        ("create_dataset", {"name": "never-made (e2e)", "rows": [{"input": "hi"}]},
         dataset_rows("never-made (e2e)")),
    ],
)  # fmt: skip
def test_rejected_write_changes_nothing(env: Env, name: str, args: dict, probe: Callable) -> None:
    thread = env.thread()
    before = probe(env)

    async def flow() -> tuple[list[Any], list[Any]]:
        first = await send(env, thread, {})
        req = of(first, "approval_request")
        assert len(req) == 1 and req[0]["tool"] == name
        return first, await decide(env, req[0]["id"], "reject")

    with override_models(script(name, args)):
        first, after = asyncio.run(flow())
    assert of(after, "approval_decision")[0]["decision"] == "rejected"
    assert [r for r in of(first + after, "tool_result") if r["name"] == name] == []
    assert "rejected" in said(after) and of(after, "done")[-1]["status"] == "done"
    assert probe(env) == before
