"""Grouping an experiment's failing rows into categories, deterministically.

A row *fails* when its task raised an error or any score is below that score's pass threshold.
Failing rows are grouped three ways, each group with a count and example rows:

* **error type** — the exception name at the start of the error text (``RateLimitError: ...``);
* **score pattern** — which scores failed together (``cites_source`` only, both, ...);
* **keyword** — words that are much more common in failing rows' inputs and outputs than in
  passing rows (a crude but stable clustering: each failing row joins the cluster of the most
  distinctive keyword it contains), plus the failure rate per metadata category when rows
  carry one.
"""

from __future__ import annotations

import logging
import re
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from openloop.evals.templates import to_text

from .evals_common import row_key, snippet

__all__ = ["STOPWORDS", "categorize", "categorize_markdown", "failing_scores", "words"]

logger = logging.getLogger(__name__)

_WORD = re.compile(r"[a-z][a-z0-9_'-]{2,}")
_ERROR_TYPE = re.compile(r"^\s*([A-Za-z_][\w.]*(?:Error|Exception|Timeout|Exceeded|Failure))\b")
_STOP_TEXT = (
    "the and for are but not you your with this that have from they will what when where which "
    "there their can could would should how does did was were has had been being about into "
    "than then them its it's our out all any some more most very just also only over such "
    "here please thanks thank hello question quick help need want get got like use using "
    "i'm i've can't don't doesn't won't it’s one two per via let"
)
STOPWORDS = frozenset(_STOP_TEXT.split())
_EXAMPLES = 3


def words(value: Any) -> set[str]:
    """Lower-case content words of a value (its text form)."""
    return {w.strip("'-") for w in _WORD.findall(to_text(value).lower())} - STOPWORDS


def failing_scores(row: Mapping[str, Any], thresholds: Mapping[str, float]) -> list[str]:
    out = []
    for name, value in sorted((row.get("scores") or {}).items()):
        if isinstance(value, int | float) and value < thresholds.get(name, 0.5):
            out.append(name)
    return out


def error_type(error: Any) -> str:
    text = to_text(error)
    match = _ERROR_TYPE.match(text)
    if match:
        return match.group(1).rsplit(".", 1)[-1]
    head = text.split(":", 1)[0].strip()
    return head if 0 < len(head) <= 40 and " " not in head else "Other error"


def _example(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"row": row_key(row), "input": snippet(row.get("input")),
            "output": snippet(row.get("output")), "scores": row.get("scores") or {},
            "error": snippet(row.get("error")) if row.get("error") else None}  # fmt: skip


def _group(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    return {"count": len(rows), "rows": [row_key(r) for r in rows],
            "examples": [_example(r) for r in rows[:_EXAMPLES]]}  # fmt: skip


def categorize(
    rows: Sequence[Mapping[str, Any]], thresholds: Mapping[str, float], *, max_keywords: int = 6
) -> dict[str, Any]:
    failing = [r for r in rows if r.get("error") or failing_scores(r, thresholds)]
    passing = [r for r in rows if r not in failing]
    by_error: dict[str, list[Mapping[str, Any]]] = {}
    by_pattern: dict[str, list[Mapping[str, Any]]] = {}
    for row in failing:
        if row.get("error"):
            by_error.setdefault(error_type(row["error"]), []).append(row)
        else:
            by_pattern.setdefault(" + ".join(failing_scores(row, thresholds)), []).append(row)
    row_words = {id(r): words(r.get("input")) | words(r.get("output")) for r in rows}
    fail_df = Counter(w for r in failing for w in row_words[id(r)])
    pass_df = Counter(w for r in passing for w in row_words[id(r)])
    n_fail, n_pass = max(1, len(failing)), max(1, len(passing))
    lift = {
        w: (c / n_fail) / ((pass_df[w] + 1) / (n_pass + 1))
        for w, c in fail_df.items() if c >= 2
    }  # fmt: skip
    keywords = sorted(lift, key=lambda w: (-lift[w], -fail_df[w], w))[:max_keywords]
    clusters: dict[str, list[Mapping[str, Any]]] = {}
    for row in failing:
        hit = next((w for w in keywords if w in row_words[id(row)]), "(no shared keyword)")
        clusters.setdefault(hit, []).append(row)
    categories: dict[str, dict[str, int]] = {}
    for row in rows:
        cat = (row.get("metadata") or {}).get("category")
        if isinstance(cat, str):
            slot = categories.setdefault(cat, {"rows": 0, "failing": 0})
            slot["rows"] += 1
            slot["failing"] += row in failing
    ranked_cats = [
        {"category": c, **v, "rate": v["failing"] / v["rows"]}
        for c, v in sorted(
            categories.items(),
            key=lambda cv: (-cv[1]["failing"] / cv[1]["rows"], -cv[1]["failing"], cv[0]),
        )
    ]
    return {
        "rows": len(rows),
        "failing": len(failing),
        "thresholds": dict(thresholds),
        "error_types": {
            k: _group(v) for k, v in sorted(by_error.items(), key=lambda kv: -len(kv[1]))
        },
        "score_patterns": {
            k: _group(v) for k, v in sorted(by_pattern.items(), key=lambda kv: -len(kv[1]))
        },
        "keywords": {
            k: {**_group(v), "lift": round(lift.get(k, 0.0), 2)}
            for k, v in sorted(clusters.items(), key=lambda kv: -len(kv[1]))
        },
        "categories": ranked_cats,
    }


def categorize_markdown(title: str, report: Mapping[str, Any]) -> str:
    lines = [f"## Failure categories in {title}", "",
             f"{report['failing']} of {report['rows']} rows fail (task error, or a score below "
             "its pass threshold)."]  # fmt: skip
    sections = (("By error type", "error_types"), ("By failing scores", "score_patterns"),
                ("By keyword", "keywords"))  # fmt: skip
    for heading, key in sections:
        groups = report[key]
        if not groups:
            continue
        lines += ["", f"### {heading}", ""]
        for name, g in groups.items():
            lines.append(f"- **{name}**: {g['count']} rows")
            for ex in g["examples"][:2]:
                detail = ex["error"] or ex["output"]
                lines.append(f"  - `{ex['row']}` {ex['input']!r} → {detail!r}")
    worst = [c for c in report["categories"] if c["failing"]][:5]
    if worst:
        lines += ["", "### Failure rate by category", ""]
        lines += [f"- {c['category']}: {c['failing']}/{c['rows']} ({c['rate']:.0%})" for c in worst]
    return "\n".join(lines)
