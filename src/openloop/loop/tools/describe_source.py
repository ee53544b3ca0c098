"""``describe_source``: the fields of a data source with their types and sample or top values.

Loop calls it before writing a query or filter so the field names and values it uses are the
real ones (``metadata.user_id``, ``span_attributes.type = 'llm'``), not guesses. Values come
from the newest rows (a bounded sample) and are shown as data.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from openloop.loop.skills.querying import DEFAULT_DAYS, MAX_DAYS, scope_of
from openloop.loop.skills.schema import describe_source as build_schema
from openloop.loop.tools.base import (
    MAX_TEXT_CHARS,
    LoopContext,
    ToolResult,
    ToolSpec,
    quote_untrusted,
    register_tool,
)

__all__ = ["DescribeSourceArgs", "describe_source"]


class DescribeSourceArgs(BaseModel):
    kind: Literal["project_logs", "experiment", "dataset"] = Field(
        default="project_logs", description="Which kind of source to describe."
    )
    name: str | None = Field(
        default=None,
        max_length=300,
        description="Experiment or dataset name or id (project name or id for project_logs; "
        "default: the page's project).",
    )
    days: int = Field(default=DEFAULT_DAYS, ge=1, le=MAX_DAYS, description="Logs window in days.")


def describe_source(ctx: LoopContext, args: DescribeSourceArgs) -> ToolResult:
    project = args.name if args.kind == "project_logs" else None
    scope = scope_of(ctx, project)
    name = args.name
    if args.kind != "project_logs" and not name:
        key = "experiment_id" if args.kind == "experiment" else "dataset_id"
        name = ctx.page.get(key) or next(
            (s.get("id") for s in ctx.data_sources if s.get("kind") == args.kind), None
        )
    schema = build_schema(scope, kind=args.kind, name=name, days=args.days)
    if not schema.fields:
        text = f"{schema.source} has no rows" + (
            f" in the last {args.days} days." if args.kind == "project_logs" else "."
        )
        return ToolResult(text=text, data=schema.to_dict())
    body = schema.text()
    truncated = len(body) > MAX_TEXT_CHARS - 400
    if truncated:
        body = body[: MAX_TEXT_CHARS - 400] + "\n…(more fields cut)"
    text = (
        f"Fields of {schema.source} seen in its newest {schema.rows_sampled} rows "
        "(path (type): top values with counts, or min to max):\n"
        + quote_untrusted(body, source=schema.source)
        + "\nHot, fast fields: metadata.model, metadata.user_id, span_attributes.type|name, "
        "metrics.*tokens, latency (= metrics.duration), error_type, scores.<name>, tags."
    )
    return ToolResult(text=text, data=schema.to_dict(), truncated=truncated, display="table")


register_tool(
    ToolSpec(
        name="describe_source",
        description="List the fields of project logs, an experiment or a dataset with their "
        "types and sample/top values. Call it before writing a query or filter whose field "
        "names or values you are not sure of.",
        kind="read",
        args=DescribeSourceArgs,
        run=describe_source,
        pages=("logs", "experiment", "dataset", "sandbox", "monitor"),
    )
)
