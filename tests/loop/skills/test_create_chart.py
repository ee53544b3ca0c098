"""create_chart previews a working chart, then saves it; /v1/chart serves CRUD and previews."""

from __future__ import annotations

import pytest

P = "project_logs('demo-support-bot')"
W = "created > now() - interval 7 day"


def test_preview_then_save(demo) -> None:
    from openloop.loop.tools.base import get_tool
    from openloop.services import charts

    spec = get_tool("create_chart")
    args = spec.args(title="Errors by model", chart_type="bar",
                     query=f"SELECT metadata.model AS model, count(error) AS errors FROM {P} "
                           f"WHERE span_attributes.type = 'llm' AND {W} GROUP BY 1 ORDER BY errors DESC LIMIT 5")  # fmt: skip
    card = spec.preview(demo.ctx(), args)
    assert card.description.startswith("Save a bar chart 'Errors by model' (count)")
    points = card.preview["series"][0]["points"]
    assert len(points) == 4 and {p["x"] for p in points} == set(demo.facts["models"])
    assert not [c for c in charts.list_charts(demo.svc, demo.principal, demo.project_id)
                if c["title"] == "Errors by model"]  # fmt: skip
    res = spec.run(demo.ctx(), args)
    saved = charts.get_chart(demo.svc, demo.principal, res.data["id"])
    assert (
        saved["chart_type"] == "bar" and saved["unit"] == "count" and saved["query"] == args.query
    )


def test_broken_chart_query_is_a_model_retry(demo) -> None:
    from pydantic_ai import ModelRetry

    from openloop.loop.tools.base import get_tool

    spec = get_tool("create_chart")
    args = spec.args(title="x", chart_type="timeseries",
                     query=f"SELECT metadata.model AS model, count(1) AS n FROM {P} WHERE {W} GROUP BY 1")  # fmt: skip
    with pytest.raises(ModelRetry, match="needs a time column"):
        spec.preview(demo.ctx(), args)


def test_rest_crud_and_preview(demo) -> None:
    from fastapi.testclient import TestClient

    from openloop.server.app import create_app

    app = create_app(demo.svc.settings, services=demo.svc)
    with TestClient(app, headers={"Authorization": f"Bearer {demo.api_key}"}) as c:
        q = (f"SELECT day(created) AS day, metadata.model AS model, sum(estimated_cost()) AS cost "
             f"FROM {P} WHERE span_attributes.type = 'llm' AND {W} GROUP BY 1, 2")  # fmt: skip
        r = c.post("/v1/chart/preview", json={"query": q, "chart_type": "timeseries"})
        assert r.status_code == 200, r.text
        body = r.json()
        assert body["unit"] == "usd" and body["x"] == "day" and body["group_by"] == "model"
        assert {s["name"] for s in body["series"]} == set(demo.facts["models"])
        assert all(len(s["points"]) <= 8 for s in body["series"])

        big = c.post("/v1/chart/preview", json={"query": f"SELECT count(1) AS n FROM {P} WHERE {W}",
                                                "chart_type": "big_number"})  # fmt: skip
        assert big.json()["value"] > 0

        made = c.post("/v1/chart", json={"project_name": "demo-support-bot", "title": "Cost by model",
                                         "query": q, "chart_type": "timeseries"})  # fmt: skip
        assert made.status_code == 201, made.text
        cid = made.json()["id"]
        listed = c.get("/v1/chart", params={"project": "demo-support-bot"}).json()["objects"]
        assert cid in {o["id"] for o in listed}
        with_data = c.get(f"/v1/chart/{cid}", params={"data": "true"}).json()
        assert with_data["data"]["series"]
        patched = c.patch(f"/v1/chart/{cid}", json={"title": "Spend by model", "unit": "usd"})
        assert patched.status_code == 200 and patched.json()["title"] == "Spend by model"
        bad = c.patch(f"/v1/chart/{cid}", json={"query": "SELECT nope FROM"})
        assert bad.status_code == 400 and bad.json()["error"]["type"] == "QueryError"
        assert c.delete(f"/v1/chart/{cid}").status_code == 204
        assert c.get(f"/v1/chart/{cid}").status_code == 404
        wrong = c.post(
            "/v1/chart/preview",
            json={"query": f"SELECT id FROM {P} WHERE {W}", "chart_type": "bar"},
        )
        assert wrong.status_code == 400
