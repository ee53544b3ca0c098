"""The thread runner: queue, interrupt, edit and re-run, switching model mid-thread."""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic_ai.models.function import FunctionModel

from openloop.loop.models import override_models
from openloop.services import loop as svc_loop

from ._script import last_user, scripted, text


def gated_model(gates: dict[str, asyncio.Event], log: list[str]) -> FunctionModel:
    """Answers 'echo: <message>'; waits on gates[message] (if any) after the first word."""

    async def stream(messages, info):
        asked = last_user(messages)
        log.append(asked)
        yield "echo: "
        gate = gates.get(asked)
        if gate is not None:
            await gate.wait()
        yield asked

    return FunctionModel(stream_function=stream, model_name="gated")


def answers(platform) -> list[tuple[str, str, str]]:
    return [(m["role"], m["content"].get("text", ""), m["status"]) for m in platform.messages()]


def test_messages_sent_while_running_queue_and_run_in_order(platform):
    log: list[str] = []

    async def scenario():
        gates = {"one": asyncio.Event()}
        with override_models(gated_model(gates, log)):
            p, t = platform.principal, platform.thread_id
            first = await svc_loop.send_message(platform.svc, p, t, "one")
            await asyncio.sleep(0.05)
            second = await svc_loop.send_message(platform.svc, p, t, "two")
            third = await svc_loop.send_message(platform.svc, p, t, "three")
            assert (first["position"], second["position"], third["position"]) == (0, 1, 2)
            gates["one"].set()
            return await platform.collect(first["last_event_id"])

    events = platform.run(scenario())
    assert log == ["one", "two", "three"]
    assert [e.data["status"] for e in events if e.type == "done"] == ["done"] * 3
    assert answers(platform) == [
        ("user", "one", "done"),
        ("assistant", "echo: one", "done"),
        ("user", "two", "done"),
        ("assistant", "echo: two", "done"),
        ("user", "three", "done"),
        ("assistant", "echo: three", "done"),
    ]


def test_interrupt_cancels_current_turn_and_runs_the_next(platform):
    log: list[str] = []
    seen_history: list[str] = []

    async def scenario():
        gates = {"slow": asyncio.Event()}  # never set: only an interrupt ends this turn
        model = gated_model(gates, log)
        with override_models(model):
            p, t = platform.principal, platform.thread_id
            first = await svc_loop.send_message(platform.svc, p, t, "slow")
            await platform.wait_event("text_delta")
            await svc_loop.send_message(platform.svc, p, t, "next")
            out = await svc_loop.interrupt(platform.svc, p, t)
            assert out["interrupted"] is True
            return await platform.collect(first["last_event_id"])

    events = platform.run(scenario())
    assert [e.data["status"] for e in events if e.type == "done"] == ["interrupted", "done"]
    assert answers(platform) == [
        ("user", "slow", "done"),
        ("assistant", "echo: ", "interrupted"),
        ("user", "next", "done"),
        ("assistant", "echo: next", "done"),
    ]

    def spy(messages, info):
        seen_history.append(str(messages))
        return text("ok")

    with override_models(scripted(spy)):
        platform.run(platform.turn("after"))
    assert "interrupted by the user" in seen_history[0]


def test_edit_earlier_message_drops_later_history_and_reruns(platform):
    seen: list[Any] = []

    def echo(messages, info):
        seen.append([p.content for m in messages for p in m.parts if p.part_kind == "user-prompt"])
        return text(f"answer to {last_user(messages)}")

    with override_models(scripted(echo)):
        platform.run(platform.turn("first question"))
        platform.run(platform.turn("second question"))

        async def edit():
            r = await svc_loop.edit_message(
                platform.svc, platform.principal, platform.thread_id, 1, "better question"
            )
            return await platform.collect(r["last_event_id"])

        platform.run(edit())
    assert answers(platform) == [
        ("user", "better question", "done"),
        ("assistant", "answer to better question", "done"),
    ]
    assert seen[-1] == ["better question"]  # the model no longer sees the old turns


def test_switch_model_mid_thread(platform):
    models = {
        "model-a": scripted(lambda m, i: text("from A"), "a"),
        "model-b": scripted(lambda m, i: text("from B"), "b"),
    }
    p, t = platform.principal, platform.thread_id
    with override_models(models):
        svc_loop.update_thread(platform.svc, p, t, model="model-a")
        platform.run(platform.turn("hi"))
        svc_loop.update_thread(platform.svc, p, t, model="model-b")
        platform.run(platform.turn("hi again"))
    said = [m["content"]["text"] for m in platform.messages() if m["role"] == "assistant"]
    assert said == ["from A", "from B"]


def test_model_outside_the_org_allowlist_is_refused(platform):
    import pytest

    from openloop.errors import InvalidInput

    platform.svc.control.set_org_settings(platform.principal.org_id, {"loop_models": ["ok-model"]})
    with pytest.raises(InvalidInput, match="allowed: ok-model"):
        svc_loop.update_thread(platform.svc, platform.principal, platform.thread_id, model="other")
    assert svc_loop.loop_models(platform.svc, platform.principal)["models"] == ["ok-model"]


def test_a_subscriber_until_idle_gets_done_published_during_its_replay(platform):
    """A turn that ends while a late subscriber replays the buffer: its ``done`` still reaches
    that subscriber before the stream ends (SSE ``until_idle=true``, ``openloop chat``)."""
    from openloop.loop import events as ev
    from openloop.loop.runner import ThreadRunner

    async def scenario() -> list[str]:
        runner = ThreadRunner(platform.svc, platform.thread_id)
        runner.publish(ev.LoopEvent("queued", {"id": "j1", "position": 0}))
        runner.publish(ev.LoopEvent("turn_start", {"id": "j1"}))
        stream = runner.subscribe(0, until_idle=True)
        got = [(await anext(stream)).type]  # replaying the buffer: the turn runs meanwhile
        runner.publish(ev.done("j1", "awaiting_approval"))
        assert runner.idle
        got += [e.type async for e in stream if e is not None]
        return got

    assert platform.run(scenario()) == ["queued", "turn_start", "done"]
