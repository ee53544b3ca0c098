"""``pick_best_scorers``: which scorers are worth keeping for an experiment's task.

Candidates are the scores the experiment already has plus the heuristic built-ins, run here on
the experiment's outputs (no model calls). Each is ranked by how well it discriminates (spread
of its values, share of rows stuck on one value) and, when human review scores exist on the
rows, by its correlation with them; scores that say the same as a better one are flagged as
redundant. For a dataset without outputs, the built-ins that fit its ``expected`` shape are
suggested instead.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from openloop.errors import InvalidInput
from openloop.loop.skills.evals_common import fmt_num, resolve_object, run_coro
from openloop.loop.skills.scorer_tuning import pearson, score_stats
from openloop.loop.tools.base import LoopContext, ToolResult, ToolSpec, register_tool

__all__ = ["PickArgs", "pick_best_scorers"]

_TRY = ("ExactMatch", "Levenshtein", "NumericDiff", "JSONDiff", "ValidJSON")


class PickArgs(BaseModel):
    experiment: str | None = Field(default=None, description="Experiment id or name.")
    review_score: str | None = Field(
        default=None, description="Score holding human review values; default: scores whose "
        "name starts with 'human' or 'review'.",
    )  # fmt: skip


def _builtin_scores(rows: list[dict[str, Any]]) -> dict[str, list[float | None]]:
    from openloop.evals.runner import as_scorer
    from openloop.evals.scorers.registry import get_scorer

    out: dict[str, list[float | None]] = {}
    for name in _TRY:
        scorer = as_scorer(get_scorer(name))

        async def every(s: Any = scorer) -> list[Any]:
            import asyncio

            args = [{k: r.get(k) for k in ("input", "output", "expected", "metadata")}
                    for r in rows]  # fmt: skip
            return await asyncio.gather(*(s(a) for a in args))

        values = [res[0].score for res in run_coro(every)]
        if any(v is not None for v in values):
            out[name] = values
    return out


def pick_best_scorers(ctx: LoopContext, args: PickArgs) -> ToolResult:
    from openloop.services.experiments import experiment_root_rows

    exp = resolve_object(ctx, "experiment", args.experiment)
    rows = experiment_root_rows(ctx.svc, ctx.principal, exp.id)
    if not rows:
        raise InvalidInput(f"experiment {exp.name!r} has no rows yet")
    existing = sorted({n for r in rows for n in (r.get("scores") or {})})
    review = [n for n in existing if n == args.review_score or (
        not args.review_score and n.lower().startswith(("human", "review")))]  # fmt: skip
    columns: dict[str, list[float | None]] = {
        n: [(r.get("scores") or {}).get(n) for r in rows] for n in existing if n not in review
    }
    tried = {n: v for n, v in _builtin_scores(rows).items() if n not in columns}
    columns.update(tried)
    ranked = []
    for name, values in columns.items():
        present = [float(v) for v in values if isinstance(v, int | float)]
        stats = score_stats(present)
        corr: dict[str, float | None] = {}
        for rname in review:
            pairs = [(float(v), float(h)) for v, h in zip(values, [(r.get("scores") or {}).get(
                rname) for r in rows], strict=True) if isinstance(v, int | float)
                and isinstance(h, int | float)]  # fmt: skip
            corr[rname] = pearson([p[0] for p in pairs], [p[1] for p in pairs])
        agree = max((c for c in corr.values() if c is not None), default=None)
        value = stats["stdev"] * (1 - stats["mode_share"] / 2) + (agree or 0)
        ranked.append({"name": name, "source": "built-in (run now)" if name in tried else "saved",
                       **stats, "review_correlation": corr, "rank_value": value})  # fmt: skip
    ranked.sort(key=lambda r: (-r["rank_value"], r["name"]))
    for i, r in enumerate(ranked):
        better = [o for o in ranked[:i] if (c := pearson(*_paired(columns[o["name"]],
                                                                   columns[r["name"]]))) and c > 0.95]  # fmt: skip
        r["redundant_with"] = better[0]["name"] if better else None
    lines = [f"## Scorers for {exp.name}", "",
             "| scorer | source | mean | stdev | stuck on one value | vs review | note |",
             "|---|---|---|---|---|---|---|"]  # fmt: skip
    for r in ranked:
        vs_review = (
            ", ".join(f"{k} {fmt_num(v)}" for k, v in r["review_correlation"].items()) or "—"
        )
        note = ("constant: cannot discriminate" if r["distinct"] <= 1 else
                f"redundant with {r['redundant_with']}" if r["redundant_with"] else "")  # fmt: skip
        lines.append(f"| {r['name']} | {r['source']} | {fmt_num(r['mean'])} | "
                     f"{fmt_num(r['stdev'])} | {r['mode_share']:.0%} | {vs_review} | {note} |")  # fmt: skip
    useful = [r["name"] for r in ranked if r["distinct"] > 1 and not r["redundant_with"]]
    lines.append("")
    lines.append(f"Keep: {', '.join(useful[:3]) or 'none of these'} — they spread rows apart"
                 + (" and track the human review scores." if review else "; add human review "
                    "scores to check which one agrees with people."))  # fmt: skip
    return ToolResult(text="\n".join(lines), data={"ranked": ranked, "review_scores": review},
                      display="markdown")  # fmt: skip


def _paired(a: list[float | None], b: list[float | None]) -> tuple[list[float], list[float]]:
    pairs = [(float(x), float(y)) for x, y in zip(a, b, strict=True)
             if isinstance(x, int | float) and isinstance(y, int | float)]  # fmt: skip
    return [p[0] for p in pairs], [p[1] for p in pairs]


register_tool(
    ToolSpec(
        name="pick_best_scorers",
        description="Rank the experiment's scores and heuristic built-in scorers by how well "
        "they discriminate between rows and agree with human review scores; flag constant and "
        "redundant ones.",
        kind="read",
        args=PickArgs,
        run=pick_best_scorers,
        pages=("experiment", "playground"),
    )
)
