"""``save_prompt`` (write): create a prompt or save a new version of one.

The model writes the messages (mustache templates such as ``{{input.question}}``); this tool
checks they are valid chat messages, that every template parses, and — when a dataset is in
play — that they render with the dataset's first row without a missing variable. The approval
card shows a diff against the current version. Fields left out of an edit are kept.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from openloop.errors import InvalidInput, NotFound
from openloop.evals.prompts import build, diff_text, make_prompt_data
from openloop.loop.skills.evals_common import describe, project_of, resolve_object
from openloop.loop.tools.base import (
    ChangePreview,
    LoopContext,
    ToolResult,
    ToolSpec,
    register_tool,
)

__all__ = ["Message", "SavePromptArgs", "plan_prompt", "save_prompt"]


class Message(BaseModel):
    role: str = Field(description="system, user, assistant, developer or tool")
    content: str


class SavePromptArgs(BaseModel):
    prompt: str | None = Field(
        default=None, description="Prompt to edit (id, name or slug); empty to create one."
    )
    name: str | None = Field(default=None, max_length=200, description="Name of a new prompt.")
    messages: list[Message] | None = Field(default=None, description="The full message list.")
    model: str | None = Field(default=None, description="Model, e.g. gpt-4o-mini.")
    params: dict[str, Any] | None = Field(default=None, description="e.g. {'temperature': 0}")
    description: str | None = Field(default=None, max_length=1000)
    dataset: str | None = Field(
        default=None, description="Dataset whose first row the templates must render with."
    )


def _sample_vars(ctx: LoopContext, ref: str | None) -> dict[str, Any] | None:
    from openloop.services.datasets import read_rows

    if not ref and not ctx.page.get("dataset_id"):
        return None
    obj = resolve_object(ctx, "dataset", ref)
    rows = read_rows(ctx.svc, ctx.principal, obj.id, limit=1)["rows"]
    if not rows:
        return None
    row = rows[0]
    return {"input": row.get("input"), "expected": row.get("expected"),
            "metadata": row.get("metadata") or {}}  # fmt: skip


def plan_prompt(ctx: LoopContext, args: SavePromptArgs) -> dict[str, Any]:
    """Validate: ``{current, fields, candidate, name}`` (current None = create)."""
    from openloop.services.prompts import get_prompt, slugify

    current = None
    if args.prompt or (not args.name and ctx.page.get("prompt_id")):
        obj = resolve_object(ctx, "prompt", args.prompt)
        try:
            current = get_prompt(ctx.svc, ctx.principal, obj.id)
        except NotFound:
            current = None
        name, slug = obj.name, obj.slug or slugify(obj.name)
    else:
        if not args.name or not args.name.strip():
            raise InvalidInput("a new prompt needs a name")
        name, slug = args.name.strip(), slugify(args.name)
        pid = project_of(ctx).id
        if any(o.slug == slug for o in ctx.svc.control.list_objects(ctx.principal.org_id, pid,
                                                                      "prompt")):  # fmt: skip
            raise InvalidInput(f"a prompt with slug {slug!r} exists; pass prompt={slug!r} to edit")
    data = (current or {}).get("prompt_data") or {}
    options = data.get("options") or {}
    fields = {
        "messages": [m.model_dump() for m in args.messages] if args.messages
        else (data.get("prompt") or {}).get("messages"),
        "model": args.model or options.get("model"),
        "params": args.params if args.params is not None else options.get("params"),
    }  # fmt: skip
    if args.description is not None:
        fields["description"] = args.description
    prompt_data = make_prompt_data(fields["messages"], fields["model"], fields["params"],
                                   tools=data.get("tools"),
                                   response_format=data.get("response_format"))  # fmt: skip
    build(prompt_data, {}, strict=False)  # every template parses
    sample = _sample_vars(ctx, args.dataset)
    if sample is not None:
        try:
            build(prompt_data, sample, strict=True)
        except InvalidInput as exc:
            raise InvalidInput(f"with the dataset's first row: {exc.message}") from None
    candidate = {**(current or {}), "name": name, "slug": slug, "prompt_data": prompt_data,
                 "description": fields.get("description", (current or {}).get("description"))}  # fmt: skip
    if current and diff_text(current, candidate, old_label="a", new_label="b") == "":
        raise InvalidInput(f"nothing to change: this is prompt {name!r}'s current version")
    return {"current": current, "fields": fields, "candidate": candidate, "name": name}


def preview(ctx: LoopContext, args: SavePromptArgs) -> ChangePreview:
    plan = plan_prompt(ctx, args)
    cur, cand = plan["current"], plan["candidate"]
    msgs = len(cand["prompt_data"]["prompt"]["messages"])
    model = cand["prompt_data"]["options"]["model"]
    if cur is None:
        line = f"Create prompt {plan['name']!r} ({msgs} messages, model {model})"
        diff = diff_text({}, cand, old_label="/dev/null", new_label=f"{cand['slug']} (new)")
    else:
        line = f"Save a new version of prompt {plan['name']!r} ({msgs} messages, model {model})"
        diff = diff_text(cur, cand, old_label=f"{cur['slug']}@{cur['version']}",
                         new_label=f"{cur['slug']} (proposed)")  # fmt: skip
    return ChangePreview(description=describe(line), diff=diff)


def save_prompt(ctx: LoopContext, args: SavePromptArgs) -> ToolResult:
    from openloop.services import prompts

    plan = plan_prompt(ctx, args)
    if plan["current"] is None:
        saved = prompts.create_prompt(ctx.svc, ctx.principal, project_of(ctx).id, plan["name"],
                                      plan["fields"])  # fmt: skip
        verb = "Created prompt"
    else:
        saved = prompts.save_version(ctx.svc, ctx.principal, plan["current"]["id"], plan["fields"])
        verb = "Saved a new version of prompt"
    text = f"{verb} {saved['name']!r} (slug {saved['slug']}), version {saved['version']}."
    return ToolResult(text=text, data=saved)


register_tool(
    ToolSpec(
        name="save_prompt",
        description="Create a prompt or save a new version: chat messages (mustache templates "
        "like {{input}}), model and params. Checked to render before saving.",
        kind="write",
        args=SavePromptArgs,
        run=save_prompt,
        preview=preview,
        pages=("prompt", "playground"),
    )
)
