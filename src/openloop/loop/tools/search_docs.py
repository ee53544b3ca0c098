"""``search_docs`` (``/docs <words>``): find the documentation sections that answer a question.

Searches OpenLoop's own docs (shipped with the package) by BM25 over heading-split sections and
answers with the best sections, each linked as ``docs/<page>.md#<anchor>`` so the user can open
the page; the model should cite those links.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from openloop.errors import InvalidInput
from openloop.loop.tools.base import (
    LoopContext,
    ToolResult,
    ToolSpec,
    quote_untrusted,
    register_tool,
)
from openloop.search.docs import default_index

__all__ = ["SearchDocsArgs", "search_docs"]


class SearchDocsArgs(BaseModel):
    query: str = Field(
        min_length=1, max_length=500, description="The question or words to look up."
    )
    limit: int = Field(default=4, ge=1, le=10, description="How many sections to return.")


def search_docs(ctx: LoopContext, args: SearchDocsArgs) -> ToolResult:
    words = args.query.strip()
    if not words:
        raise InvalidInput("give words to search for, e.g. /docs send traces with OpenTelemetry")
    index = default_index()
    hits = index.search(words, limit=args.limit)
    if not hits:
        return ToolResult(
            text=f"No documentation section matches {words!r}. Pages: {', '.join(index.pages())}.",
            data={"query": words, "hits": []},
        )
    found = []
    blocks = []
    for h in hits:
        sec = h.section
        title = sec.page_title if sec.title == sec.page_title else f"{sec.page_title} › {sec.title}"
        snippet = h.snippet(words, 500)
        found.append({"page": sec.page, "title": title, "link": h.link, "score": round(h.score, 3),
                      "snippet": snippet})  # fmt: skip
        blocks.append(f"[{title}]({h.link})\n{snippet}")
    text = "Documentation sections, best first (cite the links):\n\n" + quote_untrusted(
        "\n\n".join(blocks), source="OpenLoop docs"
    )
    links = "\n".join(f"- [{f['title']}]({f['link']})" for f in found)
    return ToolResult(text=text + "\n\nLinks:\n" + links, data={"query": words, "hits": found})


register_tool(
    ToolSpec(
        name="search_docs",
        description="Search OpenLoop's documentation (tracing, OpenTelemetry, query language, "
        "datasets, prompts, providers, configuration) and get the best sections with links. "
        "Cite the links in the answer.",
        kind="read",
        args=SearchDocsArgs,
        run=search_docs,
        command="/docs",
        pages=(),
    )
)
