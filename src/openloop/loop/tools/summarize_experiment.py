"""``summarize_experiment`` (``/summarize``): what an experiment scored and what changed.

Per-score means and pass rates (a saved scorer's ``__pass_threshold``, else 0.5), metric means
(duration, tokens, cost), the worst rows and errors, and — when there is a baseline (the one
asked for, the experiment's base, the project's baseline, else the previous experiment) — the
diff per score with the dataset rows that improved and regressed.
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from openloop.loop.skills.evals_common import resolve_object, thresholds
from openloop.loop.skills.experiments_report import summary_markdown, summary_report
from openloop.loop.tools.base import LoopContext, ToolResult, ToolSpec, register_tool

__all__ = ["SummarizeArgs", "summarize_experiment"]


class SummarizeArgs(BaseModel):
    experiment: str | None = Field(
        default=None, description="Experiment id or name; default: the page's experiment."
    )
    baseline: str | None = Field(
        default=None, description="Experiment id or name to compare with; default: its baseline."
    )


def summarize_experiment(ctx: LoopContext, args: SummarizeArgs) -> ToolResult:
    from openloop.services.experiments import experiment_root_rows, resolve_baseline

    svc, p = ctx.svc, ctx.principal
    exp = resolve_object(ctx, "experiment", args.experiment)
    base_obj = resolve_object(ctx, "experiment", args.baseline) if args.baseline else None
    base = base_obj or resolve_baseline(svc, p, exp.id)
    rows = experiment_root_rows(svc, p, exp.id)
    base_rows = experiment_root_rows(svc, p, base.id) if base is not None else None
    names = sorted({n for r in rows for n in (r.get("scores") or {})})
    report = summary_report(rows, base_rows, thresholds(ctx, exp.project_id, names))
    text = summary_markdown(exp.name, report, base.name if base is not None else None)
    data = {
        "experiment_id": exp.id,
        "experiment_name": exp.name,
        "baseline_id": base.id if base is not None else None,
        "baseline_name": base.name if base is not None else None,
        **report,
    }
    return ToolResult(text=text, data=data, display="markdown")


register_tool(
    ToolSpec(
        name="summarize_experiment",
        description="Summarize an experiment: per-score means and pass rates, tokens, cost and "
        "duration, worst rows and errors, and what improved or regressed against its baseline.",
        kind="read",
        args=SummarizeArgs,
        run=summarize_experiment,
        command="/summarize",
        pages=("experiment", "experiments"),
    )
)
