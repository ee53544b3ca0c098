"""``categorize_errors``: group an experiment's failing rows into categories.

Rows fail on a task error or a score below its pass threshold; they are grouped by error type,
by which scores failed together, by distinctive keywords and by metadata category, each group
with counts and example rows (see :mod:`openloop.loop.skills.experiment_errors`).
"""

from __future__ import annotations

from pydantic import BaseModel, Field

from openloop.loop.skills.evals_common import resolve_object, thresholds
from openloop.loop.skills.experiment_errors import categorize, categorize_markdown
from openloop.loop.tools.base import (
    LoopContext,
    ToolResult,
    ToolSpec,
    quote_untrusted,
    register_tool,
)

__all__ = ["CategorizeArgs", "categorize_errors"]


class CategorizeArgs(BaseModel):
    experiment: str | None = Field(
        default=None, description="Experiment id or name; default: the page's experiment."
    )
    threshold: float | None = Field(
        default=None, ge=0, le=1,
        description="Pass threshold for every score; default: each scorer's own (else 0.5).",
    )  # fmt: skip


def categorize_errors(ctx: LoopContext, args: CategorizeArgs) -> ToolResult:
    from openloop.services.experiments import experiment_root_rows

    exp = resolve_object(ctx, "experiment", args.experiment)
    rows = experiment_root_rows(ctx.svc, ctx.principal, exp.id)
    names = sorted({n for r in rows for n in (r.get("scores") or {})})
    cuts = thresholds(ctx, exp.project_id, names)
    if args.threshold is not None:
        cuts = dict.fromkeys(names, args.threshold)
    report = categorize(rows, cuts)
    text = quote_untrusted(categorize_markdown(exp.name, report), source=f"experiment {exp.name}")
    return ToolResult(text=text, data={"experiment_id": exp.id, **report}, display="markdown")


register_tool(
    ToolSpec(
        name="categorize_errors",
        description="Group an experiment's failing rows (errors, or scores below the pass "
        "threshold) into categories by error type, failing-score pattern, keywords and "
        "metadata category, with counts and examples.",
        kind="read",
        args=CategorizeArgs,
        run=categorize_errors,
        pages=("experiment",),
    )
)
