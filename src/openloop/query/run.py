"""Execute a compiled query on a store and shape the result like Braintrust's ``/btql``:
``{"data": [...], "schema": {...}, "cursor": str | None, "warnings": [...]}``."""

from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Callable, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any, Protocol

from openloop.errors import QueryError

from .build import Compiled, compile_query
from .shapes import OutputColumn, encode_cursor

__all__ = ["QueryStore", "run_query", "shape_rows"]

logger = logging.getLogger(__name__)

_PREVIEW_FIELDS = ("input", "output", "expected", "error", "metadata")
_CONTAINER_ID = {"experiment": "experiment_id", "dataset": "dataset_id", "prompt": "prompt_id",
                 "function": "function_id"}  # fmt: skip
_JSON_SCHEMA = {"str": "string", "num": "number", "int": "integer", "bool": "boolean",
                "ts": "string", "array": "array", "map": "object", "scorelist": "object"}  # fmt: skip


class QueryStore(Protocol):
    dialect: str

    def execute(self, sql: str, params: Sequence[Any] | None = None) -> Any: ...


def _iso(value: datetime | date) -> str:
    if isinstance(value, datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
    return value.isoformat()


def _convert(value: Any, kind: str) -> Any:
    if value is None:
        return None
    if kind == "json":
        if isinstance(value, str):
            if value == "":
                return None
            try:
                return json.loads(value)
            except ValueError:
                return value
        return value
    if isinstance(value, datetime | date):
        return _iso(value)
    if kind == "map" or (isinstance(value, list) and value and isinstance(value[0], tuple)):
        return {k: v for k, v in value} if isinstance(value, list) else dict(value)
    if kind == "scorelist":
        sums: dict[str, list[float]] = {}
        for m in value:
            for k, v in m.items() if isinstance(m, dict) else m or []:
                if v is not None:
                    sums.setdefault(k, []).append(float(v))
        return {k: sum(vs) / len(vs) for k, vs in sums.items()}
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    if kind == "bool" and isinstance(value, int):
        return bool(value)
    return value


def _preview(value: Any, n: int) -> Any:
    if value is None or n < 0:
        return value
    text = value if isinstance(value, str) else json.dumps(value, separators=(",", ":"))
    if len(text) <= n:
        return value
    return text[:n] + "..."


def _spans_star(row: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in row.items() if k not in ("extra", "object_type", "object_id")}
    extra = row.get("extra")
    if isinstance(extra, dict):
        for k, v in extra.items():
            out.setdefault(k, v)
    object_type, object_id = row.get("object_type"), row.get("object_id")
    if object_type == "project_logs":
        out["log_id"] = "g"
    elif object_type in _CONTAINER_ID:
        out[_CONTAINER_ID[object_type]] = object_id
    for key in ("_xact_id", "_pagination_key"):
        if out.get(key) is not None:
            out[key] = str(out[key])
    return out


_SUMMARY_METRICS = {"prompt_tokens": "prompt_tokens", "completion_tokens": "completion_tokens",
                    "total_tokens": "total_tokens", "prompt_cached_tokens": "prompt_cached_tokens",
                    "estimated_cost": "estimated_cost", "llm_calls": "llm_calls",
                    "tool_calls": "tool_calls", "errors": "errors", "llm_errors": "llm_errors",
                    "tool_errors": "tool_errors", "start_time": "start", "end_time": "end",
                    "duration": "duration", "llm_duration": "llm_duration",
                    "time_to_first_token": "time_to_first_token"}  # fmt: skip


def _summary_star(row: dict[str, Any]) -> dict[str, Any]:
    out = _spans_star({k: v for k, v in row.items() if k not in _SUMMARY_METRICS})
    out["scores"] = out.pop("_score_maps", None) or {}
    out["metrics"] = {name: row.get(col) for col, name in _SUMMARY_METRICS.items()}
    out["span_type_info"] = {"has_error": bool(out.pop("has_error", False))}
    return out


def shape_rows(compiled: Compiled, table: Any) -> list[dict[str, Any]]:
    """Engine result (a pyarrow Table) -> Braintrust-shaped rows (hidden columns kept)."""
    columns = compiled.columns
    names = (
        list(table.column_names) if hasattr(table, "column_names") else [c.name for c in columns]
    )
    if len(names) != len(columns):
        raise QueryError("the store returned an unexpected number of columns")
    raw = table.to_pylist() if hasattr(table, "to_pylist") else list(table)
    rows = []
    for record in raw:
        values = list(record.values()) if isinstance(record, dict) else list(record)
        rows.append({c.name: _convert(v, c.kind) for c, v in zip(columns, values, strict=True)})
    return rows


def _pivot(rows: list[dict[str, Any]], measures: tuple[str, ...], key: str) -> list[dict[str, Any]]:
    grouped: dict[tuple[Any, ...], dict[str, Any]] = {}
    for row in rows:
        dims = {k: v for k, v in row.items() if k != key and k not in measures}
        ident = tuple(json.dumps(v, sort_keys=True, default=str) for v in dims.values())
        target = grouped.setdefault(ident, dict(dims))
        for m in measures:
            target[f"{row.get(key)}_{m}"] = row.get(m)
    return list(grouped.values())


def run_query(store: QueryStore, text: str, *, resolver: Callable[[str, str], list[tuple[str, str]]],
              version: int | str | None = None, fmt: str = "json", cursor: str | None = None,
              tz_offset: int = 0, strict: bool = False,
              search: Callable[..., Sequence[int]] | None = None, default_limit: int = 100,
              max_limit: int = 10_000) -> dict[str, Any]:  # fmt: skip
    """Parse, compile and run ``text`` on ``store``; rows come back Braintrust-shaped."""
    if fmt not in ("json", "parquet"):
        raise QueryError("fmt must be 'json' or 'parquet'")
    started = time.perf_counter()
    compiled = compile_query(text, dialect=store.dialect, resolver=resolver, search=search,
                             version=version, default_limit=default_limit, max_limit=max_limit,
                             strict=strict, tz_offset=tz_offset, cursor=cursor)  # fmt: skip
    table = store.execute(compiled.sql, compiled.params or None)
    rows = shape_rows(compiled, table)
    next_cursor = _next_cursor(compiled, rows)
    visible = [c for c in compiled.columns if not c.hidden]
    hidden = {c.name for c in compiled.columns if c.hidden}
    if hidden:
        rows = [{k: v for k, v in r.items() if k not in hidden} for r in rows]
    if compiled.star:
        reshape = _summary_star if compiled.shape == "summary" else _spans_star
        rows = [reshape(r) for r in rows]
    if compiled.preview_length is not None and compiled.preview_length >= 0:
        for r in rows:
            for f in _PREVIEW_FIELDS:
                if f in r:
                    r[f] = _preview(r[f], compiled.preview_length)
    if compiled.pivot is not None:
        rows = _pivot(rows, *compiled.pivot)
    logger.info("query.run dialect=%s shape=%s rows=%d ms=%.1f", compiled.dialect, compiled.shape,
                len(rows), (time.perf_counter() - started) * 1000)  # fmt: skip
    result: dict[str, Any] = {"data": rows, "schema": _schema(visible, compiled),
                              "cursor": next_cursor, "warnings": compiled.warnings}  # fmt: skip
    if fmt == "parquet":
        result["data"] = _parquet(rows)
    return result


def _next_cursor(compiled: Compiled, rows: list[dict[str, Any]]) -> str | None:
    if not compiled.cursor_keys or not rows:
        return None
    if compiled.cursor_keys[0][2] == "trace":
        keys = {r["_cursor_0"] for r in rows}
        if len(keys) < compiled.limit:
            return None
        return encode_cursor([min(int(k) for k in keys)])
    if len(rows) < compiled.limit:
        return None
    last = rows[-1]
    return encode_cursor([last[name] for name, _, _ in compiled.cursor_keys])


def _schema(columns: list[OutputColumn], compiled: Compiled) -> dict[str, Any]:
    props = {c.name: ({} if c.kind == "json" else {"type": _JSON_SCHEMA.get(c.kind, "string")})
             for c in columns}  # fmt: skip
    for c in columns:
        if c.kind == "ts":
            props[c.name]["format"] = "date-time"
    return {"type": "array", "items": {"type": "object", "properties": props}}


def _parquet(rows: list[dict[str, Any]]) -> bytes:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_pylist([{k: json.dumps(v) if isinstance(v, dict | list) else v
                                   for k, v in r.items()} for r in rows])  # fmt: skip
    buf = io.BytesIO()
    pq.write_table(table, buf)
    return buf.getvalue()
