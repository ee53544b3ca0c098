"""``find_edge_cases``: what recent production logs show that a dataset does not cover.

Compares the dataset with the project's recent root spans: tags and frequent words of log
inputs that no dataset row has, error types seen in the logs, and edge-case kinds (very short
or long inputs, several questions, other languages, pasted code, frustration, instruction
injection, empty input) that no dataset row exercises — each with example log inputs.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from openloop.loop.skills.datasets_report import edge_cases
from openloop.loop.skills.evals_common import resolve_object
from openloop.loop.tools.base import (
    LoopContext,
    ToolResult,
    ToolSpec,
    quote_untrusted,
    register_tool,
)

__all__ = ["EdgeCasesArgs", "find_edge_cases"]

_MAX_LOG_ROWS = 1000


class EdgeCasesArgs(BaseModel):
    dataset: str | None = Field(default=None, description="Dataset id or name.")
    days: int = Field(default=14, ge=1, le=90, description="Days of logs to compare with.")


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def find_edge_cases(ctx: LoopContext, args: EdgeCasesArgs) -> ToolResult:
    from openloop.services.datasets import read_rows
    from openloop.services.query import run_user_query

    svc, p = ctx.svc, ctx.principal
    obj = resolve_object(ctx, "dataset", args.dataset)
    project = svc.control.get_project(p.org_id, obj.project_id)
    rows = read_rows(svc, p, obj.id)["rows"]
    limit = min(_MAX_LOG_ROWS, svc.settings.query_max_limit)
    query = (
        f"select: input, error, tags | from: project_logs({_quote(project.name)}) | filter: "
        f"is_root and created > now() - interval {args.days} day | limit: {limit}"
    )
    logs = run_user_query(svc, p, query, project=project.name)["data"]
    report = edge_cases(rows, logs)
    lines = [f"## Edge cases for {obj.name}",
             f"Dataset: {report['dataset_rows']} rows; logs: {report['log_rows']} recent traces "
             f"(last {args.days} days)."]  # fmt: skip
    sections = (("Log tags the dataset never uses", "uncovered_tags"),
                ("Frequent log terms absent from the dataset", "uncovered_terms"),
                ("Errors seen in logs", "log_errors"),
                ("Edge-case kinds with no dataset row", "missing_edge_cases"))  # fmt: skip
    for title, key in sections:
        if report[key]:
            lines += ["", f"### {title}"]
            for item in report[key]:
                lines.append(
                    f"- {item['name']}: {item['log_rows']} log rows"
                    + (f" — {item['description']}" if "description" in item else "")
                )
                lines += [f"  - e.g. {e}" for e in item["examples"][:2]]
    text = quote_untrusted("\n".join(lines), source=f"logs of {project.name}")
    text += f"\n(query: {query})"
    return ToolResult(text=text, data={"dataset_id": obj.id, "query": query, **report})


register_tool(
    ToolSpec(
        name="find_edge_cases",
        description="Find edge cases a dataset misses: topics, terms and errors in recent logs "
        "that no dataset row covers, and edge-case kinds (short/long, multi-question, other "
        "language, code, frustration, injection, empty) with examples.",
        kind="read",
        args=EdgeCasesArgs,
        run=find_edge_cases,
        pages=("dataset", "logs"),
    )
)
