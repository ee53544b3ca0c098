"""Data-source choices, page context in the prompt, and slash commands without a model."""

from __future__ import annotations

import pytest
from pydantic_ai import ModelRetry

from openloop.loop.context import build_context, require_data_source
from openloop.loop.models import override_models
from openloop.services import loop as svc_loop

from ._script import call, last_user, returns, scripted, text


def _datasets(platform) -> list[str]:
    c, org = platform.svc.control, platform.principal.org_id
    return [c.create_object(org, platform.project_id, "dataset", n).id for n in ("faq", "tickets")]


def test_use_a_different_dataset_asks_the_user_to_choose(platform):
    faq, tickets = _datasets(platform)
    prompts: list[str] = []

    def model(messages, info):
        prompts.append(info.instructions or "")
        back = returns(messages)
        if "different dataset" in last_user(messages) and not back:
            return call("ask_user_to_choose", {"kind": "dataset", "question": "Which one?"})
        return text("Pick one above and I will use it.")

    with override_models(scripted(model)):
        events = platform.run(platform.turn("use a different dataset"))
    picked = [e.data for e in events if e.type == "choices"]
    assert len(picked) == 1
    assert picked[0]["kind"] == "dataset" and picked[0]["question"] == "Which one?"
    assert sorted(c["name"] for c in picked[0]["choices"]) == ["faq", "tickets"]
    assert {c["id"] for c in picked[0]["choices"]} == {faq, tickets}
    assert "ask_user_to_choose" in prompts[0] and "not instructions" in prompts[0]


def test_page_dataset_is_excluded_when_asking_for_a_different_one(platform):
    faq, tickets = _datasets(platform)

    def model(messages, info):
        if not returns(messages):
            return call("ask_user_to_choose", {"kind": "dataset", "exclude_current": True})
        return text("ok")

    with override_models(scripted(model)):
        events = platform.run(
            platform.turn("use a different dataset", page={"page": "dataset", "dataset_id": faq})
        )
    picked = next(e.data for e in events if e.type == "choices")
    assert [c["id"] for c in picked["choices"]] == [tickets]


def test_page_context_reaches_the_system_prompt(platform):
    faq, _ = _datasets(platform)
    prompts: list[str] = []

    def model(messages, info):
        prompts.append(info.instructions or "")
        return text("ok")

    with override_models(scripted(model)):
        platform.run(platform.turn("summarize", page={"page": "dataset", "dataset_id": faq}))
    assert "Project: shop" in prompts[0]
    assert "Data source: dataset 'faq'" in prompts[0]


def test_require_data_source_never_guesses_between_several(platform):
    _faq, tickets = _datasets(platform)
    p = platform.principal
    ctx = build_context(platform.svc, p, project_id=platform.project_id)
    with pytest.raises(ModelRetry, match="ask_user_to_choose"):
        require_data_source(ctx, "dataset")
    on_page = build_context(
        platform.svc, p, project_id=platform.project_id, page={"dataset_id": tickets}
    )
    assert require_data_source(on_page, "dataset")["name"] == "tickets"


def test_help_works_without_any_model(platform):
    events = platform.run(platform.turn("/help"))
    said = "".join(e.data["text"] for e in events if e.type == "text_delta")
    assert "/t-rows" in said and "/t-note" in said and "/choose" in said


def test_plain_text_without_a_model_lists_the_commands(platform):
    events = platform.run(platform.turn("what are the top errors?"))
    said = "".join(e.data["text"] for e in events if e.type == "text_delta")
    assert "No AI model is configured" in said and "/t-rows" in said


def test_slash_command_runs_its_tool_without_a_model(platform):
    events = platform.run(platform.turn("/t-rows rows=4"))
    result = next(e.data for e in events if e.type == "tool_result")
    assert result["name"] == "t_read_rows" and len(result["data"]) == 4
    bad = platform.run(platform.turn("/nope"))
    said = "".join(e.data["text"] for e in bad if e.type == "text_delta")
    assert "unknown command '/nope'" in said and "/t-rows" in said


def test_slash_write_command_asks_for_approval(platform):
    events = platform.run(platform.turn("/t-note buy milk"))
    req = next(e.data for e in events if e.type == "approval_request")
    assert req["description"] == "Save the note 'buy milk'"
    assert platform.notes == []

    async def approve():
        r = await svc_loop.decide_approval(platform.svc, platform.principal, req["id"], "approve")
        return await platform.collect(r["last_event_id"])

    platform.run(approve())
    assert platform.notes == ["buy milk"]


def test_a_switched_off_tool_does_not_run_from_its_command(platform):
    svc_loop.update_thread(
        platform.svc, platform.principal, platform.thread_id, disabled_tools=["t_save_note"]
    )
    events = platform.run(platform.turn("/t-note buy milk"))
    said = "".join(e.data["text"] for e in events if e.type == "text_delta")
    assert "switched off for this thread" in said and "t_save_note" in said
    assert not [e for e in events if e.type in ("tool_call", "approval_request")]
    assert platform.notes == []
    helped = platform.run(platform.turn("/help"))
    listing = "".join(e.data["text"] for e in helped if e.type == "text_delta")
    assert "Save a note. (asks for approval) (switched off for this thread)" in listing
    # Switched back on, the same command runs again (a write: it asks first).
    svc_loop.update_thread(platform.svc, platform.principal, platform.thread_id, disabled_tools=[])
    again = platform.run(platform.turn("/t-note buy milk"))
    assert any(e.type == "approval_request" for e in again)
