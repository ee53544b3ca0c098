"""``tune_scorer`` (write): revise a scorer against rows the user labelled.

The user marks rows where the scorer got it wrong with the classification (judge choice) or
score they expected. The current scorer and the proposed revision are both run on those rows;
the result is agreement before and after, row by row. The revision is saved as a new version
only when it agrees at least as often as the current one (the approval covers running the
judge and saving).
"""

from __future__ import annotations

import asyncio
from typing import Any

from pydantic import BaseModel, Field, model_validator

from openloop.errors import InvalidInput
from openloop.loop.skills.evals_common import describe, resolve_object, row_key, run_coro
from openloop.loop.skills.scorer_tuning import agreement, definition_diff
from openloop.loop.tools.base import (
    ChangePreview,
    LoopContext,
    ToolResult,
    ToolSpec,
    register_tool,
)
from openloop.loop.tools.save_scorer import SaveScorerArgs, plan_scorer

__all__ = ["Label", "TuneArgs", "tune_scorer"]


class Label(BaseModel):
    row_id: str | None = Field(default=None, description="Experiment row id (or dataset row id).")
    input: Any = None
    output: Any = None
    expected: Any = None
    choice: str | None = Field(default=None, description="The judge choice the user expects.")
    score: float | None = Field(default=None, ge=0, le=1, description="The score expected.")

    @model_validator(mode="after")
    def _one_target(self) -> Label:
        if (self.choice is None) == (self.score is None):
            raise ValueError("give exactly one of choice or score for each labelled row")
        return self


class TuneArgs(BaseModel):
    scorer: str | None = Field(default=None, description="Saved scorer to tune (id or name).")
    labels: list[Label] = Field(min_length=1, max_length=100)
    experiment: str | None = Field(default=None, description="Where row_ids come from.")
    prompt: str | None = Field(default=None, description="Revised judge prompt.")
    choice_scores: dict[str, float] | None = Field(default=None, description="Revised choices.")
    use_cot: bool | None = None
    code: str | None = Field(default=None, description="Revised code (code scorers).")
    tolerance: float = Field(default=0.25, ge=0, le=1, description="Score labels: max distance.")
    save: bool = Field(default=True, description="Save the revision when it does not do worse.")


def _plan(ctx: LoopContext, args: TuneArgs) -> dict[str, Any]:
    obj = resolve_object(ctx, "scorer", args.scorer)
    change = SaveScorerArgs(scorer=obj.id, prompt=args.prompt, choice_scores=args.choice_scores,
                            use_cot=args.use_cot, code=args.code)  # fmt: skip
    plan = plan_scorer(ctx, change)
    if plan["new"]["function_data"]["type"] != "llm_judge" and any(
        lb.choice is not None for lb in args.labels
    ):
        raise InvalidInput("choice labels need an LLM judge; label code scorers with a score")
    return plan


def _rows(ctx: LoopContext, args: TuneArgs) -> list[dict[str, Any]]:
    needed = [lb.row_id for lb in args.labels if lb.row_id]
    by_id: dict[str, dict[str, Any]] = {}
    if needed:
        from openloop.services.experiments import experiment_root_rows

        exp = resolve_object(ctx, "experiment", args.experiment)
        for row in experiment_root_rows(ctx.svc, ctx.principal, exp.id):
            by_id[str(row["id"])] = by_id[row_key(row)] = row
    out: list[dict[str, Any]] = []
    for lb in args.labels:
        found = by_id.get(lb.row_id or "") if lb.row_id else None
        if lb.row_id and found is None:
            raise InvalidInput(f"row {lb.row_id!r} is not in the experiment")
        base = found or {}
        out.append({
            "row": lb.row_id or f"label {len(out) + 1}",
            "input": lb.input if lb.input is not None else base.get("input"),
            "output": lb.output if lb.output is not None else base.get("output"),
            "expected": lb.expected if lb.expected is not None else base.get("expected"),
            "metadata": base.get("metadata") or {},
        })  # fmt: skip
    return out


def _evaluate(ctx: LoopContext, name: str, data: dict, rows: list[dict]) -> list[dict[str, Any]]:
    from openloop.evals.runner import as_scorer
    from openloop.services.scorers import build_scorer

    scorer = as_scorer(build_scorer(ctx.svc, ctx.principal.org_id, name, data))

    async def one(row: dict[str, Any]) -> dict[str, Any]:
        args = {k: row[k] for k in ("input", "output", "expected", "metadata")}
        first = (await scorer(args))[0]
        return {"row": row["row"], "score": first.score, "choice": first.metadata.get("choice"),
                "error": first.error}  # fmt: skip

    async def every() -> list[dict[str, Any]]:
        return list(await asyncio.gather(*(one(r) for r in rows)))

    return run_coro(every)


def _cell(r: dict[str, Any], by_choice: bool) -> str:
    got = "error" if r["error"] else (r["choice"] if by_choice else r["score"])
    return f"{got} {'✓' if r['agrees'] else '✗'}"


def preview(ctx: LoopContext, args: TuneArgs) -> ChangePreview:
    plan = _plan(ctx, args)
    line = describe(
        f"Tune scorer {plan['name']!r}: run the current and the revised version on "
        f"{len(args.labels)} labelled rows and "
        + ("save the revision if it agrees at least as often" if args.save else "report agreement")
    )
    diff = definition_diff(plan["current"], plan["new"], name=plan["name"],
                           old_version=plan["current"]["_xact_id"])  # fmt: skip
    return ChangePreview(description=line, diff=diff)


def tune_scorer(ctx: LoopContext, args: TuneArgs) -> ToolResult:
    from openloop.services.scorers import save_scorer_version

    plan = _plan(ctx, args)
    rows = _rows(ctx, args)
    labels = [lb.model_dump() for lb in args.labels]
    cur = plan["current"]
    before = agreement(labels, _evaluate(ctx, plan["name"], cur["function_data"], rows),
                       args.tolerance)  # fmt: skip
    after = agreement(labels, _evaluate(ctx, plan["name"], plan["new"]["function_data"], rows),
                      args.tolerance)  # fmt: skip
    saved = None
    if args.save and (after["rate"] or 0) >= (before["rate"] or 0):
        saved = save_scorer_version(ctx.svc, ctx.principal, cur["id"],
                                    function_data=plan["new"]["function_data"],
                                    metadata=plan["new"]["metadata"])  # fmt: skip
    lines = [f"## Tuning {plan['name']}",
             f"Agreement with your labels: before {before['agree']}/{before['rows']}, "
             f"after {after['agree']}/{after['rows']}.", "",
             "| row | label | before | after |", "|---|---|---|---|"]  # fmt: skip
    for lb, b, a in zip(labels, before["detail"], after["detail"], strict=True):
        want = lb["choice"] if lb["choice"] is not None else lb["score"]

        by_choice = lb["choice"] is not None
        lines.append(f"| {b['row']} | {want} | {_cell(b, by_choice)} | {_cell(a, by_choice)} |")
    if saved:
        lines.append(f"\nSaved the revision as version {saved['_xact_id']}.")
    elif args.save:
        lines.append("\nNot saved: the revision agrees less often than the current version.")
    data = {"before": before, "after": after, "saved": saved is not None,
            "version": saved["_xact_id"] if saved else None}  # fmt: skip
    return ToolResult(text="\n".join(lines), data=data, display="markdown")


register_tool(
    ToolSpec(
        name="tune_scorer",
        description="Tune a scorer on rows the user labelled with the expected choice or score: "
        "run the current and the revised scorer on them, report agreement before and after, "
        "and save the revision if it does not do worse.",
        kind="write",
        args=TuneArgs,
        run=tune_scorer,
        preview=preview,
        pages=("scorer", "playground", "experiment"),
    )
)
