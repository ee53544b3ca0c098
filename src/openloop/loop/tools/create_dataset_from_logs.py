"""``create_dataset_from_logs`` (write): copy logged spans into a new or existing dataset.

Spans are chosen by a filter expression over the project's logs (root spans by default,
newest first, within a time window unless the filter has its own range) or by span ids. Each
dataset row keeps an ``origin`` pointing back at its span. The approval card says how many
rows will be added to which dataset and shows a few of them.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field
from pydantic_ai import ModelRetry

from openloop.errors import InvalidInput, QueryError
from openloop.loop.skills.filter_gen import check_filter, retry_message
from openloop.loop.skills.querying import (
    DEFAULT_DAYS,
    MAX_DAYS,
    Scope,
    literal,
    logs_from,
    run,
    scope_of,
    since,
)
from openloop.loop.tools.base import ChangePreview, LoopContext, ToolResult, ToolSpec, register_tool
from openloop.services import dataset_io, datasets

__all__ = ["CreateDatasetArgs", "create_dataset_from_logs", "preview_create_dataset"]

_MAX_ROWS = 1000


class CreateDatasetArgs(BaseModel):
    dataset: str = Field(
        min_length=1, max_length=200, description="Dataset name (new or existing) or id."
    )
    filter: str | None = Field(
        default=None,
        max_length=5000,
        description="Filter expression choosing the spans, e.g. error IS NOT NULL.",
    )
    span_ids: list[str] = Field(
        default_factory=list, max_length=_MAX_ROWS, description="Or: exact span ids."
    )
    roots_only: bool = Field(default=True, description="Only root spans (whole requests).")
    limit: int = Field(default=100, ge=1, le=_MAX_ROWS, description="Most rows to add.")
    days: int = Field(
        default=DEFAULT_DAYS, ge=1, le=MAX_DAYS, description="Window when the filter has no range."
    )
    description: str = Field(
        default="", max_length=2000, description="Description of a new dataset."
    )
    project: str | None = Field(
        default=None, description="Project id or name; default: the page's."
    )


def _existing(scope: Scope, key: str) -> Any | None:
    for obj in datasets.list_datasets(scope.svc, scope.principal, scope.project_id):
        if key in (obj.id, obj.name):
            return obj
    return None


def _select(scope: Scope, args: CreateDatasetArgs) -> list[dict[str, Any]]:
    cols = "id, root_span_id, input, output"
    src = logs_from(scope.project)
    if args.span_ids:
        ids = ", ".join(literal(i) for i in dict.fromkeys(args.span_ids))
        return run(scope, f"SELECT {cols} FROM {src} WHERE id IN ({ids}) LIMIT {args.limit}")[
            "data"
        ]
    if not args.filter:
        raise InvalidInput("give a filter (e.g. error IS NOT NULL) or span_ids", field="filter")
    try:
        check = check_filter(scope, args.filter, count=False)
    except QueryError as err:
        raise ModelRetry(retry_message(err)) from err
    cond = f"({check.expr})"
    if any(w.get("code") == "no_range_filter" for w in check.warnings):
        cond += f" AND {since(args.days)}"
    if args.roots_only:
        cond += " AND is_root"
    return run(
        scope, f"SELECT {cols} FROM {src} WHERE {cond} ORDER BY created DESC LIMIT {args.limit}"
    )["data"]


def _short(value: Any, n: int = 160) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def preview_create_dataset(ctx: LoopContext, args: CreateDatasetArgs) -> ChangePreview:
    scope = scope_of(ctx, args.project)
    rows = _select(scope, args)
    target = _existing(scope, args.dataset)
    where = f"existing dataset {target.name!r}" if target else f"new dataset {args.dataset!r}"
    sample = [{"span_id": r["id"], "input": _short(r.get("input")), "expected": _short(r.get("output"))}
              for r in rows[:3]]  # fmt: skip
    return ChangePreview(
        description=f"Add {len(rows)} rows from the logs of {scope.project!r} to {where}",
        preview={
            "rows": len(rows),
            "dataset": args.dataset,
            "new": target is None,
            "sample": sample,
        },
    )


def create_dataset_from_logs(ctx: LoopContext, args: CreateDatasetArgs) -> ToolResult:
    scope = scope_of(ctx, args.project)
    rows = _select(scope, args)
    if not rows:
        return ToolResult(text="No span matches, so nothing was added. Loosen the filter or widen the window.",
                          data={"rows": 0})  # fmt: skip
    target = _existing(scope, args.dataset)
    created = target is None
    if target is None:
        target = datasets.create_dataset(ctx.svc, ctx.principal, scope.project_id, args.dataset,
                                         description=args.description)  # fmt: skip
    result = dataset_io.add_from_logs(ctx.svc, ctx.principal, target.id, span_ids=[r["id"] for r in rows],
                                      project=scope.project_id)  # fmt: skip
    verb = "Created" if created else "Updated"
    return ToolResult(
        text=f"{verb} dataset {target.name!r} (id {target.id}): added {result['rows']} rows from the "
        f"logs, each with an origin pointing at its span (version {result.get('xact_id')}).",
        data={"dataset_id": target.id, "dataset": target.name, "created": created, **result},
    )


register_tool(
    ToolSpec(
        name="create_dataset_from_logs",
        description="Create a dataset (or add to an existing one) from logged spans chosen by a "
        "filter expression (root spans, newest first) or by span ids; rows keep an origin "
        "back to their span. Example: dataset 'errors-week', filter 'error IS NOT NULL'.",
        kind="write",
        args=CreateDatasetArgs,
        run=create_dataset_from_logs,
        preview=preview_create_dataset,
        pages=("logs", "experiment"),
    )
)
