"""save_scorer: validated LLM judges (the default) and Python code scorers, with a diff card."""

from __future__ import annotations

import pytest

from openloop.errors import InvalidInput

from ._evals_demo import evals_demo, preview, run

PROMPT = "Is this answer polite?\n\n{{output}}\n\n(A) polite (B) rude"


def test_a_new_judge_by_default_then_a_new_version() -> None:
    from openloop.services.scorers import scorer_versions

    d = evals_demo()
    args = {"name": "Politeness", "prompt": PROMPT, "choice_scores": {"A": 1, "B": 0}}
    card = preview("save_scorer", d.ctx(), **args)
    assert "\n" not in card.description
    assert card.description == "Create LLM-judge scorer 'Politeness' (choices A=1, B=0)"
    assert '+  "model": "gpt-4o-mini"' in card.diff and "Is this answer polite?" in card.diff
    assert not any(o.name == "Politeness" for o in d.svc.control.list_objects(
        d.principal.org_id, d.summary.project_id, "scorer"))  # fmt: skip
    created = run("save_scorer", d.ctx(), **args).data
    assert created["function_data"]["type"] == "llm_judge"

    edit = {"scorer": "Politeness", "choice_scores": {"A": 1, "B": 0.2}, "pass_threshold": 0.6}
    card = preview("save_scorer", d.ctx(), **edit)
    assert card.description.startswith("Save a new version of LLM-judge scorer 'Politeness'")
    assert '-    "B": 0.0' in card.diff and '+    "B": 0.2' in card.diff
    run("save_scorer", d.ctx(), **edit)
    versions = scorer_versions(d.svc, d.principal, created["id"])
    assert len(versions) == 2 and versions[-1]["metadata"]["__pass_threshold"] == 0.6
    assert versions[-1]["function_data"]["prompt"] == PROMPT  # kept from the last version


@pytest.mark.parametrize(
    ("choices", "message"),
    [({"A": 1}, "at least two choices"), ({"A": 1, "B": 1.5}, r"scores must be in \[0, 1\]"),
     ({"A": 1, " ": 0}, "non-empty and distinct"), ({"A": 1, "B": 1}, "cannot discriminate")],
)  # fmt: skip
def test_invalid_choice_maps_are_refused(choices, message) -> None:
    d = evals_demo()
    with pytest.raises(InvalidInput, match=message):
        preview("save_scorer", d.ctx(), name="Bad judge", prompt=PROMPT, choice_scores=choices)


def test_judge_prompt_variables_are_checked() -> None:
    d = evals_demo()
    with pytest.raises(InvalidInput, match="unknown variable"):
        preview("save_scorer", d.ctx(), name="Typo judge", prompt="Rate {{outptu}} {{output}}",
                choice_scores={"Y": 1, "N": 0})  # fmt: skip
    with pytest.raises(InvalidInput, match="never shows the output"):
        preview("save_scorer", d.ctx(), name="Blind judge", prompt="Rate {{input}}",
                choice_scores={"Y": 1, "N": 0})  # fmt: skip


def test_code_scorers_must_compile_in_the_sandbox() -> None:
    d = evals_demo()
    with pytest.raises(InvalidInput):
        preview("save_scorer", d.ctx(), name="Broken code", type="code",
                code="def handler(output):\n    return output ==\n")  # fmt: skip
    with pytest.raises(InvalidInput):
        preview("save_scorer", d.ctx(), name="Sneaky code", type="code",
                code="import os\n\ndef handler(output):\n    return 1\n")  # fmt: skip
    good = "def handler(output, expected):\n    return 1.0 if output else 0.0\n"
    card = preview("save_scorer", d.ctx(), name="Non-empty", type="code", code=good)
    assert card.description.startswith("Create Python code scorer 'Non-empty' (trial run")
    assert "scored 1.0" in card.description
    res = run("save_scorer", d.ctx(), name="Non-empty", type="code", code=good)
    assert res.data["function_data"]["language"] == "python"
