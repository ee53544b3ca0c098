"""Finding traces and explaining one.

**Search.** Keyword mode is the full-text index (``search('words')``: every word must occur),
newest first. "By meaning" mode embeds the request (and any alternatives the model adds) with
the local all-MiniLM-L6-v2 model and ranks the window's root spans by cosine similarity
(:mod:`openloop.search.semantic`; nothing leaves the machine), so a paraphrase sharing no word
with a trace still finds it. When the model package is not installed, meaning mode says so and
falls back to lexical expansion: the request's content words (alone and in pairs), a small
table of related words and the model's alternatives are searched as keywords, and the traces
found are ranked by BM25 against all the words; that fallback misses a trace sharing no word
with the request.

**Explain** loads one trace's spans (filtered by ``root_span_id``), rebuilds the tree and
reports timings, errors, tokens, cost and the slowest span.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field
from itertools import combinations
from typing import Any

from openloop.errors import NotFound
from openloop.search.docs import BM25, terms
from openloop.search.embeddings import Encoder, unavailable_reason
from openloop.search.semantic import search_by_meaning

from .querying import DEFAULT_DAYS, Scope, literal, logs_from, run, since

__all__ = ["RELATED", "TraceTree", "expand", "load_trace", "search_traces"]

logger = logging.getLogger(__name__)

#: Words people use for the same thing in support and LLM logs (lexical expansion only).
RELATED: dict[str, tuple[str, ...]] = {
    "refund": ("refund", "money back", "reimburse", "chargeback", "charged twice"),
    "login": ("login", "log in", "sign in", "password", "sso"),
    "slow": ("slow", "timeout", "timed out", "latency"),
    "error": ("error", "failed", "exception"),
    "cancel": ("cancel", "cancellation", "unsubscribe"),
    "bill": ("billing", "invoice", "charge", "payment"),
    "angry": ("frustrated", "angry", "unhappy", "complaint"),
    "limit": ("rate limit", "quota", "429"),
}
_MAX_ALTERNATIVES = 8
_PER_ALTERNATIVE = 100


def expand(request: str, extra: list[str] | None = None) -> list[str]:
    """Keyword alternatives for a plain-language request: the model's own alternatives, the
    related-word groups the request touches, pairs of its content words, then single words."""
    words = list(dict.fromkeys(terms(request)))[:6]
    out: list[str] = [w for w in (extra or []) if w.strip()]
    for group in RELATED.values():
        group_words = set(terms(" ".join(group)))
        if group_words & set(words):
            out.extend(group)
    out.extend(" ".join(p) for p in combinations(words[:4], 2))
    out.extend(words)
    return list(dict.fromkeys(a.strip() for a in out if a.strip()))


def _text(row: dict[str, Any]) -> str:
    return " ".join(json.dumps(row.get(k), default=str) for k in ("input", "output", "error", "metadata")
                    if row.get(k) is not None)  # fmt: skip


def search_traces(scope: Scope, request: str, *, mode: str = "keyword", days: int = DEFAULT_DAYS,
                  limit: int = 10, alternatives: list[str] | None = None,
                  engine: str = "auto") -> dict[str, Any]:  # fmt: skip
    """Root spans matching ``request`` (``mode`` = "keyword" or "meaning"), at most ``limit``.

    In meaning mode ``engine`` picks how: "embeddings" when the local model is installed (the
    default "auto"), else — or with ``engine="lexical"`` — keyword expansion ranked by BM25. The
    result's ``engine`` says which ran and ``fallback_reason`` why embeddings did not."""
    fallback: str | None = None
    if mode == "meaning" and engine != "lexical":
        encoder = Encoder.load()
        if encoder is not None:
            by_meaning = search_by_meaning(scope.svc, scope.principal, scope.project, request,
                                           encoder=encoder, days=days, limit=limit,
                                           alternatives=alternatives or ())  # fmt: skip
            return {"mode": mode, **by_meaning}
        fallback = unavailable_reason() or "the local embedding model could not be loaded"
    src, window = logs_from(scope.project), since(days)
    cols = "root_span_id, id, created, input, output, error, metadata, span_attributes.name AS name"
    if mode == "keyword":
        text = (f"SELECT {cols} FROM {src} WHERE is_root AND search({literal(request)}) AND {window} "
                f"ORDER BY created DESC LIMIT {limit}")  # fmt: skip
        rows = run(scope, text)["data"]
        return {"mode": mode, "engine": "fulltext", "alternatives": [request], "queries": [text],
                "traces": rows}  # fmt: skip
    alts = expand(request, alternatives)
    found: dict[str, dict[str, Any]] = {}
    queries: list[str] = []
    for alt in alts:
        if len(queries) >= _MAX_ALTERNATIVES:
            break
        text = (f"SELECT {cols} FROM {src} WHERE ANY_SPAN(search({literal(alt)})) AND is_root AND {window} "
                f"ORDER BY created DESC LIMIT {_PER_ALTERNATIVE}")  # fmt: skip
        queries.append(text)
        for row in run(scope, text)["data"]:
            found.setdefault(row["root_span_id"], row)
    rows = list(found.values())
    bm25 = BM25([terms(_text(r)) for r in rows])
    query_terms = terms(" ".join([request, *alts]))
    ranked = bm25.rank(query_terms, limit=limit)
    out = [{**rows[i], "score": round(score, 3)} for i, score in ranked]
    logger.info(
        "loop.search_traces mode=meaning alternatives=%d candidates=%d", len(queries), len(rows)
    )
    return {"mode": mode, "engine": "lexical", "fallback_reason": fallback,
            "alternatives": alts[: len(queries)], "queries": queries, "traces": out}  # fmt: skip


@dataclass
class SpanNode:
    row: dict[str, Any]
    children: list[SpanNode] = field(default_factory=list)

    @property
    def name(self) -> str:
        attrs = self.row.get("span_attributes") or {}
        return str(attrs.get("name") or "span")

    @property
    def type(self) -> str:
        return str((self.row.get("span_attributes") or {}).get("type") or "")

    @property
    def duration(self) -> float | None:
        m = self.row.get("metrics") or {}
        if m.get("end") is not None and m.get("start") is not None:
            return float(m["end"]) - float(m["start"])
        return m.get("duration")


@dataclass
class TraceTree:
    root_span_id: str
    root: SpanNode
    spans: list[SpanNode]

    def stats(self) -> dict[str, Any]:
        metric = lambda k: sum((s.row.get("metrics") or {}).get(k) or 0 for s in self.spans)  # noqa: E731
        errors = [{"span": s.name, "id": s.row["id"], "error": s.row.get("error")}
                  for s in self.spans if s.row.get("error") is not None]  # fmt: skip
        inner = [s for s in self.spans if s is not self.root and s.duration is not None]
        slowest = max(inner, key=lambda s: s.duration or 0.0, default=None)
        total = self.root.duration
        by_type: dict[str, int] = {}
        for s in self.spans:
            by_type[s.type or "span"] = by_type.get(s.type or "span", 0) + 1
        return {"spans": len(self.spans), "by_type": by_type, "duration": total,
                "prompt_tokens": metric("prompt_tokens"), "completion_tokens": metric("completion_tokens"),
                "tokens": metric("tokens"), "cost": round(sum(s.row.get("cost") or 0 for s in self.spans), 8),
                "errors": errors, "models": sorted({str(s.row["model"]) for s in self.spans if s.row.get("model")}),
                "slowest": None if slowest is None else {
                    "name": slowest.name, "id": slowest.row["id"], "seconds": slowest.duration,
                    "share": (slowest.duration or 0) / total if total else None}}  # fmt: skip

    def lines(self) -> list[str]:
        out: list[str] = []
        start0 = (self.root.row.get("metrics") or {}).get("start")

        def walk(node: SpanNode, depth: int) -> None:
            m = node.row.get("metrics") or {}
            at = (
                f"+{m['start'] - start0:.2f}s "
                if start0 is not None and m.get("start") is not None
                else ""
            )
            dur = f"{node.duration:.2f}s" if node.duration is not None else "?"
            extra = []
            if node.row.get("model"):
                extra.append(str(node.row["model"]))
            if m.get("tokens"):
                extra.append(f"{m['tokens']} tokens")
            if node.row.get("error") is not None:
                extra.append(f"ERROR {str(node.row['error'])[:160]}")
            tail = f" [{'; '.join(extra)}]" if extra else ""
            out.append(f"{'  ' * depth}- {node.name} ({node.type}) {at}{dur}{tail}")
            for child in node.children:
                walk(child, depth + 1)

        walk(self.root, 0)
        return out


def _spans(scope: Scope, src: str, cols: str, root: str, limit: int) -> list[dict[str, Any]]:
    text = f"SELECT {cols} FROM {src} WHERE root_span_id = {literal(root)} ORDER BY created ASC LIMIT {limit}"
    return run(scope, text)["data"]


def load_trace(scope: Scope, trace_id: str, *, max_spans: int = 500) -> TraceTree:
    """The trace that ``trace_id`` (a root span id or any span id of it) belongs to."""
    src = logs_from(scope.project)
    cols = ("id, span_id, root_span_id, span_parents, created, span_attributes, metrics, error, "
            "metadata.model AS model, estimated_cost() AS cost, scores")  # fmt: skip
    rows = _spans(scope, src, cols, trace_id, max_spans)
    if not rows:
        hit = run(scope, f"SELECT root_span_id FROM {src} WHERE id = {literal(trace_id)} LIMIT 1")[
            "data"
        ]
        if not hit:
            raise NotFound(
                f"no trace or span {trace_id!r} in the logs of project {scope.project!r}"
            )
        trace_id = hit[0]["root_span_id"]
        rows = _spans(scope, src, cols, trace_id, max_spans)
    nodes = {r["span_id"]: SpanNode(r) for r in rows}
    roots: list[SpanNode] = []
    for node in nodes.values():
        parents = node.row.get("span_parents") or []
        parent = nodes.get(parents[0]) if parents else None
        (parent.children if parent is not None else roots).append(node)
    for node in nodes.values():
        node.children.sort(key=lambda n: (n.row.get("metrics") or {}).get("start") or 0)
    root = next((n for n in roots if n.row["span_id"] == trace_id), roots[0])
    for extra in roots:
        if extra is not root:
            root.children.append(extra)
    return TraceTree(trace_id, root, list(nodes.values()))
