"""Human review: a reviewer scores, labels or comments on one row of logs, an experiment or a
dataset.

A review is written as late updates, never a rewrite: one ``review`` span under the target
span (one per reviewer — reviewing again updates it) and a merge of the reviewed scores into
the target row. With several reviewers a numeric score on the target is their average.

Categories come from the project's review-score settings (``review_scores: [{name,
categories: [{name, value}]}]``): a label with a value becomes that score; any label is kept in
the review span's metadata.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from openloop.auth import require_write
from openloop.errors import InvalidInput, NotFound
from openloop.store.data.base import ObjectRef, WriteRequest

if TYPE_CHECKING:
    from openloop.auth import Principal
    from openloop.services import Services

__all__ = ["container_ref", "submit_review"]

logger = logging.getLogger(__name__)

_REVIEW_NS = uuid.UUID("6b0f8a52-4f0e-4d7c-9a59-5d1f3c1e7a10")


def container_ref(svc: Services, p: Principal, object_type: str, object_id: str) -> ObjectRef:
    """The container of ``project_logs`` (project id or name), an experiment or a dataset."""
    if object_type == "project_logs":
        project = svc.control.get_project(p.org_id, object_id)
        return ObjectRef(p.org_id, project.id, "project_logs", project.id)
    if object_type not in ("experiment", "dataset"):
        raise InvalidInput(
            f"unknown object type {object_type!r}; use project_logs, experiment or dataset"
        )
    try:
        obj = svc.control.find_object(p.org_id, object_id)
    except NotFound:
        obj = None
    if obj is None or obj.kind != object_type:
        raise NotFound(f"{object_type} {object_id!r} not found")
    return ObjectRef(p.org_id, obj.project_id, object_type, obj.id)


def _clean_scores(scores: Any) -> dict[str, float]:
    if scores is None:
        return {}
    if not isinstance(scores, dict):
        raise InvalidInput("scores must be an object {name: number in [0, 1]}")
    out: dict[str, float] = {}
    for name, value in scores.items():
        if isinstance(value, bool):
            value = float(value)
        if not isinstance(value, int | float) or not 0 <= value <= 1:
            raise InvalidInput(f"score {name!r} must be a number in [0, 1], got {value!r}")
        out[str(name)] = float(value)
    return out


def _category_scores(
    svc: Services, p: Principal, project_id: str, category: Any
) -> dict[str, float]:
    if category is None:
        return {}
    if not isinstance(category, dict) or not all(isinstance(v, str) for v in category.values()):
        raise InvalidInput("category must be an object {review score name: label}")
    configured = svc.control.get_project_settings(p.org_id, project_id).get("review_scores") or []
    values: dict[str, dict[str, float]] = {}
    for item in configured if isinstance(configured, list) else []:
        if isinstance(item, dict) and isinstance(item.get("categories"), list):
            values[str(item.get("name"))] = {
                str(c.get("name")): float(c["value"])
                for c in item["categories"]
                if isinstance(c, dict) and isinstance(c.get("value"), int | float)
            }
    out: dict[str, float] = {}
    for name, label in category.items():
        known = values.get(name)
        if known is None:
            continue
        if label not in known:
            raise InvalidInput(
                f"{label!r} is not a category of {name!r}; use one of {', '.join(known)}"
            )
        out[name] = known[label]
    return out


def submit_review(
    svc: Services,
    p: Principal,
    object_type: str,
    object_id: str,
    *,
    row_id: str,
    scores: Any = None,
    category: Any = None,
    text: str | None = None,
    reviewer: str | None = None,
) -> dict[str, Any]:
    """Record one reviewer's review of ``row_id``; returns the review span id and the target's
    reviewed scores after averaging."""
    require_write(p)
    ref = container_ref(svc, p, object_type, object_id)
    found = svc.data.read(ref, ids=[row_id])
    if not found:
        raise NotFound(f"row {row_id!r} not found in this {object_type}")
    target = found[0]
    mine = {**_category_scores(svc, p, ref.project_id, category), **_clean_scores(scores)}
    if not mine and category is None and not (text and text.strip()):
        raise InvalidInput("a review needs scores, a category or text")
    who = reviewer or p.user_id
    review_id = str(uuid.uuid5(_REVIEW_NS, f"{ref.object_id}/{row_id}/{who}"))
    span_id = target.get("span_id") or target["id"]
    root = target.get("root_span_id") or span_id
    metadata: dict[str, Any] = {"reviewer": who}
    if category is not None:
        metadata["category"] = category
    if text:
        metadata["text"] = text
    earlier = svc.data.read(ref, ids=[review_id])
    review_row: dict[str, Any] = {
        "id": review_id,
        "span_id": review_id,
        "root_span_id": root,
        "span_parents": [span_id],
        "span_attributes": {"name": "review", "type": "review"},
        "metadata": metadata,
        "_is_merge": bool(earlier),
    }
    if not earlier:
        review_row["created"] = datetime.now(UTC).isoformat()
    if mine:
        review_row["scores"] = mine
    merged = _averaged(svc, ref, root, span_id, review_id, mine)
    rows: list[dict[str, Any]] = [review_row]
    if merged:
        rows.append({"id": target["id"], "scores": merged, "_is_merge": True})
    svc.data.write([WriteRequest(ref=ref, rows=rows)])
    logger.info("review.submitted object=%s row=%s scores=%d", object_type, row_id, len(mine))
    return {"review_id": review_id, "row_id": target["id"], "reviewer": who, "scores": merged}


def _averaged(
    svc: Services,
    ref: ObjectRef,
    root: str,
    span_id: str,
    review_id: str,
    mine: dict[str, float],
) -> dict[str, float]:
    """Per score name, the mean over every reviewer's latest review of this span."""
    values: dict[str, list[float]] = {n: [v] for n, v in mine.items()}
    for row in svc.data.trace(ref, root):
        attrs = row.get("span_attributes") or {}
        if attrs.get("type") != "review" or row["id"] == review_id:
            continue
        if span_id not in (row.get("span_parents") or []):
            continue
        for name, value in (row.get("scores") or {}).items():
            if name in values and value is not None:
                values[name].append(float(value))
    return {n: sum(vs) / len(vs) for n, vs in values.items()}
