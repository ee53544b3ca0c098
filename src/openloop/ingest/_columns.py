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

__all__ = ["error_type", "to_columns"]

_ERROR_TYPE = re.compile(r"[A-Za-z_][\w.]{0,99}")


_NUMBER = (int, float)


def _num(d: Mapping[str, Any], key: str) -> Any:
    v = d.get(key)
    return v if v.__class__ in _NUMBER else None


def _text(d: Mapping[str, Any], key: str) -> str | None:
    v = d.get(key)
    if v.__class__ is str:
        return v
    return str(v) if v.__class__ is int else None


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


def _hot(fields: Mapping[str, Any]) -> tuple[Any, ...]:
    attrs = fields.get("span_attributes") or _EMPTY
    meta = fields.get("metadata") or _EMPTY
    metrics = fields.get("metrics") or _EMPTY
    span_type = _text(attrs, "type")
    purpose = _text(attrs, "purpose")
    model = _text(meta, "model")
    prompt = _num(metrics, "prompt_tokens")
    completion = _num(metrics, "completion_tokens")
    total = _num(metrics, "tokens")
    if total is None and (prompt is not None or completion is not None):
        total = (prompt or 0) + (completion or 0)
    cached = _num(metrics, "prompt_cached_tokens")
    start = _num(metrics, "start")
    end = _num(metrics, "end")
    duration = _num(metrics, "duration")
    if duration is None and start is not None and end is not None:
        duration = end - start
    if purpose == "scorer":
        cost = None
    else:
        cost = _num(metrics, "estimated_cost")
        if cost is None and span_type == "llm":
            cost = estimate_cost(
                model, prompt, completion, cached, _num(metrics, "prompt_cache_creation_tokens")
            )
    error = fields.get("error")
    return (
        span_type,
        _text(attrs, "name"),
        purpose,
        model,
        _text(meta, "provider"),
        _text(meta, "user_id"),
        _text(meta, "session_id"),
        None if prompt is None else int(prompt),
        None if completion is None else int(completion),
        None if total is None else int(total),
        None if cached is None else int(cached),
        None if cost is None else float(cost),
        None if start is None else float(start),
        None if end is None else float(end),
        None if duration is None else float(duration),
        _num(metrics, "time_to_first_token"),
        error is not None,
        None if error is None else error_type(error),
    )


_HOT_NAMES = (
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
_COLUMN_NAMES = (*_BASE_NAMES, *_HOT_NAMES, *JSON_FIELDS, "extra")
_DELETED_HOT = (None,) * 16 + (False, None)


def to_columns(rows: Sequence[IncomingRow]) -> dict[str, Sequence[Any]]:
    """Columns of the ``rows`` table for rows whose merges are resolved (``fields`` final,
    ``created`` set). System columns that the store assigns (ids of the container, ``_xact_id``,
    ``_pagination_key``...) are not included. JSON columns are UTF-8 ``bytes`` or ``None``."""
    records = []
    dumps = orjson.dumps
    for row in rows:
        f = row.fields
        get = f.get
        span_id = get("span_id") or row.id
        parents = get("span_parents") or []
        scores = get("scores")
        # A comment (feedback text pointing at another row through origin.id) is not a span:
        # it must not count as a trace root, and its type says what it is.
        comment = "comment" in f and isinstance(get("origin"), dict)
        base = (
            row.id,
            row.created,
            span_id,
            get("root_span_id") or span_id,
            parents,
            not parents and not comment,
            get("tags"),
            list(scores.items()) if scores else None,
            row.is_delete,
        )
        hot = _DELETED_HOT if row.is_delete else _hot(f)
        if comment and hot[0] is None:
            hot = ("comment", *hot[1:])
        encoded = row.encoded or _EMPTY
        json_values = [
            None if (v := get(name)) is None else (encoded.get(name) or dumps(v))
            for name in JSON_FIELDS
        ]
        extra = {k: v for k, v in f.items() if k not in _FIXED} if len(f) > 0 else None
        records.append((*base, *hot, *json_values, dumps(extra) if extra else None))
    if not records:
        return {name: [] for name in _COLUMN_NAMES}
    return dict(zip(_COLUMN_NAMES, zip(*records, strict=True), strict=True))
