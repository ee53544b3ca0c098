"""``analyze_logs`` (``/analyze-logs``): the project's logs report, or a focused answer.

Without a focus it is the overview a user gets on the Logs page: health and volume by day,
error rate and top errors with example traces, error spikes by model and day, latency by span
and by model, tokens and cost, score trends, notable users and recommendations. With a focus
("most common errors", "why is it slow", "cost by model") only the matching sections are built,
with more detail. Every number comes from a bounded, time-filtered query.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from openloop.loop.skills.logs_report import analyze_logs as build_report
from openloop.loop.skills.querying import DEFAULT_DAYS, MAX_DAYS, scope_of
from openloop.loop.tools.base import LoopContext, ToolResult, ToolSpec, register_tool

__all__ = ["AnalyzeLogsArgs", "analyze_logs"]


class AnalyzeLogsArgs(BaseModel):
    focus: str | None = Field(
        default=None,
        max_length=500,
        description="A specific question or angle (errors, latency, cost, scores, users); "
        "empty for the full overview.",
    )
    days: int = Field(default=DEFAULT_DAYS, ge=1, le=MAX_DAYS, description="Days back from now.")
    project: str | None = Field(
        default=None, description="Project id or name; default: the page's project."
    )


def analyze_logs(ctx: LoopContext, args: AnalyzeLogsArgs) -> ToolResult:
    scope = scope_of(ctx, args.project)
    focus = (args.focus or "").strip() or None
    report = build_report(scope, days=args.days, focus=focus)
    text = report.markdown()
    if len(report.queries) > 0:
        text += f"\n\n({len(report.queries)} queries over the last {report.days} days; "
        text += "the queries are in the result data.)"
    return ToolResult(text=text, data=report.to_dict(), display="markdown")


register_tool(
    ToolSpec(
        name="analyze_logs",
        description="Analyze the project's logs: health, volume trend, error rate and top errors "
        "with example traces, error spikes, latency by span and model, tokens and cost, score "
        "trends, notable users and recommendations. Pass `focus` to answer a specific question "
        "about the logs.",
        kind="read",
        args=AnalyzeLogsArgs,
        run=analyze_logs,
        command="/analyze-logs",
        pages=("logs", "project", "monitor"),
    )
)
