"""``add_dataset_rows`` (write): append rows the model wrote to a dataset.

The rows are validated as dataset rows before the approval card is shown; the card lists them
as added lines. Saving them is one new version of the dataset.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field

from openloop.loop.skills.dataset_rows import preview_rows
from openloop.loop.skills.evals_common import describe, resolve_object
from openloop.loop.tools.base import (
    ChangePreview,
    LoopContext,
    ToolResult,
    ToolSpec,
    register_tool,
)

__all__ = ["AddRowsArgs", "NewRow", "add_dataset_rows"]


class NewRow(BaseModel):
    input: Any = Field(description="The row's input, shaped like the dataset's other inputs.")
    expected: Any = Field(default=None, description="The expected output, if any.")
    metadata: dict[str, Any] | None = Field(default=None, description="e.g. {'category': ...}")
    tags: list[str] | None = None


class AddRowsArgs(BaseModel):
    dataset: str | None = Field(default=None, description="Dataset id or name.")
    rows: list[NewRow] = Field(min_length=1, max_length=200, description="Rows to append.")


def _rows(args: AddRowsArgs) -> list[dict[str, Any]]:
    from openloop.services.datasets import clean_row

    rows = [r.model_dump(exclude_none=True) for r in args.rows]
    return [clean_row(r, i) for i, r in enumerate(rows)]


def preview(ctx: LoopContext, args: AddRowsArgs) -> ChangePreview:
    obj = resolve_object(ctx, "dataset", args.dataset)
    rows = _rows(args)
    before = ctx.svc.data.count(_ref(obj))
    line = describe(
        f"Add {len(rows)} row{'s' * (len(rows) != 1)} to dataset {obj.name!r} "
        f"({before} → {before + len(rows)} rows)"
    )
    return ChangePreview(description=line, diff=preview_rows(rows), preview=rows)


def _ref(obj: Any) -> Any:
    from openloop.services.datasets import dataset_ref

    return dataset_ref(obj)


def add_dataset_rows(ctx: LoopContext, args: AddRowsArgs) -> ToolResult:
    from openloop.services.datasets import insert_rows

    obj = resolve_object(ctx, "dataset", args.dataset)
    result = insert_rows(ctx.svc, ctx.principal, obj.id, _rows(args))
    total = ctx.svc.data.count(_ref(obj))
    text = (
        f"Added {len(result['ids'])} rows to dataset {obj.name!r} (now {total} rows, "
        f"version {result['xact_id']})."
    )
    return ToolResult(text=text, data={"dataset_id": obj.id, **result})


register_tool(
    ToolSpec(
        name="add_dataset_rows",
        description="Append new rows (input, expected, metadata, tags) to a dataset. Match the "
        "shape of the dataset's existing rows.",
        kind="write",
        args=AddRowsArgs,
        run=add_dataset_rows,
        preview=preview,
        pages=("dataset", "playground"),
    )
)
