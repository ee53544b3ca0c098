"""``compare_experiments`` (``/compare A B``): two experiments row by row.

Rows are matched by input. For every score: both means, the diff, and how many rows improved
and regressed; then the rows that changed most, with input snippets and per-score deltas.
"""

from __future__ import annotations

import re

from pydantic import BaseModel, Field

from openloop.errors import InvalidInput
from openloop.evals.compare import summarize
from openloop.loop.skills.evals_common import resolve_object
from openloop.loop.skills.experiments_report import changes, compare_markdown
from openloop.loop.tools.base import LoopContext, ToolResult, ToolSpec, register_tool

__all__ = ["CompareArgs", "compare_experiments"]

_SPLIT = re.compile(r"\s+(?:vs\.?|versus|and|against)\s+|\s*,\s*|\s+", re.IGNORECASE)


class CompareArgs(BaseModel):
    experiments: str | None = Field(
        default=None,
        max_length=500,
        description="Free text naming two experiments, e.g. 'citations-v2 baseline-v1' "
        "(the first is compared against the second).",
    )
    experiment: str | None = Field(
        default=None, description="Experiment id or name; default: the page's experiment."
    )
    baseline: str | None = Field(
        default=None, description="Experiment to compare with; default: the experiment's baseline."
    )
    top: int = Field(default=10, ge=1, le=50, description="How many changed rows to show.")


def _names(ctx: LoopContext, args: CompareArgs) -> tuple[str | None, str | None]:
    if not args.experiments:
        return args.experiment, args.baseline
    text = args.experiments.strip()
    # Whole names first: experiment names may contain spaces.
    control, org = ctx.svc.control, ctx.principal.org_id
    known = [o.name for o in control.list_objects(org, ctx.project_id, "experiment")] if (
        ctx.project_id) else []  # fmt: skip
    found = sorted(
        ((text.find(n), n) for n in known if n and n in text), key=lambda t: (t[0], -len(t[1]))
    )
    picked: list[str] = []
    for _pos, name in found:
        if not any(name in other for other in picked):
            picked.append(name)
    if len(picked) < 2:
        picked = [w for w in _SPLIT.split(text) if w]
    if len(picked) > 2:
        raise InvalidInput(f"name two experiments to compare, got {len(picked)}: {picked}")
    first = picked[0] if picked else args.experiment
    second = picked[1] if len(picked) > 1 else args.baseline
    return first, second


def compare_experiments(ctx: LoopContext, args: CompareArgs) -> ToolResult:
    from openloop.services.experiments import experiment_root_rows, resolve_baseline

    svc, p = ctx.svc, ctx.principal
    first, second = _names(ctx, args)
    exp = resolve_object(ctx, "experiment", first)
    base = resolve_object(ctx, "experiment", second) if second else resolve_baseline(svc, p, exp.id)
    if base is None:
        raise InvalidInput(f"experiment {exp.name!r} has no baseline; name one to compare with")
    if base.id == exp.id:
        raise InvalidInput("pick two different experiments to compare")
    rows = experiment_root_rows(svc, p, exp.id)
    base_rows = experiment_root_rows(svc, p, base.id)
    body = summarize(rows, base_rows)
    ch = changes(rows, base_rows)
    text = compare_markdown(exp.name, base.name, body, ch, args.top)
    data = {
        "experiment_id": exp.id,
        "experiment_name": exp.name,
        "baseline_id": base.id,
        "baseline_name": base.name,
        "scores": body["scores"],
        "metrics": body["metrics"],
        "changes": ch["scores"],
        "changed_rows": ch["changed"][: max(args.top, 50)],
        "matched": ch["matched"],
    }
    return ToolResult(text=text, data=data, display="markdown")


register_tool(
    ToolSpec(
        name="compare_experiments",
        description="Compare two experiments row by row (matched by input): per-score means, "
        "diffs, improvement and regression counts, and the rows that changed most.",
        kind="read",
        args=CompareArgs,
        run=compare_experiments,
        command="/compare",
        pages=("experiment", "experiments"),
    )
)
