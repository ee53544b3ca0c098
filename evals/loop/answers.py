"""Comparing the answer of a generated query with the answer of the reference query.

A model names its columns as it likes (``n``, ``count``, ``traces``), so every comparison looks
for *some* column of the generated result that carries the expected values:

* ``scalar`` — the first row holds the reference's single value (exact; numbers compare as
  floats);
* ``number`` — the same with a relative tolerance ``tol`` (percentiles, averages, shares);
* ``topk`` — the keys of the first ``k`` rows are the reference's top-``k`` keys. Ties at the
  cut-off are honoured: any choice among tied keys is right (the reference must then return
  more than ``k`` rows and name its ``value`` column);
* ``group`` — one row per key with the value of each key within ``tol`` (group-bys, time
  buckets);
* ``rows`` — the set of ``key`` values (row or trace ids) is the same.

``None`` keys are ignored on both sides (a group of rows without the grouped field says
nothing about the question), and timestamps at midnight compare equal to their date.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from typing import Any

__all__ = ["MODES", "answer_preview", "compare_answers", "expected_answer", "norm_key"]

MODES = ("scalar", "number", "topk", "group", "rows")
_MIDNIGHT = re.compile(r"^(\d{4}-\d{2}-\d{2})(?:[T ]00:00:00(?:\.0+)?(?:Z|[+-]00:?00)?)?$")


def norm_key(value: Any) -> Any:
    """A hashable, format-independent form of a key value."""
    if value is None:
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        m = _MIDNIGHT.match(value.strip())
        return m.group(1) if m else value
    return repr(value)


def _num(value: Any) -> float | None:
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, int | float):
        return None if math.isnan(value) else float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


def _close(a: Any, b: Any, tol: float) -> bool:
    x, y = _num(a), _num(b)
    if x is None or y is None:
        return norm_key(a) == norm_key(b)
    if tol <= 0:
        return x == y
    return math.isclose(x, y, rel_tol=tol, abs_tol=1e-12)


def _column(rows: list[dict[str, Any]], name: str | None) -> str:
    if not rows:
        raise ValueError("the reference query returned no rows")
    if name is not None:
        if name not in rows[0]:
            raise ValueError(f"the reference result has no column {name!r}")
        return name
    if len(rows[0]) != 1:
        raise ValueError("name the reference column (`key`/`value`) for multi-column answers")
    return next(iter(rows[0]))


def _columns(rows: list[dict[str, Any]]) -> list[str]:
    seen: dict[str, None] = {}
    for row in rows[:50]:
        seen.update(dict.fromkeys(row))
    return list(seen)


def expected_answer(case: dict[str, Any], rows: list[dict[str, Any]]) -> dict[str, Any]:
    """The expected answer of ``case`` from its reference ``rows``: what :func:`compare_answers`
    checks against. Raises ValueError when the rows cannot define one."""
    mode = case.get("compare", "scalar")
    if mode not in MODES:
        raise ValueError(f"unknown compare mode {mode!r}; modes: {', '.join(MODES)}")
    tol = float(case.get("tol", 0.0 if mode == "scalar" else 0.01))
    if mode in ("scalar", "number"):
        col = _column(rows, case.get("value"))
        return {"mode": mode, "value": rows[0][col], "tol": tol}
    key = _column(rows, case.get("key"))
    if mode == "rows":
        keys = {norm_key(r.get(key)) for r in rows} - {None}
        return {"mode": mode, "keys": sorted(keys, key=str)}
    if mode == "group":
        value = _column(rows, case.get("value"))
        groups = {norm_key(r.get(key)): r.get(value) for r in rows if r.get(key) is not None}
        return {"mode": mode, "groups": {str(k): v for k, v in groups.items()}, "tol": tol,
                "_groups": groups}  # fmt: skip
    k = int(case.get("k", 1))
    ranked = [r for r in rows if r.get(key) is not None]
    top = {norm_key(r[key]) for r in ranked[:k]}
    must, may = set(top), set(top)
    value = case.get("value")
    if value is not None and len(ranked) > k:
        cut = ranked[k - 1][value]
        first, last = _num(ranked[0][value]), _num(ranked[-1][value])
        desc = first is None or last is None or first >= last
        must = {norm_key(r[key]) for r in ranked if _rank(r[value], cut, desc) > 0}
        may = must | {norm_key(r[key]) for r in ranked if _rank(r[value], cut, desc) == 0}
    return {"mode": mode, "k": k, "keys": sorted(top, key=str), "must": must, "may": may}


def _rank(v: Any, cut: Any, desc: bool) -> int:
    """1 when ``v`` ranks better than the cut-off value, 0 when tied with it, -1 when worse;
    ``desc``: the reference lists the highest values first."""
    x, c = _num(v), _num(cut)
    if x is None or c is None:
        return 0 if norm_key(v) == norm_key(cut) else -1
    if x == c:
        return 0
    return 1 if (x > c) == desc else -1


def _values(rows: Iterable[dict[str, Any]], col: str) -> list[Any]:
    return [r.get(col) for r in rows]


def compare_answers(expected: dict[str, Any], rows: list[dict[str, Any]] | None) -> bool:
    """Does the generated result ``rows`` give the ``expected`` answer?"""
    if not rows:
        return False
    mode, cols = expected["mode"], _columns(rows)
    if mode in ("scalar", "number"):
        return any(_close(rows[0].get(c), expected["value"], expected["tol"]) for c in cols)
    if mode == "rows":
        want = set(expected["keys"])
        return any({norm_key(v) for v in _values(rows, c)} - {None} == want for c in cols)
    if mode == "topk":
        k = expected["k"]
        for c in cols:
            got = [norm_key(v) for v in _values(rows, c) if v is not None][:k]
            chosen = set(got)
            if len(chosen) == len(got) == min(k, len(expected["may"])) and (
                expected["must"] <= chosen <= expected["may"]
            ):
                return True
        return False
    groups: dict[Any, Any] = expected["_groups"]
    for kc in cols:
        keyed = [r for r in rows if r.get(kc) is not None]
        if {norm_key(r[kc]) for r in keyed} != set(groups) or len(keyed) != len(groups):
            continue
        for vc in cols:
            if vc != kc and all(
                _close(r.get(vc), groups[norm_key(r[kc])], expected["tol"]) for r in keyed
            ):
                return True
    return False


def answer_preview(rows: list[dict[str, Any]] | None, limit: int = 10) -> list[dict[str, Any]]:
    """The first rows of a result, for the experiment log."""
    return [dict(r) for r in (rows or [])[:limit]]
