"""UI routes without a browser: pages redirect to login, API clients get the 401 envelope,
static assets are served, and saved views round-trip through the registry."""

from __future__ import annotations

from tests.server.conftest import client, org, services  # noqa: F401


def test_pages_redirect_browsers_and_401_api_clients(client):  # noqa: F811
    r = client.get("/p/x/logs", headers={"accept": "text/html"}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    r = client.get("/p/x/logs")
    assert r.status_code == 401 and r.json()["error"]["type"] == "Unauthorized"


def test_static_assets_and_vendored_htmx_with_license(client):  # noqa: F811
    assert client.get("/static/app.css").status_code == 200
    js = client.get("/static/vendor/htmx/htmx.min.js")
    assert js.status_code == 200 and "htmx" in js.text
    assert "Permission to use" in client.get("/static/vendor/htmx/LICENSE").text
    assert client.get("/login").status_code == 200


def test_saved_views_round_trip(client, org):  # noqa: F811
    client.post("/v1/project", json={"name": "p1"}, headers=org.auth())
    body = {"name": "errors", "metadata": {"filter": "error IS NOT NULL", "range": "7d", "x": 1}}
    made = client.post("/ui/api/p/p1/views", json=body, headers=org.auth())
    assert made.status_code == 201
    assert made.json()["metadata"] == {"filter": "error IS NOT NULL", "range": "7d"}
    listed = client.get("/ui/api/p/p1/views", headers=org.auth()).json()["objects"]
    assert [v["name"] for v in listed] == ["errors"]
    gone = client.delete(f"/ui/api/p/p1/views/{made.json()['id']}", headers=org.auth())
    assert gone.status_code == 204
    assert client.get("/ui/api/p/p1/views", headers=org.auth()).json()["objects"] == []
