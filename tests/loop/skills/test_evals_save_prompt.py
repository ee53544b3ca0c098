"""save_prompt: new prompts and new versions, diffed against the current version."""

from __future__ import annotations

import pytest

from openloop.errors import InvalidInput

from ._evals_demo import evals_demo, preview, run


def test_new_version_of_the_demo_prompt_shows_a_diff_and_writes_only_on_run() -> None:
    from openloop.services.prompts import list_versions

    d = evals_demo()
    pid = d.summary.prompt_id
    ctx = d.ctx(prompt_id=pid, dataset_id=d.summary.dataset_id)
    msgs = [{"role": "system", "content": "Answer kindly and cite 'Source: <title>'."},
            {"role": "user", "content": "{{input.question}}"}]  # fmt: skip
    card = preview("save_prompt", ctx, messages=msgs)
    assert "\n" not in card.description
    assert card.description == (
        "Save a new version of prompt 'support-answer' (2 messages, model gpt-4o-mini)"
    )
    added = [ln for ln in card.diff.splitlines() if ln.startswith("+") and "Answer kindly" in ln]
    removed = [ln for ln in card.diff.splitlines() if ln.startswith("-") and "friendly" in ln]
    assert added and removed
    assert card.diff.startswith("--- support-answer@")
    assert len(list_versions(d.svc, d.principal, pid)) == 3
    res = run("save_prompt", ctx, messages=msgs)
    assert len(list_versions(d.svc, d.principal, pid)) == 4 and "support-answer" in res.text


def test_missing_dataset_variable_and_bad_role_are_refused() -> None:
    d = evals_demo()
    ctx = d.ctx(dataset_id=d.summary.dataset_id)
    with pytest.raises(InvalidInput, match=r"input\.query"):
        preview("save_prompt", ctx, name="Typo prompt", model="gpt-4o-mini",
                messages=[{"role": "user", "content": "{{input.query}}"}])  # fmt: skip
    with pytest.raises(InvalidInput, match="role"):
        preview("save_prompt", ctx, name="Role prompt", model="gpt-4o-mini",
                messages=[{"role": "robot", "content": "hi"}])  # fmt: skip
    with pytest.raises(InvalidInput, match="never closed"):
        preview("save_prompt", ctx, name="Broken prompt", model="gpt-4o-mini",
                messages=[{"role": "user", "content": "{{#input}} open"}])  # fmt: skip


def test_create_a_prompt() -> None:
    d = evals_demo()
    args = {"name": "Greeter", "model": "gpt-4o-mini",
            "messages": [{"role": "user", "content": "Say hi to {{input}}"}]}  # fmt: skip
    card = preview("save_prompt", d.ctx(), **args)
    assert card.description == "Create prompt 'Greeter' (1 messages, model gpt-4o-mini)"
    assert any(ln.startswith("+") and "Say hi to {{input}}" in ln for ln in card.diff.splitlines())
    saved = run("save_prompt", d.ctx(), **args).data
    assert saved["slug"] == "greeter"
    with pytest.raises(InvalidInput, match="exists"):
        preview("save_prompt", d.ctx(), **args)
