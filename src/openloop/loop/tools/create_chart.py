"""``create_chart`` (write): save a Monitor chart from a query and a chart type.

The model turns "top 5 models by error rate over the last 7 days" into a query and a type
(``bar`` here; ``timeseries`` for "over time"; ``big_number`` for one value). Before the
approval card is shown, the query is run and shaped into series, so the user approves a chart
that is known to work; the card carries the series as its preview.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field
from pydantic_ai import ModelRetry

from openloop.errors import InvalidInput, QueryError
from openloop.loop.skills.querying import scope_of
from openloop.loop.tools.base import ChangePreview, LoopContext, ToolResult, ToolSpec, register_tool
from openloop.services import charts

__all__ = ["CreateChartArgs", "create_chart", "preview_create_chart"]


class CreateChartArgs(BaseModel):
    title: str = Field(min_length=1, max_length=200, description="Chart title.")
    query: str = Field(
        min_length=1,
        max_length=20_000,
        description="Aggregating BTQL/SQL query with a time range, e.g. SELECT day(created) AS "
        "day, count(error) / count(1) AS error_rate FROM project_logs('p') WHERE created > "
        "now() - interval 7 day GROUP BY 1",
    )
    chart_type: Literal["timeseries", "bar", "big_number"] = Field(
        description="timeseries: needs a time column; bar: a category column (top list); "
        "big_number: one value."
    )
    unit: Literal["count", "seconds", "usd", "percent", "tokens"] | None = Field(
        default=None, description="How values are shown; guessed from the query when omitted."
    )
    group_by: str | None = Field(default=None, description="Result column that splits series.")
    project: str | None = Field(
        default=None, description="Project id or name; default: the page's."
    )


def _preview(ctx: LoopContext, args: CreateChartArgs) -> dict[str, Any]:
    scope = scope_of(ctx, args.project)
    try:
        return charts.preview_chart(ctx.svc, ctx.principal, args.query, args.chart_type,
                                    unit=args.unit, group_by=args.group_by, project=scope.project)  # fmt: skip
    except (QueryError, InvalidInput) as err:
        raise ModelRetry(
            f"The chart query does not work: {err}. Fix the query or chart type."
        ) from err


def preview_create_chart(ctx: LoopContext, args: CreateChartArgs) -> ChangePreview:
    data = _preview(ctx, args)
    scope = scope_of(ctx, args.project)
    points = sum(len(s["points"]) for s in data["series"])
    what = (f"value {data.get('value')}" if args.chart_type == "big_number"
            else f"{len(data['series'])} series, {points} points")  # fmt: skip
    return ChangePreview(
        description=f"Save a {args.chart_type} chart {args.title!r} ({data['unit']}) on the "
        f"Monitor page of {scope.project!r} — {what}",
        preview={"title": args.title, **data},
    )


def create_chart(ctx: LoopContext, args: CreateChartArgs) -> ToolResult:
    scope = scope_of(ctx, args.project)
    try:
        rec = charts.create_chart(ctx.svc, ctx.principal, scope.project_id, title=args.title,
                                  query=args.query, chart_type=args.chart_type, unit=args.unit,
                                  group_by=args.group_by)  # fmt: skip
    except QueryError as err:
        raise ModelRetry(f"The chart query does not work: {err}") from err
    return ToolResult(
        text=f"Saved chart {rec['title']!r} ({rec['chart_type']}, {rec['unit']}) with id "
        f"{rec['id']}; it is on the Monitor page of {scope.project!r}.",
        data=rec,
        display="chart",
    )


register_tool(
    ToolSpec(
        name="create_chart",
        description="Save a custom chart on the Monitor page from a query and a chart type "
        "(timeseries, bar top list, big_number) with a unit (count, seconds, usd, percent, "
        "tokens). The query is run first to check it makes that chart.",
        kind="write",
        args=CreateChartArgs,
        run=create_chart,
        preview=preview_create_chart,
        pages=("monitor", "logs", "sandbox"),
    )
)
