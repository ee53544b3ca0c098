"""Playground runs: two prompts over a five-row dataset, streamed as SSE and saved."""

from __future__ import annotations

import orjson
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

from openloop.store.data.base import ObjectRef


def _events(response) -> list[tuple[str, dict]]:
    out = []
    for block in response.text.strip().split("\n\n"):
        lines = dict(line.split(": ", 1) for line in block.splitlines())
        out.append((lines["event"], orjson.loads(lines["data"])))
    return out


def _setup(client, services, org, fake_model):
    from openloop.services.datasets import create_dataset, insert_rows

    def shout(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        text = str(messages[-1].parts[-1].content)
        return ModelResponse(parts=[TextPart(text.upper())])

    def echo(messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        return ModelResponse(parts=[TextPart(str(messages[-1].parts[-1].content))])

    fake_model["shout-model"] = FunctionModel(shout)
    fake_model["echo-model"] = FunctionModel(echo)
    client.post("/v1/project", json={"name": "pg"})
    ds = create_dataset(services, org.principal, "pg", "words")
    words = ["alpha", "beta", "gamma", "delta", "omega"]
    rows = [{"id": f"r{i}", "input": w, "expected": w.upper()} for i, w in enumerate(words)]
    insert_rows(services, org.principal, ds.id, rows)
    prompts = [
        {"name": "shout", "model": "shout-model", "messages": [
            {"role": "system", "content": "Repeat loudly."},
            {"role": "user", "content": "{{input}}"}]},
        {"name": "echo", "model": "echo-model", "messages": [{"role": "user", "content": "{{input}}"}]},
    ]  # fmt: skip
    return ds, prompts


def test_playground_streams_every_row_of_every_prompt_and_saves(client, services, org, fake_model):
    ds, prompts = _setup(client, services, org, fake_model)
    body = {
        "project": "pg",
        "prompts": prompts,
        "dataset_id": ds.id,
        "scorers": ["ExactMatch"],
        "save_as_experiment": "pg-run",
        "max_concurrency": 3,
    }
    r = client.post("/v1/playground/run", json=body)
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
    events = _events(r)
    assert events[0][0] == "start" and events[0][1]["rows"] == 5
    rows = [d for e, d in events if e == "row"]
    assert len(rows) == 10
    shout = [d for d in rows if d["prompt"] == "shout"]
    assert {d["row_id"] for d in shout} == {"r0", "r1", "r2", "r3", "r4"}
    assert all(d["scores"]["ExactMatch"] == 1.0 and d["output"] == d["expected"] for d in shout)
    echo = [d for d in rows if d["prompt"] == "echo"]
    assert all(d["scores"]["ExactMatch"] == 0.0 for d in echo)
    kind, done = events[-1]
    assert kind == "done"
    assert [s["scores"]["ExactMatch"]["score"] for s in done["summaries"]] == [1.0, 0.0]

    exp_ids = done["experiment_ids"]
    names = [client.get(f"/v1/experiment/{i}").json()["name"] for i in exp_ids]
    assert names == ["pg-run [shout]", "pg-run [echo]"]
    exp = client.get(f"/v1/experiment/{exp_ids[0]}").json()
    assert exp["dataset_id"] == ds.id and exp["dataset_version"]
    stored = services.data.read(ObjectRef(org.org_id, exp["project_id"], "experiment", exp_ids[0]))
    roots = [x for x in stored if x["span_attributes"]["type"] == "eval"]
    assert len(roots) == 5
    assert all(x["origin"]["object_id"] == ds.id for x in roots)
    llm = [x for x in stored if x["span_attributes"]["type"] == "llm"]
    assert len(llm) == 5 and all(x["metadata"]["model"] == "shout-model" for x in llm)
    summary = client.get(f"/v1/experiment/{exp_ids[0]}/summarize").json()
    assert summary["scores"]["ExactMatch"]["score"] == 1.0


def test_playground_without_saving_and_with_a_broken_model(client, services, org, fake_model):
    ds, prompts = _setup(client, services, org, fake_model)
    prompts[1]["model"] = "missing-model"
    body = {"project": "pg", "prompts": prompts, "dataset_id": ds.id}
    events = _events(client.post("/v1/playground/run", json=body))
    rows = [d for e, d in events if e == "row"]
    broken = [d for d in rows if d["prompt"] == "echo"]
    assert len(broken) == 5 and all("missing-model" in d["error"] for d in broken)
    assert events[-1][1]["experiment_ids"] == [None, None]
    assert client.get("/v1/experiment", params={"project": "pg"}).json()["objects"] == []


def test_unknown_dataset_fails_before_streaming(client, org):
    client.post("/v1/project", json={"name": "pg"})
    r = client.post(
        "/v1/playground/run",
        json={
            "project": "pg",
            "prompts": [{"model": "m", "messages": [{"role": "user", "content": "hi"}]}],
            "dataset_id": "nope",
        },
    )
    assert r.status_code == 404
