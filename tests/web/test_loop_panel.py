"""The Loop panel in a real browser: offline slash commands without a model, tool cards with a
result table and a Chart tab, approval cards (approve and reject a chart), the queue with
Enter-to-interrupt, edit and re-run, and the page's object attached as context. Models are
scripted pydantic-ai FunctionModels put in with ``override_models``; nothing leaves the box."""

from __future__ import annotations

import asyncio

import pytest
from pydantic_ai.models.function import FunctionModel

from openloop.loop.models import override_models
from tests.loop._script import call, last_user, returns, scripted, text

pytestmark = pytest.mark.browser


def _open(p, url: str) -> None:
    p.goto(url)
    p.page.click("#loop-button")
    p.page.wait_for_selector("#loop-panel:not([hidden]) #loop-input")


def _ask(p, message: str) -> None:
    p.page.fill("#loop-input", message)
    p.page.press("#loop-input", "Enter")


def _charts(live) -> list[str]:
    return [
        o.name for o in live.services.control.list_objects(live.org_id, live.project_id, "chart")
    ]


def test_without_a_model_the_panel_lists_commands_and_runs_them(signed_in, live):
    p = signed_in
    _open(p, f"{live.url}/p/{live.project}/logs")
    p.page.wait_for_selector("#loop-notice:not([hidden])")
    notice = p.page.inner_text("#loop-notice")
    assert "No AI model is configured" in notice and "/analyze-logs" in notice
    assert p.page.is_disabled("#loop-model")
    _ask(p, "/help")
    p.page.wait_for_selector("#loop-messages .loop-msg.assistant")
    assert "/query" in p.page.inner_text("#loop-messages .loop-msg.assistant")
    _ask(p, "/analyze-logs")
    card = p.page.locator("#loop-messages .loop-card[data-tool=analyze_logs]")
    card.wait_for()
    p.page.wait_for_function(
        "document.querySelectorAll('#loop-messages .loop-msg.assistant').length >= 2"
    )
    report = p.page.locator("#loop-messages .loop-msg.assistant").last.inner_html()
    assert "<h" in report or "<li>" in report  # rendered Markdown, not raw text
    assert "<script" not in report
    # The thread is kept: after a reload the history comes back.
    _open(p, f"{live.url}/p/{live.project}/logs")
    p.page.wait_for_selector("#loop-messages .loop-msg.user")
    users = p.page.locator("#loop-messages .loop-msg.user .loop-text").all_inner_texts()
    assert users == ["/help", "/analyze-logs"]
    p.assert_clean()


def test_query_card_has_a_table_and_a_chart_tab(signed_in, live):
    p = signed_in
    _open(p, f"{live.url}/p/{live.project}/query")
    p.page.click("#loop-new")
    _ask(
        p,
        f"/query SELECT day(created) AS day, count(1) AS spans FROM project_logs('{live.project}') "
        "WHERE created > now() - interval 14 day GROUP BY 1 ORDER BY 1",
    )
    card = p.page.locator("#loop-messages .loop-card[data-tool=run_query]")
    card.wait_for()
    assert card.locator(".loop-card-title").inner_text().startswith("Searched ")
    card.locator("summary").click()
    card.locator(".loop-table tbody tr").first.wait_for()
    assert card.locator(".loop-table tbody tr").count() >= 10
    card.locator("[data-view=Chart]").click()
    assert card.locator(".loop-chart svg circle.pt").count() >= 10
    p.assert_clean()


def _chart_maker(live):
    def fn(messages, info):
        back = returns(messages)
        if back:
            rejected = any("rejected" in str(r.content) for r in back)
            return text("Not saved, as you asked." if rejected else "Chart saved on **Monitor**.")
        return call(
            "create_chart",
            {
                "title": f"Loop: {last_user(messages)}",
                "query": f"SELECT day(created) AS day, count(error) AS errors FROM "
                f"project_logs('{live.project}') WHERE created > now() - interval 14 day "
                "GROUP BY 1",
                "chart_type": "timeseries",
            },
        )

    return scripted(fn)


def test_approve_and_reject_a_chart_change(signed_in, live):
    p = signed_in
    with override_models(_chart_maker(live)):
        _open(p, f"{live.url}/p/{live.project}/monitor")
        p.page.wait_for_selector("#loop-model option[value=test]", state="attached")
        p.page.click("#loop-new")
        assert p.page.input_value("#loop-model") == "test"
        _ask(p, "errors per day")
        card = p.page.locator("#loop-messages .loop-card.approval.pending")
        card.wait_for()
        assert "timeseries chart 'Loop: errors per day'" in card.inner_text()
        assert "Loop: errors per day" not in _charts(live)
        card.locator("[data-decision=approve]").click()
        p.page.wait_for_selector("#loop-messages .loop-card.approval.approved")
        p.page.wait_for_function(
            "[...document.querySelectorAll('#loop-messages .loop-msg.assistant')]"
            ".some(n => n.innerText.includes('Chart saved on Monitor'))"
        )
        assert "Loop: errors per day" in _charts(live)

        _ask(p, "tokens per day")
        card = p.page.locator("#loop-messages .loop-card.approval.pending")
        card.wait_for()
        card.locator("[data-decision=reject]").click()
        p.page.wait_for_selector("#loop-messages .loop-card.approval.rejected")
        p.page.wait_for_function(
            "[...document.querySelectorAll('#loop-messages .loop-msg.assistant')]"
            ".some(n => n.innerText.includes('Not saved'))"
        )
        assert "Loop: tokens per day" not in _charts(live)
    # The approved chart is on the Monitor page.
    p.goto(f"{live.url}/p/{live.project}/monitor")
    p.page.wait_for_selector("text=Loop: errors per day")
    p.assert_clean()


def _slow_echo() -> FunctionModel:
    async def stream(messages, info):
        asked = last_user(messages)
        yield "echo: "
        if asked == "slow":
            await asyncio.sleep(30)
        yield asked

    return FunctionModel(stream_function=stream, model_name="slow")


def test_queue_enter_interrupts_and_edit_reruns(signed_in, live):
    p = signed_in
    with override_models(_slow_echo()):
        _open(p, f"{live.url}/p/{live.project}")
        p.page.wait_for_selector(
            "#loop-model option[value=slow], #loop-model option[value=test]", state="attached"
        )
        p.page.click("#loop-new")
        _ask(p, "slow")
        p.page.wait_for_selector("#loop-stop:not([hidden])")
        _ask(p, "second")
        p.page.wait_for_selector("#loop-queue:not([hidden])")
        assert "Queued: second" in p.page.inner_text("#loop-queue")
        p.page.press("#loop-input", "Enter")  # empty box: interrupt, run the next
        p.page.wait_for_selector("#loop-messages .loop-note")
        p.page.wait_for_function(
            "[...document.querySelectorAll('#loop-messages .loop-msg.assistant')]"
            ".some(n => n.innerText.trim() === 'echo: second')"
        )
        bubble = p.page.locator("#loop-messages .loop-msg.user", has_text="second")
        bubble.hover()
        bubble.locator(".loop-edit").click()
        p.page.fill("#loop-messages .loop-edit-box", "third")
        p.page.press("#loop-messages .loop-edit-box", "Enter")
        p.page.wait_for_function(
            "[...document.querySelectorAll('#loop-messages .loop-msg.assistant')]"
            ".some(n => n.innerText.trim() === 'echo: third')"
        )
        answers = p.page.locator("#loop-messages .loop-msg.assistant").all_inner_texts()
        assert not any(a.strip() == "echo: second" for a in answers)
        # Model text is Markdown, never HTML: tags show as text, unsafe links lose their href.
        _ask(p, '**bold** <img src=x onerror="window.pwned=1"> [x](javascript:window.pwned=2)')
        last = p.page.locator("#loop-messages .loop-msg.assistant").last
        p.page.wait_for_function(
            "[...document.querySelectorAll('#loop-messages .loop-msg.assistant strong')]"
            ".some(n => n.innerText === 'bold')"
        )
        assert last.locator("img").count() == 0 and last.locator("a").count() == 0
        assert "<img src=x" in last.inner_text()
        assert p.page.evaluate("window.pwned === undefined")
    p.assert_clean()


def test_the_page_object_is_attached_as_context(signed_in, live):
    p = signed_in
    exps = live.services.control.list_objects(live.org_id, live.project_id, "experiment")
    exp = next(o for o in exps if o.name == "citations-v2")
    _open(p, f"{live.url}/p/{live.project}/experiments/{exp.id}")
    assert "page: experiment · experiment" in p.page.inner_text("#loop-context")
    p.page.click("#loop-new")
    p.page.click("#loop-add-context")
    p.page.click('#loop-picker .picker-item[data-kind=dataset]:has-text("support-questions")')
    assert "dataset: support-questions" in p.page.inner_text("#loop-context")
    _ask(p, "/summarize")
    card = p.page.locator("#loop-messages .loop-card[data-tool=summarize_experiment]")
    card.wait_for()
    p.page.wait_for_function(
        "[...document.querySelectorAll('#loop-messages .loop-msg.assistant')]"
        ".some(n => n.innerText.includes('citations-v2'))"
    )
    p.assert_clean()


def _patched(p):
    return p.page.expect_response(
        lambda r: "/v1/loop/threads/" in r.url and r.request.method == "PATCH"
    )


def test_switching_a_tool_off_in_settings_keeps_it_off_for_the_thread(signed_in, live):
    p = signed_in
    _open(p, f"{live.url}/p/{live.project}/query")
    p.page.click("#loop-new")
    p.page.click("#loop-settings-toggle")
    box = "#loop-tools fieldset[data-kind=read] input[data-tool=run_query]"
    p.page.wait_for_selector(box)
    assert p.page.locator("#loop-tools fieldset[data-kind=write] [data-tool=create_chart]").count()
    assert p.page.is_checked(box)
    with _patched(p):
        p.page.uncheck(box)
    thread_id = p.page.input_value("#loop-threads")
    thread = live.services.control.get_thread(live.org_id, thread_id)
    assert thread.settings["disabled_tools"] == ["run_query"]
    p.page.click("#loop-settings-toggle")  # close the popover
    _ask(p, f"/query SELECT count(1) AS n FROM project_logs('{live.project}')")
    p.page.wait_for_function(
        "[...document.querySelectorAll('#loop-messages .loop-msg.assistant')]"
        ".some(n => n.innerText.includes('switched off for this thread'))"
    )
    assert p.page.locator("#loop-messages .loop-card[data-tool=run_query]").count() == 0
    # The switch is the thread's: after a reload it is still off, and it turns back on.
    _open(p, f"{live.url}/p/{live.project}/query")
    p.page.wait_for_selector("#loop-messages .loop-msg.user")
    p.page.click("#loop-settings-toggle")
    assert not p.page.is_checked(box)
    with _patched(p):
        p.page.check(box)
    assert live.services.control.get_thread(live.org_id, thread_id).settings["disabled_tools"] == []
    p.assert_clean()
