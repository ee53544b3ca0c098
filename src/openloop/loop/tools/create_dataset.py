"""``create_dataset`` (write): a new dataset, from rows the model wrote or from an
experiment's best or failing rows (each with ``origin`` pointing back at its experiment row).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from openloop.errors import InvalidInput
from openloop.loop.skills.dataset_rows import pick_rows, preview_rows
from openloop.loop.skills.evals_common import describe, project_of, resolve_object
from openloop.loop.tools.add_dataset_rows import NewRow
from openloop.loop.tools.base import (
    ChangePreview,
    LoopContext,
    ToolResult,
    ToolSpec,
    register_tool,
)

__all__ = ["CreateDatasetArgs", "create_dataset"]


class CreateDatasetArgs(BaseModel):
    name: str = Field(min_length=1, max_length=200, description="Name of the new dataset.")
    description: str = Field(default="", max_length=1000)
    rows: list[NewRow] | None = Field(default=None, max_length=500, description="Rows to add.")
    from_experiment: str | None = Field(
        default=None, description="Take rows from this experiment (id or name) instead."
    )
    select: Literal["best", "failing"] = Field(
        default="failing", description="With from_experiment: its best or its failing rows."
    )
    score: str | None = Field(default=None, description="Score to select by; default: mean.")
    threshold: float | None = Field(
        default=None, ge=0, le=1,
        description="failing: below this (default 0.5); best: at least this (default 0.9).",
    )  # fmt: skip
    limit: int = Field(default=50, ge=1, le=500)
    project: str | None = Field(default=None, description="Project; default: the current one.")


def _plan(ctx: LoopContext, args: CreateDatasetArgs) -> tuple[Any, list[dict[str, Any]], str]:
    from openloop.services.datasets import clean_row

    project = project_of(ctx, args.project)
    taken = {o.name for o in ctx.svc.control.list_objects(ctx.principal.org_id, project.id,
                                                            "dataset")}  # fmt: skip
    if args.name.strip() in taken:
        raise InvalidInput(f"a dataset named {args.name!r} already exists; pick another name")
    if args.from_experiment:
        from openloop.services.experiments import experiment_root_rows

        exp = resolve_object(ctx, "experiment", args.from_experiment)
        rows = experiment_root_rows(ctx.svc, ctx.principal, exp.id)
        cut = args.threshold if args.threshold is not None else (
            0.5 if args.select == "failing" else 0.9)  # fmt: skip
        picked = pick_rows(rows, experiment_id=exp.id, select=args.select, score=args.score,
                           threshold=cut, limit=args.limit)  # fmt: skip
        by = args.score or "mean score"
        source = (f"from experiment {exp.name!r}'s {args.select} rows "
                  f"({by} {'<' if args.select == 'failing' else '≥'} {cut:g})")  # fmt: skip
        if not picked:
            raise InvalidInput(f"no rows {source[5:]}; try another score or threshold")
    elif args.rows:
        picked = [r.model_dump(exclude_none=True) for r in args.rows]
        source = "written by Loop"
    else:
        raise InvalidInput("give rows, or from_experiment to take rows from an experiment")
    return project, [clean_row(r, i) for i, r in enumerate(picked)], source


def preview(ctx: LoopContext, args: CreateDatasetArgs) -> ChangePreview:
    project, rows, source = _plan(ctx, args)
    line = describe(
        f"Create dataset {args.name!r} in project {project.name!r} with {len(rows)} rows {source}"
    )
    return ChangePreview(description=line, diff=preview_rows(rows), preview=rows)


def create_dataset(ctx: LoopContext, args: CreateDatasetArgs) -> ToolResult:
    from openloop.services import datasets

    project, rows, source = _plan(ctx, args)
    obj = datasets.create_dataset(ctx.svc, ctx.principal, project.id, args.name.strip(),
                                  description=args.description)  # fmt: skip
    result = datasets.insert_rows(ctx.svc, ctx.principal, obj.id, rows)
    text = f"Created dataset {obj.name!r} (id {obj.id}) with {len(rows)} rows {source}."
    return ToolResult(text=text, data={"dataset_id": obj.id, "rows": len(rows), **result})


register_tool(
    ToolSpec(
        name="create_dataset",
        description="Create a new dataset from rows you write, or from an experiment's best or "
        "failing rows (kept with a pointer back to the experiment row).",
        kind="write",
        args=CreateDatasetArgs,
        run=create_dataset,
        preview=preview,
        pages=("experiment", "logs", "dataset", "project"),
    )
)
