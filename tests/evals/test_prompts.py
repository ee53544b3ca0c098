"""Prompts through the real app and stores: versions, pinning, diff, strict rendering, invoke
(with a pydantic-ai FunctionModel at the provider boundary) and access rules."""

from __future__ import annotations

import json

import pytest
from pydantic_ai.messages import ModelResponse, TextPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from openloop.evals.prompts import build, make_prompt_data
from openloop.store.data.base import ObjectRef
from tests.server.conftest import client, make_user, org, services  # noqa: F401

QA = {
    "project_name": "prompt-proj",
    "name": "QA bot",
    "messages": [
        {"role": "system", "content": "You answer {{topic}} questions.\nBe brief."},
        {"role": "user", "content": "{{question}}"},
    ],
    "model": "gpt-4o-mini",
    "params": {"temperature": 0},
}


@pytest.fixture
def project(client, org):  # noqa: F811
    r = client.post("/v1/project", json={"name": "prompt-proj"}, headers=org.auth())
    return r.json()["id"]


def _create(client, org, **over):  # noqa: F811
    r = client.post("/v1/prompt", json={**QA, **over}, headers=org.auth())
    assert r.status_code == 201, r.text
    return r.json()


def test_versions_are_kept_and_pinned(client, org, project):  # noqa: F811
    first = _create(client, org)
    assert first["slug"] == "qa-bot" and first["prompt_data"]["options"]["model"] == "gpt-4o-mini"
    pid, v1 = first["id"], first["version"]
    r = client.post(f"/v1/prompt/{pid}/versions",
                    json={"params": {"temperature": 0.7}, "model": "gpt-4.1"}, headers=org.auth())  # fmt: skip
    assert r.status_code == 201, r.text
    v2 = r.json()["version"]
    assert int(v2) > int(v1)
    # untouched fields are carried over
    assert r.json()["prompt_data"]["prompt"]["messages"] == QA["messages"]

    latest = client.get("/v1/prompt", params={"project": "prompt-proj", "slug": "qa-bot"},
                        headers=org.auth()).json()["objects"][0]  # fmt: skip
    assert latest["version"] == v2 and latest["prompt_data"]["options"]["model"] == "gpt-4.1"
    pinned = client.get("/v1/prompt", params={"project": "prompt-proj", "slug": "qa-bot",
                        "version": v1}, headers=org.auth()).json()["objects"][0]  # fmt: skip
    assert pinned["version"] == v1 and pinned["prompt_data"]["options"]["params"] == {
        "temperature": 0
    }
    assert client.get(f"/v1/prompt/{pid}", params={"version": v1},
                      headers=org.auth()).json()["prompt_data"] == first["prompt_data"]  # fmt: skip
    versions = client.get(f"/v1/prompt/{pid}/versions", headers=org.auth()).json()["versions"]
    assert [v["version"] for v in versions] == [v2, v1]
    assert [v["model"] for v in versions] == ["gpt-4.1", "gpt-4o-mini"]
    missing = client.get(f"/v1/prompt/{pid}", params={"version": "1"}, headers=org.auth())
    assert missing.status_code == 404

    diff = client.get(f"/v1/prompt/{pid}/diff", params={"from": v1, "to": v2},
                      headers=org.auth()).json()  # fmt: skip
    lines = diff["diff"].splitlines()
    assert f"--- qa-bot@{v1}" in lines and f"+++ qa-bot@{v2}" in lines
    assert '-    model: "gpt-4o-mini"' in lines and '+    model: "gpt-4.1"' in lines
    assert "-      temperature: 0" in lines and "+      temperature: 0.7" in lines
    assert not any(line.startswith(("-", "+")) and "Be brief" in line for line in lines)


def test_slug_is_unique_per_project_and_rename_delete(client, org, project):  # noqa: F811
    first = _create(client, org)
    dup = client.post("/v1/prompt", json={**QA, "name": "Other", "slug": "qa-bot"},
                      headers=org.auth())  # fmt: skip
    assert dup.status_code == 409 and "qa-bot" in dup.json()["error"]["message"]
    r = client.patch(f"/v1/prompt/{first['id']}", json={"slug": "qa", "name": "QA"},
                     headers=org.auth())  # fmt: skip
    assert r.json()["slug"] == "qa" and r.json()["version"] == first["version"]
    assert client.delete(f"/v1/prompt/{first['id']}", headers=org.auth()).status_code == 204
    assert client.get(f"/v1/prompt/{first['id']}", headers=org.auth()).status_code == 404
    assert client.get("/v1/prompt", params={"project": "prompt-proj"},
                      headers=org.auth()).json()["objects"] == []  # fmt: skip


def test_bad_prompt_fields_are_400_naming_the_field(client, org, project):  # noqa: F811
    r = client.post("/v1/prompt", json={**QA, "messages": [{"role": "robot", "content": "x"}]},
                    headers=org.auth())  # fmt: skip
    assert r.status_code == 400 and "role" in r.json()["error"]["message"]
    r = client.post("/v1/prompt", json={**QA, "response_format": {"type": "json_schema"}},
                    headers=org.auth())  # fmt: skip
    assert r.status_code == 400 and "json_schema" in r.json()["error"]["message"]
    r = client.post("/v1/prompt", json={**QA, "params": {"temprature": 1}}, headers=org.auth())
    assert r.status_code == 400 and "temprature" in r.json()["error"]["message"]
    assert client.get("/v1/prompt", params={"project": "prompt-proj"},
                      headers=org.auth()).json()["objects"] == []  # fmt: skip


def test_build_renders_and_strict_mode_names_the_missing_variable(client, org, project):  # noqa: F811
    schema = {
        "name": "answer",
        "schema": {"type": "object", "properties": {"a": {"type": "string"}}},
    }
    pid = _create(client, org, response_format={"type": "json_schema", "json_schema": schema})["id"]
    r = client.post(f"/v1/prompt/{pid}/build",
                    json={"input": {"topic": "math", "question": "2+2?"}}, headers=org.auth())  # fmt: skip
    assert r.json() == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "system", "content": "You answer math questions.\nBe brief."},
                     {"role": "user", "content": "2+2?"}],
        "temperature": 0,
        "response_format": {"type": "json_schema", "json_schema": schema},
    }  # fmt: skip
    r = client.post(
        f"/v1/prompt/{pid}/build", json={"input": {"topic": "math"}}, headers=org.auth()
    )
    assert r.status_code == 400
    assert (
        r.json()["error"]["variable"] == "question" and "question" in r.json()["error"]["message"]
    )
    r = client.post(
        f"/v1/prompt/{pid}/invoke", json={"input": {"question": "?"}}, headers=org.auth()
    )
    assert r.status_code == 400 and r.json()["error"]["variable"] == "topic"


def test_build_is_pure_and_lenient_when_asked():
    data = make_prompt_data([{"role": "user", "content": "Hi {{name}}{{#vip}}!{{/vip}}"}], "m")
    assert build(data, {}, strict=False)["messages"][0]["content"] == "Hi "


def _answer(messages, info: AgentInfo) -> ModelResponse:
    request_text = json.dumps([[getattr(p, "content", None) for p in m.parts] for m in messages])
    return ModelResponse(parts=[TextPart(f"seen: {request_text}")])


async def _stream(messages, info: AgentInfo):
    for chunk in ("four", " (", "4", ")"):
        yield chunk


def _as_fixed_model(model):
    return lambda svc, p, name: (model, "test")


def test_invoke_runs_the_model_and_logs_an_llm_span(client, org, project, services):  # noqa: F811
    from openloop.server.api.prompts import get_model_resolver

    pid = _create(client, org)["id"]
    client.app.dependency_overrides[get_model_resolver] = lambda: _as_fixed_model(
        FunctionModel(_answer, stream_function=_stream)
    )
    try:
        r = client.post(f"/v1/prompt/{pid}/invoke",
                        json={"input": {"topic": "math", "question": "2+2?"}}, headers=org.auth())  # fmt: skip
        assert r.status_code == 200, r.text
        out = r.json()
        assert "You answer math questions." in out["output"] and "2+2?" in out["output"]
        spans = services.data.read(ObjectRef(org.org_id, project, "project_logs", project),
                                   ids=[out["span_id"]])  # fmt: skip
        [span] = spans
        assert span["span_attributes"]["type"] == "llm"
        assert span["metadata"]["model"] == "gpt-4o-mini"
        assert span["metadata"]["prompt"]["id"] == pid
        assert span["metadata"]["prompt"]["version"] == out["version"]
        assert span["input"][1] == {"role": "user", "content": "2+2?"}
        assert span["output"] == out["output"]

        with client.stream("POST", f"/v1/prompt/{pid}/invoke",
                           json={"input": {"topic": "math", "question": "2+2?"}, "stream": True},
                           headers=org.auth()) as resp:  # fmt: skip
            assert resp.headers["content-type"].startswith("text/event-stream")
            events = _sse_events(resp.iter_text())
        deltas = [data for name, data in events if name == "text_delta"]
        assert "".join(deltas) == "four (4)"
        assert events[-1][0] == "done" and events[-1][1]["output"] == "four (4)"
    finally:
        client.app.dependency_overrides.clear()


def _sse_events(chunks) -> list[tuple[str, object]]:
    events = []
    for block in "".join(chunks).split("\n\n"):
        if not block.strip():
            continue
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((lines["event"], json.loads(lines["data"])))
    return events


def test_viewer_cannot_write_and_other_orgs_get_404(client, org, project, services):  # noqa: F811
    pid = _create(client, org)["id"]
    viewer = {"Authorization": f"Bearer {make_user(services, org.org_id, 'v@x.io', 'viewer')}"}
    assert client.get(f"/v1/prompt/{pid}", headers=viewer).status_code == 200
    assert client.post("/v1/prompt", json={**QA, "name": "V"}, headers=viewer).status_code == 403
    r = client.post(f"/v1/prompt/{pid}/versions", json={"model": "x"}, headers=viewer)
    assert r.status_code == 403
    assert client.delete(f"/v1/prompt/{pid}", headers=viewer).status_code == 403

    other = services.control.create_org("other-org")
    outsider = {"Authorization": f"Bearer {make_user(services, other.id, 'o@x.io', 'owner')}"}
    for path in (f"/v1/prompt/{pid}", f"/v1/prompt/{pid}/versions"):
        assert client.get(path, headers=outsider).status_code == 404
    r = client.post(f"/v1/prompt/{pid}/invoke", json={"input": {}}, headers=outsider)
    assert r.status_code == 404
