"""Feedback on logged rows: scores, expected values, tags and comments arriving after the span.

Feedback is written as small late-update rows — a merge into the target row and, for a comment,
a separate comment row whose ``origin.id`` points at the target — never a rewrite.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from openloop.errors import InvalidInput

__all__ = ["feedback_to_rows"]


def feedback_to_rows(
    items: Sequence[Any], *, container: Mapping[str, Any], object_type: str, object_id: str
) -> list[dict[str, Any]]:
    """Turn ``[{id, scores?, expected?, tags?, comment?, metadata?, source?}]`` into rows."""
    rows: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict) or not item.get("id"):
            raise InvalidInput(f"feedback[{i}] must be an object with the target row's id")
        fields = {k: item[k] for k in ("scores", "expected", "tags") if item.get(k) is not None}
        comment = item.get("comment")
        if not fields and not comment:
            raise InvalidInput(
                f"feedback[{i}] needs at least one of scores, expected, tags or comment"
            )
        audit = {"source": item.get("source") or "external", "metadata": item.get("metadata")}
        if fields:
            rows.append(
                {**container, "id": item["id"], **fields, "_is_merge": True, "_audit": audit}
            )
        if comment:
            rows.append(
                {
                    **container,
                    "id": uuid.uuid4().hex,
                    "created": datetime.now(UTC).isoformat(),
                    "origin": {
                        "object_type": object_type,
                        "object_id": object_id,
                        "id": item["id"],
                    },
                    "comment": {"text": str(comment)},
                    "metadata": item.get("metadata") or {},
                    "span_attributes": {"type": "comment", "name": "comment"},
                    "_audit": audit,
                }
            )
    return rows
