"""``few_shot_from_logs``: good examples from production logs to use as few-shot messages.

Picks root spans of recent logs with an input and output, no error, and scores at or above
``min_score`` (every score they carry, or the one named), best first, one per tag or topic
word so the examples differ. Returns them as user/assistant message pairs ready for
``save_prompt``.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from openloop.evals.templates import to_text
from openloop.loop.skills.evals_common import project_of, row_key, snippet
from openloop.loop.skills.experiment_errors import words
from openloop.loop.tools.base import (
    LoopContext,
    ToolResult,
    ToolSpec,
    quote_untrusted,
    register_tool,
)

__all__ = ["FewShotArgs", "few_shot_from_logs"]


class FewShotArgs(BaseModel):
    count: int = Field(default=3, ge=1, le=10, description="How many examples.")
    min_score: float = Field(default=0.8, ge=0, le=1, description="Lowest score to accept.")
    score: str | None = Field(default=None, description="Only this score must pass.")
    days: int = Field(default=14, ge=1, le=90)
    project: str | None = None


def _quote(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "''") + "'"


def few_shot_from_logs(ctx: LoopContext, args: FewShotArgs) -> ToolResult:
    from openloop.services.query import run_user_query

    project = project_of(ctx, args.project)
    query = (
        f"select: id, input, output, scores, tags | from: project_logs({_quote(project.name)}) | "
        f"filter: is_root and error is null and created > now() - interval {args.days} day | "
        f"limit: {min(1000, ctx.svc.settings.query_max_limit)}"
    )
    rows = run_user_query(ctx.svc, ctx.principal, query, project=project.name)["data"]
    good: list[tuple[float, dict[str, Any]]] = []
    for row in rows:
        scores = {k: v for k, v in (row.get("scores") or {}).items() if isinstance(v, int | float)}
        if row.get("input") is None or row.get("output") is None or not scores:
            continue
        picked = [scores[args.score]] if args.score in scores else (
            [] if args.score else list(scores.values()))  # fmt: skip
        if picked and min(picked) >= args.min_score:
            good.append((sum(picked) / len(picked), row))
    good.sort(key=lambda sr: (-sr[0], len(to_text(sr[1]["input"])), str(sr[1]["id"])))
    chosen: list[dict[str, Any]] = []
    seen: set[str] = set()
    for _score, row in good:  # first pass: one per topic; second: fill up
        topic = set(row.get("tags") or []) or words(row["input"])
        if topic & seen:
            continue
        seen |= topic
        chosen.append(row)
        if len(chosen) == args.count:
            break
    for _score, row in good:
        if len(chosen) >= args.count:
            break
        if row not in chosen:
            chosen.append(row)
    messages = []
    for row in chosen:
        messages.append({"role": "user", "content": to_text(row["input"])})
        messages.append({"role": "assistant", "content": to_text(row["output"])})
    shown = "\n".join(
        f"- `{row_key(r)}` {snippet(r['input'])!r} → {snippet(r['output'])!r}" for r in chosen
    )
    text = (f"{len(chosen)} examples from {len(good)} good traces (of {len(rows)} recent):\n"
            + quote_untrusted(shown, source=f"logs of {project.name}")
            + "\nThe result data holds them as user/assistant messages for save_prompt.")  # fmt: skip
    return ToolResult(text=text, data={"messages": messages, "ids": [r["id"] for r in chosen],
                                       "query": query})  # fmt: skip


register_tool(
    ToolSpec(
        name="few_shot_from_logs",
        description="Pick good examples from recent logs (high scores, no errors, varied topics) "
        "as user/assistant message pairs to add to a prompt as few-shot examples.",
        kind="read",
        args=FewShotArgs,
        run=few_shot_from_logs,
        pages=("prompt", "playground", "logs"),
    )
)
