"""``openloop.Eval`` end to end against a live server: traces, scores, trials, errors,
concurrency and the comparison with a base experiment."""

from __future__ import annotations

import asyncio
import threading

import httpx
import pytest

import openloop
from openloop.evals.scorers import Levenshtein
from openloop.store.data.base import ObjectRef

CASES = [
    {"input": "Ada", "expected": "Hello Ada"},
    {"input": "Grace", "expected": "Hello Grace"},
    {"input": "Alan", "expected": "Hello Alan"},
    {"input": "Edsger", "expected": "Hello Edsger"},
]

EXACT_CODE = """
def handler(output, expected):
    return 1.0 if output == expected else 0.0
"""


def _save_code_scorer(url: str, key: str, project: str) -> dict:
    headers = {"Authorization": f"Bearer {key}"}
    httpx.post(url + "/v1/project", json={"name": project}, headers=headers).raise_for_status()
    r = httpx.post(
        url + "/v1/scorer",
        headers=headers,
        json={
            "project_name": project,
            "name": "exact",
            "function_data": {"type": "code", "language": "python", "code": EXACT_CODE},
        },
    )
    assert r.status_code == 201, r.text
    return r.json()


def _rows(services, org, experiment_id):
    obj = services.control.find_object(org.org_id, experiment_id)
    return services.data.read(ObjectRef(org.org_id, obj.project_id, "experiment", obj.id))


def _eval(url, key, **kwargs):
    kwargs.setdefault("progress", False)
    return openloop.Eval(api_key=key, base_url=url, **kwargs)


def test_eval_logs_eval_task_score_traces_and_summarizes(live_url, services, org):
    _save_code_scorer(live_url, org.key, "greeter")
    result = _eval(
        live_url,
        org.key,
        name="greeter",
        data=CASES,
        task=lambda name: "Hello Ada" if name == "Ada" else f"Hi {name}",
        scores=["exact", Levenshtein],
        experiment_name="first",
    )
    assert len(result.results) == 4
    by_input = {r.input: r for r in result.results}
    assert by_input["Ada"].scores == {"exact": 1.0, "Levenshtein": 1.0}
    assert by_input["Grace"].scores["exact"] == 0.0
    assert 0 < by_input["Grace"].scores["Levenshtein"] < 1
    summary = result.summary
    assert summary.experiment_name == "first"
    assert summary.scores["exact"]["score"] == pytest.approx(0.25)
    assert "duration" in summary.metrics

    rows = _rows(services, org, summary.experiment_id)
    roots = [r for r in rows if r["span_attributes"]["type"] == "eval"]
    assert len(roots) == 4
    root = next(r for r in roots if r["input"] == "Ada")
    assert root["span_attributes"]["name"] == "eval"
    assert root["expected"] == "Hello Ada" and root["output"] == "Hello Ada"
    assert root["scores"] == {"exact": 1.0, "Levenshtein": 1.0}
    children = [r for r in rows if r["root_span_id"] == root["root_span_id"] and r is not root]
    task = next(c for c in children if c["span_attributes"]["type"] == "task")
    assert task["span_attributes"]["name"] == "task"
    assert task["span_parents"] == [root["span_id"]] and task["output"] == "Hello Ada"
    score_spans = [c for c in children if c["span_attributes"]["type"] == "score"]
    assert sorted(s["span_attributes"]["name"] for s in score_spans) == ["Levenshtein", "exact"]
    assert all(s["span_attributes"]["purpose"] == "scorer" for s in score_spans)
    assert all(s["span_parents"] == [root["span_id"]] for s in score_spans)


def test_trials_errors_and_scorer_failures_stay_per_row(live_url, services, org):
    def task(name):
        if name == "Alan":
            raise ValueError("no greeting for Alan")
        return f"Hello {name}"

    def picky(output):
        if output == "Hello Grace":
            raise RuntimeError("scorer broke")
        return 1.0

    result = _eval(
        live_url, org.key, name="trials", data=CASES, task=task, scores=[picky], trial_count=3
    )
    assert len(result.results) == 12
    failed = [r for r in result.results if r.input == "Alan"]
    assert len(failed) == 3
    assert all("no greeting for Alan" in r.error and r.scores == {"picky": None} for r in failed)
    grace = [r for r in result.results if r.input == "Grace"]
    assert all(
        r.scores == {"picky": None} and "scorer broke" in r.score_errors["picky"] for r in grace
    )
    assert {r.trial_index for r in grace} == {0, 1, 2}
    assert result.summary.scores["picky"]["score"] == 1.0
    rows = _rows(services, org, result.summary.experiment_id)
    roots = [r for r in rows if r["span_attributes"]["type"] == "eval"]
    assert len(roots) == 12
    errored = [r for r in roots if r.get("error")]
    assert len(errored) == 3 and all(r["input"] == "Alan" for r in errored)


def test_max_concurrency_limits_running_cases(live_url, org):
    running = 0
    peak = 0
    lock = threading.Lock()

    async def task(x):
        nonlocal running, peak
        with lock:
            running += 1
            peak = max(peak, running)
        await asyncio.sleep(0.05)
        with lock:
            running -= 1
        return x

    data = [{"input": i, "expected": i} for i in range(8)]
    _eval(live_url, org.key, name="conc", data=data, task=task, scores=[], max_concurrency=2)
    assert peak == 2
    peak = 0
    _eval(live_url, org.key, name="conc", data=data, task=task, scores=[])
    assert peak > 2


def test_second_run_is_compared_with_the_base_experiment(live_url, org):
    first = _eval(
        live_url,
        org.key,
        name="cmp",
        data=CASES,
        task=lambda n: f"Hi {n}",
        scores=[Levenshtein],
        experiment_name="base",
    )
    second = _eval(
        live_url,
        org.key,
        name="cmp",
        data=CASES,
        task=lambda n: f"Hello {n}" if n != "Edsger" else "?",
        scores=[Levenshtein],
        experiment_name="base",
        base_experiment_id=first.summary.experiment_id,
    )
    s = second.summary
    assert s.experiment_name == "base-1"  # the taken name got a suffix
    assert s.comparison_experiment_name == "base"
    lev = s.scores["Levenshtein"]
    assert lev["improvements"] == 3 and lev["regressions"] == 1
    assert lev["diff"] == pytest.approx(lev["score"] - first.summary.scores["Levenshtein"]["score"])
    assert "3 improvements, 1 regressions" in str(s)


def test_hooks_and_no_send_logs():
    def task(x, hooks):
        hooks.metadata["seen"] = hooks.expected
        return x * 2

    result = openloop.Eval(
        "offline",
        data=lambda: [{"input": 2, "expected": 4}, {"input": 3, "expected": 5}],
        task=task,
        scores=[lambda output, expected: output == expected],
        no_send_logs=True,
        progress=False,
    )
    assert [r.scores["<lambda>"] for r in result.results] == [1.0, 0.0]
    assert result.results[0].metadata == {"seen": 4}
    assert result.summary.scores["<lambda>"]["score"] == 0.5


def test_eval_async_inside_a_running_loop():
    async def main():
        return await openloop.EvalAsync(
            "offline-async",
            data=[{"input": 1}],
            task=lambda x: x + 1,
            scores=[lambda output: output == 2],
            no_send_logs=True,
            progress=False,
        )

    result = asyncio.run(main())
    assert result.results[0].output == 2


def test_cli_runs_every_eval_in_a_file(live_url, org, tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from openloop.cli.main import app

    script = tmp_path / "my_eval.py"
    script.write_text(
        "import openloop\n"
        "for n in ('one', 'two'):\n"
        "    openloop.Eval('cli-project', data=[{'input': 1, 'expected': 2}],\n"
        "                  task=lambda x: x + 1, scores=['ExactMatch'], experiment_name=n)\n"
    )
    monkeypatch.setenv("OPENLOOP_BASE_URL", live_url)
    monkeypatch.setenv("OPENLOOP_API_KEY", org.key)
    result = CliRunner().invoke(app, ["eval", str(script)])
    assert result.exit_code == 0, result.output
    assert "Experiment one (cli-project)" in result.output
    assert "Experiment two (cli-project)" in result.output
    assert "ExactMatch" in result.output and "100.00%" in result.output
