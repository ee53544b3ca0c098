"""``search_traces``: find traces by keywords, or by meaning.

Keyword mode runs the full-text index (``search('words')``, every word must occur), newest
first. Meaning mode ranks the window's root spans by cosine similarity between local
all-MiniLM-L6-v2 embeddings of their text and of the request (plus any ``alternatives``), so
paraphrases sharing no word are found; nothing is sent off the machine. When that model is not
installed, meaning mode says so in its result and runs the lexical fallback instead: keyword
alternatives (related words, word pairs, the given ``alternatives``) ranked by BM25.
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
        description="keyword: all words must occur. meaning: rank by similarity of meaning.",
    )
    alternatives: list[str] = Field(
        default_factory=list,
        max_length=8,
        description="For meaning mode: other phrasings of the request to match as well.",
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


def _how(found: dict[str, Any]) -> str:
    if found.get("engine") == "embeddings":
        rest = "" if found["complete"] else "; the older ones are embedded on later searches"
        return (f"ranked by meaning (cosine similarity of local {found['model']} embeddings; "
                f"{found['ranked']} of {found['candidates']} root spans ranked{rest})")  # fmt: skip
    if found.get("engine") == "lexical":
        return f"ranked by word overlap (BM25) over alternatives {found['alternatives']}"
    return "newest first"


def search_traces(ctx: LoopContext, args: SearchTracesArgs) -> ToolResult:
    scope = scope_of(ctx, args.project)
    found = find(scope, args.query, mode=args.mode, days=args.days, limit=args.limit,
                 alternatives=args.alternatives)  # fmt: skip
    traces = found["traces"]
    engine = found.get("engine")
    note = ""
    if found.get("fallback_reason"):
        note = (f"Search by meaning is unavailable ({found['fallback_reason']}); "
                "the lexical fallback ran instead. ")  # fmt: skip
    if not traces:
        if engine == "embeddings" and not found["candidates"]:
            return ToolResult(
                text=f"The project has no trace in the last {args.days} days; try a longer window.",
                data=found,
            )
        if engine == "embeddings":
            return ToolResult(
                text=f"No trace in the last {args.days} days is close in meaning to the request "
                f"(best similarity {found['best_score']}, below {found['min_score']}, over "
                f"{found['ranked']} of {found['candidates']} root spans). Rephrase it, add "
                "alternatives, or use mode='keyword' for exact words.",
                data=found,
            )
        tried = ", ".join(repr(a) for a in found["alternatives"])
        return ToolResult(
            text=f"{note}No trace in the last {args.days} days matches (searched {tried}). The "
            "search is by words; try other words or a longer window.",
            data=found,
        )
    lines = []
    for t in traces:
        score = f" score {t['score']}" if "score" in t else ""
        err = f" error: {_preview(t['error'], 120)}" if t.get("error") is not None else ""
        lines.append(
            f"{t['root_span_id']} {t['created']}{score} input: {_preview(t.get('input'))}{err}"
        )
    text = (f"{note}{len(traces)} traces, {_how(found)}:\n" + quote_untrusted("\n".join(lines), source="project logs")
            + "\nUse explain_trace with a root_span_id for details.")  # fmt: skip
    rows = [{k: t.get(k) for k in ("root_span_id", "created", "input", "output", "error", "score")}
            for t in traces]  # fmt: skip
    return ToolResult(text=text, data={**found, "traces": rows}, display="table")


register_tool(
    ToolSpec(
        name="search_traces",
        description="Find traces in the project's logs by keywords (full text, newest first) or "
        "by meaning (mode='meaning': ranks traces by similarity to the request with a local "
        "embedding model, so paraphrases match; lexical fallback when the model is not "
        "installed). Returns trace ids with input previews and scores.",
        kind="read",
        args=SearchTracesArgs,
        run=search_traces,
        pages=("logs", "project"),
    )
)
