"""Native rows: validate and normalize one incoming Braintrust-style row, and turn a batch of
stored rows into columns of the ``rows`` table (:mod:`openloop.model.fields`).

Two stages, both pure Python with no store access:

* :func:`prepare_row` checks one incoming dict (types, size of each field, nesting depth,
  non-finite numbers), renames OTel-style token metrics to the canonical names and returns an
  :class:`IncomingRow`; a bad row raises :class:`~openloop.errors.InvalidInput` naming the field,
  so the caller can report it and keep the rest of the batch.
* :func:`to_columns` takes rows whose merges are already resolved and produces one Python list
  per column, with the hot columns (model, tokens, cost, duration, error type...) extracted.
  JSON values are serialized once (:attr:`IncomingRow.encoded` is reused when a row was not
  merged).
"""

from __future__ import annotations

import logging
import math
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import orjson

from openloop.errors import InvalidInput, PayloadTooLarge
from openloop.ingest._columns import error_type, to_columns

__all__ = [
    "CONTROL_KEYS",
    "IGNORED_KEYS",
    "IncomingRow",
    "RowLimits",
    "deep_merge",
    "encode_json",
    "error_type",
    "invalid_json",
    "parse_created",
    "prepare_row",
    "to_columns",
]

logger = logging.getLogger(__name__)

#: Keys that steer the write and are not stored.
CONTROL_KEYS = frozenset(
    {"_is_merge", "_object_delete", "_merge_paths", "_array_delete", "_parent_id"}
)
#: Keys the store assigns itself; a client value is ignored.
IGNORED_KEYS = frozenset(
    {
        "_xact_id",
        "_pagination_key",
        "_superseded_by",
        "org_id",
        "project_id",
        "log_id",
        "experiment_id",
        "dataset_id",
        "prompt_session_id",
        "is_root",
    }
)
_METRIC_ALIASES = {
    "input_tokens": "prompt_tokens",
    "output_tokens": "completion_tokens",
    "total_tokens": "tokens",
}


@dataclass(frozen=True)
class RowLimits:
    """Per-row limits, usually from :class:`openloop.settings.Settings`."""

    max_field_bytes: int = 8 * 1024 * 1024
    max_json_depth: int = 64

    @classmethod
    def from_settings(cls, settings: Any) -> RowLimits:
        return cls(settings.max_field_bytes, settings.max_json_depth)


@dataclass(slots=True)
class IncomingRow:
    """One validated row. ``fields`` holds the Braintrust top-level fields (no control or
    store-assigned keys); ``created`` is microseconds since the epoch or ``None`` (= now)."""

    index: int
    id: str
    is_merge: bool = False
    is_delete: bool = False
    merge_paths: list[tuple[str, ...]] | None = None
    created: int | None = None
    fields: dict[str, Any] = field(default_factory=dict)
    encoded: dict[str, bytes] | None = None


def encode_json(value: Any) -> bytes:
    return orjson.dumps(value)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
# "YYYY-MM-DDTHH:MM:SS" → microseconds since the epoch, for :func:`parse_created`.
_SECOND_US: dict[str, int] = {}
_MIN_US = -62_135_596_800_000_000  # 0001-01-01
_MAX_US = 253_402_300_799_999_999  # 9999-12-31


def parse_created(value: Any) -> int:
    """Microseconds since the epoch from an ISO-8601 string, epoch seconds (or ms/us) or a
    datetime. Raises :class:`InvalidInput`."""
    us = _parse_created(value)
    if not _MIN_US <= us <= _MAX_US:
        raise InvalidInput("created is out of range (years 1 to 9999)")
    return us


def _parse_created(value: Any) -> int:
    if value.__class__ is str:
        return _parse_text(value)
    if isinstance(value, bool):
        raise InvalidInput("created must be an ISO-8601 timestamp or epoch seconds")
    if isinstance(value, int | float):
        if not math.isfinite(value):
            raise InvalidInput("created must be a finite number")
        # Accept seconds, milliseconds or microseconds by magnitude.
        if abs(value) < 1e11:
            return round(value * 1_000_000)
        if abs(value) < 1e14:
            return round(value * 1_000)
        return int(value)
    if isinstance(value, str):
        return _parse_text(value)
    if isinstance(value, datetime):
        return _us(value)
    raise InvalidInput("created must be an ISO-8601 timestamp or epoch seconds")


def _parse_text(value: str) -> int:
    # ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (what OTLP ingest and most SDKs send): the whole seconds
    # are parsed once and cached, the fraction is a plain integer.
    zulu = len(value) == 27 and value[26] == "Z" and value[19] == "."
    if zulu:
        base = _SECOND_US.get(value[:19])
        frac = value[20:26]
        if base is not None and frac.isascii() and frac.isdigit():
            return base + int(frac)
    try:
        dt = datetime.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"created: {value[:40]!r} is not an ISO-8601 timestamp") from None
    us = _us(dt)
    if zulu:
        if len(_SECOND_US) >= 4096:
            _SECOND_US.clear()
        _SECOND_US[value[:19]] = us - int(value[20:26])
    return us


def _us(dt: datetime) -> int:
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    delta = dt - _EPOCH
    return (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds


def _check_tree(value: Any, depth: int, limit: int, where: str) -> None:
    """Reject nesting deeper than ``limit`` and non-finite floats (orjson writes them as null)."""
    if isinstance(value, dict):
        if depth >= limit:
            raise InvalidInput(f"{where}: JSON nested deeper than {limit} levels")
        for v in value.values():
            if isinstance(v, dict | list | float):
                _check_tree(v, depth + 1, limit, where)
    elif isinstance(value, list | tuple):
        if depth >= limit:
            raise InvalidInput(f"{where}: JSON nested deeper than {limit} levels")
        for v in value:
            if isinstance(v, dict | list | float):
                _check_tree(v, depth + 1, limit, where)
    elif isinstance(value, float) and not math.isfinite(value):
        raise InvalidInput(f"{where}: numbers must be finite (got {value})")


def _check_text(value: str, name: str) -> None:
    if not value.isascii():
        try:
            value.encode()
        except UnicodeEncodeError:
            raise InvalidInput(f"{name} is not valid Unicode text") from None


def _str_list(value: Any, name: str) -> list[str] | None:
    if value is None:
        return None
    if not isinstance(value, list | tuple):
        raise InvalidInput(f"{name} must be a list of strings")
    for v in value:
        if not isinstance(v, str):
            raise InvalidInput(f"{name} must be a list of strings")
        if not v.isascii():
            _check_text(v, name)
    return list(value)


def _scores(value: Any) -> dict[str, float | None] | None:
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise InvalidInput("scores must be an object of name -> number in [0, 1]")
    out: dict[str, float | None] = {}
    for name, score in value.items():
        if not isinstance(name, str):
            raise InvalidInput("scores: names must be strings")
        _check_text(name, "scores")
        if score is None:
            out[name] = None
        elif isinstance(score, bool):
            out[name] = 1.0 if score else 0.0
        elif isinstance(score, int | float) and math.isfinite(score) and 0 <= score <= 1:
            out[name] = float(score)
        else:
            raise InvalidInput(
                f"scores.{name} must be a number between 0 and 1 or null, got {score!r}"
            )
    return out


_BIG = 1e18


def _metrics(value: Any) -> dict[str, Any]:
    if value.__class__ is not dict and not isinstance(value, Mapping):
        raise InvalidInput("metrics must be an object of name -> number")
    out: dict[str, Any] = {}
    for name, v in value.items():
        cls = v.__class__
        if (
            cls is not float
            and cls is not int
            and v is not None
            and (isinstance(v, bool) or not isinstance(v, int | float))
        ):
            raise InvalidInput(f"metrics.{name} must be a number")
        if v is not None and not -_BIG < v < _BIG:
            raise InvalidInput(f"metrics.{name} must be a finite number below 1e18")
        canonical = _METRIC_ALIASES.get(name)
        if canonical is not None:
            if value.get(canonical) is None:
                out[canonical] = v
            continue
        out[name] = v
    return out


# How each known top-level key is checked: 0 = any JSON (own json column), 1 = object,
# 2 = string, 3 = list of strings, 4 = scores, 5 = metrics. Unknown keys go to ``extra``.
_KINDS: dict[str, int] = {
    "input": 0, "output": 0, "expected": 0, "error": 0,
    "metadata": 1, "span_attributes": 1, "context": 1, "origin": 1,
    "span_id": 2, "root_span_id": 2, "span_parents": 3, "tags": 3, "scores": 4, "metrics": 5,
}  # fmt: skip
_SKIP = CONTROL_KEYS | IGNORED_KEYS | {"id", "created"}
# One lookup per key: the kind, or -1 for a key that is not a stored field.
_KIND_OR_SKIP: dict[str, int] = {**_KINDS, **dict.fromkeys(_SKIP, -1)}


def invalid_json(what: str, data: bytes, exc: Exception) -> InvalidInput:
    """The error for ``data`` that orjson could not parse. Invalid UTF-8 names its first bad
    byte: orjson's own position for it is not the byte's."""
    msg = str(exc)
    if "utf-8" in msg.lower() or "surrogate" in msg.lower():
        try:
            data.decode()
        except UnicodeDecodeError as bad:
            return InvalidInput(
                f"{what} is not valid UTF-8: byte {bad.start} "
                f"(0x{data[bad.start]:02x}) cannot start or continue a character"
            )
        return InvalidInput(f"{what} is not valid UTF-8: {msg}")
    return InvalidInput(f"{what} is not valid JSON: {msg}")


def _encode(key: str, value: Any, limits: RowLimits) -> bytes:
    try:
        data = orjson.dumps(value)
    except (TypeError, orjson.JSONEncodeError) as exc:
        if "recursion limit" in str(exc).lower():  # orjson stops at 254 levels
            raise InvalidInput(
                f"{key}: JSON nested deeper than {limits.max_json_depth} levels"
            ) from None
        raise InvalidInput(f"{key}: not JSON-serializable ({exc})") from None
    if len(data) > limits.max_field_bytes:
        raise PayloadTooLarge(
            f"{key} is {len(data)} bytes of JSON, over the {limits.max_field_bytes}-byte limit"
        )
    # A string needs no walk. Otherwise the walk is only needed when the text could hide a
    # problem: orjson writes NaN and infinities as null, and nesting needs at least as many
    # brackets as levels.
    if (
        value.__class__ is not str
        and (b"null" in data or data.count(b"{") + data.count(b"[") >= limits.max_json_depth)
        and isinstance(value, dict | list | float)
    ):
        _check_tree(value, 1, limits.max_json_depth, key)
    return data


def prepare_row(row: Mapping[str, Any], index: int, limits: RowLimits) -> IncomingRow:
    """Validate and normalize one incoming row. Raises :class:`InvalidInput`."""
    if row.__class__ is not dict and not isinstance(row, Mapping):
        raise InvalidInput("a row must be a JSON object")
    row_id = row.get("id")
    if row_id.__class__ is not str:
        if row_id is None:
            row_id = str(uuid.uuid4())
        elif isinstance(row_id, int) and not isinstance(row_id, bool):
            row_id = str(row_id)
        elif not isinstance(row_id, str):
            raise InvalidInput("id must be a string")
    elif not row_id:
        row_id = str(uuid.uuid4())
    elif not row_id.isascii():
        _check_text(row_id, "id")
    out = IncomingRow(index, row_id)
    if row.get("_is_merge"):
        out.is_merge = True
    if row.get("_object_delete"):
        out.is_delete = True
    merge_paths = row.get("_merge_paths")
    if merge_paths is not None:
        if not isinstance(merge_paths, list) or not all(
            isinstance(p, list) and all(isinstance(s, str) for s in p) for p in merge_paths
        ):
            raise InvalidInput("_merge_paths must be a list of paths (lists of strings)")
        out.merge_paths = [tuple(p) for p in merge_paths]
    created = row.get("created")
    if created is not None:
        out.created = parse_created(created)
    fields = out.fields
    encoded: dict[str, bytes] = {}
    check = not out.is_delete
    extra_size = 0
    kinds = _KIND_OR_SKIP
    dumps = orjson.dumps
    max_bytes = limits.max_field_bytes
    for key, value in row.items():
        kind = kinds.get(key)
        if kind == -1:
            continue
        if value is None:
            fields[key] = None
            continue
        if kind is None:
            if key.__class__ is not str:
                raise InvalidInput("field names must be strings")
            if check:
                extra_size += len(_encode(key, value, limits))
        elif kind <= 1:
            if kind == 1 and value.__class__ is not dict and not isinstance(value, Mapping):
                raise InvalidInput(f"{key} must be an object")
            if check:
                if value.__class__ is str and len(value) * 6 + 2 <= max_bytes:
                    # A text can hide neither nesting nor non-finite numbers, and this one
                    # cannot reach the size limit even with every character escaped.
                    try:
                        encoded[key] = dumps(value)
                    except orjson.JSONEncodeError as exc:
                        raise InvalidInput(f"{key}: not JSON-serializable ({exc})") from None
                else:
                    encoded[key] = _encode(key, value, limits)
        elif kind == 2:
            if value.__class__ is not str:
                raise InvalidInput(f"{key} must be a string")
            if not value.isascii():
                _check_text(value, key)
        elif kind == 3:
            value = _str_list(value, key)
        elif kind == 4:
            value = _scores(value)
        else:
            value = _metrics(value)
            if check:
                encoded[key] = _encode(key, value, limits)
        fields[key] = value
    if extra_size > limits.max_field_bytes:
        raise PayloadTooLarge(f"extra fields total {extra_size} bytes, over the limit")
    out.encoded = encoded
    return out


def deep_merge(
    base: dict[str, Any], update: Mapping[str, Any], replace_paths: Sequence[tuple[str, ...]] = ()
) -> dict[str, Any]:
    """``base`` with ``update`` merged in: objects merge key by key, anything else (lists,
    scalars, null) replaces. Paths in ``replace_paths`` are replaced whole. Returns a new dict.

    >>> deep_merge({"a": {"x": 1, "y": 2}, "t": [1]}, {"a": {"y": 3}, "t": [2]})
    {'a': {'x': 1, 'y': 3}, 't': [2]}
    """
    return _merge(base, update, (), frozenset(replace_paths))


def _merge(
    base: dict[str, Any],
    update: Mapping[str, Any],
    path: tuple[str, ...],
    replace: frozenset[tuple[str, ...]],
) -> dict[str, Any]:
    out = dict(base)
    for key, value in update.items():
        sub = (*path, key)
        current = out.get(key)
        if isinstance(value, Mapping) and isinstance(current, dict) and sub not in replace:
            out[key] = _merge(current, value, sub, replace)
        else:
            out[key] = value
    return out
