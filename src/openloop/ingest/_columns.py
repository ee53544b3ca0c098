"""Hot-column extraction and the batch → columns step of native rows (see
:mod:`openloop.ingest.rows`, which re-exports :func:`to_columns` and :func:`error_type`)."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from openloop.llm.prices import estimate_cost
from openloop.model.fields import JSON_FIELDS

if TYPE_CHECKING:
    from openloop.ingest.rows import IncomingRow

__all__ = ["COLUMN_NAMES", "HOT_NAMES", "error_type", "hot_columns", "to_columns"]

_ERROR_TYPE = re.compile(r"[A-Za-z_][\w.]{0,99}")


_NUMBER = (int, float)


def error_type(error: Any) -> str | None:
    """``error.type`` (or ``name``) of an error object, else the exception class at the start of
    an error string (``"ValueError: bad"`` → ``ValueError``; the last line of a traceback)."""
    if error is None:
        return None
    if isinstance(error, Mapping):
        for key in ("type", "name", "error_type"):
            if isinstance(error.get(key), str):
                return error[key]
        return None
    if not isinstance(error, str):
        return None
    text = error.strip()
    if text.startswith("Traceback"):
        lines = [ln for ln in text.splitlines() if ln.strip()]
        text = lines[-1].strip() if lines else ""
    head = text.split(":", 1)[0].strip()
    return head if _ERROR_TYPE.fullmatch(head) and ":" in text else None


_EMPTY: dict[str, Any] = {}


def _texts(objs: Sequence[Mapping[str, Any] | None], key: str) -> list[str | None]:
    """``obj[key]`` per row when it is text (an integer is written as text), else ``None``."""
    out: list[str | None] = []
    for d in objs:
        v = d.get(key) if d else None
        out.append(v if v.__class__ is str else str(v) if v.__class__ is int else None)
    return out


def _nums(objs: Sequence[Mapping[str, Any] | None], key: str) -> list[Any]:
    """``obj[key]`` per row when it is a number (booleans are not), else ``None``."""
    return [v if (v := d.get(key) if d else None).__class__ in _NUMBER else None for d in objs]


def _ints(values: list[Any]) -> list[int | None]:
    return [None if v is None else int(v) for v in values]


def _floats(values: list[Any]) -> list[float | None]:
    return [None if v is None else float(v) for v in values]


def hot_columns(
    attrs: Sequence[Mapping[str, Any] | None],
    meta: Sequence[Mapping[str, Any] | None],
    metrics: Sequence[Mapping[str, Any] | None],
    errors: Sequence[Any],
) -> dict[str, list[Any]]:
    """The hot columns (:data:`HOT_NAMES`) of a batch, one list per column, from each row's
    ``span_attributes``, ``metadata``, ``metrics`` (objects or ``None``) and ``error``. The one
    place these derivations are written; both ingest paths call it."""
    span_type = _texts(attrs, "type")
    purpose = _texts(attrs, "purpose")
    model = _texts(meta, "model")
    prompt = _nums(metrics, "prompt_tokens")
    completion = _nums(metrics, "completion_tokens")
    total = [
        t if t is not None or (p is None and c is None) else (p or 0) + (c or 0)
        for t, p, c in zip(_nums(metrics, "tokens"), prompt, completion, strict=True)
    ]
    cached = _nums(metrics, "prompt_cached_tokens")
    start = _nums(metrics, "start")
    end = _nums(metrics, "end")
    duration = [
        d if d is not None or s is None or e is None else e - s
        for d, s, e in zip(_nums(metrics, "duration"), start, end, strict=True)
    ]
    cost = _nums(metrics, "estimated_cost")
    for i, kind in enumerate(span_type):
        if purpose[i] == "scorer":
            cost[i] = None
        elif cost[i] is None and kind == "llm":
            m = metrics[i] or _EMPTY
            creation = m.get("prompt_cache_creation_tokens")
            cost[i] = estimate_cost(
                model[i], prompt[i], completion[i], cached[i],
                creation if creation.__class__ in _NUMBER else None,
            )  # fmt: skip
    return {
        "span_type": span_type,
        "span_name": _texts(attrs, "name"),
        "span_purpose": purpose,
        "model": model,
        "provider": _texts(meta, "provider"),
        "user_id": _texts(meta, "user_id"),
        "session_id": _texts(meta, "session_id"),
        "prompt_tokens": _ints(prompt),
        "completion_tokens": _ints(completion),
        "total_tokens": _ints(total),
        "prompt_cached_tokens": _ints(cached),
        "estimated_cost": _floats(cost),
        "start_time": _floats(start),
        "end_time": _floats(end),
        "duration": _floats(duration),
        "time_to_first_token": _nums(metrics, "time_to_first_token"),
        "has_error": [e is not None for e in errors],
        "error_type": [None if e is None else error_type(e) for e in errors],
    }


HOT_NAMES = (
    "span_type", "span_name", "span_purpose", "model", "provider", "user_id", "session_id",
    "prompt_tokens", "completion_tokens", "total_tokens", "prompt_cached_tokens",
    "estimated_cost", "start_time", "end_time", "duration", "time_to_first_token",
    "has_error", "error_type",
)  # fmt: skip
_FIXED = frozenset({"span_id", "root_span_id", "span_parents", "tags", "scores", *JSON_FIELDS})


_BASE_NAMES = (
    "id", "created", "span_id", "root_span_id", "span_parents", "is_root", "tags", "scores",
    "_object_delete",
)  # fmt: skip
COLUMN_NAMES = (*_BASE_NAMES, *HOT_NAMES, *JSON_FIELDS, "extra")
_RECORD_NAMES = (*_BASE_NAMES, *JSON_FIELDS, "extra")


def to_columns(rows: Sequence[IncomingRow]) -> dict[str, Sequence[Any]]:
    """Columns of the ``rows`` table for rows whose merges are resolved (``fields`` final,
    ``created`` set). System columns that the store assigns (ids of the container, ``_xact_id``,
    ``_pagination_key``...) are not included. JSON columns are UTF-8 ``bytes`` or ``None``."""
    records = []
    dumps = orjson.dumps
    json_fields = JSON_FIELDS
    fixed = _FIXED
    # The inputs of hot_columns, gathered in the same pass (a delete has no hot values).
    attrs: list[Mapping[str, Any] | None] = []
    meta: list[Mapping[str, Any] | None] = []
    metrics: list[Mapping[str, Any] | None] = []
    errors: list[Any] = []
    comments: list[int] = []
    for i, row in enumerate(rows):
        f = row.fields
        get = f.get
        span_id = get("span_id") or row.id
        parents = get("span_parents") or []
        scores = get("scores")
        # A comment (feedback text pointing at another row through origin.id) is not a span:
        # it must not count as a trace root, and its type says what it is.
        comment = "comment" in f and isinstance(get("origin"), dict)
        if comment:
            comments.append(i)
        encoded = row.encoded or _EMPTY
        json_values = [
            None if (v := get(name)) is None else (encoded.get(name) or dumps(v))
            for name in json_fields
        ]
        extra = None
        for k in f:
            if k not in fixed:
                extra = {k: v for k, v in f.items() if k not in fixed}
                break
        records.append(
            (
                row.id,
                row.created,
                span_id,
                get("root_span_id") or span_id,
                parents,
                not parents and not comment,
                get("tags"),
                list(scores.items()) if scores else None,
                row.is_delete,
                *json_values,
                dumps(extra) if extra else None,
            )
        )
        if row.is_delete:
            attrs.append(None)
            meta.append(None)
            metrics.append(None)
            errors.append(None)
        else:
            attrs.append(_obj(get("span_attributes")))
            meta.append(_obj(get("metadata")))
            metrics.append(_obj(get("metrics")))
            errors.append(get("error"))
    if not records:
        return {name: [] for name in COLUMN_NAMES}
    columns: dict[str, Sequence[Any]] = dict(
        zip(_RECORD_NAMES, zip(*records, strict=True), strict=True)
    )
    hot = hot_columns(attrs, meta, metrics, errors)
    span_types = hot["span_type"]
    for i in comments:
        if span_types[i] is None:
            span_types[i] = "comment"
    columns.update(hot)
    return {name: columns[name] for name in COLUMN_NAMES}


def _obj(value: Any) -> Mapping[str, Any] | None:
    return value if value.__class__ is dict or isinstance(value, Mapping) else None
