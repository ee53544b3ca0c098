"""Dataset rows for Loop's write tools: declarative reshaping, picking rows out of an
experiment, and the previews the approval card shows.

A reshaping is a list of operations applied to every row, in order, on the row's ``input``,
``expected``, ``metadata`` and ``tags``:

* ``rename``  ``path`` → sibling key ``to`` (``input.question`` → ``input.query``);
* ``move``    ``path`` → another path ``to`` (``metadata.category`` → ``input.category``);
* ``drop``    remove ``path`` (``expected`` clears the expected output);
* ``wrap``    replace the value at ``path`` by ``{key: value}`` (``input`` → ``{content: ...}``).

A row the operation does not apply to (the path is absent) is left as it is.
"""

from __future__ import annotations

import copy
import logging
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import orjson
from pydantic import BaseModel, Field

from openloop.errors import InvalidInput

from .evals_common import json_diff, row_key
from .experiments_report import mean_score

__all__ = ["CONTENT", "ReshapeOp", "apply_ops", "content_of", "describe_ops", "pick_rows",
           "preview_rows", "reshape_diff"]  # fmt: skip

logger = logging.getLogger(__name__)

CONTENT = ("input", "expected", "metadata", "tags")
_MISSING = object()


class ReshapeOp(BaseModel):
    op: Literal["rename", "move", "drop", "wrap"] = Field(description="The operation.")
    path: str = Field(description="Dotted path in the row, starting at input/expected/metadata.")
    to: str | None = Field(default=None, description="rename: new key; move: new dotted path.")
    key: str = Field(default="content", description="wrap: the key to wrap the value under.")


def content_of(row: Mapping[str, Any]) -> dict[str, Any]:
    return {k: copy.deepcopy(row.get(k)) for k in CONTENT}


def _split(path: str) -> list[str]:
    parts = [p for p in path.strip().split(".") if p]
    if not parts or parts[0] not in ("input", "expected", "metadata"):
        raise InvalidInput(f"path {path!r} must start with input, expected or metadata")
    return parts


def _get(row: dict[str, Any], parts: list[str]) -> Any:
    node: Any = row
    for p in parts:
        if not isinstance(node, dict) or p not in node:
            return _MISSING
        node = node[p]
    return node


def _set(row: dict[str, Any], parts: list[str], value: Any) -> None:
    node = row
    for p in parts[:-1]:
        if not isinstance(node.get(p), dict):
            node[p] = {}
        node = node[p]
    node[parts[-1]] = value


def _delete(row: dict[str, Any], parts: list[str]) -> None:
    if len(parts) == 1:
        row[parts[0]] = None
        return
    parent = _get(row, parts[:-1])
    if isinstance(parent, dict):
        parent.pop(parts[-1], None)


def _check(op: ReshapeOp) -> tuple[list[str], list[str] | None]:
    src = _split(op.path)
    if op.op == "rename":
        if not op.to or "." in op.to:
            raise InvalidInput("rename needs 'to': the new key name (no dots; use move for paths)")
        if len(src) == 1:
            raise InvalidInput("rename a key inside input/expected/metadata, or use move")
        return src, [*src[:-1], op.to]
    if op.op == "move":
        if not op.to:
            raise InvalidInput("move needs 'to': the new dotted path")
        return src, _split(op.to)
    if op.op == "wrap" and not op.key.strip():
        raise InvalidInput("wrap needs a non-empty 'key'")
    return src, None


def apply_ops(row: Mapping[str, Any], ops: Sequence[ReshapeOp]) -> dict[str, Any]:
    """The row's content after every operation (the input row is not changed)."""
    out = content_of(row)
    for op in ops:
        src, dst = _check(op)
        value = _get(out, src)
        if value is _MISSING or (op.op != "drop" and value is None and len(src) == 1):
            continue
        if op.op == "drop":
            _delete(out, src)
        elif op.op == "wrap":
            _set(out, src, {op.key: value})
        else:
            assert dst is not None
            _delete(out, src)
            _set(out, dst, value)
    return out


def describe_ops(ops: Sequence[ReshapeOp]) -> str:
    parts = []
    for op in ops:
        if op.op == "rename":
            parts.append(f"rename {op.path} → {op.to}")
        elif op.op == "move":
            parts.append(f"move {op.path} → {op.to}")
        elif op.op == "wrap":
            parts.append(f"wrap {op.path} as {{{op.key}: …}}")
        else:
            parts.append(f"drop {op.path}")
    return "; ".join(parts)


def reshape_diff(rows: Sequence[Mapping[str, Any]], ops: Sequence[ReshapeOp], sample: int = 3
                 ) -> tuple[list[dict[str, Any]], str]:  # fmt: skip
    """Rows that change (``{id, **content}``) and a unified diff of the first ``sample``."""
    changed: list[dict[str, Any]] = []
    diffs: list[str] = []
    for row in rows:
        before, after = content_of(row), apply_ops(row, ops)
        if before == after:
            continue
        changed.append({"id": row["id"], **after})
        if len(diffs) < sample:
            rid = row["id"]
            diffs.append(json_diff(before, after, old_label=f"row {rid}", new_label=f"row {rid}"))
    return changed, "".join(diffs)


def preview_rows(rows: Sequence[Mapping[str, Any]], limit: int = 20) -> str:
    """Rows as ``+ {json}`` lines (a diff adding them), cut after ``limit``."""
    lines = [
        "+ " + orjson.dumps({k: v for k, v in r.items() if v is not None}, default=str,
                            option=orjson.OPT_SORT_KEYS).decode()
        for r in rows[:limit]
    ]  # fmt: skip
    if len(rows) > limit:
        lines.append(f"+ … and {len(rows) - limit} more rows")
    return "\n".join(lines) + "\n"


def pick_rows(
    rows: Sequence[Mapping[str, Any]],
    *,
    experiment_id: str,
    select: Literal["best", "failing"],
    score: str | None,
    threshold: float,
    limit: int,
) -> list[dict[str, Any]]:
    """Experiment rows as new dataset rows, with ``origin`` pointing back at the experiment row
    (and ``metadata.source_row`` at the dataset row it came from, when there was one)."""
    picked: list[tuple[float, Mapping[str, Any]]] = []
    for row in rows:
        value = mean_score(row) if score is None else (row.get("scores") or {}).get(score)
        if select == "failing":
            if row.get("error") or (isinstance(value, int | float) and value < threshold):
                picked.append((-1.0 if value is None else float(value), row))
        elif not row.get("error") and isinstance(value, int | float) and value >= threshold:
            picked.append((float(value), row))
    picked.sort(key=lambda vr: (vr[0] if select == "failing" else -vr[0], row_key(vr[1])))
    out = []
    for _value, row in picked[:limit]:
        metadata = dict(row.get("metadata") or {})
        if row_key(row) != str(row.get("id")):
            metadata["source_row"] = row_key(row)
        out.append({
            "input": row.get("input"), "expected": row.get("expected"), "metadata": metadata,
            "tags": list(row.get("tags") or []),
            "origin": {"object_type": "experiment", "object_id": experiment_id,
                       "id": str(row.get("id"))},
        })  # fmt: skip
    return out
