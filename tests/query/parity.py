"""Compare results from two engines: numbers equal within a relative 1e-9 (so 1.0 equals 1, and
two summation orders of the same floats agree), key order ignored."""

from __future__ import annotations

import math
from typing import Any


class _Number:
    """A number that equals another within float rounding. Rounding both sides to a fixed number
    of decimals is not enough: two sums of the same floats can straddle a rounding boundary."""

    __slots__ = ("value",)

    def __init__(self, value: float) -> None:
        self.value = value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Number) and math.isclose(
            self.value, other.value, rel_tol=1e-9, abs_tol=1e-12
        )

    def __hash__(self) -> int:
        return 0

    def __repr__(self) -> str:
        return repr(self.value)


def _norm(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return _Number(value)
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return [_norm(v) for v in value]
    return value


def normalize(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [_norm(r) for r in rows]
