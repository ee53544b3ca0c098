"""Fix with Loop and the generate endpoints through the real app."""

from __future__ import annotations


def _seed(client, org):
    rows = [
        {"project_name": "gen", "id": f"s{i}", "input": f"question {i}", "output": "ok",
         "span_attributes": {"type": "llm" if i % 2 else "task", "name": "n"},
         "metadata": {"model": "gpt-4o"}}
        for i in range(6)
    ]  # fmt: skip
    assert client.post("/v1/ingest", json={"rows": rows}, headers=org.auth()).status_code == 200


def test_fix_with_loop_repairs_a_misspelled_field_without_a_model(client, org):
    _seed(client, org)
    bad = "select: id | from: project_logs('gen') | filter: span_atributes.type = 'llm'"
    assert client.post("/btql", json={"query": bad}, headers=org.auth()).status_code == 400
    r = client.post("/v1/loop/fix", json={"project": "gen", "query": bad}, headers=org.auth())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ok"] and body["by"] == "rules"
    assert "span_attributes.type" in body["query"]
    ran = client.post("/btql", json={"query": body["query"]}, headers=org.auth())
    assert ran.status_code == 200 and len(ran.json()["data"]) == 3


def test_unfixable_query_without_model_says_why(client, org):
    _seed(client, org)
    r = client.post(
        "/v1/loop/fix",
        json={"project": "gen", "query": "select: frobnicate(((("},
        headers=org.auth(),
    )
    assert r.status_code == 200
    assert r.json()["ok"] is False and "model" in r.json()["text"]


def test_generate_needs_a_model_and_says_so(client, org):
    _seed(client, org)
    r = client.post(
        "/v1/loop/generate/filter",
        json={"project": "gen", "request": "only llm spans"},
        headers=org.auth(),
    )
    assert 400 <= r.status_code < 500
    assert "model" in r.json()["error"]["message"].lower()
    r = client.post("/v1/loop/generate/filter", json={"project": "gen"}, headers=org.auth())
    assert r.status_code == 422 and "request" in r.json()["error"]["message"]
