"""``ask_user_to_choose``: ask the user which data source to use instead of guessing.

The result's ``display`` is ``"choices"``: the runner turns it into a ``choices`` event the UI
shows as a picker (the CLI as a numbered list). The user's pick arrives as their next message
(or as an attached data source).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from openloop.loop.context import candidates, sources_of
from openloop.loop.tools.base import LoopContext, ToolResult, ToolSpec, register_tool

__all__ = ["AskArgs", "ask_user_to_choose"]


class AskArgs(BaseModel):
    kind: Literal["dataset", "experiment", "prompt", "scorer"] = Field(
        description="Kind of data source the request needs."
    )
    question: str = Field(
        default="",
        max_length=300,
        description="The question to show, e.g. 'Which dataset should I use instead?'",
    )
    exclude_current: bool = Field(
        default=False,
        description="Leave out the one on the page (for 'use a different dataset').",
    )


def ask_user_to_choose(ctx: LoopContext, args: AskArgs) -> ToolResult:
    exclude = tuple(s["id"] for s in sources_of(ctx, args.kind)) if args.exclude_current else ()
    pool = candidates(ctx, args.kind, exclude=exclude)
    question = args.question.strip() or f"Which {args.kind} should I use?"
    if not pool:
        return ToolResult(
            text=f"There is no {args.kind} to choose from in this project. Tell the user so "
            f"and offer to create one.",
            data={"kind": args.kind, "question": question, "choices": []},
            display="choices",
        )
    names = ", ".join(repr(c["name"]) for c in pool[:50])
    return ToolResult(
        text=f"The user was shown these {args.kind}s to pick from: {names}. Stop here and wait "
        "for their answer; do not pick one yourself.",
        data={"kind": args.kind, "question": question, "choices": pool[:50]},
        display="choices",
    )


register_tool(
    ToolSpec(
        name="ask_user_to_choose",
        description="Ask the user to pick a data source (dataset, experiment, prompt or scorer) "
        "when the request needs one and the page has none or several, or when they ask for a "
        "different one. Never guess between candidates.",
        kind="read",
        args=AskArgs,
        run=ask_user_to_choose,
        command="/choose",
        pages=("playground", "dataset", "experiment", "prompt", "scorer", "logs"),
    )
)
