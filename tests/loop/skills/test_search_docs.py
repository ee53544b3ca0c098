"""/docs finds the documentation page that answers a question and links to its sections."""

from __future__ import annotations


def test_opentelemetry_question_finds_the_otel_page(demo) -> None:
    res = demo.run("search_docs", query="how do I send traces with OpenTelemetry")
    pages = [h["page"] for h in res.data["hits"]]
    assert "tracing-otel.md" in pages[:2]
    link = next(h["link"] for h in res.data["hits"] if h["page"] == "tracing-otel.md")
    assert link.startswith("docs/tracing-otel.md")
    assert f"]({link})" in res.text


def test_query_language_question(demo) -> None:
    res = demo.run("search_docs", query="INCLUDES in SQL mode")
    assert res.data["hits"][0]["link"] == "docs/query-language.md#operators"


def test_no_match(demo) -> None:
    res = demo.run("search_docs", query="zzqxv")
    assert res.data["hits"] == []
    assert "query-language.md" in res.text
