"""Online scoring rules: only new matching spans are scored, sampling is respected, reruns
change nothing."""

from __future__ import annotations

from openloop.evals.online import create_rule, run_online_scoring_once
from openloop.services.ingest import ingest_rows
from openloop.store.data.base import ObjectRef


def _log(services, org, project_id, *rows):
    result = ingest_rows(services, org.principal, [{"project_id": project_id, **r} for r in rows])
    assert not result.errors
    return result.ids


def _rows(services, org, project_id):
    return services.data.read(ObjectRef(org.org_id, project_id, "project_logs", project_id))


def _project(services, org, name="live"):
    return services.control.create_project(org.org_id, name)


def test_rule_scores_only_new_matching_spans_and_is_idempotent(services, org):
    proj = _project(services, org)
    [old] = _log(services, org, proj.id, {"output": "a", "expected": "a",
                                          "span_attributes": {"name": "answer"}})  # fmt: skip
    rule = create_rule(
        services, org.principal, proj.id, "exact answers",
        scorers=["ExactMatch"], btql_filter="span_attributes.name = 'answer'",
    )  # fmt: skip
    good, bad, other = _log(
        services, org, proj.id,
        {"output": "yes", "expected": "yes", "span_attributes": {"name": "answer"}},
        {"output": "no", "expected": "yes", "span_attributes": {"name": "answer"}},
        {"output": "x", "expected": "x", "span_attributes": {"name": "other"}},
    )  # fmt: skip
    assert run_online_scoring_once(services, proj) == {rule["id"]: 2}
    rows = {r["id"]: r for r in _rows(services, org, proj.id)}
    assert rows[good]["scores"] == {"ExactMatch": 1.0}
    assert rows[bad]["scores"] == {"ExactMatch": 0.0}
    assert rows[other]["scores"] is None and rows[old]["scores"] is None
    score_spans = [r for r in rows.values() if (r["span_attributes"] or {}).get("type") == "score"]
    assert len(score_spans) == 2
    assert all(s["span_attributes"]["purpose"] == "scorer" for s in score_spans)
    parents = {s["span_parents"][0] for s in score_spans}
    assert parents == {rows[good]["span_id"], rows[bad]["span_id"]}
    before = len(rows)
    assert run_online_scoring_once(services, proj.id) == {rule["id"]: 0}
    assert len(_rows(services, org, proj.id)) == before
    # a span logged later is picked up by the next pass
    [late] = _log(services, org, proj.id, {"output": "z", "expected": "z",
                                           "span_attributes": {"name": "answer"}})  # fmt: skip
    assert run_online_scoring_once(services, proj.id) == {rule["id"]: 1}
    late_row = next(r for r in _rows(services, org, proj.id) if r["id"] == late)
    assert late_row["scores"] == {"ExactMatch": 1.0}


def test_sampling_rate_zero_and_one(services, org):
    proj = _project(services, org)
    none = create_rule(services, org.principal, proj.id, "never", scorers=["ExactMatch"],
                       sampling_rate=0.0)  # fmt: skip
    _log(services, org, proj.id, *({"output": i, "expected": i} for i in range(6)))
    assert run_online_scoring_once(services, proj)[none["id"]] == 0
    assert all(r["scores"] is None for r in _rows(services, org, proj.id))

    every = create_rule(services, org.principal, proj.id, "always", scorers=["ExactMatch"],
                        sampling_rate=1.0)  # fmt: skip
    _log(services, org, proj.id, *({"output": i, "expected": i} for i in range(6)))
    counts = run_online_scoring_once(services, proj)
    assert counts == {none["id"]: 0, every["id"]: 6}


def test_root_span_rule_skips_children(services, org):
    proj = _project(services, org)
    create_rule(services, org.principal, proj.id, "roots", scorers=["ExactMatch"],
                apply_to_root_span=True)  # fmt: skip
    [root] = _log(services, org, proj.id, {"id": "root", "span_id": "s-root", "root_span_id":
                  "s-root", "output": 1, "expected": 1})  # fmt: skip
    _log(services, org, proj.id, {"id": "kid", "span_id": "s-kid", "root_span_id": "s-root",
         "span_parents": ["s-root"], "output": 1, "expected": 1})  # fmt: skip
    assert list(run_online_scoring_once(services, proj).values()) == [1]
    rows = {r["id"]: r for r in _rows(services, org, proj.id)}
    assert rows[root]["scores"] == {"ExactMatch": 1.0} and rows["kid"]["scores"] is None


def test_rules_over_the_api(client):
    client.post("/v1/project", json={"name": "api-rules"})
    body = {"project_name": "api-rules", "name": "r", "scorers": ["Levenshtein"],
            "sampling_rate": 0.5, "apply_to_span_names": ["answer"]}  # fmt: skip
    r = client.post("/v1/online_rule", json=body)
    assert r.status_code == 201, r.text
    rule = r.json()
    assert rule["sampling_rate"] == 0.5 and rule["apply_to_span_names"] == ["answer"]
    listed = client.get("/v1/online_rule", params={"project": "api-rules"}).json()["objects"]
    assert [x["id"] for x in listed] == [rule["id"]]
    patched = client.patch(f"/v1/online_rule/{rule['id']}", json={"sampling_rate": 1.0}).json()
    assert patched["sampling_rate"] == 1.0 and patched["scorers"] == ["Levenshtein"]
    bad = client.post("/v1/online_rule", json={**body, "name": "r2", "scorers": ["Nope"]})
    assert bad.status_code == 404
    bad_filter = client.post("/v1/online_rule", json={**body, "name": "r3", "btql_filter": "a ="})
    assert bad_filter.status_code == 400
    assert client.delete(f"/v1/online_rule/{rule['id']}").status_code == 204
