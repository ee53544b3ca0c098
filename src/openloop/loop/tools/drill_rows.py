"""``drill_rows``: the rows of an experiment within a score range, sorted.

"Show me rows where the judge gave 0", "the 10 worst rows", "rows with errors": filter by one
score (or the row's mean score) between ``min_score`` and ``max_score``, optionally only rows
with errors, sorted by score or time.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from openloop.errors import InvalidInput
from openloop.loop.skills.evals_common import resolve_object
from openloop.loop.skills.experiments_report import drill
from openloop.loop.tools.base import LoopContext, ToolResult, ToolSpec, bounded_rows, register_tool

__all__ = ["DrillArgs", "drill_rows"]


class DrillArgs(BaseModel):
    experiment: str | None = Field(
        default=None, description="Experiment id or name; default: the page's experiment."
    )
    score: str | None = Field(
        default=None, description="Score name to filter and sort by; default: the row's mean."
    )
    min_score: float | None = Field(default=None, ge=0, le=1, description="Keep rows >= this.")
    max_score: float | None = Field(default=None, ge=0, le=1, description="Keep rows <= this.")
    errors_only: bool = Field(default=False, description="Only rows whose task failed.")
    sort: Literal["score", "-score", "created"] = Field(
        default="score", description="score (worst first), -score (best first) or created."
    )
    limit: int = Field(default=20, ge=1, le=200)


def drill_rows(ctx: LoopContext, args: DrillArgs) -> ToolResult:
    from openloop.services.experiments import experiment_root_rows

    exp = resolve_object(ctx, "experiment", args.experiment)
    rows = experiment_root_rows(ctx.svc, ctx.principal, exp.id)
    if args.score is not None:
        names = sorted({n for r in rows for n in (r.get("scores") or {})})
        if args.score not in names:
            raise InvalidInput(
                f"experiment {exp.name!r} has no score {args.score!r}; scores: {', '.join(names)}"
            )
    picked = drill(rows, score=args.score, min_score=args.min_score, max_score=args.max_score,
                   errors_only=args.errors_only, sort=args.sort, limit=args.limit)  # fmt: skip
    result = bounded_rows(picked, source=f"experiment {exp.name}")
    what = args.score or "mean score"
    head = f"{len(picked)} rows of {exp.name} (of {len(rows)}) by {what}, sorted {args.sort}."
    result.text = head + "\n" + result.text
    return result


register_tool(
    ToolSpec(
        name="drill_rows",
        description="List an experiment's rows filtered by a score range (or errors) and sorted, "
        "with input, output, expected and scores.",
        kind="read",
        args=DrillArgs,
        run=drill_rows,
        pages=("experiment",),
    )
)
