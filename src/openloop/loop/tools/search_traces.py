"""``search_traces``: find traces by keywords, or "by meaning" through keyword expansion.

Keyword mode runs the full-text index (``search('words')``, every word must occur), newest
first. Meaning mode expands the request into keyword alternatives (related words, word pairs,
and any ``alternatives`` the model supplies — pass synonyms and paraphrases there), collects
the traces each alternative finds and ranks them by BM25. This is lexical search: no embedding
model is involved, so a trace sharing no word with the request or its alternatives is missed.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from openloop.loop.skills.querying import DEFAULT_DAYS, MAX_DAYS, scope_of
from openloop.loop.skills.traces import search_traces as find
from openloop.loop.tools.base import (
    LoopContext,
    ToolResult,
    ToolSpec,
    quote_untrusted,
    register_tool,
)

__all__ = ["SearchTracesArgs", "search_traces"]


class SearchTracesArgs(BaseModel):
    query: str = Field(min_length=1, max_length=500, description="Keywords or the request.")
    mode: Literal["keyword", "meaning"] = Field(
        default="keyword",
        description="keyword: all words must occur. meaning: expand into alternatives and rank.",
    )
    alternatives: list[str] = Field(
        default_factory=list,
        max_length=8,
        description="For meaning mode: synonyms or short paraphrases to search as well.",
    )
    days: int = Field(default=DEFAULT_DAYS, ge=1, le=MAX_DAYS, description="Days back from now.")
    limit: int = Field(default=10, ge=1, le=50, description="Most traces to return.")
    project: str | None = Field(
        default=None, description="Project id or name; default: the page's."
    )


def _preview(value: Any, n: int = 200) -> str:
    text = value if isinstance(value, str) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= n else text[: n - 1] + "…"


def search_traces(ctx: LoopContext, args: SearchTracesArgs) -> ToolResult:
    scope = scope_of(ctx, args.project)
    found = find(scope, args.query, mode=args.mode, days=args.days, limit=args.limit,
                 alternatives=args.alternatives)  # fmt: skip
    traces = found["traces"]
    if not traces:
        tried = ", ".join(repr(a) for a in found["alternatives"])
        return ToolResult(
            text=f"No trace in the last {args.days} days matches (searched {tried}). The search "
            "is by words; try other words or a longer window.",
            data=found,
        )
    lines = []
    for t in traces:
        score = f" score {t['score']}" if "score" in t else ""
        err = f" error: {_preview(t['error'], 120)}" if t.get("error") is not None else ""
        lines.append(
            f"{t['root_span_id']} {t['created']}{score} input: {_preview(t.get('input'))}{err}"
        )
    how = ("newest first" if args.mode == "keyword"
           else f"ranked by word overlap (BM25) over alternatives {found['alternatives']}")  # fmt: skip
    text = (f"{len(traces)} traces, {how}:\n" + quote_untrusted("\n".join(lines), source="project logs")
            + "\nUse explain_trace with a root_span_id for details.")  # fmt: skip
    rows = [{k: t.get(k) for k in ("root_span_id", "created", "input", "output", "error", "score")}
            for t in traces]  # fmt: skip
    return ToolResult(text=text, data={**found, "traces": rows}, display="table")


register_tool(
    ToolSpec(
        name="search_traces",
        description="Find traces in the project's logs by keywords (full text, newest first) or "
        "by meaning (mode='meaning': expands into keyword alternatives you can add and ranks "
        "by word overlap; lexical, not embeddings). Returns trace ids with input previews.",
        kind="read",
        args=SearchTracesArgs,
        run=search_traces,
        pages=("logs", "project"),
    )
)
