"""``fix_query`` (``/fix <query>``): repair a query that fails, and prove the fix runs.

Deterministic repairs cover the common mistakes (a misspelled field, ``INCLUDES`` in SQL
mode, an unquoted string, ``==``, a missing range on ``project_logs``, unbalanced parentheses);
the fixed query must compile and run before it is offered. When no repair applies, the error
comes back with the position and valid field names so the model can propose a fix itself.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from openloop.errors import InvalidInput
from openloop.loop.skills.query_fix import fix_query as repair
from openloop.loop.skills.querying import DEFAULT_DAYS, MAX_DAYS, scope_of
from openloop.loop.skills.schema import COMMON_FIELDS
from openloop.loop.tools.base import LoopContext, ToolResult, ToolSpec, register_tool

__all__ = ["FixQueryArgs", "fix_query"]


class FixQueryArgs(BaseModel):
    query: str = Field(
        default="",
        max_length=100_000,
        description="The failing query; empty = the query on the page.",
    )
    days: int = Field(
        default=DEFAULT_DAYS, ge=1, le=MAX_DAYS, description="Range to add when one is missing."
    )
    project: str | None = Field(
        default=None, description="Project id or name; default: the page's."
    )


def fix_query(ctx: LoopContext, args: FixQueryArgs) -> ToolResult:
    text = args.query.strip() or str(ctx.page.get("query") or "").strip()
    if not text:
        raise InvalidInput("give the query to fix, e.g. /fix SELECT * FROM project_logs('p')")
    scope = scope_of(ctx, args.project)
    fix = repair(scope, text, days=args.days)
    data = {"original": fix.original, "query": fix.query, "changes": fix.changes, "ok": fix.ok,
            "error": fix.error, "rows": fix.rows}  # fmt: skip
    if fix.ok and not fix.changes:
        return ToolResult(
            text=f"The query already works ({fix.rows} rows); nothing to fix.", data=data
        )
    if fix.ok:
        changes = "\n".join(f"- {c}" for c in fix.changes)
        text_out = (f"Fixed query (compiles and runs, {fix.rows} rows):\n```\n{fix.query}\n```\n"
                    f"What changed:\n{changes}")  # fmt: skip
        return ToolResult(text=text_out, data=data, display="diff")
    tried = (
        ("\nRepairs tried so far:\n" + "\n".join(f"- {c}" for c in fix.changes))
        if fix.changes
        else ""
    )
    text_out = (f"No automatic fix. The query still fails:\n{fix.error}{tried}\n"
                f"Valid fields include: {', '.join(COMMON_FIELDS)}. Propose a corrected query and "
                "check it with run_query.")  # fmt: skip
    return ToolResult(text=text_out, data=data)


register_tool(
    ToolSpec(
        name="fix_query",
        description="Fix a BTQL/SQL query that fails to parse or run (misspelled fields, "
        "INCLUDES in SQL, unquoted strings, missing time range, parentheses). Returns the "
        "corrected query, verified by running it, and what changed.",
        kind="read",
        args=FixQueryArgs,
        run=fix_query,
        command="/fix",
        pages=("sandbox", "logs", "monitor"),
    )
)
