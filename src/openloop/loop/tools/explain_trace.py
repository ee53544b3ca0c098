"""``explain_trace``: one trace as a tree with timings, errors, tokens, cost and its slowest span.

Loads the trace's spans with a query filtered by ``root_span_id`` (a span id of the trace works
too), rebuilds the parent/child tree and summarizes where the time went and what failed. Span
names, errors and models come from the logs and are shown as data.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from openloop.loop.skills.querying import scope_of
from openloop.loop.skills.traces import load_trace
from openloop.loop.tools.base import (
    LoopContext,
    ToolResult,
    ToolSpec,
    quote_untrusted,
    register_tool,
)

__all__ = ["ExplainTraceArgs", "explain_trace"]

_MAX_LINES = 120


class ExplainTraceArgs(BaseModel):
    trace_id: str = Field(
        min_length=1, max_length=200, description="The trace's root_span_id, or any span id in it."
    )
    project: str | None = Field(
        default=None, description="Project id or name; default: the page's."
    )


def explain_trace(ctx: LoopContext, args: ExplainTraceArgs) -> ToolResult:
    scope = scope_of(ctx, args.project)
    tree = load_trace(scope, args.trace_id.strip())
    st = tree.stats()
    lines = tree.lines()
    cut = len(lines) > _MAX_LINES
    if cut:
        lines = [*lines[:_MAX_LINES], f"… {len(lines) - _MAX_LINES} more spans"]
    summary = [f"Trace {tree.root_span_id}: {st['spans']} spans ("
               + ", ".join(f"{n} {t}" for t, n in sorted(st["by_type"].items())) + ")."]  # fmt: skip
    if st["duration"] is not None:
        summary.append(f"Took {st['duration']:.2f} s end to end.")
    if st["slowest"]:
        sl = st["slowest"]
        share = f" ({100 * sl['share']:.0f}% of the trace)" if sl["share"] else ""
        summary.append(f"Slowest span: {sl['name']} at {sl['seconds']:.2f} s{share}.")
    if st["tokens"]:
        summary.append(f"Tokens: {st['tokens']} ({st['prompt_tokens']} prompt, "
                       f"{st['completion_tokens']} completion); estimated cost ${st['cost']:.5f}.")  # fmt: skip
    if st["models"]:
        summary.append("Models: " + ", ".join(st["models"]) + ".")
    if st["errors"]:
        where = ", ".join(e["span"] for e in st["errors"])
        summary.append(f"{len(st['errors'])} span(s) failed: {where}.")
    else:
        summary.append("No span failed.")
    text = (" ".join(summary) + "\nSpan tree (start offset, duration):\n"
            + quote_untrusted("\n".join(lines), source="project logs"))  # fmt: skip
    data = {"root_span_id": tree.root_span_id, "stats": st, "tree": lines}
    return ToolResult(text=text, data=data, truncated=cut, display="markdown")


register_tool(
    ToolSpec(
        name="explain_trace",
        description="Explain one trace: its span tree with start offsets and durations, errors, "
        "models, tokens and cost, and the slowest span. Give a root_span_id (or any span id).",
        kind="read",
        args=ExplainTraceArgs,
        run=explain_trace,
        pages=("logs", "experiment"),
    )
)
