"""Saved scorers over the REST API: CRUD, versions, built-ins and test runs (code, LLM judge,
dataset rows, runaway code)."""

from __future__ import annotations

from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

CODE = "def handler(output, expected):\n    return 1.0 if output == expected else 0.0\n"
LOOP = "def handler(output):\n    n = 0\n    while True:\n        n += 1\n"


def _project(client, name="scoring"):
    assert client.post("/v1/project", json={"name": name}).status_code == 201
    return name


def _create(client, project, name="exact", data=None, **extra):
    body = {
        "project_name": project,
        "name": name,
        "function_data": data or {"type": "code", "language": "python", "code": CODE},
        **extra,
    }
    r = client.post("/v1/scorer", json=body)
    assert r.status_code == 201, r.text
    return r.json()


def test_scorer_crud_and_versions(client):
    project = _project(client)
    s = _create(client, project, metadata={"__pass_threshold": 0.5}, slug="exact-match")
    assert s["function_type"] == "scorer" and s["function_data"]["type"] == "code"
    listed = client.get("/v1/scorer", params={"project": project}).json()["objects"]
    assert [x["name"] for x in listed] == ["exact"]
    v2 = client.post(
        f"/v1/scorer/{s['id']}/versions",
        json={"function_data": {"type": "builtin", "name": "Levenshtein"}},
    )
    assert v2.status_code == 201
    versions = client.get(f"/v1/scorer/{s['id']}/versions").json()["objects"]
    assert [v["function_data"]["type"] for v in versions] == ["code", "builtin"]
    old = client.get(f"/v1/scorer/{s['id']}", params={"version": versions[0]["_xact_id"]})
    assert old.json()["function_data"]["type"] == "code"
    assert client.get(f"/v1/scorer/{s['id']}").json()["metadata"] == {"__pass_threshold": 0.5}
    patched = client.patch(f"/v1/scorer/{s['id']}", json={"name": "renamed"}).json()
    assert patched["name"] == "renamed" and patched["function_data"]["type"] == "builtin"
    assert client.delete(f"/v1/scorer/{s['id']}").status_code == 204
    assert client.get(f"/v1/scorer/{s['id']}").status_code == 404


def test_bad_definitions_are_rejected_with_a_reason(client):
    project = _project(client)
    bad_code = {"type": "code", "code": "import os\ndef handler(output):\n    return 1\n"}
    r = client.post(
        "/v1/scorer", json={"project_name": project, "name": "x", "function_data": bad_code}
    )
    assert r.status_code == 400 and "not allowed" in r.json()["error"]["message"]
    judge = {"type": "llm_judge", "prompt": "p", "model": "m", "choice_scores": {"Y": 2}}
    r = client.post(
        "/v1/scorer", json={"project_name": project, "name": "y", "function_data": judge}
    )
    assert r.status_code == 400 and "choice_scores" in r.json()["error"]["message"]


def test_builtins_are_listed(client):
    names = {b["name"] for b in client.get("/v1/scorer/builtins").json()["objects"]}
    assert {"ExactMatch", "Levenshtein", "Factuality"} <= names


def test_code_scorer_test_run_and_pass_threshold(client):
    project = _project(client)
    s = _create(client, project, metadata={"__pass_threshold": 0.5})
    r = client.post(f"/v1/scorer/{s['id']}/test", json={"output": "a", "expected": "a"})
    assert r.status_code == 200
    assert r.json()["score"] == 1.0 and r.json()["passed"] is True and r.json()["error"] is None
    miss = client.post(f"/v1/scorer/{s['id']}/test", json={"output": "a", "expected": "b"}).json()
    assert miss["score"] == 0.0 and miss["passed"] is False


def test_runaway_code_scorer_reports_a_timeout(client):
    project = _project(client)
    s = _create(client, project, name="loop", data={"type": "code", "code": LOOP, "timeout_s": 0.5})
    out = client.post(f"/v1/scorer/{s['id']}/test", json={"output": "x"}).json()
    assert out["score"] is None
    assert "time" in out["error"].lower()


def test_scorer_runs_on_a_dataset_row(client, services, org):
    from openloop.services.datasets import create_dataset, insert_rows

    project = _project(client)
    ds = create_dataset(services, org.principal, project, "golden")
    insert_rows(services, org.principal, ds.id, [{"id": "r1", "input": "q", "expected": "yes"}])
    s = _create(client, project)
    body = {"dataset_id": ds.id, "row_id": "r1", "output": "yes"}
    assert client.post(f"/v1/scorer/{s['id']}/test", json=body).json()["score"] == 1.0
    missing = client.post(f"/v1/scorer/{s['id']}/test", json={**body, "row_id": "nope"})
    assert missing.status_code == 404


def test_llm_judge_scorer_uses_the_org_model(client, fake_model):
    asked: list[str] = []

    def judge(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        asked.append(str(messages[0].parts[-1].content))
        verdict = "Yes" if "Paris" in asked[-1] else "No"
        return ModelResponse(
            parts=[ToolCallPart("select_choice", {"reasons": "r", "choice": verdict})]
        )

    fake_model["judge-model"] = FunctionModel(judge)
    project = _project(client)
    data = {
        "type": "llm_judge",
        "prompt": "Is {{output}} the capital of France?",
        "model": "judge-model",
        "choice_scores": {"Yes": 1, "No": 0},
    }
    s = _create(client, project, name="capital", data=data)
    yes = client.post(f"/v1/scorer/{s['id']}/test", json={"output": "Paris"}).json()
    assert yes["score"] == 1.0 and yes["metadata"]["choice"] == "Yes"
    no = client.post(f"/v1/scorer/{s['id']}/test", json={"output": "Lyon"}).json()
    assert no["score"] == 0.0
    assert asked[0].startswith("Is Paris the capital of France?")
    unknown = client.post(
        "/v1/scorer/test",
        json={
            "definition": {"name": "j", "function_data": {**data, "model": "nobody"}},
            "output": "x",
        },
    ).json()
    assert unknown["score"] is None and "not configured" in unknown["error"]
