"""What a data source holds: its fields with types and sample or top values.

Grounds query generation (the model sees real field names and values, not guesses) and the
"did you mean" hints of filter repair. Built from a bounded sample of recent rows (200 by
default) plus exact counts of the typed columns, so it stays fast on large projects.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from .querying import DEFAULT_DAYS, Scope, literal, logs_from, run, since

__all__ = ["COMMON_FIELDS", "SourceSchema", "describe_source", "source_text"]

logger = logging.getLogger(__name__)

#: Fields every span has, with their types (always offered as suggestions).
COMMON_FIELDS: dict[str, str] = {
    "id": "string", "root_span_id": "string", "span_id": "string", "is_root": "boolean",
    "created": "timestamp", "input": "json", "output": "json", "expected": "json",
    "error": "json", "error_type": "string", "tags": "array", "scores": "object",
    "metadata.model": "string", "metadata.user_id": "string", "metadata.session_id": "string",
    "span_attributes.type": "string", "span_attributes.name": "string",
    "metrics.prompt_tokens": "integer", "metrics.completion_tokens": "integer",
    "metrics.tokens": "integer", "metrics.estimated_cost": "number", "latency": "number",
    "metrics.time_to_first_token": "number",
}  # fmt: skip
_WALK = ("metadata", "metrics", "span_attributes", "input", "output", "expected", "scores")
_MAX_DEPTH = 3
_MAX_PATHS = 80


@dataclass
class FieldInfo:
    path: str
    type: str
    count: int = 0
    top: list[tuple[str, int]] = field(default_factory=list)
    low: float | None = None
    high: float | None = None

    def describe(self) -> str:
        text = f"{self.path} ({self.type})"
        if self.low is not None:
            text += f": {self.low:g} to {self.high:g}"
        elif self.top:
            text += ": " + ", ".join(f"{_clip(v)!r} ({n})" for v, n in self.top)
        return text


@dataclass
class SourceSchema:
    source: str
    rows_sampled: int
    fields: list[FieldInfo]

    def paths(self) -> list[str]:
        return [f.path for f in self.fields]

    def to_dict(self) -> dict[str, Any]:
        return {"source": self.source, "rows_sampled": self.rows_sampled,
                "fields": [{"path": f.path, "type": f.type, "count": f.count,
                            "top": [{"value": v, "count": n} for v, n in f.top],
                            "min": f.low, "max": f.high} for f in self.fields]}  # fmt: skip

    def text(self) -> str:
        return "\n".join(f.describe() for f in self.fields)


def _clip(value: str, n: int = 48) -> str:
    return value if len(value) <= n else value[: n - 1] + "…"


def source_text(scope: Scope, kind: str = "project_logs", name: str | None = None) -> str:
    """``project_logs('<project>')``, ``experiment('<name>')`` or ``dataset('<name>')``."""
    if kind == "project_logs":
        return logs_from(name or scope.project)
    if kind in ("experiment", "dataset"):
        if not name:
            from openloop.errors import InvalidInput

            raise InvalidInput(f"name the {kind} to describe", field="name")
        return f"{kind}({literal(name)})"
    from openloop.errors import InvalidInput

    raise InvalidInput(f"unknown source kind {kind!r}; use project_logs, experiment or dataset")


def _type_of(v: Any) -> str:
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, list):
        return "array"
    return "object" if isinstance(v, dict) else "null"


def _walk(prefix: str, value: Any, depth: int, out: dict[str, list[Any]]) -> None:
    if isinstance(value, dict) and depth < _MAX_DEPTH:
        for k, v in list(value.items())[:40]:
            key = k if str(k).isidentifier() else '"' + str(k).replace('"', '""') + '"'
            _walk(f"{prefix}.{key}", v, depth + 1, out)
        return
    out[prefix].append(value)


def describe_source(scope: Scope, *, kind: str = "project_logs", name: str | None = None,
                    days: int = DEFAULT_DAYS, sample: int = 200) -> SourceSchema:  # fmt: skip
    """Fields of a source with types and values seen in its newest ``sample`` rows."""
    src = source_text(scope, kind, name)
    where = f" WHERE {since(days)}" if kind == "project_logs" else ""
    text = f"SELECT * FROM {src}{where} ORDER BY created DESC LIMIT {max(1, min(sample, 1000))}"
    rows = run(scope, text)["data"]
    values: dict[str, list[Any]] = defaultdict(list)
    for r in rows:
        for top in ("id", "root_span_id", "created", "is_root", "error", "tags"):
            if top in r:
                values[top].append(r[top])
        for top in _WALK:
            if isinstance(r.get(top), dict):
                _walk(top, r[top], 1, values)
            elif top in r:
                values[top].append(r[top])
    fields: list[FieldInfo] = []
    for path, vals in values.items():
        present = [v for v in vals if v is not None]
        if not present:
            continue
        types = Counter(_type_of(v) for v in present)
        typ = types.most_common(1)[0][0]
        info = FieldInfo(path, typ, count=len(present))
        if typ in ("integer", "number"):
            nums = [v for v in present if isinstance(v, int | float) and not isinstance(v, bool)]
            info.low, info.high = float(min(nums)), float(max(nums))
        elif typ in ("string", "boolean"):
            counts = Counter(str(v) for v in present)
            if len(counts) < len(present) or len(present) <= 3:
                info.top = counts.most_common(5)
            elif path not in ("id", "root_span_id", "created"):
                info.top = [(_clip(str(present[0])), 1)]
        elif typ == "array":
            counts = Counter(str(x) for v in present if isinstance(v, list) for x in v)
            info.top = counts.most_common(5)
        fields.append(info)
    fields.sort(
        key=lambda f: (
            f.path.split(".")[0] not in ("metadata", "span_attributes"),
            -f.count,
            f.path,
        )
    )
    logger.info("loop.describe_source source=%s rows=%d fields=%d", kind, len(rows), len(fields))
    return SourceSchema(src, len(rows), fields[:_MAX_PATHS])
