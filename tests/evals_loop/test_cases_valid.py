"""Loop's evaluation suites (``evals/loop/``) measure something: every reference query runs on
the demo project and gives a non-empty, repeatable answer, every broken query really fails, and
the harness scores a model that answers with the references at 100% (and one that answers
wrongly at 0%). No model is needed: the model is a scripted FunctionModel."""

from __future__ import annotations

import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

EVALS = Path(__file__).resolve().parents[2] / "evals" / "loop"
sys.path.insert(0, str(EVALS))

import harness  # noqa: E402
from answers import MODES, compare_answers, expected_answer  # noqa: E402
from dryrun import scripted_model  # noqa: E402

QUESTIONS = harness.load_cases("questions")
FILTERS = harness.load_cases("filters")
FIXES = harness.load_cases("fixes")


@pytest.fixture(scope="module")
def loop(tmp_path_factory):
    from backends import LocalLoop

    # The demo's content depends only on the hour of day of `now` (timestamps shift with it), so
    # pinning the hour to noon makes every answer the same whenever CI runs; the latest noon keeps
    # the data no more than a day old for the "last N days" windows.
    real = datetime.now(UTC)
    now = real.replace(hour=12, minute=0, second=0, microsecond=0)
    if now > real:
        now -= timedelta(days=1)
    backend = LocalLoop.open(tmp_path_factory.mktemp("loop-evals"), now=now, traces=500)
    yield backend
    backend.close()


def _ids(cases):
    return [c["id"] for c in cases]


def _one_per_mode(skip: int = 0):
    """The (skip+1)-th question of each comparison mode."""
    return [[c for c in QUESTIONS if c["compare"] == m][skip] for m in MODES]


def test_the_case_files_cover_what_the_suites_promise() -> None:
    assert len(QUESTIONS) >= 60 and len(FILTERS) >= 20 and len(FIXES) >= 20
    for cases in (QUESTIONS, FILTERS, FIXES):
        assert len(set(_ids(cases))) == len(cases)
    assert {c["compare"] for c in QUESTIONS} == set(MODES)
    categories = {c["category"] for c in QUESTIONS}
    assert categories >= {"count", "groupby", "time", "percentile", "scores", "fulltext",
                          "traces", "experiments", "datasets"}  # fmt: skip
    assert any("shape => 'summary'" in c["query"] for c in QUESTIONS)
    kinds = {c["kind"] for c in FIXES}
    assert kinds >= {"unknown_field", "includes_sql", "missing_quotes", "bad_function",
                     "missing_range", "clause_typo"}  # fmt: skip


@pytest.mark.parametrize("case", QUESTIONS, ids=_ids(QUESTIONS))
def test_reference_query_gives_a_repeatable_answer(loop, case) -> None:
    rows = loop.run(case["query"], strict=True)
    assert rows, "the reference query returned nothing"
    expected = expected_answer(case, rows)
    if case["compare"] in ("scalar", "number"):
        assert expected["value"] is not None
    assert compare_answers(expected, rows)
    again = loop.run(case["query"])
    assert compare_answers(expected, again) and compare_answers(expected_answer(case, again), rows)


@pytest.mark.parametrize("case", FILTERS, ids=_ids(FILTERS))
def test_reference_filter_keeps_some_rows(loop, case) -> None:
    ids = loop.filter_ids(case["filter"])
    assert ids and loop.filter_ids(case["filter"]) == ids


@pytest.mark.parametrize("case", FIXES, ids=_ids(FIXES))
def test_broken_query_fails_and_its_reference_runs(loop, case) -> None:
    error = loop.failure(case["broken"], strict=bool(case.get("strict")))
    assert error, "the broken query runs; the case measures nothing"
    if not case.get("strict"):
        assert loop.failure(case["broken"]) == error
    if case.get("reference"):
        assert loop.run(case["reference"], strict=True)


def _run_eval(loop, suite, cases, task):
    import openloop

    rows = [r for r in harness.eval_data(suite) if r["expected"]["id"] in _ids(cases)]
    result = openloop.Eval(
        harness.EVAL_PROJECT, data=rows, task=task, no_send_logs=True, progress=False,
        scores=[harness.answer_correct, harness.valid_query, harness.repaired],
    )  # fmt: skip
    assert not [r.error for r in result.results if r.error]
    return harness.summarize(result.results), result.results


def test_dry_run_with_the_references_scores_100_percent(loop) -> None:
    picked = _one_per_mode()
    loop.model = scripted_model(QUESTIONS, break_first=[picked[1]["id"]])
    loop._built = None
    summary, results = _run_eval(loop, "questions", picked,
                                 lambda q, hooks: harness.ask_query(loop, hooks.expected))  # fmt: skip
    assert summary["accuracy"] == 1.0 and summary["valid_query_rate"] == 1.0
    by_case = {r.metadata["case"]: r for r in results}
    assert by_case[picked[1]["id"]].scores["repaired"] == 1.0
    assert by_case[picked[0]["id"]].scores["repaired"] == 0.0
    assert summary["repair_rate"] == pytest.approx(1 / 5)


def test_dry_run_of_filters_and_fixes(loop) -> None:
    loop.model, loop._built = scripted_model(FILTERS + FIXES), None
    summary, _ = _run_eval(loop, "filters", FILTERS[:3],
                           lambda r, hooks: harness.ask_filter(loop, hooks.expected))  # fmt: skip
    assert summary["accuracy"] == 1.0
    model_only = [c for c in FIXES if c["kind"] in ("bad_function", "shape")][:2]
    offline = [c for c in FIXES if c["kind"] == "missing_range"][:1]
    summary, results = _run_eval(
        loop, "fixes", model_only + offline, lambda b, hooks: harness.ask_fix(loop, hooks.expected)
    )
    assert summary["accuracy"] == 1.0 and summary["valid_query_rate"] == 1.0
    assert sorted(r.output["method"] for r in results) == ["model", "model", "offline"]


def test_wrong_answers_are_scored_wrong(loop) -> None:
    """A model answering every question with another question's reference gets nothing right."""
    picked = _one_per_mode(skip=1)
    others = _one_per_mode(skip=2)
    shifted = [{**c, "query": o["query"]} for c, o in zip(picked, others, strict=True)]
    loop.model, loop._built = scripted_model(shifted), None
    summary, _ = _run_eval(loop, "questions", picked,
                           lambda q, hooks: harness.ask_query(loop, hooks.expected))  # fmt: skip
    assert summary["accuracy"] == 0.0 and summary["valid_query_rate"] == 1.0
