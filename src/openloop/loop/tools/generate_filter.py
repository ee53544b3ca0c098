"""``generate_filter``: check the filter the model wrote from the user's words, before the
user sees it.

The model turns "only LLM spans from user John Smith" into an expression such as
``span_attributes.type = 'llm' AND metadata.user_id = 'John Smith'`` and passes it here. The
tool compiles it inside ``select: id | from: project_logs(...) | filter: <expr> | limit: 1``;
when that fails it raises ``ModelRetry`` with the error and the valid field names, which gives
the model one round to repair its own call. A valid filter comes back with how many spans it
matches.
"""

from __future__ import annotations

from pydantic import BaseModel, Field
from pydantic_ai import ModelRetry

from openloop.errors import QueryError
from openloop.loop.skills.filter_gen import check_filter, retry_message
from openloop.loop.skills.querying import scope_of
from openloop.loop.tools.base import LoopContext, ToolResult, ToolSpec, register_tool

__all__ = ["GenerateFilterArgs", "generate_filter"]


class GenerateFilterArgs(BaseModel):
    filter: str = Field(
        min_length=1,
        max_length=5000,
        description="The filter expression (the WHERE part only), e.g. "
        "\"span_attributes.type = 'llm' AND created > now() - interval 5 day\".",
    )
    project: str | None = Field(
        default=None, description="Project id or name; default: the page's."
    )


def generate_filter(ctx: LoopContext, args: GenerateFilterArgs) -> ToolResult:
    scope = scope_of(ctx, args.project)
    try:
        check = check_filter(scope, args.filter)
    except QueryError as err:
        raise ModelRetry(retry_message(err)) from err
    window = f" in the last {check.window_days} days" if check.window_days else ""
    text = (
        f"Valid filter: `{check.expr}` matches {check.matches} spans{window}. "
        "Give the user this filter; the Logs page applies it as the BTQL filter."
    )
    data = {"filter": check.expr, "query": check.query, "matches": check.matches,
            "window_days": check.window_days}  # fmt: skip
    return ToolResult(text=text, data=data, display="markdown")


register_tool(
    ToolSpec(
        name="generate_filter",
        description="Validate a filter expression you wrote for the user's plain-language "
        'request (e.g. "only LLM spans", "from user John Smith", "factuality below 0.5 in '
        'the last 5 days") and count its matches. Use field names from describe_source; quote '
        "text values with single quotes.",
        kind="read",
        args=GenerateFilterArgs,
        run=generate_filter,
        pages=("logs", "monitor"),
    )
)
