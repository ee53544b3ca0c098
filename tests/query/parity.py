"""Compare results from two engines: round floats, unify 1.0/1, ignore key order."""

from __future__ import annotations

from typing import Any


def _norm(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, float):
        r = round(value, 6)
        return int(r) if r == int(r) else r
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


def normalize(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [_norm(r) for r in rows]
