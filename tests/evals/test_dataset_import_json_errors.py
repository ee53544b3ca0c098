"""Imports whose JSON fails for a reason other than syntax still get a clear 400."""

from __future__ import annotations

from tests.server.conftest import client, org, services  # noqa: F401

# json.loads raises a plain ValueError (no .msg/.lineno) for integers past the digit limit.
_HUGE = "1" * 5000


def test_json_value_errors_are_reported_not_crashed(client, org):  # noqa: F811
    r = client.post("/v1/dataset", json={"project_name": "ds-proj", "name": "qa"},
                    headers=org.auth())  # fmt: skip
    assert r.status_code == 201, r.text
    ds = r.json()["id"]
    jsonl = '{"input": 1}\n{"input": ' + _HUGE + "}\n"
    r = client.post(f"/v1/dataset/{ds}/import", json={"format": "jsonl", "content": jsonl},
                    headers=org.auth())  # fmt: skip
    assert r.status_code == 400, r.text
    message = r.json()["error"]["message"]
    assert "line 2" in message and "not valid JSON" in message
    whole = '[{"input": ' + _HUGE + "}]"
    r = client.post(f"/v1/dataset/{ds}/import", json={"format": "json", "content": whole},
                    headers=org.auth())  # fmt: skip
    assert r.status_code == 400, r.text
    assert "not valid JSON" in r.json()["error"]["message"]
