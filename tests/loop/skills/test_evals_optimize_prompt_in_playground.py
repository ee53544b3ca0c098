"""optimize_prompt_in_playground: A (current) vs B (proposed) over a dataset, nothing saved."""

from __future__ import annotations

import pytest
from pydantic_ai.messages import ModelMessage, ModelResponse, SystemPromptPart, TextPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from ._evals_demo import evals_demo, preview, run


def _task(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
    """A scripted task model: shouts when its system prompt says so, else echoes."""
    parts = [p for m in messages for p in m.parts]
    system = " ".join(p.content for p in parts if isinstance(p, SystemPromptPart))
    text = str(parts[-1].content)
    return ModelResponse(parts=[TextPart(text.upper() if "SHOUT" in system else text)])


@pytest.fixture
def setup(monkeypatch, request):
    from openloop.evals import _models
    from openloop.services.datasets import create_dataset, insert_rows
    from openloop.services.prompts import create_prompt

    monkeypatch.setattr(_models, "model_factory", lambda svc, org, name: FunctionModel(_task))
    d = evals_demo()
    tail = "" if "before_after" in request.node.name else "-" + request.node.name[-12:]
    ds = create_dataset(d.svc, d.principal, d.summary.project_id, "opt-words" + tail)
    words = ["alpha", "beta", "GAMMA", "delta"]
    insert_rows(
        d.svc,
        d.principal,
        ds.id,
        [{"id": f"w{i}", "input": w, "expected": w.upper()} for i, w in enumerate(words)],
    )
    prompt = create_prompt(d.svc, d.principal, d.summary.project_id, "Repeater" + tail, {
        "model": "task-model", "messages": [{"role": "system", "content": "Repeat."},
                                            {"role": "user", "content": "{{input}}"}]})  # fmt: skip
    return d, d.ctx(prompt_id=prompt["id"], dataset_id=ds.id), prompt


def test_before_after_means_and_changed_rows(setup) -> None:
    from openloop.services.prompts import list_versions

    d, ctx, prompt = setup
    proposed = [{"role": "system", "content": "Repeat. SHOUT it."},
                {"role": "user", "content": "{{input}}"}]  # fmt: skip
    args = {"messages": proposed, "scorers": ["ExactMatch"]}
    card = preview("optimize_prompt_in_playground", ctx, **args)
    assert "\n" not in card.description
    assert card.description == (
        "Run prompt 'Repeater' current (A) vs proposed (B) on dataset "
        "'opt-words' (4 rows × 2 model calls), scored by ExactMatch"
    )
    assert "SHOUT it" in card.diff
    res = run("optimize_prompt_in_playground", ctx, **args)
    assert res.data["means"]["ExactMatch"] == {"A": 0.25, "B": 1.0}
    assert sorted(c["row"] for c in res.data["changed"]) == ["w0", "w1", "w3"]
    assert all(c["diffs"]["ExactMatch"] == 1.0 for c in res.data["changed"])
    assert "3 rows changed: 3 better with B" in res.text
    assert len(list_versions(d.svc, d.principal, prompt["id"])) == 1  # nothing saved


def test_the_same_prompt_is_not_a_proposal(setup) -> None:
    from openloop.errors import InvalidInput

    _d, ctx, _prompt = setup
    with pytest.raises(InvalidInput, match="nothing to change"):
        preview("optimize_prompt_in_playground", ctx, scorers=["ExactMatch"])
