"""``analyze_dataset`` (``/dataset-report``): the dataset report.

Content and size, the shape of ``input``/``expected``/``metadata``, category and tag
distributions, duplicate and near-duplicate inputs, input length statistics, edge-case probes,
and from those the strengths, gaps and recommendations. Deterministic: no model is involved.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from openloop.loop.skills.datasets_report import analyze, report_markdown
from openloop.loop.skills.evals_common import resolve_object
from openloop.loop.tools.base import (
    LoopContext,
    ToolResult,
    ToolSpec,
    quote_untrusted,
    register_tool,
)

__all__ = ["AnalyzeDatasetArgs", "analyze_dataset"]


class AnalyzeDatasetArgs(BaseModel):
    dataset: str | None = Field(
        default=None, description="Dataset id or name; default: the page's dataset."
    )
    version: str | None = Field(default=None, description="Version to read; default: latest.")


def analyze_dataset(ctx: LoopContext, args: AnalyzeDatasetArgs) -> ToolResult:
    from openloop.services.datasets import read_rows

    obj = resolve_object(ctx, "dataset", args.dataset)
    data = read_rows(ctx.svc, ctx.principal, obj.id, version=args.version)
    report = analyze(data["rows"])
    body = report_markdown(obj.name, report)
    examples = "\n".join(f"- {e}" for e in report["examples"])
    text = body + "\n\nExample inputs:\n" + quote_untrusted(examples, source=f"dataset {obj.name}")
    out = {"dataset_id": obj.id, "dataset_name": obj.name, "version": data["version"], **report}
    return ToolResult(text=text, data=out, display="markdown")


register_tool(
    ToolSpec(
        name="analyze_dataset",
        description="Report on a dataset: size, field shapes, categories and tags, duplicates, "
        "input lengths, strengths, gaps and recommendations.",
        kind="read",
        args=AnalyzeDatasetArgs,
        run=analyze_dataset,
        command="/dataset-report",
        pages=("dataset", "playground"),
    )
)
