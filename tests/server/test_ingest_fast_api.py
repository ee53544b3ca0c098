"""The fast path of native ingest through the real app: it stores exactly what the general path
stores, and a number orjson cannot read does not break reads."""

from __future__ import annotations

import logging
from typing import Any

from openloop.store.data.base import ObjectRef
from tests.ingest.test_columnar import _varied_rows


def _stored(services, ref: ObjectRef) -> list[dict[str, Any]]:
    drop = {"_xact_id", "_pagination_key", "project_id", "log_id", "created"}
    rows = services.data.read(ref)
    return sorted(({k: v for k, v in r.items() if k not in drop} for r in rows), key=str)


def test_both_paths_store_the_same_rows(client, services, org, caplog) -> None:
    rows = [r for r in _varied_rows() if "created" not in r and r["id"] != 17]
    for r in rows:
        del r["project_id"], r["log_id"]
    caplog.set_level(logging.INFO, logger="openloop.services.ingest")
    fast = client.post(
        "/v1/ingest", json={"rows": [{**r, "project_name": "fast"} for r in rows]},
        headers=org.auth(),
    )  # fmt: skip
    assert fast.status_code == 200, fast.text
    assert any("fast=1" in m for m in caplog.messages)
    # one merge row sends the whole batch through the general path
    general_rows = [{**r, "project_name": "general"} for r in rows]
    general_rows.append({"id": "zz-merge", "project_name": "general", "_is_merge": True})
    general = client.post("/v1/ingest", json={"rows": general_rows}, headers=org.auth())
    assert general.status_code == 200, general.text
    assert fast.json()["ids"] == general.json()["ids"][:-1]

    def ref(name: str) -> ObjectRef:
        p = services.control.get_project(org.org_id, name)
        return ObjectRef(org.org_id, p.id, "project_logs", p.id)

    got_general = [r for r in _stored(services, ref("general")) if r["id"] != "zz-merge"]
    assert _stored(services, ref("fast")) == got_general


def test_a_number_beyond_double_range_is_kept_and_reads_as_null(client, services, org) -> None:
    body = b'{"rows": [{"id": "big", "project_name": "nums", "input": {"x": 1e400, "y": 2}}]}'
    r = client.post("/v1/ingest", content=body, headers={**org.auth(), "content-type": "application/json"})  # fmt: skip
    assert r.status_code == 200, r.text
    q = client.post(
        "/btql", json={"query": "select: input | from: project_logs('nums')"}, headers=org.auth()
    )
    assert q.status_code == 200, q.text
    assert q.json()["data"] == [{"input": {"x": None, "y": 2}}]
    p = services.control.get_project(org.org_id, "nums")
    (row,) = services.data.read(ObjectRef(org.org_id, p.id, "project_logs", p.id))
    assert row["input"]["y"] == 2 and row["input"]["x"] == float("inf")
