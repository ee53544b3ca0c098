"""``sample_eval_code``: Python ``Eval(...)`` code that reproduces an experiment, with an
optional proposed prompt change, for the user to run in their own environment.

The dataset comes from the experiment (``init_dataset``), the prompt from the experiment's
record or the page (``load_prompt``) unless new messages are proposed, and the scorers from
the experiment's score names: saved judges and code scorers are written out in full, built-ins
by name.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from openloop.errors import InvalidInput, NotFound
from openloop.evals.prompts import make_prompt_data
from openloop.loop.skills.eval_code import eval_code
from openloop.loop.skills.evals_common import resolve_object
from openloop.loop.tools.base import LoopContext, ToolResult, ToolSpec, register_tool

__all__ = ["SampleCodeArgs", "sample_eval_code"]


class Message(BaseModel):
    role: str = Field(description="system, user or assistant")
    content: str


class SampleCodeArgs(BaseModel):
    experiment: str | None = Field(default=None, description="Experiment id or name.")
    prompt: str | None = Field(default=None, description="Prompt id, name or slug to run.")
    messages: list[Message] | None = Field(
        default=None, description="Proposed prompt messages (mustache, e.g. {{input.question}})."
    )
    model: str | None = Field(default=None, description="Model for the proposed prompt.")
    params: dict[str, Any] | None = Field(default=None, description="e.g. {'temperature': 0}")
    note: str = Field(default="", max_length=300, description="One line saying what changed.")


def _prompt(ctx: LoopContext, exp: Any, ref: str | None) -> dict[str, Any] | None:
    from openloop.services.prompts import get_prompt

    meta = exp.metadata
    key = ref or meta.get("prompt_id") or (meta.get("metadata") or {}).get("prompt_id")
    version = None if ref else meta.get("prompt_version")
    if not key and not ctx.page.get("prompt_id"):
        return None
    obj = resolve_object(ctx, "prompt", key)
    try:
        return get_prompt(ctx.svc, ctx.principal, obj.id, version=version)
    except NotFound:
        return get_prompt(ctx.svc, ctx.principal, obj.id)


def _scorers(ctx: LoopContext, project_id: str, names: list[str]) -> list[dict[str, Any]]:
    from openloop.evals.scorers.registry import get_scorer_spec
    from openloop.services.scorers import list_scorers

    saved = {s["name"]: s for s in list_scorers(ctx.svc, ctx.principal, project_id)}
    out = []
    for name in names:
        if name in saved and saved[name].get("function_data"):
            out.append({"name": name, "function_data": saved[name]["function_data"]})
            continue
        try:
            spec = get_scorer_spec(name)
        except NotFound:
            continue  # a score logged by hand (feedback, review): nothing to reproduce
        out.append({"name": spec.name, "function_data": {"type": "builtin", "name": spec.name}})
    return out


def sample_eval_code(ctx: LoopContext, args: SampleCodeArgs) -> ToolResult:
    from openloop.services.experiments import experiment_root_rows

    svc, p = ctx.svc, ctx.principal
    exp = resolve_object(ctx, "experiment", args.experiment)
    project = svc.control.get_project(p.org_id, exp.project_id)
    dataset_id = exp.metadata.get("dataset_id")
    dataset = svc.control.find_object(p.org_id, dataset_id).name if dataset_id else None
    saved = _prompt(ctx, exp, args.prompt)
    proposed = None
    if args.messages:
        model = args.model or ((saved or {}).get("prompt_data", {}).get("options") or {}).get(
            "model"
        )
        if not model:
            raise InvalidInput("give the model for the proposed prompt")
        params = args.params if args.params is not None else (
            (saved or {}).get("prompt_data", {}).get("options") or {}).get("params")  # fmt: skip
        proposed = make_prompt_data([m.model_dump() for m in args.messages], model, params)
    rows = experiment_root_rows(svc, p, exp.id)
    names = sorted({n for r in rows for n in (r.get("scores") or {})})
    code = eval_code(
        project=project.name, dataset=dataset, prompt_slug=saved["slug"] if saved else None,
        prompt_version=saved["version"] if saved and not proposed else None, proposed=proposed,
        scorers=_scorers(ctx, exp.project_id, names), experiment_name=exp.name,
        baseline_id=exp.id, note=args.note,
    )  # fmt: skip
    text = f"Save as `eval_{exp.name}.py` and run `openloop eval eval_{exp.name}.py`:\n\n"
    return ToolResult(text=text + f"```python\n{code}```", data={"code": code}, display="markdown")


register_tool(
    ToolSpec(
        name="sample_eval_code",
        description="Write Python Eval(...) code the user can run to reproduce an experiment "
        "(dataset via init_dataset, prompt via load_prompt, the same scorers), optionally with "
        "proposed prompt messages.",
        kind="read",
        args=SampleCodeArgs,
        run=sample_eval_code,
        pages=("experiment",),
    )
)
