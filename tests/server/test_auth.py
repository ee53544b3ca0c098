"""The auth matrix through the real ASGI app: no key, wrong key, other org, viewer, cookie."""

from __future__ import annotations

import re

from fastapi.routing import APIRoute

from tests.server.conftest import make_user

PUBLIC = {
    ("GET", "/health"),
    ("GET", "/login"),
    ("POST", "/login"),
    ("POST", "/logout"),
    ("GET", "/"),
}


def _all_routes(routes, prefix=""):
    for r in routes:
        if hasattr(r, "original_router"):  # FastAPI's included-router wrapper
            yield from _all_routes(r.original_router.routes, prefix + r.include_context.prefix)
        elif isinstance(r, APIRoute):
            yield prefix, r


def _api_routes(app):
    for prefix, r in _all_routes(app.routes):
        path = prefix + r.path
        if path.startswith("/auth/link/"):
            continue
        for m in r.methods:
            if (m, path) not in PUBLIC:
                yield m, re.sub(r"\{[^}]+\}", "x", path)


def test_health_needs_no_auth(client):
    r = client.get("/health")
    assert r.status_code == 200
    assert r.json()["status"] == "ok"


def test_every_api_route_requires_auth(client):
    routes = list(_api_routes(client.app))
    assert len(routes) >= 15
    for method, path in routes:
        r = client.request(method, path, json={})
        assert r.status_code == 401, (method, path, r.status_code, r.text)
        body = r.json()
        assert body["error"]["type"] == "Unauthorized", (method, path)
        assert "Bearer" in body["error"]["message"] or "log in" in body["error"]["message"]


def test_wrong_key_is_401_with_envelope(client):
    r = client.get("/v1/project", headers={"Authorization": "Bearer olk_nottherightkey"})
    assert r.status_code == 401
    assert set(r.json()) == {"error"}
    assert set(r.json()["error"]) >= {"type", "message"}
    r = client.get("/v1/project", headers={"Authorization": "Basic abc"})
    assert r.status_code == 401


def test_other_orgs_project_is_404(client, services, org):
    created = client.post("/v1/project", json={"name": "alpha"}, headers=org.auth())
    assert created.status_code == 201
    pid = created.json()["id"]
    other = services.control.create_org("other-org")
    key_b = make_user(services, other.id, "bob@other.example", "owner")
    hb = {"Authorization": f"Bearer {key_b}"}
    assert client.get(f"/v1/project/{pid}", headers=hb).status_code == 404
    assert client.get("/v1/project/alpha", headers=hb).status_code == 404
    assert (
        client.patch(f"/v1/project/{pid}", json={"name": "stolen"}, headers=hb).status_code == 404
    )
    assert client.delete(f"/v1/project/{pid}", headers=hb).status_code == 404
    assert client.get("/v1/project", headers=hb).json()["objects"] == []
    rows = [{"project_id": pid, "log_id": "g", "input": "x"}]
    r = client.post("/v1/ingest", json={"rows": rows}, headers=hb)
    assert r.status_code == 404
    assert "unknown project" in r.json()["error"]["errors"][0]["message"]
    # the owner still sees it, untouched
    assert client.get(f"/v1/project/{pid}", headers=org.auth()).json()["name"] == "alpha"


def test_viewer_reads_but_cannot_write(client, services, org):
    client.post("/v1/project", json={"name": "seen"}, headers=org.auth())
    hv = {
        "Authorization": f"Bearer {make_user(services, org.org_id, 'vera@example.com', 'viewer')}"
    }
    assert client.get("/v1/project", headers=hv).status_code == 200
    r = client.post("/v1/project", json={"name": "nope"}, headers=hv)
    assert r.status_code == 403
    assert r.json()["error"]["type"] == "Forbidden"
    r = client.post("/v1/ingest", json={"rows": [{"project_name": "seen", "input": 1}]}, headers=hv)
    assert r.status_code == 403
    assert client.delete("/v1/project/seen", headers=hv).status_code == 403
    assert [p["name"] for p in client.get("/v1/project", headers=org.auth()).json()["objects"]] == [
        "seen"
    ]


def test_member_cannot_manage_members(client, services, org):
    hm = {"Authorization": f"Bearer {make_user(services, org.org_id, 'mia@example.com', 'member')}"}
    r = client.post("/v1/member", json={"email": "x@example.com", "role": "admin"}, headers=hm)
    assert r.status_code == 403
    r = client.post(
        "/v1/member", json={"email": "x@example.com", "role": "viewer"}, headers=org.auth()
    )
    assert r.status_code == 201
    emails = [m.get("email") for m in client.get("/v1/member", headers=hm).json()["objects"]]
    assert "x@example.com" in emails


def test_login_link_sets_session_and_is_one_time(client, services, org):
    token = services.control.create_login_link(org.org_id, org.owner_id)
    r = client.get(f"/auth/link/{token}", follow_redirects=False)
    assert r.status_code == 303
    assert "openloop_session" in r.cookies or "openloop_session" in client.cookies
    assert client.get("/v1/project").status_code == 200
    # cookie writes need the CSRF header
    assert client.post("/v1/project", json={"name": "c1"}).status_code == 403
    assert (
        client.post(
            "/v1/project", json={"name": "c1"}, headers={"x-openloop-csrf": "1"}
        ).status_code
        == 201
    )
    page = client.get("/", headers={"accept": "text/html"})
    assert page.status_code == 200 and "c1" in page.text
    client.cookies.clear()
    again = client.get(f"/auth/link/{token}", follow_redirects=False)
    assert again.status_code == 401


def test_password_login(client, services, org):
    services.control.set_password(org.owner_id, "s3cret-passphrase")
    email = services.control.get_user(org.owner_id).email
    bad = client.post("/login", data={"email": email, "password": "wrong"}, follow_redirects=False)
    assert bad.status_code == 303 and "error" in bad.headers["location"]
    ok = client.post(
        "/login", data={"email": email, "password": "s3cret-passphrase"}, follow_redirects=False
    )
    assert ok.status_code == 303 and ok.headers["location"] == "/"
    assert client.get("/v1/project").status_code == 200


def test_api_keys_shown_once_and_revocable(client, org):
    r = client.post("/v1/api_key", json={"name": "ci"}, headers=org.auth())
    assert r.status_code == 201
    key, key_id = r.json()["key"], r.json()["id"]
    assert key.startswith(r.json()["prefix"])
    listed = client.get("/v1/api_key", headers=org.auth()).json()["objects"]
    assert all("key" not in k and "key_hash" not in k for k in listed)
    hk = {"Authorization": f"Bearer {key}"}
    assert client.get("/v1/project", headers=hk).status_code == 200
    assert client.delete(f"/v1/api_key/{key_id}", headers=org.auth()).status_code == 200
    assert client.get("/v1/project", headers=hk).status_code == 401


def test_unknown_route_and_bad_body_are_json_errors(client, org):
    r = client.get("/v1/nope", headers=org.auth())
    assert r.status_code == 404 and r.json()["error"]["type"] == "NotFound"
    r = client.post("/v1/project", json={"name": ""}, headers=org.auth())
    assert r.status_code == 422
    assert "name" in r.json()["error"]["message"]
