"""Datasets through the real app and stores: versions, read-as-of, restore, import/export,
add from logs, and who may see or change what."""

from __future__ import annotations

from tests.server.conftest import client, make_user, org, services  # noqa: F401


def _dataset(client, org, name="qa", project="ds-proj") -> str:  # noqa: F811
    r = client.post("/v1/dataset", json={"project_name": project, "name": name}, headers=org.auth())
    assert r.status_code == 201, r.text
    return r.json()["id"]


def _rows(client, org, ds, version=None):  # noqa: F811
    params = {"version": version} if version else {}
    r = client.get(f"/v1/dataset/{ds}/rows", params=params, headers=org.auth())
    assert r.status_code == 200, r.text
    return r.json()


def test_create_is_get_or_create_and_crud(client, org):  # noqa: F811
    ds = _dataset(client, org)
    again = client.post("/v1/dataset", json={"project_name": "ds-proj", "name": "qa"},
                        headers=org.auth())  # fmt: skip
    assert again.status_code == 200 and again.json()["id"] == ds
    listed = client.get("/v1/dataset", params={"project": "ds-proj"}, headers=org.auth()).json()
    assert [o["name"] for o in listed["objects"]] == ["qa"]
    r = client.patch(f"/v1/dataset/{ds}", json={"name": "qa-v2", "description": "golden"},
                     headers=org.auth())  # fmt: skip
    assert r.json()["name"] == "qa-v2" and r.json()["description"] == "golden"
    client.post(f"/v1/dataset/{ds}/rows", json={"rows": [{"input": 1}]}, headers=org.auth())
    assert client.delete(f"/v1/dataset/{ds}", headers=org.auth()).status_code == 204
    assert client.get(f"/v1/dataset/{ds}", headers=org.auth()).status_code == 404
    assert client.get("/v1/dataset", params={"project": "ds-proj"},
                      headers=org.auth()).json()["objects"] == []  # fmt: skip


def test_each_change_is_a_version_readable_as_of(client, org):  # noqa: F811
    ds = _dataset(client, org)
    r1 = client.post(
        f"/v1/dataset/{ds}/rows",
        json={"rows": [{"id": "a", "input": "2+2", "expected": "4", "metadata": {"k": 1}},
                       {"id": "b", "input": "3+3", "expected": "6"}]},
        headers=org.auth(),
    )  # fmt: skip
    v1 = r1.json()["xact_id"]
    r2 = client.patch(f"/v1/dataset/{ds}/rows/a", json={"expected": "four", "metadata": {"j": 2}},
                      headers=org.auth())  # fmt: skip
    v2 = r2.json()["xact_id"]
    v3 = client.delete(f"/v1/dataset/{ds}/rows/b", headers=org.auth()).json()["xact_id"]
    assert int(v1) < int(v2) < int(v3)

    now = {r["id"]: r for r in _rows(client, org, ds)["rows"]}
    assert list(now) == ["a"]
    assert now["a"]["expected"] == "four" and now["a"]["metadata"] == {"k": 1, "j": 2}
    at_v1 = {r["id"]: r for r in _rows(client, org, ds, v1)["rows"]}
    assert set(at_v1) == {"a", "b"} and at_v1["a"]["expected"] == "4"
    assert _rows(client, org, ds, v1)["version"] == v1

    versions = client.get(f"/v1/dataset/{ds}/versions", headers=org.auth()).json()["versions"]
    assert [v["version"] for v in versions] == [v3, v2, v1]
    assert [v["num_rows"] for v in versions] == [1, 2, 2]
    assert all(v["created"].startswith("20") for v in versions)

    missing = client.patch(f"/v1/dataset/{ds}/rows/nope", json={"expected": 1}, headers=org.auth())
    assert missing.status_code == 404
    bad = client.get(f"/v1/dataset/{ds}/rows", params={"version": "yesterday"}, headers=org.auth())
    assert bad.status_code == 400 and "version" in bad.json()["error"]["message"]


def test_restore_preview_then_restore_writes_a_new_version(client, org):  # noqa: F811
    ds = _dataset(client, org)
    v1 = client.post(f"/v1/dataset/{ds}/rows",
                     json={"rows": [{"id": "a", "input": 1, "expected": 1},
                                    {"id": "b", "input": 2, "expected": 2}]},
                     headers=org.auth()).json()["xact_id"]  # fmt: skip
    client.patch(f"/v1/dataset/{ds}/rows/a", json={"expected": 100}, headers=org.auth())
    client.delete(f"/v1/dataset/{ds}/rows/b", headers=org.auth())
    client.post(f"/v1/dataset/{ds}/rows", json={"rows": [{"id": "c", "input": 3}]},
                headers=org.auth())  # fmt: skip

    preview = client.post(f"/v1/dataset/{ds}/restore/preview", json={"version": v1},
                          headers=org.auth()).json()  # fmt: skip
    assert preview["rows_to_restore"] == 2 and preview["rows_to_delete"] == 1
    assert preview["restore_ids"] == ["a", "b"] and preview["delete_ids"] == ["c"]

    before = len(client.get(f"/v1/dataset/{ds}/versions", headers=org.auth()).json()["versions"])
    done = client.post(f"/v1/dataset/{ds}/restore", json={"version": v1}, headers=org.auth())
    assert done.json()["rows_restored"] == 2 and done.json()["rows_deleted"] == 1
    after = client.get(f"/v1/dataset/{ds}/versions", headers=org.auth()).json()["versions"]
    assert len(after) == before + 1 and after[0]["version"] == done.json()["xact_id"]
    rows = {r["id"]: r["expected"] for r in _rows(client, org, ds)["rows"]}
    assert rows == {"a": 1, "b": 2}
    again = client.post(f"/v1/dataset/{ds}/restore/preview", json={"version": v1},
                        headers=org.auth()).json()  # fmt: skip
    assert again["rows_to_restore"] == 0 and again["rows_to_delete"] == 0
    unknown = client.post(f"/v1/dataset/{ds}/restore", json={"version": "12"}, headers=org.auth())
    assert unknown.status_code == 404


def test_csv_and_jsonl_round_trip(client, org):  # noqa: F811
    ds = _dataset(client, org)
    csv_text = (
        "input,expected,metadata,tags,source\n"
        '"{""q"": ""2+2""}",4,"{""level"": 1}","[""math""]",manual\n'
        'plain text,"a, b",,"x, y",web\n'
    )
    r = client.post(f"/v1/dataset/{ds}/import",
                    files={"file": ("qa.csv", csv_text.encode(), "text/csv")},
                    headers=org.auth())  # fmt: skip
    assert r.status_code == 200, r.text
    assert r.json()["rows"] == 2
    rows = sorted(_rows(client, org, ds)["rows"], key=lambda x: str(x["input"]))
    assert rows[0]["input"] == "plain text" and rows[0]["tags"] == ["x", "y"]
    assert rows[0]["metadata"] == {"source": "web"} and rows[0]["expected"] == "a, b"
    assert rows[1]["input"] == {"q": "2+2"} and rows[1]["metadata"] == {
        "level": 1,
        "source": "manual",
    }

    for fmt in ("csv", "jsonl"):
        exported = client.get(f"/v1/dataset/{ds}/export", params={"format": fmt},
                              headers=org.auth())  # fmt: skip
        assert exported.status_code == 200
        copy = _dataset(client, org, name=f"copy-{fmt}")
        back = client.post(f"/v1/dataset/{copy}/import", json={"format": fmt,
                           "content": exported.text}, headers=org.auth())  # fmt: skip
        assert back.status_code == 200, back.text
        strip = [{k: r[k] for k in ("id", "input", "expected", "metadata", "tags")}
                 for r in _rows(client, org, copy)["rows"]]  # fmt: skip
        orig = [{k: r[k] for k in ("id", "input", "expected", "metadata", "tags")}
                for r in _rows(client, org, ds)["rows"]]  # fmt: skip
        key = lambda r: r["id"]  # noqa: E731
        assert sorted(strip, key=key) == sorted(orig, key=key), fmt

    mapped = client.post(
        f"/v1/dataset/{ds}/import",
        json={"format": "csv", "content": "question,answer\nhi,hello\n",
              "mapping": {"question": "input.question", "answer": "expected"}},
        headers=org.auth(),
    )  # fmt: skip
    assert mapped.status_code == 200
    assert any(r["input"] == {"question": "hi"} for r in _rows(client, org, ds)["rows"])


def test_bad_imports_name_the_line(client, org):  # noqa: F811
    ds = _dataset(client, org)
    bad_csv = "input,expected\nok,1\ntoo,many,cells\n"
    r = client.post(f"/v1/dataset/{ds}/import", json={"format": "csv", "content": bad_csv},
                    headers=org.auth())  # fmt: skip
    assert r.status_code == 400 and "line 3" in r.json()["error"]["message"]
    bad_meta = 'input,metadata\nok,"[1, 2]"\n'
    r = client.post(f"/v1/dataset/{ds}/import", json={"format": "csv", "content": bad_meta},
                    headers=org.auth())  # fmt: skip
    assert r.status_code == 400 and "line 2" in r.json()["error"]["message"]
    bad_jsonl = '{"input": 1}\n{"input": \n'
    r = client.post(f"/v1/dataset/{ds}/import", json={"format": "jsonl", "content": bad_jsonl},
                    headers=org.auth())  # fmt: skip
    assert r.status_code == 400 and "line 2" in r.json()["error"]["message"]
    assert _rows(client, org, ds)["rows"] == []  # a bad import stores nothing


def test_add_from_logs_by_ids_and_by_query(client, org):  # noqa: F811
    ds = _dataset(client, org, project="logs-proj")
    pid = client.get("/v1/project/logs-proj", headers=org.auth()).json()["id"]
    ingest = client.post(
        "/v1/ingest",
        json={"rows": [
            {"project_id": pid, "id": "s1", "input": "hello", "output": "hi",
             "metadata": {"model": "m1"}, "tags": ["good"]},
            {"project_id": pid, "id": "s2", "input": "bye", "output": "ciao",
             "expected": "goodbye"},
        ]},
        headers=org.auth(),
    )  # fmt: skip
    assert ingest.status_code == 200, ingest.text
    xact = ingest.json()["xact_id"]
    r = client.post(f"/v1/dataset/{ds}/from_logs", json={"span_ids": ["s1"]}, headers=org.auth())
    assert r.status_code == 200, r.text
    [row] = _rows(client, org, ds)["rows"]
    assert row["input"] == "hello" and row["expected"] == "hi" and row["tags"] == ["good"]
    assert row["metadata"] == {"model": "m1"}
    assert row["origin"] == {"object_type": "project_logs", "object_id": pid, "id": "s1",
                             "_xact_id": xact}  # fmt: skip

    q = "select: * | from: project_logs('logs-proj') | filter: input = 'bye'"
    r = client.post(f"/v1/dataset/{ds}/from_logs", json={"query": q}, headers=org.auth())
    assert r.status_code == 200, r.text and r.json()["rows"] == 1
    by_origin = {x["origin"]["id"]: x for x in _rows(client, org, ds)["rows"]}
    assert by_origin["s2"]["expected"] == "goodbye"

    r = client.post(f"/v1/dataset/{ds}/from_logs", json={"span_ids": ["nope"]}, headers=org.auth())
    assert r.status_code == 404 and "nope" in r.json()["error"]["message"]


def test_viewer_reads_but_cannot_write_and_other_orgs_see_nothing(client, org, services):  # noqa: F811
    ds = _dataset(client, org)
    client.post(f"/v1/dataset/{ds}/rows", json={"rows": [{"id": "a", "input": 1}]},
                headers=org.auth())  # fmt: skip
    viewer = {"Authorization": f"Bearer {make_user(services, org.org_id, 'v@x.io', 'viewer')}"}
    assert client.get(f"/v1/dataset/{ds}/rows", headers=viewer).status_code == 200
    for method, path, body in [
        ("post", f"/v1/dataset/{ds}/rows", {"rows": [{"input": 2}]}),
        ("patch", f"/v1/dataset/{ds}/rows/a", {"expected": 2}),
        ("post", f"/v1/dataset/{ds}/import", {"format": "jsonl", "content": '{"input": 1}'}),
        ("patch", f"/v1/dataset/{ds}", {"name": "renamed"}),
    ]:
        r = client.request(method, path, json=body, headers=viewer)
        assert r.status_code == 403, (path, r.text)
    assert client.delete(f"/v1/dataset/{ds}", headers=viewer).status_code == 403

    other = services.control.create_org("other-org")
    outsider = {"Authorization": f"Bearer {make_user(services, other.id, 'o@x.io', 'owner')}"}
    for path in (f"/v1/dataset/{ds}", f"/v1/dataset/{ds}/rows", f"/v1/dataset/{ds}/versions"):
        assert client.get(path, headers=outsider).status_code == 404
    r = client.post(f"/v1/dataset/{ds}/rows", json={"rows": [{"input": 9}]}, headers=outsider)
    assert r.status_code == 404
