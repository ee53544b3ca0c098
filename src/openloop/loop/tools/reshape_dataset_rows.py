"""``reshape_dataset_rows`` (write): restructure every row of a dataset as one new version.

Operations are declarative (rename, move, drop, wrap; see
:mod:`openloop.loop.skills.dataset_rows`); the approval card shows a diff of three rows. Older
versions stay readable, so a reshaping can be undone by restoring the previous version.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from openloop.errors import InvalidInput
from openloop.loop.skills.dataset_rows import ReshapeOp, describe_ops, reshape_diff
from openloop.loop.skills.evals_common import describe, resolve_object
from openloop.loop.tools.base import (
    ChangePreview,
    LoopContext,
    ToolResult,
    ToolSpec,
    register_tool,
)

__all__ = ["ReshapeArgs", "reshape_dataset_rows"]


class ReshapeArgs(BaseModel):
    dataset: str | None = Field(default=None, description="Dataset id or name.")
    operations: list[ReshapeOp] = Field(
        min_length=1, max_length=20, description="Applied to every row, in order."
    )


def _plan(ctx: LoopContext, args: ReshapeArgs) -> tuple[Any, list[dict[str, Any]], str, int]:
    from openloop.services.datasets import read_rows

    obj = resolve_object(ctx, "dataset", args.dataset)
    rows = read_rows(ctx.svc, ctx.principal, obj.id)["rows"]
    changed, diff = reshape_diff(rows, args.operations)
    if not changed:
        raise InvalidInput(
            f"these operations change no row of dataset {obj.name!r}; check the paths against "
            "the rows' fields"
        )
    return obj, changed, diff, len(rows)


def preview(ctx: LoopContext, args: ReshapeArgs) -> ChangePreview:
    obj, changed, diff, total = _plan(ctx, args)
    line = describe(
        f"Reshape {len(changed)} of {total} rows of dataset {obj.name!r} as a new version: "
        f"{describe_ops(args.operations)}"
    )
    return ChangePreview(description=line, diff=diff)


def reshape_dataset_rows(ctx: LoopContext, args: ReshapeArgs) -> ToolResult:
    from openloop.services.datasets import insert_rows

    obj, changed, _diff, total = _plan(ctx, args)
    result = insert_rows(ctx.svc, ctx.principal, obj.id, changed)
    text = (
        f"Reshaped {len(changed)} of {total} rows of {obj.name!r} "
        f"({describe_ops(args.operations)}); new version {result['xact_id']}. The previous "
        "version can be restored from the dataset's history."
    )
    return ToolResult(text=text, data={"xact_id": result["xact_id"], "rows": len(changed)})


register_tool(
    ToolSpec(
        name="reshape_dataset_rows",
        description="Restructure all rows of a dataset (rename or move fields, drop a field such "
        "as expected, wrap input into {content: ...}) as one new version.",
        kind="write",
        args=ReshapeArgs,
        run=reshape_dataset_rows,
        preview=preview,
        pages=("dataset",),
    )
)
