"""The default judge model: a judge without a model uses the organization's setting
(``PUT /v1/org/judge_model``), else the first Loop model; with neither, every row says how to
set one. Models are scripted FunctionModels put in through ``_models.model_factory``."""

from __future__ import annotations

from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

KEY = "sk-test-0123456789abcdefghijklmnop"


def _verdict(choice: str, seen: list[str]) -> FunctionModel:
    def judge(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        seen.append(str(messages[0].parts[-1].content))
        return ModelResponse(
            parts=[ToolCallPart("select_choice", {"reasons": "r", "choice": choice})]
        )

    return FunctionModel(judge)


def _humor(client) -> dict:
    definition = {"name": "funny", "function_data": {"type": "builtin", "name": "Humor"}}
    return client.post("/v1/scorer/test", json={"definition": definition, "output": "a pun"}).json()


def _providers(services, org) -> None:
    services.control.set_provider(
        org.org_id, "oa", "openai", api_key=KEY, models=["judge-mini", "loop-big"]
    )


def test_a_judge_without_a_model_uses_the_default_judge_model(client, services, org, fake_model):
    _providers(services, org)
    seen: list[str] = []
    fake_model["judge-mini"] = _verdict("Yes", seen)
    put = client.put("/v1/org/judge_model", json={"default_judge_model": "judge-mini"})
    assert put.status_code == 200, put.text
    assert put.json()["default_judge_model"] == "judge-mini" and put.json()["source"] == "setting"
    out = _humor(client)
    assert out["score"] == 1.0 and out["metadata"]["choice"] == "Yes"
    assert "a pun" in seen[0]
    # A saved llm_judge scorer may leave its model out too.
    assert client.post("/v1/project", json={"name": "judging"}).status_code == 201
    data = {
        "type": "llm_judge",
        "prompt": "Polite? {{output}}",
        "choice_scores": {"Yes": 1, "No": 0},
    }
    saved = client.post(
        "/v1/scorer", json={"project_name": "judging", "name": "polite", "function_data": data}
    )
    assert saved.status_code == 201, saved.text
    ran = client.post(f"/v1/scorer/{saved.json()['id']}/test", json={"output": "thanks"}).json()
    assert ran["score"] == 1.0 and seen[-1].startswith("Polite? thanks")


def test_without_a_setting_the_first_loop_model_judges(client, services, org, fake_model):
    _providers(services, org)
    fake_model["loop-big"] = _verdict("No", [])
    assert client.put("/v1/org/loop_models", json={"loop_models": ["loop-big"]}).status_code == 200
    got = client.get("/v1/org/judge_model").json()
    assert got["default_judge_model"] is None
    assert (got["effective"], got["source"]) == ("loop-big", "loop_models")
    assert _humor(client)["score"] == 0.0
    # An explicit model on the scorer still wins over the default.
    fake_model["judge-mini"] = _verdict("Yes", [])
    definition = {
        "name": "funny",
        "function_data": {"type": "builtin", "name": "Humor", "options": {"model": "judge-mini"}},
    }
    out = client.post("/v1/scorer/test", json={"definition": definition, "output": "x"}).json()
    assert out["score"] == 1.0


def test_with_no_model_anywhere_the_row_says_how_to_set_one(client, fake_model):
    out = _humor(client)
    assert out["score"] is None
    assert "no default judge model" in out["error"]
    assert "Settings → Default judge model" in out["error"]
    assert "PUT /v1/org/judge_model" in out["error"]
    assert client.get("/v1/org/judge_model").json()["effective"] is None


def test_the_default_must_resolve_and_only_admins_set_it(client, services, org):
    bad = client.put("/v1/org/judge_model", json={"default_judge_model": "mystery-9000"})
    assert bad.status_code == 400
    assert "no configured provider serves 'mystery-9000'" in bad.json()["error"]["message"]
    _providers(services, org)
    assert (
        client.put("/v1/org/judge_model", json={"default_judge_model": "oa/judge-mini"}).json()[
            "effective"
        ]
        == "oa/judge-mini"
    )
    cleared = client.put("/v1/org/judge_model", json={"default_judge_model": None}).json()
    assert cleared["default_judge_model"] is None and cleared["effective"] is None
    user = services.control.create_user("m@example.com", "m", "correct horse battery")
    services.control.add_member(org.org_id, user.id, "member")
    _, key = services.control.create_api_key(org.org_id, user.id, "member-key")
    denied = client.put(
        "/v1/org/judge_model",
        json={"default_judge_model": "oa/judge-mini"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert denied.status_code == 403
