"""tune_scorer: a revision that matches the user's labels better is measured, then saved."""

from __future__ import annotations

import pytest
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from ._evals_demo import evals_demo, preview, run

STRICT = "Grade the answer.\n{{output}}\nReference: {{expected}}\n(A) right (B) partial (C) wrong"
LENIENT = STRICT + "\nBe lenient: an answer that is partly right still counts as (A)."


def _judge(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """A scripted judge: 'partial' answers get B, unless the prompt asks for leniency."""
    prompt = str(messages[-1].parts[-1].content)
    if "partly right" in prompt:
        choice = "C" if "wrong" in prompt.split("Reference:")[0] else "A"
    elif "partial" in prompt.split("Reference:")[0]:
        choice = "B"
    else:
        choice = "C" if "nonsense" in prompt else "A"
    return ModelResponse(parts=[ToolCallPart("select_choice", {"reasons": "ok", "choice": choice})])


@pytest.fixture
def judge_model(monkeypatch):
    from openloop.evals import _models

    model = FunctionModel(_judge)
    monkeypatch.setattr(_models, "model_factory", lambda svc, org, name: model)
    return model


def test_tuning_improves_agreement_and_saves(judge_model) -> None:
    from openloop.services.scorers import scorer_versions

    d = evals_demo()
    made = run("save_scorer", d.ctx(), name="Correctness (tune)", prompt=STRICT,
               choice_scores={"A": 1, "B": 0.5, "C": 0}).data  # fmt: skip
    labels = [
        {"output": "a partial answer", "expected": "x", "choice": "A"},
        {"output": "another partial one", "expected": "x", "choice": "A"},
        {"output": "nonsense wrong", "expected": "x", "choice": "C"},
        {"output": "right", "expected": "x", "score": 1.0},
    ]
    args = {"scorer": "Correctness (tune)", "labels": labels, "prompt": LENIENT}
    card = preview("tune_scorer", d.ctx(), **args)
    assert "\n" not in card.description and "4 labelled rows" in card.description
    assert '+    "Be lenient' in card.diff
    assert len(scorer_versions(d.svc, d.principal, made["id"])) == 1
    res = run("tune_scorer", d.ctx(), **args)
    assert (res.data["before"]["agree"], res.data["after"]["agree"]) == (2, 4)
    assert res.data["saved"] and "before 2/4, after 4/4" in res.text
    versions = scorer_versions(d.svc, d.principal, made["id"])
    assert len(versions) == 2 and versions[-1]["function_data"]["prompt"] == LENIENT


def test_a_worse_revision_is_not_saved(judge_model) -> None:
    from openloop.services.scorers import scorer_versions

    d = evals_demo()
    made = run("save_scorer", d.ctx(), name="Correctness (keep)", prompt=STRICT,
               choice_scores={"A": 1, "B": 0.5, "C": 0}).data  # fmt: skip
    labels = [{"output": "a partial answer", "expected": "x", "choice": "B"}]
    res = run("tune_scorer", d.ctx(), scorer=made["id"], labels=labels, prompt=LENIENT)
    assert res.data["before"]["agree"] == 1 and res.data["after"]["agree"] == 0
    assert not res.data["saved"] and "Not saved" in res.text
    assert len(scorer_versions(d.svc, d.principal, made["id"])) == 1


def test_labels_can_point_at_experiment_rows(judge_model) -> None:
    d = evals_demo()
    ctx = d.ctx(experiment_id=d.summary.experiment_ids["citations-v2"])
    row = d.facts["evals"]["comparison"]["scores"]["cites_source"]["improved"][0]
    res = run("tune_scorer", ctx, scorer="Answer quality (judge)", save=False,
              labels=[{"row_id": row, "choice": "A"}], prompt=LENIENT.replace("{{expected}}",
              "{{expected.answer}}"))  # fmt: skip
    assert res.data["before"]["rows"] == 1 and not res.data["saved"]
