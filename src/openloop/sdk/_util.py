"""Small helpers shared by the SDK: ids and times, JSON snapshots, row merging, caller location.

Everything here is pure and cheap to import; nothing touches the network.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import sys
import traceback
import uuid
from datetime import UTC, datetime
from typing import Any

import orjson

logger = logging.getLogger(__name__)

# Fields a later row never changes once the first row of an id set them (trace linkage).
PRESERVED_ON_MERGE = ("created", "span_id", "root_span_id", "span_parents")

# Columns that name the container a row belongs to; rows merge only within one container.
CONTAINER_KEYS = ("project_id", "log_id", "experiment_id", "dataset_id")

_SDK_PREFIX = "openloop.sdk"
_SKIPPED_MODULES = ("contextlib", "functools", "asyncio", "concurrent.futures")


def new_id() -> str:
    """A fresh random row/span id (UUID4, canonical text form)."""
    return str(uuid.uuid4())


def iso_utc(ts: float) -> str:
    """Unix seconds → ISO-8601 UTC text with microseconds (``2025-01-31T12:00:00.000001+00:00``)."""
    return datetime.fromtimestamp(ts, tz=UTC).isoformat(timespec="microseconds")


def env_int(name: str, default: int) -> int:
    """An integer from the environment, falling back to ``default`` on absence or junk."""
    raw = os.environ.get(name)
    if raw is None or not raw.strip():
        return default
    try:
        return int(raw)
    except ValueError:
        logger.warning("sdk.config ignored %s=%r (not an integer)", name, raw)
        return default


def _json_default(value: Any) -> Any:
    dump = getattr(value, "model_dump", None)
    if callable(dump):  # pydantic v2 models (OpenAI/Anthropic responses among them)
        try:
            return dump(mode="json", exclude_unset=False)
        except Exception:
            return repr(value)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return dataclasses.asdict(value)
    if isinstance(value, set | frozenset):
        return sorted(value, key=repr)
    if isinstance(value, bytes | bytearray | memoryview):
        return f"<{len(bytes(value))} bytes>"
    if isinstance(value, BaseException):
        return {"type": type(value).__name__, "message": str(value)}
    return repr(value)


_DUMP_OPTIONS = orjson.OPT_NON_STR_KEYS | orjson.OPT_SERIALIZE_NUMPY


def dumps(value: Any) -> bytes:
    """Serialize to JSON bytes; unknown objects become their JSON-able form or their repr."""
    return orjson.dumps(value, default=_json_default, option=_DUMP_OPTIONS)


def snapshot(value: Any) -> Any:
    """A JSON-safe deep copy of ``value``, taken now, so later mutation by the caller (or an
    unserializable object) cannot change or break what gets sent."""
    if value is None or isinstance(value, str | bool | int | float):
        return value
    try:
        return orjson.loads(dumps(value))
    except (TypeError, orjson.JSONEncodeError):
        return repr(value)


def merge_into(target: dict[str, Any], source: dict[str, Any]) -> dict[str, Any]:
    """Deep-merge ``source`` into ``target`` in place: objects merge key by key, anything else
    (scalars, arrays) is overwritten. Returns ``target``."""
    for key, value in source.items():
        current = target.get(key)
        if isinstance(current, dict) and isinstance(value, dict):
            merge_into(current, value)
        else:
            target[key] = value
    return target


def row_key(row: dict[str, Any]) -> tuple[Any, ...]:
    return (*(row.get(k) for k in CONTAINER_KEYS), row.get("id"))


def merge_row_batch(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Fold successive rows of the same container + id into one, in first-seen order.

    A merge row (``_is_merge: true``) deep-merges into what is pending and keeps the pending
    row's merge flag; a replace row overrides what is pending. Either way ``created``,
    ``span_id``, ``root_span_id`` and ``span_parents`` stay as the first row set them.
    Rows without an id (never produced by the SDK) pass through untouched.
    """
    merged: dict[tuple[Any, ...], dict[str, Any]] = {}
    out: list[dict[str, Any]] = []
    for row in rows:
        if row.get("id") is None:
            out.append(row)
            continue
        key = row_key(row)
        pending = merged.get(key)
        if pending is None:
            fresh = dict(row)
            merged[key] = fresh
            out.append(fresh)
            continue
        kept = {k: pending[k] for k in PRESERVED_ON_MERGE if k in pending}
        if row.get("_is_merge"):
            was_merge = pending.get("_is_merge", False)
            merge_into(pending, {k: v for k, v in row.items() if k != "_is_merge"})
            pending["_is_merge"] = was_merge
        else:
            pending.clear()
            pending.update(row)
        pending.update(kept)
    return out


def format_error(exc: BaseException) -> dict[str, str]:
    """The ``error`` field for an exception: class name, message and formatted traceback."""
    return {
        "type": type(exc).__name__,
        "message": str(exc),
        "traceback": "".join(traceback.format_exception(exc)),
    }


def caller_context(extra_skip: tuple[str, ...] = ()) -> dict[str, Any]:
    """Where user code called into the SDK: the first frame outside openloop.sdk (and the
    stdlib plumbing that wraps decorators and context managers)."""
    skip = _SKIPPED_MODULES + extra_skip
    frame = sys._getframe(1)
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if not (module.startswith(_SDK_PREFIX) or module.startswith(skip)):
            code = frame.f_code
            return {
                "caller_functionname": code.co_name,
                "caller_filename": code.co_filename,
                "caller_lineno": frame.f_lineno,
            }
        frame = frame.f_back  # type: ignore[assignment]
    return {}
