"""Deterministic dataset reports: what a dataset contains, how it is shaped, what it covers and
what it lacks, and which edge cases recent logs show that it does not.

:func:`analyze` reads only the rows; :func:`edge_cases` also reads recent root spans of the
project's logs. Both return plain dicts (the tool renders them) and never call a model.
"""

from __future__ import annotations

import logging
import re
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from openloop.evals.compare import canonical_key
from openloop.evals.templates import to_text

from .evals_common import snippet
from .experiment_errors import error_type, words

__all__ = ["analyze", "edge_cases", "report_markdown", "shape_of"]

logger = logging.getLogger(__name__)

_MAX_CATEGORY_VALUES = 20
_NORMALIZE = re.compile(r"[^a-z0-9]+")

#: Edge-case probes: name, what it is, and a test on the input text.
_PROBES: tuple[tuple[str, str, Any], ...] = (
    ("very short input", "a one- or two-word message (e.g. 'refund?')",
     lambda t: 0 < len(t.split()) <= 2),
    ("very long input", "a long message (over 600 characters) with extra context",
     lambda t: len(t) > 600),
    ("several questions", "two or more questions in one message", lambda t: t.count("?") >= 2),
    ("non-English input", "a message in another language or script",
     lambda t: sum(ord(c) > 127 for c in t) > max(3, len(t) // 10)),
    ("code or JSON in the input", "a pasted stack trace, config or JSON payload",
     lambda t: bool(re.search(r"[{}\[\];]|Traceback|```", t))),
    ("frustrated tone", "an angry or all-caps message",
     lambda t: "!!" in t or (len(t) > 12 and sum(c.isupper() for c in t) > len(t) * 0.5)),
    ("instruction injection", "a message that tries to override the assistant's instructions",
     lambda t: bool(re.search(r"ignore (all|previous|the above)|system prompt", t, re.I))),
    ("empty input", "an empty or whitespace-only message", lambda t: not t.strip()),
)  # fmt: skip


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "list"
    return "object" if isinstance(value, Mapping) else type(value).__name__


def shape_of(values: Sequence[Any]) -> dict[str, Any]:
    """Kinds of a field across rows and, for objects, each key's presence and kinds."""
    kinds = Counter(_kind(v) for v in values)
    keys: dict[str, Counter[str]] = {}
    for v in values:
        if isinstance(v, Mapping):
            for k, sub in v.items():
                keys.setdefault(str(k), Counter())[_kind(sub)] += 1
    return {
        "kinds": dict(kinds.most_common()),
        "keys": {k: {"present": sum(c.values()), "kinds": dict(c.most_common())}
                 for k, c in sorted(keys.items())},
    }  # fmt: skip


def _stats(lengths: Sequence[int]) -> dict[str, float]:
    if not lengths:
        return {}
    ordered = sorted(lengths)
    return {
        "min": ordered[0],
        "median": statistics.median(ordered),
        "mean": round(statistics.fmean(ordered), 1),
        "p90": ordered[min(len(ordered) - 1, int(len(ordered) * 0.9))],
        "max": ordered[-1],
    }


def _categorical(rows: Sequence[Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    """Metadata keys that look like categories: text values, few distinct, on most rows."""
    values: dict[str, list[str]] = {}
    for row in rows:
        for k, v in (row.get("metadata") or {}).items():
            if isinstance(v, str) and v:
                values.setdefault(f"metadata.{k}", []).append(v)
    out = {}
    for key, vs in values.items():
        distinct = Counter(vs)
        if len(vs) >= len(rows) / 2 and 1 < len(distinct) <= min(_MAX_CATEGORY_VALUES, len(vs) / 2):
            out[key] = dict(distinct.most_common())
    return out


def analyze(rows: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """The dataset report: size, field shapes, categories and tags, duplicates, input lengths,
    strengths, gaps and recommendations."""
    n = len(rows)
    texts = [to_text(r.get("input")) for r in rows]
    groups: dict[str, list[str]] = {}
    near: dict[str, list[str]] = {}
    for row, text in zip(rows, texts, strict=True):
        groups.setdefault(canonical_key(row.get("input")), []).append(str(row.get("id")))
        near.setdefault(_NORMALIZE.sub(" ", text.lower()).strip(), []).append(str(row.get("id")))
    exact = [ids for ids in groups.values() if len(ids) > 1]
    exact_ids = {frozenset(ids) for ids in exact}
    near_dups = [ids for ids in near.values() if len(ids) > 1 and frozenset(ids) not in exact_ids]
    tags = Counter(t for r in rows for t in (r.get("tags") or []))
    no_expected = sum(1 for r in rows if r.get("expected") in (None, "", {}, []))
    categories = _categorical(rows)
    lengths = _stats([len(t) for t in texts])
    probes = {name: sum(1 for t in texts if test(t)) for name, _d, test in _PROBES}
    report: dict[str, Any] = {
        "rows": n,
        "fields": {
            f: shape_of([r.get(f) for r in rows]) for f in ("input", "expected", "metadata")
        },
        "categories": categories,
        "tags": dict(tags.most_common()),
        "duplicates": {"exact": exact, "near": near_dups},
        "input_length": lengths,
        "missing_expected": no_expected,
        "edge_case_probes": probes,
        "examples": [snippet(r.get("input")) for r in rows[:3]],
    }
    report.update(_judgement(report))
    return report


def _judgement(r: Mapping[str, Any]) -> dict[str, list[str]]:
    strengths: list[str] = []
    gaps: list[str] = []
    recs: list[str] = []
    n = r["rows"]
    if n == 0:
        return {"strengths": [], "gaps": ["the dataset is empty"],
                "recommendations": ["add representative rows, e.g. from production logs"]}  # fmt: skip
    if n < 20:
        gaps.append(f"only {n} rows: too few for stable score averages")
        recs.append("grow the dataset to at least 30-50 rows")
    else:
        strengths.append(f"{n} rows, enough for stable averages")
    if r["missing_expected"] == 0:
        strengths.append("every row has an expected output, so reference-based scorers work")
    else:
        gaps.append(f"{r['missing_expected']} rows have no expected output")
        recs.append("add expected outputs, or use reference-free scorers for those rows")
    for key, dist in r["categories"].items():
        counts = list(dist.values())
        strengths.append(f"covers {len(dist)} values of {key}")
        thin = [v for v, c in dist.items() if c < max(2, n * 0.05)]
        if thin:
            gaps.append(f"{key} values with very few rows: {', '.join(thin[:6])}")
            recs.append(f"add rows for under-represented {key} values ({', '.join(thin[:4])})")
        if min(counts) * 4 < max(counts):
            gaps.append(f"{key} is unbalanced ({max(counts)} vs {min(counts)} rows)")
    dups = len(r["duplicates"]["exact"]) + len(r["duplicates"]["near"])
    if dups:
        gaps.append(f"{dups} groups of duplicate or near-duplicate inputs")
        recs.append("remove or vary duplicate inputs; they over-weight those cases")
    else:
        strengths.append("no duplicate inputs")
    missing = [name for name, count in r["edge_case_probes"].items() if count == 0]
    if missing:
        gaps.append("no rows with: " + ", ".join(missing))
        recs.append("add edge cases: " + ", ".join(missing[:4]))
    lengths = r["input_length"]
    if lengths and lengths["max"] < 3 * max(1, lengths["median"]):
        gaps.append("input lengths vary little; no unusually long or short inputs")
    if not r["tags"]:
        recs.append("tag rows (topic, difficulty) so results can be sliced")
    return {"strengths": strengths, "gaps": gaps, "recommendations": recs}


def report_markdown(name: str, r: Mapping[str, Any]) -> str:
    lines = [f"## Dataset {name}", "", f"**{r['rows']} rows.**"]
    for field, shape in r["fields"].items():
        kinds = ", ".join(f"{k} {c}" for k, c in shape["kinds"].items())
        keys = ", ".join(f"{k} ({v['present']})" for k, v in list(shape["keys"].items())[:10])
        lines.append(f"- `{field}`: {kinds}" + (f"; keys: {keys}" if keys else ""))
    if r["input_length"]:
        s = r["input_length"]
        lines.append(f"- input length (chars): min {s['min']}, median {s['median']}, "
                     f"mean {s['mean']}, p90 {s['p90']}, max {s['max']}")  # fmt: skip
    for key, dist in r["categories"].items():
        lines.append(f"- {key}: " + ", ".join(f"{v} {c}" for v, c in dist.items()))
    if r["tags"]:
        lines.append("- tags: " + ", ".join(f"{t} {c}" for t, c in list(r["tags"].items())[:15]))
    dups = r["duplicates"]
    lines.append(f"- duplicates: {len(dups['exact'])} exact, {len(dups['near'])} near")
    for title, key in (("Strengths", "strengths"), ("Gaps", "gaps"),
                       ("Recommendations", "recommendations")):  # fmt: skip
        if r[key]:
            lines += ["", f"### {title}", "", *(f"- {x}" for x in r[key])]
    return "\n".join(lines)


def edge_cases(
    rows: Sequence[Mapping[str, Any]], logs: Sequence[Mapping[str, Any]], *, top: int = 8
) -> dict[str, Any]:
    """What recent logs show that the dataset does not cover: tags, frequent words and error
    types, each with example log inputs; plus the edge-case probes no dataset row matches."""
    ds_words = set().union(*(words(r.get("input")) for r in rows)) if rows else set()
    ds_tags = {t for r in rows for t in (r.get("tags") or [])}
    logs = [r for r in logs if r.get("input") is not None]
    tag_rows: dict[str, list[Mapping[str, Any]]] = {}
    word_rows: dict[str, list[Mapping[str, Any]]] = {}
    error_rows: dict[str, list[Mapping[str, Any]]] = {}
    for row in logs:
        for t in row.get("tags") or []:
            if t not in ds_tags:
                tag_rows.setdefault(t, []).append(row)
        for w in words(row.get("input")) - ds_words:
            word_rows.setdefault(w, []).append(row)
        if row.get("error"):
            error_rows.setdefault(error_type(row["error"]), []).append(row)
    floor = max(2, len(logs) // 50)

    def listed(groups: dict[str, list[Mapping[str, Any]]], minimum: int) -> list[dict[str, Any]]:
        ranked = sorted(((k, v) for k, v in groups.items() if len(v) >= minimum),
                        key=lambda kv: (-len(kv[1]), kv[0]))  # fmt: skip
        return [{"name": k, "log_rows": len(v),
                 "examples": [snippet(x.get("input"), 160) for x in v[:3]]}
                for k, v in ranked[:top]]  # fmt: skip

    texts = [to_text(r.get("input")) for r in rows]
    log_texts = [to_text(r.get("input")) for r in logs]
    probes: list[dict[str, Any]] = []
    for name, what, test in _PROBES:
        if any(test(t) for t in texts):
            continue
        seen = [t for t in log_texts if test(t)]
        probes.append({"name": name, "description": what, "log_rows": len(seen),
                       "examples": [snippet(t, 160) for t in seen[:2]]})  # fmt: skip
    probes.sort(key=lambda p: -p["log_rows"])
    return {
        "dataset_rows": len(rows),
        "log_rows": len(logs),
        "uncovered_tags": listed(tag_rows, 1),
        "uncovered_terms": listed(word_rows, floor),
        "log_errors": listed(error_rows, 1),
        "missing_edge_cases": probes,
    }
