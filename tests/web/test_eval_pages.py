"""The eval pages in a real browser: experiments (compare with a baseline), datasets (inline
edit → a new version, restore), prompts (new version + diff, "Try it"), scorers (test run) and
the playground (a scripted model, diff, save as experiment, "Tune scorer" → Loop). Models are
pydantic-ai ``FunctionModel`` doubles put in through the services' override hooks."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx
import pytest
from pydantic_ai.messages import ModelResponse, SystemPromptPart, TextPart, UserPromptPart
from pydantic_ai.models.function import FunctionModel

from openloop.demo import CITES, JUDGE, build_demo

pytestmark = pytest.mark.browser


def _text_of(messages, part_type) -> str:
    return "\n".join(
        str(p.content)
        for m in messages
        for p in getattr(m, "parts", [])
        if isinstance(p, part_type)
    )


def _answer(messages, _info) -> ModelResponse:
    """A support bot double: cites a source only when its system prompt asks for one."""
    system = _text_of(messages, SystemPromptPart)
    question = _text_of(messages, UserPromptPart).splitlines()[-1]
    text = f"About {question[:40]}: see the help center."
    if "Source" in system:
        text += "\nSource: Refund policy"
    return ModelResponse(parts=[TextPart(text)])


async def _stream(messages, _info):
    for word in ("Streamed ", "answer ", "for ", _text_of(messages, UserPromptPart)[-20:]):
        yield word


_KEYS: dict[str, str] = {}


def _auth(live) -> dict[str, str]:
    """An API key of the demo's owner, for checks behind the browser's back."""
    if live.url not in _KEYS:
        _, _KEYS[live.url] = live.services.control.create_api_key(
            live.org_id, live.owner_id, "eval-pages-test"
        )
    return {"Authorization": f"Bearer {_KEYS[live.url]}"}


def _ids(live) -> dict:
    exps = live.services.control.list_objects(live.org_id, live.project_id, "experiment")
    return {o.name: o.id for o in exps}


def test_experiments_list_and_compare_counts_match_the_demo(signed_in, live):
    p = signed_in
    facts = build_demo(now=datetime.now(UTC), traces=1).facts["evals"]["comparison"]
    ids = _ids(live)
    p.goto(f"{live.url}/p/{live.project}/experiments")
    table = p.page.inner_text("#experiments-table")
    assert "baseline-v1" in table and "citations-v2" in table and "support-questions" in table
    assert JUDGE in table and CITES in table
    assert re.search(r"\d+\.\d%", table)
    p.page.check(f"#experiments-table .pick[value='{ids['citations-v2']}']")
    p.page.check(f"#experiments-table .pick[value='{ids['baseline-v1']}']")
    p.page.click("#compare-selected")
    p.page.wait_for_url(re.compile(rf".*/experiments/{ids['citations-v2']}\?baseline=.*"))
    p.page.wait_for_selector("#compare-table tbody tr")
    for score in (JUDGE, CITES):
        card = p.page.locator(f"#compare-counts .score-card[data-score='{score}']")
        up = card.locator("[data-count=improvements]").inner_text()
        down = card.locator("[data-count=regressions]").inner_text()
        assert up == f"↑ {len(facts['scores'][score]['improved'])}", (score, up)
        assert down == f"↓ {len(facts['scores'][score]['regressed'])}", (score, down)
    # Sort by change (largest improvement first), then open the side-by-side diff of a row.
    p.page.select_option("#compare-score", JUDGE)
    p.page.select_option("#compare-show", "regressed")
    rows = p.page.locator("#compare-table tbody tr")
    assert rows.count() == len(facts["scores"][JUDGE]["regressed"])
    assert all(
        "regressed" in (c or "") for c in rows.evaluate_all("rs => rs.map(r => r.className)")
    )
    p.page.select_option("#compare-show", "all")
    p.page.click("#compare-table th[data-sort=change]")
    first = p.page.locator("#compare-table tbody tr").first.get_attribute("class")
    assert "regressed" in first  # ascending after the second click on "Change"
    p.page.locator("#compare-table tbody tr").first.click()
    p.page.wait_for_selector("#row-detail .diff-2")
    assert p.page.locator("#row-detail .diff-pane[data-side=left]").inner_text()
    p.page.keyboard.press("Escape")
    p.page.click("[data-tab=rows]")
    p.page.wait_for_selector("#rows-table tbody tr")
    assert p.page.locator("#rows-table tbody tr").count() == 50
    p.assert_clean()


def test_dataset_inline_edit_creates_a_version_and_restore(signed_in, live):
    p = signed_in
    ds = live.services.control.list_objects(live.org_id, live.project_id, "dataset")[0]
    p.goto(f"{live.url}/p/{live.project}/datasets")
    assert "support-questions" in p.page.inner_text("#datasets-table")
    p.page.click("#datasets-table >> text=support-questions")
    p.page.wait_for_selector("#rows-table tbody tr")
    p.page.click("#versions-toggle")
    p.page.wait_for_selector("#versions-table tbody tr")
    before = p.page.locator("#versions-table tbody tr").count()
    row = p.page.locator("#rows-table tbody tr").first
    row_id = row.get_attribute("data-id")
    row.locator("td[data-field=expected]").click()
    p.page.fill("#cell-text", '{"answer": "Edited in the browser"}')
    p.page.click("#cell-save")
    p.page.wait_for_function(
        f"document.querySelectorAll('#versions-table tbody tr').length === {before + 1}"
    )
    assert "Edited in the browser" in row.inner_text()
    newest = p.page.locator("#versions-table tbody tr").first.inner_text()
    assert re.search(r"\b1\b", newest)  # one row changed
    # Look at the previous version, then restore it (preview first, then confirm).
    prev = p.page.locator("#versions-table tbody tr").nth(1)
    prev.locator("[data-action=view]").click()
    p.page.wait_for_selector("#version-badge:not([hidden])")
    p.page.wait_for_selector(f"#rows-table tbody tr[data-id='{row_id}']")
    assert "Edited in the browser" not in p.page.inner_text("#rows-table")
    p.page.locator("#versions-table tbody tr").nth(1).locator("[data-action=restore]").click()
    p.page.wait_for_selector("#restore-preview:not([hidden])")
    assert "brings back 1 row(s) and deletes 0 row(s)" in p.page.inner_text("#restore-preview")
    p.page.click("#restore-confirm")
    p.page.wait_for_function(
        f"document.querySelectorAll('#versions-table tbody tr').length === {before + 2}"
    )
    rows = httpx.get(f"{live.url}/v1/dataset/{ds.id}/rows", headers=_auth(live)).json()["rows"]
    assert len(rows) >= 50 and all("Edited in the browser" not in str(r["expected"]) for r in rows)
    assert "Edited in the browser" not in p.page.inner_text("#rows-table")
    p.assert_clean()


def test_prompt_new_version_diff_and_try_it(signed_in, live, monkeypatch):
    from openloop.services import prompt_invoke

    model = FunctionModel(_answer, stream_function=_stream)
    monkeypatch.setattr(prompt_invoke, "resolve_model", lambda svc, p, name: (model, "openai"))
    p = signed_in
    p.goto(f"{live.url}/p/{live.project}/prompts")
    p.page.click("#prompts-table >> text=support-answer")
    p.page.wait_for_selector("#messages .msg-edit")
    p.page.wait_for_selector("#versions-table tbody tr")
    before = p.page.locator("#versions-table tbody tr").count()
    system = p.page.locator("#messages .msg-content").first
    system.fill("You are a terse assistant. Always end with Source: <title>.")
    p.page.fill("#temperature", "0.9")
    p.page.click("#save-version")
    p.page.wait_for_function(
        f"document.querySelectorAll('#versions-table tbody tr').length === {before + 1}"
    )
    p.page.click("#show-diff")
    p.page.wait_for_selector("#diff-out .d-add")
    diff = p.page.inner_text("#diff-out")
    assert '+      content: "You are a terse assistant.' in diff
    assert "+      temperature: 0.9" in diff
    # Try it: the template's {{input.question}} becomes an "input" variable.
    p.page.fill("#variables textarea[name=input]", '{"question": "How do refunds work?"}')
    p.page.click("#run-prompt")
    p.page.wait_for_function("document.querySelector('#run-meta').innerText.includes('version')")
    assert p.page.inner_text("#run-output").startswith("Streamed answer for")
    assert "How do refunds work?" in p.page.inner_text("#run-output")
    p.assert_clean()


def test_scorer_test_run_shows_score_and_error(signed_in, live):
    p = signed_in
    p.goto(f"{live.url}/p/{live.project}/scorers")
    p.page.click(f"#scorers-table >> text={CITES}")
    p.page.wait_for_selector("#code-editor:not([hidden])")
    p.page.fill("#t-output", "Refunds take 5 days.\nSource: Refund policy")
    p.page.click("#run-test")
    p.page.wait_for_selector("[data-result=score]")
    assert p.page.inner_text("[data-result=score]") == "1"
    assert "pass" in p.page.inner_text("#test-result")
    p.page.fill("#t-output", "Refunds take 5 days.")
    p.page.click("#run-test")
    p.page.wait_for_function("document.querySelector('#test-result').innerText.includes('fail')")
    assert p.page.inner_text("[data-result=score]") == "0"
    # A broken edit (unsaved) is tested as it stands and shows the error.
    p.page.fill("#code-text", "def handler(input, output, expected, metadata):\n    return 1 / 0\n")
    p.page.click("#run-test")
    p.page.wait_for_selector("[data-result=error]")
    assert "ZeroDivisionError" in p.page.inner_text("[data-result=error]")
    # A dataset row as input.
    p.page.click("[data-source=dataset]")
    p.page.select_option("#t-dataset", label="support-questions")
    p.page.wait_for_selector("#t-row option", state="attached")
    p.page.fill(
        "#code-text",
        "def handler(input, output, expected, metadata):\n    return 0.25 if input else 0\n",
    )
    p.page.click("#run-test")
    p.page.wait_for_function("document.querySelector('#test-result').innerText.includes('0.25')")
    p.assert_clean()


def test_playground_runs_a_scripted_model_diffs_saves_and_tunes(signed_in, live, monkeypatch):
    from openloop.evals import _models

    monkeypatch.setattr(_models, "model_factory", lambda svc, org, name: FunctionModel(_answer))
    prompts = live.services.control.list_objects(live.org_id, live.project_id, "prompt")
    if not any(o.name == "plain-answer" for o in prompts):
        httpx.post(
            f"{live.url}/v1/prompt",
            headers=_auth(live),
            json={"name": "plain-answer", "project": live.project_id, "model": "gpt-4o-mini",
                  "messages": [{"role": "system", "content": "Answer briefly."},
                               {"role": "user", "content": "{{input.question}}"}]},
        ).raise_for_status()  # fmt: skip
    p = signed_in
    p.goto(f"{live.url}/p/{live.project}/playground")
    p.page.check("#pick-prompts input[data-name='support-answer']")
    p.page.check("#pick-prompts input[data-name='plain-answer']")
    p.page.check(f"#pick-scorers input[data-name='{CITES}']")
    p.page.click("#run-all")
    p.page.wait_for_selector("#pg-summary .pg-sum")
    rows = p.page.locator("#pg-grid tbody tr")
    n = rows.count()
    assert n >= 50
    assert p.page.locator("#pg-grid td.pg-cell .pg-output").count() == 2 * n
    assert p.page.inner_text("#pg-meta") == f"{2 * n} / {2 * n} results"
    heads = p.page.locator("#pg-grid thead th").all_inner_texts()[3:]
    cite, plain = heads.index("support-answer"), heads.index("plain-answer")
    first = rows.first
    assert "Source: Refund policy" in first.locator(f"td[data-prompt='{cite}']").inner_text()
    assert first.locator(f"td[data-prompt='{cite}'] .score.pass[data-score='{CITES}']").count() == 1
    assert (
        first.locator(f"td[data-prompt='{plain}'] .score.fail[data-score='{CITES}']").count() == 1
    )
    p.page.check("#diff-mode")
    marks = "del" if cite == 0 else "ins"
    assert first.locator(f"td[data-prompt='1'] {marks}").count() >= 1
    # Save as experiment: one experiment per prompt.
    before = set(_ids(live))
    p.page.fill("#experiment-name", "pg-run")
    p.page.click("#save-experiment")
    p.page.wait_for_selector("#pg-meta a.saved-exp")
    assert {"pg-run [support-answer]", "pg-run [plain-answer]"} <= set(_ids(live)) - before
    # Tune scorer: the selected rows go to Loop with the expected verdict.
    rows.nth(0).locator(".row-pick").check()
    rows.nth(1).locator(".row-pick").check()
    p.page.click("#tune-scorer")
    p.page.wait_for_selector("#tune-rows tbody tr")
    assert p.page.locator("#tune-rows tbody tr").count() == 4
    p.page.fill("#tune-note", "Be lenient with missing punctuation.")
    p.page.click("#tune-send")
    p.page.wait_for_selector("#loop-panel:not([hidden]) .loop-msg.user")
    sent = p.page.inner_text("#loop-messages .loop-msg.user")
    assert f'Tune the scorer "{CITES}"' in sent and "expected_classification" in sent
    assert "Be lenient" in sent
    p.assert_clean()


def test_new_dataset_add_import_delete_and_export(signed_in, live, tmp_path):
    p = signed_in
    p.goto(f"{live.url}/p/{live.project}/datasets")
    p.page.fill("#new-dataset input[name=name]", "browser-made")
    p.page.click("#new-dataset button[type=submit]")
    p.page.wait_for_url(re.compile(r".*/datasets/[0-9a-f-]{32,36}$"))
    p.page.wait_for_function("document.querySelector('#row-count').innerText.startsWith('0 rows')")
    p.page.click("#add-row")
    p.page.fill("#cell-text", '{"question": "typed by hand"}')
    p.page.click("#cell-save")
    p.page.wait_for_selector("#rows-table tbody tr")
    csv = tmp_path / "rows.csv"
    csv.write_text('input,expected\n"first question","first answer"\n"second question","x"\n')
    p.page.click("#io-toggle")
    p.page.set_input_files("#import-form input[type=file]", str(csv))
    p.page.click("#import-form button[type=submit]")
    p.page.wait_for_function("document.querySelectorAll('#rows-table tbody tr').length === 3")
    assert "second question" in p.page.inner_text("#rows-table")
    row = p.page.locator("#rows-table tbody tr", has_text="second question")
    row.locator("[data-action=delete]").click()
    assert row.locator("[data-action=delete]").inner_text() == "Really delete?"
    row.locator("[data-action=delete]").click()
    p.page.wait_for_function("document.querySelectorAll('#rows-table tbody tr').length === 2")
    ds_id = p.page.get_attribute("#dataset-head", "data-dataset-id")
    exported = httpx.get(f"{live.url}/v1/dataset/{ds_id}/export?format=jsonl", headers=_auth(live))
    lines = exported.text.strip().splitlines()
    assert len(lines) == 2 and "typed by hand" in exported.text and "second" not in exported.text
    p.page.click("#versions-toggle")
    p.page.wait_for_function("document.querySelectorAll('#versions-table tbody tr').length === 3")
    p.assert_clean()


def test_new_prompt_and_new_code_scorer_start_from_a_template(signed_in, live):
    p = signed_in
    p.goto(f"{live.url}/p/{live.project}/prompts")
    p.page.fill("#new-prompt input[name=name]", "browser-prompt")
    p.page.click("#new-prompt button[type=submit]")
    p.page.wait_for_selector("#messages .msg-edit")
    assert p.page.locator("#messages .msg-edit").count() == 2
    assert p.page.locator("#variables textarea[name=input]").count() == 1
    p.goto(f"{live.url}/p/{live.project}/scorers")
    p.page.fill("#new-scorer input[name=name]", "contains-expected")
    p.page.select_option("#new-scorer select[name=type]", "code")
    p.page.click("#new-scorer button[type=submit]")
    p.page.wait_for_selector("#code-editor:not([hidden])")
    assert "def handler" in p.page.input_value("#code-text")
    p.page.fill("#t-output", "the answer is 42")
    p.page.fill("#t-expected", "42")
    p.page.click("#run-test")
    p.page.wait_for_selector("[data-result=score]")
    assert p.page.inner_text("[data-result=score]") == "1"
    p.assert_clean()
