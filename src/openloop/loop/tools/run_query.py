"""``run_query`` (``/query <q>``): run a BTQL or SQL query and say what came back.

The answer is the rows (bounded), a plain-words summary (row count, top values, numeric
ranges) and two or three follow-up queries that compile. On the query sandbox the page's
current query is ``page.query``: "update the query to show errors over time" means writing the
whole new query and running it here; the result says which query it replaces so the UI can put
it in the editor. With no query argument, the page's query is run.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from openloop.errors import InvalidInput
from openloop.loop.skills.querying import run, scope_of
from openloop.loop.skills.results import follow_ups, summarize_rows
from openloop.loop.tools.base import LoopContext, ToolResult, ToolSpec, bounded_rows, register_tool

__all__ = ["RunQueryArgs", "run_query"]


class RunQueryArgs(BaseModel):
    query: str = Field(
        default="",
        max_length=100_000,
        description="The full BTQL or SQL query. Give project_logs queries a range such as "
        "`created > now() - interval 7 day`. Empty = run the page's current query.",
    )
    project: str | None = Field(
        default=None, description="Project id or name; default: the page's."
    )


def run_query(ctx: LoopContext, args: RunQueryArgs) -> ToolResult:
    page_query = str(ctx.page.get("query") or "").strip()
    text = args.query.strip() or page_query
    if not text:
        raise InvalidInput(
            "give a query to run, e.g. /query select: * | from: project_logs('p') | limit: 5"
        )
    scope = scope_of(ctx, args.project)
    from openloop.query import describe

    result = run(scope, text)
    rows = result["data"]
    shown = bounded_rows(rows)
    facts = summarize_rows(rows)
    nexts = follow_ups(scope, text, rows)
    parts = [f"Ran: {describe(text)}", "Summary: " + " ".join(facts)]
    if result.get("warnings"):
        parts.append("Warnings: " + "; ".join(w.get("message", "") for w in result["warnings"]))
    if result.get("cursor"):
        parts.append("More rows exist (the result has a cursor for the next page).")
    parts.append("Rows:\n" + shown.text)
    if nexts:
        parts.append(
            "Follow-up queries you could suggest:\n" + "\n".join(f"- `{q}`" for q in nexts)
        )
    replaces = page_query if page_query and page_query != text else None
    if replaces:
        parts.append("This query replaces the one in the sandbox editor.")
    data = {"query": text, "rows": shown.data, "row_count": len(rows), "schema": result.get("schema"),
            "summary": facts, "follow_ups": nexts, "warnings": result.get("warnings", []),
            "cursor": result.get("cursor"), "replaces": replaces}  # fmt: skip
    return ToolResult(
        text="\n\n".join(parts), data=data, truncated=shown.truncated, display="table"
    )


register_tool(
    ToolSpec(
        name="run_query",
        description="Run a BTQL or SQL query on project logs, experiments or datasets and get "
        "the rows, a summary and follow-up queries. To change the query on the page "
        "(page.query), write the complete updated query and run it.",
        kind="read",
        args=RunQueryArgs,
        run=run_query,
        command="/query",
        pages=("sandbox", "logs", "experiment", "dataset", "monitor"),
    )
)
