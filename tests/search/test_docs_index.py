"""The docs index: heading-split sections, GitHub anchors, BM25 ranking, shipped docs found."""

from __future__ import annotations

from openloop.search.docs import BM25, DocsIndex, anchor, default_index, docs_dir, split_page, terms

PAGE = """# Tracing

Intro words.

## Send spans

Use `init_logger` to send spans.

```python
# not a heading
x = 1
```

## Send spans

Again.

### Über `wrap_openai` (v2)

Wrapping clients.
"""


def test_sections_and_anchors() -> None:
    secs = split_page("tracing.md", PAGE)
    assert [(s.title, s.anchor) for s in secs] == [
        ("Tracing", ""), ("Send spans", "send-spans"), ("Send spans", "send-spans-1"),
        ("Über `wrap_openai` (v2)", "über-wrap_openai-v2"),
    ]  # fmt: skip
    assert "# not a heading" in secs[1].text
    assert all(s.page_title == "Tracing" for s in secs)
    assert secs[1].link == "docs/tracing.md#send-spans"
    assert anchor("1. Sending") == "1-sending"


def test_bm25_prefers_the_focused_document() -> None:
    bm = BM25([terms("refund policy refund"), terms("billing refund once among many other words"),
               terms("sso login")])  # fmt: skip
    ranked = bm.rank(terms("refunds"))
    assert [i for i, _ in ranked] == [0, 1]


def test_search_links_and_snippets() -> None:
    index = DocsIndex.from_texts(
        {"tracing.md": PAGE, "other.md": "# Other\n## Datasets\nRows and versions."}
    )
    hits = index.search("wrapping clients")
    assert hits[0].link == "docs/tracing.md#über-wrap_openai-v2"
    assert "Wrapping clients" in hits[0].snippet("wrapping clients")
    assert index.search("the of and") == []


def test_shipped_docs_are_indexed() -> None:
    path = docs_dir()
    assert path is not None
    index = default_index()
    assert set(index.pages()) == {p.name for p in path.glob("*.md")}
    top = [h.section.page for h in index.search("how do I send traces with OpenTelemetry", limit=3)]
    assert "tracing-otel.md" in top
