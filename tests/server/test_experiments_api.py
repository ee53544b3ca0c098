"""``/v1/experiment`` (register, list, read, change, delete, summarize, compare) and
``/v1/review``."""

from __future__ import annotations

import pytest


def _register(client, org, **body):
    r = client.post(
        "/v1/experiment/register", json={"project_name": "exp", **body}, headers=org.auth()
    )
    assert r.status_code == 200, r.text
    return r.json()


def _log_cases(client, org, experiment_id, cases):
    rows = [
        {"experiment_id": experiment_id, "id": f"{experiment_id[:6]}-{i}", "input": inp,
         "output": out, "scores": {"acc": acc}, "metrics": {"start": 0, "end": dur},
         "span_attributes": {"name": "eval", "type": "eval"}}
        for i, (inp, out, acc, dur) in enumerate(cases)
    ]  # fmt: skip
    r = client.post("/v1/ingest", json={"rows": rows}, headers=org.auth())
    assert r.status_code == 200, r.text
    return [row["id"] for row in rows]


def test_register_list_get_patch_delete(client, org):
    first = _register(client, org, name="run", metadata={"model": "a"}, tags=["nightly"])
    assert first["name"] == "run" and first["project_name"] == "exp"
    second = _register(client, org, name="run", base_experiment_id=first["id"])
    assert second["name"] == "run-1" and second["base_exp_id"] == first["id"]
    listed = client.get("/v1/experiment", params={"project": "exp"}, headers=org.auth()).json()
    assert {e["name"] for e in listed["objects"]} == {"run", "run-1"}
    got = client.get(f"/v1/experiment/{first['id']}", headers=org.auth()).json()
    assert got["metadata"] == {"model": "a"} and got["tags"] == ["nightly"]
    patched = client.patch(
        f"/v1/experiment/{first['id']}", json={"name": "renamed", "tags": ["x"]}, headers=org.auth()
    ).json()
    assert patched["name"] == "renamed" and patched["tags"] == ["x"]
    assert patched["metadata"] == {"model": "a"}
    assert client.delete(f"/v1/experiment/{first['id']}", headers=org.auth()).status_code == 204
    assert client.get(f"/v1/experiment/{first['id']}", headers=org.auth()).status_code == 404
    missing = client.post("/v1/experiment/register", json={"name": "x"}, headers=org.auth())
    assert missing.status_code == 400


def test_summarize_and_compare_against_a_baseline(client, org):
    base = _register(client, org, name="base")
    _log_cases(client, org, base["id"], [("q1", "a", 0.0, 2.0), ("q2", "b", 1.0, 2.0),
                                         ("q3", "c", 0.5, 2.0)])  # fmt: skip
    cur = _register(client, org, name="cur")
    ids = _log_cases(client, org, cur["id"], [("q1", "A", 1.0, 1.0), ("q2", "B", 0.0, 1.0),
                                              ("q3", "C", 1.0, 1.0)])  # fmt: skip
    r = client.get(
        f"/v1/experiment/{cur['id']}/summarize",
        params={"comparison_experiment_id": base["id"]},
        headers=org.auth(),
    )
    assert r.status_code == 200
    body = r.json()
    assert body["experiment_name"] == "cur" and body["comparison_experiment_name"] == "base"
    acc = body["scores"]["acc"]
    assert acc["score"] == pytest.approx(2 / 3) and acc["diff"] == pytest.approx(2 / 3 - 0.5)
    assert (acc["improvements"], acc["regressions"]) == (2, 1)
    duration = body["metrics"]["duration"]
    assert duration["metric"] == 1.0 and duration["improvements"] == 3
    # without an explicit baseline the previous experiment of the project is used
    auto = client.get(f"/v1/experiment/{cur['id']}/summarize", headers=org.auth()).json()
    assert auto["comparison_experiment_id"] == base["id"]
    first = client.get(f"/v1/experiment/{base['id']}/summarize", headers=org.auth()).json()
    assert first["comparison_experiment_name"] is None and first["scores"]["acc"]["diff"] is None

    cmp = client.get(
        f"/v1/experiment/{cur['id']}/compare",
        params={"baseline": base["id"], "sort": "diff"},
        headers=org.auth(),
    ).json()
    assert sorted(cmp["improved"]) == sorted([ids[0], ids[2]])
    assert cmp["regressed"] == [ids[1]]
    assert cmp["matches"][0]["input"] == "q2"  # biggest regression first
    assert cmp["matches"][0]["scores"]["acc"] == {"score": 0.0, "baseline": 1.0, "diff": -1.0}
    assert cmp["matches"][0]["baseline_output"] == "b"
    bad = client.get(
        f"/v1/experiment/{cur['id']}/compare", params={"sort": "nope"}, headers=org.auth()
    )
    assert bad.status_code == 400


def test_review_merges_scores_and_writes_review_spans(client, org, services):
    from tests.server.conftest import make_user

    exp = _register(client, org, name="reviewed")
    [row_id] = _log_cases(client, org, exp["id"], [("q", "answer", 1.0, 1.0)])
    url = f"/v1/review/experiment/{exp['id']}"
    r = client.post(url, json={"row_id": row_id, "scores": {"helpful": 1.0}, "text": "good"},
                    headers=org.auth())  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["scores"] == {"helpful": 1.0}
    other = make_user(services, org.org_id, "rev@example.com", "member")
    r2 = client.post(url, json={"row_id": row_id, "scores": {"helpful": 0.0}},
                     headers={"Authorization": f"Bearer {other}"})  # fmt: skip
    assert r2.json()["scores"] == {"helpful": 0.5}
    # the same reviewer again replaces their own review
    client.post(url, json={"row_id": row_id, "scores": {"helpful": 1.0}},
                headers={"Authorization": f"Bearer {other}"})  # fmt: skip
    q = f"select: * | from: experiment('{exp['id']}') | limit: 50"
    rows = client.post("/btql", json={"query": q}, headers=org.auth()).json()["data"]
    target = next(x for x in rows if x["id"] == row_id)
    assert target["scores"] == {"acc": 1.0, "helpful": 1.0}
    reviews = [x for x in rows if x["span_attributes"]["type"] == "review"]
    assert len(reviews) == 2
    assert all(x["span_parents"] == [target["span_id"]] for x in reviews)
    assert any(x["metadata"].get("text") == "good" for x in reviews)
    empty = client.post(url, json={"row_id": row_id}, headers=org.auth())
    assert empty.status_code == 400
    gone = client.post(url, json={"row_id": "nope", "scores": {"x": 1}}, headers=org.auth())
    assert gone.status_code == 404
