"""The default judge model on the Settings page: shown next to the Loop allowlist, saved by its
form (htmx post with the session cookie), errors shown in the section."""

from __future__ import annotations

KEY = "sk-test-0123456789abcdefghijklmnop"


def _sign_in(client, services, org) -> None:
    token = services.control.create_login_link(org.org_id, org.owner_id)
    assert client.get(f"/auth/link/{token}", follow_redirects=False).status_code == 303


def test_settings_page_sets_the_default_judge_model(client, services, org):
    services.control.set_provider(org.org_id, "oa", "openai", api_key=KEY, models=["judge-mini"])
    _sign_in(client, services, org)
    page = client.get("/settings", headers={"accept": "text/html"})
    assert page.status_code == 200
    assert 'id="settings-judge_model"' in page.text and 'id="settings-loop_models"' in page.text
    assert "No default yet" in page.text
    htmx = {"hx-request": "true"}
    saved = client.post("/settings/judge_model", data={"model": "oa/judge-mini"}, headers=htmx)
    assert saved.status_code == 200
    assert 'value="oa/judge-mini"' in saved.text and "<strong>oa/judge-mini</strong>" in saved.text
    assert client.get("/v1/org/judge_model").json()["default_judge_model"] == "oa/judge-mini"
    bad = client.post("/settings/judge_model", data={"model": "mystery-9000"}, headers=htmx)
    assert 'role="alert"' in bad.text and "mystery-9000" in bad.text
    assert client.get("/v1/org/judge_model").json()["default_judge_model"] == "oa/judge-mini"
    cleared = client.post("/settings/judge_model", data={"model": ""}, headers=htmx)
    assert "No default yet" in cleared.text
