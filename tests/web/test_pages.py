"""The UI in a real browser: login, logs (filter, paging, trace view), query sandbox, monitor,
settings, theme and keyboard shortcuts. Every page must load with 200 and no JS errors."""

from __future__ import annotations

import itertools
import re

import pytest

from tests.web.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_login_with_password_and_logout(page, live):
    page.goto(live.url + "/login")
    page.page.fill("input[name=email]", live.email)
    page.page.fill("input[name=password]", "wrong password")
    page.page.click("button[type=submit]")
    assert "Wrong email or password" in page.page.inner_text(".alert")
    page.page.fill("input[name=email]", live.email)
    page.page.fill("input[name=password]", PASSWORD)
    page.page.click("button[type=submit]")
    page.page.wait_for_url(live.url + "/")
    assert live.project in page.page.inner_text("#projects-table")
    page.page.click("text=Log out")
    page.page.wait_for_url(re.compile(r".*/login.*"))
    assert "logged out" in page.page.inner_text("body")
    page.assert_clean()


def test_one_time_link_logs_in_and_overview_shows_numbers(page, live):
    page.goto(live.login_link())
    assert page.page.url == live.url + "/"
    page.page.click(f"#projects-table >> text={live.project}")
    page.page.wait_for_selector(".big-number")
    numbers = page.page.inner_text(".grid-3")
    assert "traces" in numbers.lower() and re.search(r"\d{2,}", numbers)
    assert "baseline-v1" in page.page.inner_text("body")  # recent experiments
    page.assert_clean()


def test_logs_basic_and_query_filters_and_trace_view(signed_in, live):
    p = signed_in
    p.goto(f"{live.url}/p/{live.project}/logs?range=30d")
    p.page.wait_for_selector("#logs-table tbody tr")
    p.page.click("#filter-toggle")
    p.page.fill(".filter-row .f-field", "tags")
    p.page.select_option(".filter-row .f-op", "includes")
    p.page.fill(".filter-row .f-value", "billing")
    p.page.click("#filter-apply")
    p.page.wait_for_function(
        "document.querySelector('#active-filter').innerText.includes('billing')"
    )
    p.page.wait_for_selector("#logs-table tbody tr")
    tag_cells = p.page.locator("#logs-table tbody tr").all_inner_texts()
    assert tag_cells and all("billing" in row for row in tag_cells)

    p.page.click("[data-mode=query]")
    assert "'billing' IN tags" in p.page.input_value("#filter-text")
    p.page.fill("#filter-text", "span_attributes.type = 'llm' AND metadata.model = 'gpt-4o'")
    p.page.click("[data-rows=spans]")
    p.page.click("#filter-apply")
    p.page.wait_for_function(
        "document.querySelector('#active-filter').innerText.includes('gpt-4o')"
    )
    p.page.wait_for_selector("#logs-table tbody tr")
    rows = p.page.locator("#logs-table tbody tr").all_inner_texts()
    assert rows and all("gpt-4o" in r and "llm" in r for r in rows)

    p.page.locator("#logs-table tbody tr").first.click()
    p.page.wait_for_selector("#trace-view .span-node")
    assert p.page.locator("#trace-view .span-node").count() >= 2
    assert p.page.locator("#trace-view .gantt-bar").count() >= 2
    detail = p.page.locator("#trace-view .trace-right")
    assert detail.locator("[data-field=input]").count() == 1
    assert detail.locator("[data-field=metrics]").count() == 1
    assert "gpt-4o" in p.page.inner_text("#trace-view .trace-right")
    p.page.keyboard.press("Escape")
    assert p.page.locator("#trace-view").is_hidden()

    p.page.fill("#filter-text", "metadta.model = 'x'")
    p.page.click("#filter-apply")
    p.page.wait_for_selector("#logs-error:not([hidden])")
    error = p.page.inner_text("#logs-error")
    assert "did you mean 'metadata'" in error
    assert error.splitlines()[1:] == ["metadta.model = 'x'", "^"]  # caret in what was typed

    # A filter that ends too soon (unclosed parenthesis): the caret is at the end of what the
    # user typed, not at a clause the page adds after it.
    p.page.fill("#filter-text", "search('refund' AND latency > 2")
    p.page.click("#filter-apply")
    p.page.wait_for_function(
        "document.querySelector('#logs-error').innerText.includes('end of the filter')"
    )
    lines = p.page.inner_text("#logs-error").splitlines()
    assert lines[0] == "expected ')' to close '(', found the end of the filter"
    assert lines[1:] == ["search('refund' AND latency > 2", " " * 31 + "^"]
    # the snippet is set in a fixed-width font, so the caret lines up with the text
    snippet = p.page.locator("#logs-error pre")
    assert snippet.inner_text() == "search('refund' AND latency > 2\n" + " " * 31 + "^"
    assert "mono" in snippet.evaluate("e => getComputedStyle(e).fontFamily")
    assert "sort" not in p.page.inner_text("#logs-error")

    # A ")" that closes nothing would let the filter's OR escape the page's time range: it is
    # refused before anything is sent, with the caret on it.
    p.page.fill("#filter-text", "tags IS NULL) OR (1 = 1")
    p.page.click("#filter-apply")
    p.page.wait_for_function(
        "document.querySelector('#logs-error').innerText.includes('unmatched')"
    )
    lines = p.page.inner_text("#logs-error").splitlines()
    assert lines[1:] == ["tags IS NULL) OR (1 = 1", " " * 12 + "^"]

    # A comment at the end of a line of the filter comments out only that line: the same rows
    # as the filter without it, and fewer than with its first line alone.
    def listed(text: str) -> list[str]:
        p.page.fill("#filter-text", text)
        p.page.click("#filter-apply")
        p.page.wait_for_function("document.querySelector('#row-count').innerText.match(/^\\d+ /)")
        assert p.page.locator("#logs-error").is_hidden()
        return p.page.eval_on_selector_all(
            "#logs-table tbody tr", "rows => rows.map(r => r.dataset.id)"
        )

    both = listed("'billing' IN tags AND error IS NOT NULL")
    commented = listed("'billing' IN tags -- the billing team's tag\nAND error IS NOT NULL")
    assert commented == both
    # The one-line box shows it joined; Enter there applies the filter itself, lines kept.
    joined = "'billing' IN tags -- the billing team's tag AND error IS NOT NULL"
    assert p.page.input_value("#quick-filter") == joined
    p.page.press("#quick-filter", "Enter")
    p.page.wait_for_function("document.querySelector('#row-count').innerText.match(/^\\d+ /)")
    assert (
        p.page.eval_on_selector_all("#logs-table tbody tr", "rows => rows.map(r => r.dataset.id)")
        == both
    )
    assert 0 < len(both) < len(listed("'billing' IN tags"))
    p.assert_clean(allow=("status of 400",))


def test_logs_paging_loads_more_rows_and_comment(signed_in, live):
    p = signed_in
    p.goto(f"{live.url}/p/{live.project}/logs?range=30d")
    p.page.wait_for_selector("#logs-table tbody tr")
    first = p.page.locator("#logs-table tbody tr").count()
    assert first == 50
    p.page.locator("#load-more").scroll_into_view_if_needed()
    p.page.wait_for_function("document.querySelectorAll('#logs-table tbody tr').length > 50")
    assert p.page.locator("#logs-table tbody tr").count() > first
    ids = p.page.eval_on_selector_all("#logs-table tbody tr", "rs => rs.map(r => r.dataset.id)")
    assert len(ids) == len(set(ids))

    p.page.locator("#logs-table tbody tr").nth(3).click()
    p.page.wait_for_selector("#trace-view [data-field=comments] textarea")
    p.page.fill("#trace-view [data-field=comments] textarea", "Looks wrong to me")
    p.page.click("#trace-view [data-field=comments] button[type=submit]")
    p.page.wait_for_selector("#trace-view .comment")
    assert "Looks wrong to me" in p.page.inner_text("#trace-view [data-field=comments]")
    p.assert_clean()


def test_query_sandbox_runs_and_shows_caret_error(signed_in, live):
    p = signed_in
    p.goto(f"{live.url}/p/{live.project}/query")
    p.page.wait_for_selector("#results tbody tr")
    assert "support_request" in p.page.inner_text("#results")
    assert p.page.locator("#highlight .s-kw").count() > 3
    p.page.fill(
        "#query-text",
        f"select: id\nfrom: project_logs('{live.project}')\nfilter: metadta.model = 'x'",
    )
    p.page.keyboard.press("Control+Enter")
    p.page.wait_for_selector("#query-error:not([hidden])")
    assert "line 3, column 9" in p.page.inner_text("#error-message")
    snippet = p.page.inner_text("#error-snippet")
    assert "metadta.model" in snippet and "^" in snippet
    p.assert_clean(allow=("status of 400",))


def test_fix_with_loop_repairs_a_bad_query(signed_in, live):
    p = signed_in
    p.goto(f"{live.url}/p/{live.project}/query")
    p.page.wait_for_selector("#results tbody tr")
    p.page.fill(
        "#query-text",
        f"select: id, span_attributes.name\nfrom: project_logs('{live.project}')\n"
        "filter: span_atributes.type = 'llm' and created > now() - interval 30 day\nlimit: 5",
    )
    p.page.keyboard.press("Control+Enter")
    p.page.wait_for_selector("#query-error:not([hidden])")
    p.page.click("#fix")
    p.page.wait_for_selector("#fix-result:not([hidden])")
    assert "span_attributes.type" in p.page.inner_text("#fix-query")
    p.page.click("#fix-apply")
    p.page.wait_for_selector("#query-error", state="hidden")
    p.page.wait_for_selector("#results tbody tr")
    assert "Chat Completion" in p.page.inner_text("#results")
    p.assert_clean(allow=("status of 400",))


def test_monitor_charts_and_click_opens_filtered_logs(signed_in, live):
    p = signed_in
    p.goto(f"{live.url}/p/{live.project}/monitor")
    p.page.wait_for_selector("[data-chart=requests] circle.pt")
    for chart in ("requests", "latency", "tokens", "cost", "ttft", "errors", "scores"):
        p.page.wait_for_selector(f"[data-chart={chart}] svg, [data-chart={chart}] .chart-empty")
    # the value axis (labels at x=48, left of the plot) of a count reads in round whole numbers,
    # evenly spaced from 0
    labels = p.page.eval_on_selector_all(
        "[data-chart=requests] svg text.axis-label[x='48']",
        "ts => ts.map(t => t.textContent)",
    )
    ticks = [float(t.replace(",", "")) for t in labels]
    assert ticks[0] == 0 and len(ticks) >= 2 and all(t == int(t) for t in ticks), labels
    assert len({b - a for a, b in itertools.pairwise(ticks)}) == 1, labels
    step = ticks[1]
    assert step / 10 ** (len(str(int(step))) - 1) in (1, 2, 5), labels
    p.page.select_option("#group-by", "model")
    p.page.wait_for_selector("[data-chart=tokens] circle.pt[data-series=gpt-4o]")
    # dispatch on the point itself: points of two series can overlap on screen
    p.page.locator("[data-chart=tokens] circle.pt[data-series=gpt-4o]").first.dispatch_event(
        "click"
    )
    p.page.wait_for_url(re.compile(r".*/logs\?.*"))
    assert "metadata.model = 'gpt-4o'" in p.page.input_value("#quick-filter")
    p.page.wait_for_selector("#logs-table tbody tr")
    rows = p.page.locator("#logs-table tbody tr").all_inner_texts()
    assert rows and all("gpt-4o" in r for r in rows)
    p.assert_clean()


def test_chart_editor_preview_shows_where_the_query_broke(signed_in, live):
    p = signed_in
    p.goto(f"{live.url}/p/{live.project}/monitor")
    p.page.click("#add-chart")
    query = p.page.input_value("#chart-query").replace(
        "span_attributes.type", "span_atributes.type"
    )
    p.page.fill("#chart-query", query)
    p.page.click("#chart-preview-btn")
    p.page.wait_for_selector("#chart-preview .alert pre")
    message = p.page.inner_text("#chart-preview .alert div")
    assert "did you mean 'span_attributes'" in message and message.endswith("(line 3)")
    snippet = p.page.inner_text("#chart-preview .alert pre").splitlines()
    # the line as run, {range} filled in, with the caret under the misspelled field
    assert snippet[0].startswith("WHERE span_atributes.type = 'llm' AND created >= ")
    assert snippet[1] == " " * len("WHERE ") + "^"
    p.assert_clean(allow=("status of 400",))


def test_settings_creates_api_key_shown_once(signed_in, live):
    p = signed_in
    p.goto(live.url + "/settings")
    p.page.fill("#settings-keys input[name=name]", "ci-key")
    p.page.click("#settings-keys button[type=submit]")
    p.page.wait_for_selector("#new-key-value")
    key = p.page.inner_text("#new-key-value").strip()
    assert key.startswith("olk_")
    p.goto(live.url + "/settings")
    assert "ci-key" in p.page.inner_text("#settings-keys")
    assert key not in p.page.content()
    p.assert_clean()


def test_theme_toggle_is_remembered_and_shortcuts_navigate(signed_in, live):
    p = signed_in
    p.goto(f"{live.url}/p/{live.project}")
    before = p.page.get_attribute("html", "data-theme")
    p.page.click("#theme-toggle")
    after = p.page.get_attribute("html", "data-theme")
    assert after != before
    p.page.reload()
    assert p.page.get_attribute("html", "data-theme") == after
    p.page.keyboard.press("g")
    p.page.keyboard.press("l")
    p.page.wait_for_url(re.compile(r".*/logs$"))
    p.page.keyboard.press("/")
    assert p.page.evaluate("document.activeElement.id") == "quick-filter"
    p.page.keyboard.press("Escape")
    p.page.keyboard.press("g")
    p.page.keyboard.press("q")
    p.page.wait_for_url(re.compile(r".*/query$"))
    p.page.keyboard.press("Escape")
    p.page.locator("body").click(position={"x": 600, "y": 700})
    p.page.keyboard.press("?")
    assert p.page.locator("#help-dialog").is_visible()
    p.assert_clean()
