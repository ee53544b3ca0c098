"""Native ingest through the real app: happy path, per-row errors, limits, encodings."""

from __future__ import annotations

import gzip

import orjson

from openloop.store.data.base import ObjectRef


def _ref(services, org, name):
    p = services.control.get_project(org.org_id, name)
    return ObjectRef(org.org_id, p.id, "project_logs", p.id)


def _span(i: int, **kw):
    row = {
        "project_name": "shop-bot",
        "id": f"span-{i}",
        "span_id": f"span-{i}",
        "root_span_id": "trace-1",
        "span_parents": [] if i == 0 else ["span-0"],
        "input": {"question": f"where is order {i}?"},
        "output": "on its way",
        "metadata": {"model": "gpt-4o-mini", "user_id": "u1"},
        "metrics": {
            "start": 1700000000.0 + i,
            "end": 1700000001.5 + i,
            "prompt_tokens": 10,
            "completion_tokens": 5,
        },
        "span_attributes": {"name": "Chat Completion", "type": "llm"},
    }
    row.update(kw)
    return row


def test_ingest_stores_rows_and_is_idempotent(client, services, org):
    r = client.post("/v1/ingest", json={"rows": [_span(0), _span(1)]}, headers=org.auth())
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["ids"] == ["span-0", "span-1"] and body["errors"] == []
    assert int(body["xact_id"]) > 0
    # same span again with a new output: still one row, the later version wins
    r = client.post("/v1/ingest", json={"rows": [_span(1, output="delivered")]}, headers=org.auth())
    assert r.status_code == 200
    rows = {x["id"]: x for x in services.data.read(_ref(services, org, "shop-bot"))}
    assert len(rows) == 2
    assert rows["span-1"]["output"] == "delivered"


def test_merge_and_feedback_are_late_updates(client, services, org):
    client.post("/v1/ingest", json={"rows": [_span(0)]}, headers=org.auth())
    pid = services.control.get_project(org.org_id, "shop-bot").id
    r = client.post(
        f"/v1/project_logs/{pid}/feedback",
        json={
            "feedback": [{"id": "span-0", "scores": {"user_rating": 1}, "comment": "great answer"}]
        },
        headers=org.auth(),
    )
    assert r.status_code == 200, r.text
    rows = services.data.read(_ref(services, org, "shop-bot"))
    target = next(x for x in rows if x["id"] == "span-0")
    assert target["scores"]["user_rating"] == 1
    assert target["input"] == {"question": "where is order 0?"}  # merge kept the rest
    comments = [x for x in rows if (x.get("origin") or {}).get("id") == "span-0"]
    assert comments and comments[0]["comment"]["text"] == "great answer"
    # a comment is not a span: it never counts as a trace of its own
    assert comments[0]["is_root"] is False


def test_bad_rows_are_reported_and_good_rows_stored(client, services, org):
    rows = [
        _span(0),
        "not an object",
        _span(2, scores={"accuracy": "high"}),
        {"input": "no container"},
        _span(4),
    ]
    r = client.post("/v1/ingest", json={"rows": rows}, headers=org.auth())
    assert r.status_code == 422
    body = r.json()
    assert body["error"]["type"] == "InvalidRows"
    bad = {e["index"]: e["message"] for e in body["error"]["errors"]}
    assert set(bad) == {1, 2, 3}
    assert "JSON object" in bad[1]
    assert "accuracy" in bad[2]
    assert "project_id" in bad[3]
    assert body["ids"] == ["span-0", "span-4"]
    stored = {x["id"] for x in services.data.read(_ref(services, org, "shop-bot"))}
    assert stored == {"span-0", "span-4"}


def test_malformed_bodies_are_clear_4xx(client, org):
    h = {**org.auth(), "content-type": "application/json"}
    r = client.post("/v1/ingest", content=b'{"rows": [', headers=h)
    assert r.status_code == 400 and "not valid JSON" in r.json()["error"]["message"]
    r = client.post("/v1/ingest", content=b'{"rows": ["\xff\xfe"]}', headers=h)
    assert r.status_code == 400
    assert r.json()["error"]["message"] == (
        "request body is not valid UTF-8: byte 11 (0xff) cannot start or continue a character"
    )
    r = client.post("/v1/ingest", content=b"", headers=h)
    assert r.status_code == 400 and "empty" in r.json()["error"]["message"]
    r = client.post("/v1/ingest", json={"spans": []}, headers=org.auth())
    assert r.status_code == 400 and "'rows'" in r.json()["error"]["message"]
    r = client.post(
        "/v1/ingest", content=b"\x1f\x8b garbage", headers={**h, "content-encoding": "gzip"}
    )
    assert r.status_code == 400 and "gzip" in r.json()["error"]["message"]


def test_gzip_body_accepted(client, services, org):
    payload = gzip.compress(orjson.dumps({"rows": [_span(0)]}))
    r = client.post(
        "/v1/ingest",
        content=payload,
        headers={**org.auth(), "content-type": "application/json", "content-encoding": "gzip"},
    )
    assert r.status_code == 200, r.text
    assert services.data.count(_ref(services, org, "shop-bot")) == 1


def test_limits_give_413(client, services, org):
    services.settings.max_request_bytes = 4096
    big = {"rows": [_span(0, input="x" * 10_000)]}
    r = client.post("/v1/ingest", json=big, headers=org.auth())
    assert r.status_code == 413 and r.json()["error"]["type"] == "PayloadTooLarge"
    bomb = gzip.compress(orjson.dumps({"rows": [_span(0, input="y" * 1_000_000)]}))
    assert len(bomb) < 4096
    r = client.post(
        "/v1/ingest",
        content=bomb,
        headers={**org.auth(), "content-encoding": "gzip", "content-type": "application/json"},
    )
    assert r.status_code == 413
    services.settings.max_request_bytes = 32 * 1024 * 1024
    services.settings.ingest_max_rows = 3
    r = client.post("/v1/ingest", json={"rows": [_span(i) for i in range(4)]}, headers=org.auth())
    assert r.status_code == 413 and "limit is 3" in r.json()["error"]["message"]
    # nothing from the refused requests was stored
    assert client.get("/v1/project", headers=org.auth()).json()["objects"] == []


def test_field_too_large_rejects_only_that_row(settings):
    from fastapi.testclient import TestClient

    from openloop.server.app import create_app
    from openloop.services import Services

    svc = Services.open(settings.model_copy(update={"max_field_bytes": 1024}))
    try:
        key = svc.control.bootstrap().api_key
        with TestClient(create_app(svc.settings, services=svc)) as client:
            rows = [_span(0), _span(1, output="z" * 5000)]
            r = client.post(
                "/v1/ingest", json={"rows": rows}, headers={"Authorization": f"Bearer {key}"}
            )
    finally:
        svc.close()
    assert r.status_code == 413  # the only problem is a size limit
    errs = r.json()["error"]["errors"]
    assert [e["index"] for e in errs] == [1] and "output" in errs[0]["message"]
    assert errs[0]["status"] == 413
    assert r.json()["ids"] == ["span-0"]


def test_deeply_nested_fields_reject_only_their_rows(client, services, org):
    # 100 levels passes the JSON parser but not the 64-level row limit; 300 levels is past
    # what the JSON encoder walks: both are reported as nesting, per row, beside a good row.
    rows = [orjson.dumps(_span(0)), orjson.dumps(_span(1, input="@")), orjson.dumps(_span(2))]
    rows[1] = rows[1].replace(b'"@"', b"[" * 100 + b"]" * 100)
    rows[2] = rows[2].replace(b'"user_id"', b'"deep":' + b"[" * 300 + b"]" * 300 + b',"user_id"')
    body = b'{"rows": [' + b",".join(rows) + b"]}"
    r = client.post("/v1/ingest", content=body, headers=org.auth())
    assert r.status_code == 422, r.text
    errs = r.json()["error"]["errors"]
    assert [e["index"] for e in errs] == [1, 2]
    assert errs[0]["message"] == "input: JSON nested deeper than 64 levels"
    assert errs[1]["message"] == "metadata: JSON nested deeper than 64 levels"
    assert r.json()["ids"] == ["span-0"]


def test_braintrust_shaped_endpoints(client, services, org):
    pid = client.post("/v1/project/register", json={"name": "bt"}, headers=org.auth()).json()["id"]
    again = client.post("/v1/project/register", json={"name": "bt"}, headers=org.auth()).json()[
        "id"
    ]
    assert pid == again
    r = client.post(
        "/logs3",
        json={
            "rows": [{"project_id": pid, "log_id": "g", "id": "a", "input": 1}],
            "api_version": 2,
        },
        headers=org.auth(),
    )
    assert r.status_code == 200
    r = client.post(
        f"/v1/project_logs/{pid}/insert",
        json={"events": [{"id": "b", "input": 2}]},
        headers=org.auth(),
    )
    assert r.status_code == 200
    assert {x["id"] for x in services.data.read(_ref(services, org, "bt"))} == {"a", "b"}
    r = client.post(
        "/logs3", json={"rows": [{"project_id": pid, "log_id": "p", "id": "c"}]}, headers=org.auth()
    )
    assert r.status_code == 422 and "log_id" in r.json()["error"]["errors"][0]["message"]


def test_container_keys_are_not_stored_as_fields(client, services, org):
    r = client.post("/v1/ingest", json={"rows": [_span(0)]}, headers=org.auth())
    assert r.status_code == 200, r.text
    pid = services.control.get_project(org.org_id, "shop-bot").id
    by_id = {k: v for k, v in _span(1).items() if k != "project_name"}
    by_id.update(project_id=pid, log_id="g", org_id="someone-else")
    r = client.post("/v1/ingest", json={"rows": [by_id]}, headers=org.auth())
    assert r.status_code == 200, r.text
    rows = {x["id"]: x for x in services.data.read(_ref(services, org, "shop-bot"))}
    assert set(rows) == {"span-0", "span-1"}
    for row in rows.values():
        assert "project_name" not in row
        assert "org_id" not in row
        assert row["project_id"] == pid and row["log_id"] == "g"
