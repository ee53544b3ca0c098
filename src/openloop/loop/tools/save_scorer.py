"""``save_scorer`` (write): create a scorer or save a new version of one.

An LLM judge (the default when no type is given) is a mustache prompt, a model and a map from
choice label to score; a code scorer is Python defining ``handler(input, output, expected,
metadata)``. The definition is validated before the approval card is shown (choices, prompt
variables, a sandbox check of the code plus a trial run); the card shows a diff against the
current version. Fields left out of an edit are kept from the current version.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, Field

from openloop.errors import InvalidInput
from openloop.evals.score import PASS_THRESHOLD_KEY
from openloop.loop.skills.evals_common import describe, project_of, resolve_object
from openloop.loop.skills.scorer_tuning import check_code, check_judge, definition_diff
from openloop.loop.tools.base import (
    ChangePreview,
    LoopContext,
    ToolResult,
    ToolSpec,
    register_tool,
)

__all__ = ["SaveScorerArgs", "plan_scorer", "save_scorer"]

DEFAULT_JUDGE_MODEL = "gpt-4o-mini"


class SaveScorerArgs(BaseModel):
    scorer: str | None = Field(
        default=None, description="Saved scorer to edit (id or name); empty to create one."
    )
    name: str | None = Field(default=None, max_length=200, description="Name of a new scorer.")
    type: Literal["llm_judge", "code"] | None = Field(
        default=None, description="llm_judge (default for new scorers) or code (Python)."
    )
    prompt: str | None = Field(
        default=None, description="Judge prompt (mustache: {{input}}, {{output}}, {{expected}})."
    )
    choice_scores: dict[str, float] | None = Field(
        default=None, description="Judge choices → score in [0, 1], e.g. {'Y': 1, 'N': 0}."
    )
    model: str | None = Field(default=None, description="Judge model.")
    use_cot: bool | None = Field(default=None, description="Judge reasons before choosing.")
    code: str | None = Field(default=None, description="Python defining handler(...).")
    pass_threshold: float | None = Field(default=None, ge=0, le=1)
    description: str | None = Field(default=None, max_length=1000)


def _default_model(ctx: LoopContext, project_id: str) -> str:
    from openloop.services.scorers import list_scorers

    for s in list_scorers(ctx.svc, ctx.principal, project_id):
        fd = s.get("function_data") or {}
        if fd.get("type") == "llm_judge" and fd.get("model"):
            return str(fd["model"])
    return DEFAULT_JUDGE_MODEL


def plan_scorer(ctx: LoopContext, args: SaveScorerArgs) -> dict[str, Any]:
    """Validate the change: ``{current, new, name, project_id, note}`` (current None = create)."""
    from openloop.services.scorers import get_scorer_record

    current = None
    if args.scorer or (not args.name and ctx.page.get("scorer_id")):
        obj = resolve_object(ctx, "scorer", args.scorer)
        current = get_scorer_record(ctx.svc, ctx.principal, obj.id)
        name, project_id = obj.name, obj.project_id
    else:
        if not args.name or not args.name.strip():
            raise InvalidInput("a new scorer needs a name")
        name, project_id = args.name.strip(), project_of(ctx).id
        taken = {o.name for o in ctx.svc.control.list_objects(ctx.principal.org_id, project_id,
                                                                "scorer")}  # fmt: skip
        if name in taken:
            raise InvalidInput(f"a scorer named {name!r} exists; pass scorer={name!r} to edit it")
    old = (current or {}).get("function_data") or {}
    kind = (
        args.type or old.get("type") or ("code" if args.code and not args.prompt else "llm_judge")
    )
    if kind == "builtin" or (old and old.get("type") != kind):
        raise InvalidInput(f"scorer {name!r} is {old.get('type')}; create a new scorer instead")
    note = ""
    if kind == "llm_judge":
        prompt = args.prompt if args.prompt is not None else old.get("prompt")
        choices = args.choice_scores if args.choice_scores is not None else old.get("choice_scores")
        if not prompt or not choices:
            raise InvalidInput("an LLM judge needs a prompt and choice_scores")
        model = args.model or old.get("model") or _default_model(ctx, project_id)
        use_cot = args.use_cot if args.use_cot is not None else bool(old.get("use_cot", True))
        data = check_judge(prompt, choices, model, use_cot)
    else:
        code = args.code if args.code is not None else old.get("code")
        if not code:
            raise InvalidInput("a code scorer needs code defining handler(...)")
        data, note = check_code(code)
    metadata = dict((current or {}).get("metadata") or {})
    if args.pass_threshold is not None:
        metadata[PASS_THRESHOLD_KEY] = args.pass_threshold
    new = {"function_data": data, "metadata": metadata}
    if current and current.get("function_data") == data and current.get("metadata") == metadata:
        raise InvalidInput(f"nothing to change: this is scorer {name!r}'s current version")
    return {"current": current, "new": new, "name": name, "project_id": project_id, "note": note}


def preview(ctx: LoopContext, args: SaveScorerArgs) -> ChangePreview:
    plan = plan_scorer(ctx, args)
    data, current = plan["new"]["function_data"], plan["current"]
    kind = "LLM-judge" if data["type"] == "llm_judge" else "Python code"
    what = (f"choices {', '.join(f'{k}={v:g}' for k, v in data['choice_scores'].items())}"
            if data["type"] == "llm_judge" else plan["note"])  # fmt: skip
    if current is None:
        line = f"Create {kind} scorer {plan['name']!r} ({what})"
    else:
        line = f"Save a new version of {kind} scorer {plan['name']!r} ({what})"
    diff = definition_diff(current, plan["new"], name=plan["name"],
                           old_version=(current or {}).get("_xact_id"))  # fmt: skip
    return ChangePreview(description=describe(line), diff=diff)


def save_scorer(ctx: LoopContext, args: SaveScorerArgs) -> ToolResult:
    from openloop.services import scorers

    plan = plan_scorer(ctx, args)
    new = plan["new"]
    if plan["current"] is None:
        record = scorers.create_scorer(
            ctx.svc, ctx.principal, project=plan["project_id"], name=plan["name"],
            function_data=new["function_data"], description=args.description or "",
            metadata=new["metadata"],
        )  # fmt: skip
        verb = "Created"
    else:
        record = scorers.save_scorer_version(ctx.svc, ctx.principal, plan["current"]["id"],
                                             function_data=new["function_data"],
                                             metadata=new["metadata"])  # fmt: skip
        verb = "Saved a new version of"
    note = f" ({plan['note']})" if plan["note"] else ""
    text = f"{verb} scorer {record['name']!r}, version {record['_xact_id']}{note}."
    return ToolResult(text=text, data=record)


register_tool(
    ToolSpec(
        name="save_scorer",
        description="Create a scorer or save a new version: an LLM judge (default; prompt, "
        "choice_scores, model) or a Python code scorer (handler(input, output, expected, "
        "metadata) returning 0..1). Validated before saving.",
        kind="write",
        args=SaveScorerArgs,
        run=save_scorer,
        preview=preview,
        pages=("scorer", "playground", "experiment", "logs", "dataset", "prompt"),
    )
)
