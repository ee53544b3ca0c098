"""Loop's HTTP API through the real app: threads, SSE events, approvals, tools, models."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from openloop.loop.events import decode_sse
from openloop.loop.models import override_models

from ._script import call, returns, scripted, text


@pytest.fixture
def api(services, test_tools):
    from openloop.server.app import create_app

    boot = services.control.bootstrap()
    services.control.create_project(boot.org.id, "shop")
    app = create_app(services.settings, services=services)
    with TestClient(app) as c:
        c.headers["Authorization"] = f"Bearer {boot.api_key}"
        yield c


def sse(client: TestClient, thread: str, after: int) -> list[Any]:
    events, block = [], []
    url = f"/v1/loop/threads/{thread}/events?until_idle=true&after={after}"
    with client.stream("GET", url) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line:
                block.append(line)
                continue
            e = decode_sse(block)
            block = []
            if e is not None:
                events.append(e)
    return events


def writer(messages, info):
    back = returns(messages)
    if not back:
        return call("t_save_note", {"text": "from http"}, say="Saving.")
    return text(f"Result: {back[0].content}")


def test_sse_stream_and_approval_over_http(api, test_tools):
    r = api.post("/v1/loop/threads", json={"project": "shop", "title": "t"})
    assert r.status_code == 201, r.text
    tid = r.json()["id"]
    with override_models(scripted(writer)):
        sent = api.post(f"/v1/loop/threads/{tid}/messages", json={"content": "save it"})
        assert sent.status_code == 202 and sent.json()["position"] == 0
        events = sse(api, tid, sent.json()["last_event_id"])
        kinds = [e.type for e in events]
        assert kinds[0] == "queued" and "text_delta" in kinds and kinds[-1] == "done"
        assert [e.id for e in events] == sorted(e.id for e in events)
        req = next(e.data for e in events if e.type == "approval_request")
        assert test_tools == []
        d = api.post(f"/v1/loop/approvals/{req['id']}", json={"decision": "approve"})
        assert d.status_code == 200 and d.json()["resumed"] is True
        after = sse(api, tid, d.json()["last_event_id"])
    assert test_tools == ["from http"]
    assert any(e.type == "tool_result" and e.data["name"] == "t_save_note" for e in after)
    again = api.post(f"/v1/loop/approvals/{req['id']}", json={"decision": "reject"})
    assert again.status_code == 409
    msgs = api.get(f"/v1/loop/threads/{tid}/messages").json()["objects"]
    assert [m["role"] for m in msgs] == ["user", "assistant", "approval", "tool", "assistant"]
    listed = api.get("/v1/loop/threads", params={"project": "shop"}).json()["objects"]
    assert [t["id"] for t in listed] == [tid]


def test_thread_settings_tools_and_models(api):
    tid = api.post("/v1/loop/threads", json={}).json()["id"]
    r = api.patch(
        f"/v1/loop/threads/{tid}",
        json={"model": "m1", "disabled_tools": ["t_save_note"], "auto_accept": True},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["model"] == "m1" and body["disabled_tools"] == ["t_save_note"]
    assert body["auto_accept"] is True
    bad = api.patch(f"/v1/loop/threads/{tid}", json={"disabled_tools": ["nope"]})
    assert bad.status_code == 400 and "unknown tools nope" in bad.json()["error"]["message"]
    tools = {t["name"]: t for t in api.get("/v1/loop/tools").json()["objects"]}
    assert tools["t_save_note"]["kind"] == "write" and tools["t_save_note"]["command"] == "/t-note"
    assert "text" in tools["t_save_note"]["args"]["properties"]
    assert api.get("/v1/loop/models").json() == {"models": [], "default": None}
    assert api.delete(f"/v1/loop/threads/{tid}").status_code == 204
    assert api.get(f"/v1/loop/threads/{tid}").status_code == 404


def test_edit_and_interrupt_routes(api):
    tid = api.post("/v1/loop/threads", json={"project": "shop"}).json()["id"]
    with override_models(scripted(lambda m, i: text("hello"))):
        sent = api.post(f"/v1/loop/threads/{tid}/messages", json={"content": "hi"}).json()
        sse(api, tid, sent["last_event_id"])
        r = api.post(f"/v1/loop/threads/{tid}/messages/1/edit", json={"content": "hey"})
        assert r.status_code == 202
        sse(api, tid, r.json()["last_event_id"])
    msgs = api.get(f"/v1/loop/threads/{tid}/messages").json()["objects"]
    assert [(m["role"], m["content"]["text"]) for m in msgs] == [
        ("user", "hey"),
        ("assistant", "hello"),
    ]
    assert (
        api.post(f"/v1/loop/threads/{tid}/messages/2/edit", json={"content": "x"}).status_code
        == 400
    )
    r = api.post(f"/v1/loop/threads/{tid}/interrupt")
    assert r.status_code == 200 and r.json()["interrupted"] is False


def test_other_users_cannot_see_a_thread(api, services):
    from tests.server.conftest import make_user

    tid = api.post("/v1/loop/threads", json={}).json()["id"]
    org_id = services.control.list_orgs()[0].id
    other = make_user(services, org_id, "viewer@example.com", "viewer")
    h = {"Authorization": f"Bearer {other}"}
    assert api.get(f"/v1/loop/threads/{tid}", headers=h).status_code == 404
    assert (
        api.post(f"/v1/loop/threads/{tid}/messages", json={"content": "x"}, headers=h).status_code
        == 404
    )
