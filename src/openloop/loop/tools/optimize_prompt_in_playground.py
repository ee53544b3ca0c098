"""``optimize_prompt_in_playground`` (write: it runs an eval): try a proposed prompt against the
current one on a dataset.

Both versions — A (current) and B (proposed) — run over every dataset row through the
playground (same models, same scorers), nothing is saved. The result gives each score's mean
for A and B and the rows whose scores changed, with both outputs; save B with ``save_prompt``
when it is better.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from openloop.errors import InvalidInput
from openloop.evals.prompts import diff_text
from openloop.loop.skills.evals_common import describe, fmt_num, resolve_object, run_coro, snippet
from openloop.loop.tools.base import (
    ChangePreview,
    LoopContext,
    ToolResult,
    ToolSpec,
    register_tool,
)
from openloop.loop.tools.save_prompt import Message, SavePromptArgs, plan_prompt

__all__ = ["OptimizeArgs", "optimize_prompt_in_playground"]


class OptimizeArgs(BaseModel):
    prompt: str | None = Field(default=None, description="Current prompt (id, name or slug).")
    messages: list[Message] | None = Field(default=None, description="Proposed messages (B).")
    model: str | None = Field(default=None, description="Proposed model, if it changes.")
    params: dict[str, Any] | None = Field(default=None, description="Proposed params.")
    dataset: str | None = Field(default=None, description="Dataset to run on.")
    scorers: list[str] | None = Field(
        default=None, description="Scorer names or ids; default: the project's saved scorers."
    )
    max_concurrency: int = Field(default=4, ge=1, le=16)


def _plan(ctx: LoopContext, args: OptimizeArgs) -> dict[str, Any]:
    from openloop.services.scorers import list_scorers

    prompt = resolve_object(ctx, "prompt", args.prompt)
    dataset = resolve_object(ctx, "dataset", args.dataset)
    plan = plan_prompt(ctx, SavePromptArgs(prompt=prompt.id, messages=args.messages,
                                           model=args.model, params=args.params,
                                           dataset=dataset.id))  # fmt: skip
    if plan["current"] is None:
        raise InvalidInput(f"prompt {prompt.name!r} has no saved version to compare with")
    scorers = args.scorers or [s["name"] for s in list_scorers(ctx.svc, ctx.principal,
                                                              prompt.project_id)]  # fmt: skip
    if not scorers:
        raise InvalidInput("no scorers: name built-in or saved scorers to score the runs with")
    rows = ctx.svc.data.count(_ref(dataset))
    return {**plan, "prompt": prompt, "dataset": dataset, "scorers": scorers, "rows": rows}


def _ref(obj: Any) -> Any:
    from openloop.services.datasets import dataset_ref

    return dataset_ref(obj)


def preview(ctx: LoopContext, args: OptimizeArgs) -> ChangePreview:
    plan = _plan(ctx, args)
    line = (
        f"Run prompt {plan['name']!r} current (A) vs proposed (B) on dataset "
        f"{plan['dataset'].name!r} ({plan['rows']} rows × 2 model calls), scored by "
        f"{', '.join(plan['scorers'])}"
    )
    cur = plan["current"]
    diff = diff_text(cur, plan["candidate"], old_label=f"A: {cur['slug']}@{cur['version']}",
                     new_label="B: proposed")  # fmt: skip
    return ChangePreview(description=describe(line), diff=diff)


def _collect(ctx: LoopContext, plan: dict[str, Any], concurrency: int) -> list[dict[str, Any]]:
    from openloop.services.playground import run_playground

    prompts = [{"name": "A (current)", "prompt_data": plan["current"]["prompt_data"]},
               {"name": "B (proposed)", "prompt_data": plan["candidate"]["prompt_data"]}]  # fmt: skip

    async def go() -> list[dict[str, Any]]:
        out = []
        async for event in run_playground(
            ctx.svc, ctx.principal, project=plan["prompt"].project_id, prompts=prompts,
            dataset_id=plan["dataset"].id, scorers=plan["scorers"], max_concurrency=concurrency,
        ):  # fmt: skip
            if event["event"] == "row":
                out.append(event["data"])
        return out

    return run_coro(go)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def optimize_prompt_in_playground(ctx: LoopContext, args: OptimizeArgs) -> ToolResult:
    plan = _plan(ctx, args)
    events = _collect(ctx, plan, args.max_concurrency)
    by_row: dict[str, dict[int, dict[str, Any]]] = {}
    for e in events:
        by_row.setdefault(str(e["row_id"]), {})[int(e["prompt_index"])] = e
    names = sorted({n for e in events for n in (e.get("scores") or {})})
    means: dict[str, dict[str, float | None]] = {}
    for name in names:
        side = [[v for r in by_row.values() if isinstance(
            v := (r.get(i, {}).get("scores") or {}).get(name), int | float)] for i in (0, 1)]  # fmt: skip
        means[name] = {"A": _mean(side[0]), "B": _mean(side[1])}
    changed: list[dict[str, Any]] = []
    for row_id, pair in by_row.items():
        a, b = pair.get(0, {}), pair.get(1, {})
        diffs: dict[str, float] = {}
        for name in names:
            va, vb = (a.get("scores") or {}).get(name), (b.get("scores") or {}).get(name)
            if isinstance(va, int | float) and isinstance(vb, int | float) and va != vb:
                diffs[name] = vb - va
        if diffs:
            changed.append({"row": row_id, "input": snippet(a.get("input") or b.get("input")),
                            "output_a": snippet(a.get("output")), "output_b": snippet(b.get("output")),
                            "diffs": diffs, "error_a": a.get("error"), "error_b": b.get("error")})  # fmt: skip
    changed.sort(key=lambda c: (sum(c["diffs"].values()), c["row"]))
    errors = {i: sum(1 for r in by_row.values() if r.get(i, {}).get("error")) for i in (0, 1)}
    lines = [f"## {plan['name']}: A (current) vs B (proposed) on {plan['dataset'].name}",
             f"{len(by_row)} rows; task errors A {errors[0]}, B {errors[1]}.", "",
             "| score | A | B | change |", "|---|---|---|---|"]  # fmt: skip
    for name, m in means.items():
        delta = (m["B"] - m["A"]) if m["A"] is not None and m["B"] is not None else None
        lines.append(f"| {name} | {fmt_num(m['A'])} | {fmt_num(m['B'])} | "
                     f"{'—' if delta is None else f'{delta:+.3f}'} |")  # fmt: skip
    better = sum(1 for c in changed if sum(c["diffs"].values()) > 0)
    lines += ["", f"{len(changed)} rows changed: {better} better with B, "
              f"{len(changed) - better} worse."]  # fmt: skip
    for c in changed[:10]:
        moves = ", ".join(f"{k} {d:+.2f}" for k, d in c["diffs"].items())
        lines.append(f"- `{c['row']}` ({moves}) {c['input']!r}: A {c['output_a']!r} → "
                     f"B {c['output_b']!r}")  # fmt: skip
    lines.append("\nNothing was saved; use save_prompt to keep B.")
    # String keys: the result data is stored and streamed as JSON.
    data = {"means": means, "changed": changed, "rows": len(by_row),
            "errors": {"A": errors[0], "B": errors[1]},
            "proposed": plan["candidate"]["prompt_data"]}  # fmt: skip
    return ToolResult(text="\n".join(lines), data=data, display="markdown")


register_tool(
    ToolSpec(
        name="optimize_prompt_in_playground",
        description="Run the current prompt (A) and a proposed revision (B) over a dataset with "
        "scorers, and report each score's mean before and after and the rows that changed. "
        "Saves nothing.",
        kind="write",
        args=OptimizeArgs,
        run=optimize_prompt_in_playground,
        preview=preview,
        pages=("playground", "prompt"),
    )
)
