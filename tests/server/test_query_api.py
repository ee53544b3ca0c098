"""Query errors over ``POST /btql``: a misspelt field is a 400 that points at the spot (line,
column, snippet) and suggests each close field name once."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "query",
    [
        pytest.param("from: project_logs('shop') | select: metadta.model", id="select"),
        pytest.param(
            "from: project_logs('shop')\n| select: id\n| filter: metadta.model = 'x'",
            id="filter-after-select",
        ),
        pytest.param("from: project_logs('shop') | filter: metadta.model = 'gpt-4o'", id="filter"),
        pytest.param("from: project_logs('shop') | sort: metadta.model", id="sort"),
        pytest.param(
            "SELECT * FROM project_logs('shop') WHERE metadta.model = 'x'", id="sql-where"
        ),
    ],
)
def test_misspelt_field_points_at_it_and_suggests_each_name_once(client, org, query):
    assert client.post("/v1/project", json={"name": "shop"}, headers=org.auth()).status_code == 201
    r = client.post("/btql", json={"query": query}, headers=org.auth())
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["type"] == "QueryError"
    assert "metadta" in error["message"] and "metadata" in error["message"]
    lines = query.splitlines()
    line = next(i for i, text in enumerate(lines, 1) if "metadta" in text)
    column = lines[line - 1].index("metadta") + 1
    assert (error["line"], error["column"]) == (line, column)
    assert error["snippet"] == lines[line - 1] + "\n" + " " * (column - 1) + "^"
    suggestions = error["suggestions"]
    assert "metadata" in suggestions
    assert len(suggestions) == len(set(suggestions)), suggestions
