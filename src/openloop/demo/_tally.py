"""Bookkeeping of what the log generator planted, turned into the ``facts`` of a demo.

The facts are the answer key for questions a user (or Loop) asks about the demo project: how
many traces failed and why, which day and model spiked, which tool is slow, which user gets bad
answers. Every number is an exact count over the generated rows.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter, defaultdict
from typing import Any

__all__ = ["SEARCH_TERMS", "SLOW_TRACE_SECONDS", "Tally"]

#: Traces longer than this are planted on purpose ("find queries that took over 60 seconds").
SLOW_TRACE_SECONDS = 60.0

#: Words a full-text search over the demo should find, with the pattern used to count the
#: questions that mention them (case-insensitive, whole words, plural allowed).
SEARCH_TERMS: dict[str, str] = {
    "refund": r"\brefunds?\b|\brefunded\b",
    "SSO": r"\bsso\b",
    "webhook": r"\bwebhooks?\b",
    "SCIM": r"\bscim\b",
}


def error_type(error: str) -> str:
    return error.split(":", 1)[0]


def _mean(values: list[float]) -> float | None:
    return round(statistics.fmean(values), 4) if values else None


class Tally:
    """Counts spans, traces and feedback as the generator emits them."""

    def __init__(self, spike_date: str) -> None:
        self.spike_date = spike_date
        self.spans_by_name: Counter[str] = Counter()
        self.spans_by_type: Counter[str] = Counter()
        self.span_errors: Counter[str] = Counter()
        self.tool_durations: dict[str, list[float]] = defaultdict(list)
        self.tool_errors: Counter[str] = Counter()
        self.llm: dict[str, Counter[str]] = defaultdict(Counter)
        self.llm_cost: dict[str, float] = defaultdict(float)
        self.traces = 0
        self.by_date: Counter[str] = Counter()
        self.errors_by_type: Counter[str] = Counter()
        self.errors_by_date_model: Counter[tuple[str, str, str]] = Counter()
        self.dates_models: set[str] = set()
        self.sessions: Counter[str] = Counter()
        self.users: Counter[str] = Counter()
        self.tags: Counter[str] = Counter()
        self.mentions: Counter[str] = Counter()
        self.scores: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        self.user_errors: Counter[str] = Counter()
        self.feedback_rows: list[tuple[str, str, int, str | None]] = []
        self.slow_traces: list[str] = []
        self.error_roots: set[str] = set()

    def span(self, row: dict[str, Any]) -> None:
        attrs = row["span_attributes"]
        self.spans_by_name[attrs["name"]] += 1
        self.spans_by_type[attrs["type"]] += 1
        error = row.get("error")
        if error:
            self.span_errors[error_type(error)] += 1
        metrics = row["metrics"]
        if attrs["type"] == "tool":
            self.tool_durations[attrs["name"]].append(metrics["end"] - metrics["start"])
            self.tool_errors[attrs["name"]] += bool(error)
        if attrs["type"] == "llm":
            model = row["metadata"]["model"]
            counts = self.llm[model]
            counts["llm_spans"] += 1
            counts["errors"] += bool(error)
            for key in ("prompt_tokens", "completion_tokens", "tokens", "prompt_cached_tokens"):
                counts[key] += metrics.get(key, 0)
            self.llm_cost[model] += metrics.get("estimated_cost", 0.0)

    def trace(
        self,
        root: dict[str, Any],
        user: str,
        session: str,
        model: str,
        date: str,
        error: str | None,
        scores: dict[str, float],
    ) -> None:
        self.traces += 1
        self.by_date[date] += 1
        self.dates_models.add(date)
        self.users[user] += 1
        self.sessions[session] += 1
        self.tags.update(root["tags"])
        question = root["input"]["question"]
        if root["metrics"]["end"] - root["metrics"]["start"] > SLOW_TRACE_SECONDS:
            self.slow_traces.append(root["id"])
        for term, pattern in SEARCH_TERMS.items():
            if re.search(pattern, question, re.IGNORECASE):
                self.mentions[term] += 1
        if error:
            self.error_roots.add(root["id"])
            kind = error_type(error)
            self.errors_by_type[kind] += 1
            self.errors_by_date_model[(date, model, kind)] += 1
            self.user_errors[user] += 1
        for name, value in scores.items():
            self.scores[user][name].append(value)

    def feedback(self, target: str, user: str, value: int, comment: str | None) -> None:
        self.feedback_rows.append((target, user, value, comment))

    # -- the answer key -------------------------------------------------------------------------
    def facts(self, bad_user: str, spike_model: str, slow_tool: str) -> dict[str, Any]:
        error_traces = sum(self.errors_by_type.values())
        dates = sorted(self.by_date)
        spike_counts = {
            d: self.errors_by_date_model[(d, spike_model, "RateLimitError")] for d in dates
        }
        others = [c for d, c in spike_counts.items() if d != self.spike_date]
        other_mean = statistics.fmean(others) if others else 0.0
        p50 = {name: round(statistics.median(v), 4) for name, v in self.tool_durations.items()}
        scored = {u: s for u, s in self.scores.items() if s}

        def score_mean(users: list[str], name: str) -> float | None:
            return _mean([v for u in users for v in scored.get(u, {}).get(name, [])])

        others_users = [u for u in scored if u != bad_user]
        bad_feedback = [f for f in self.feedback_rows if f[1] == bad_user]
        return {
            "traces": self.traces,
            "spans": sum(self.spans_by_name.values()),
            "spans_by_name": dict(sorted(self.spans_by_name.items())),
            "spans_by_type": dict(sorted(self.spans_by_type.items())),
            "traces_by_date": {d: self.by_date[d] for d in dates},
            "users": len(self.users),
            "sessions": len(self.sessions),
            "multi_trace_sessions": sum(1 for n in self.sessions.values() if n > 1),
            "max_traces_per_session": max(self.sessions.values(), default=0),
            "tags": dict(sorted(self.tags.items())),
            "questions_mentioning": {t: self.mentions[t] for t in SEARCH_TERMS},
            "models": {
                m: {**dict(sorted(c.items())), "estimated_cost": round(self.llm_cost[m], 6)}
                for m, c in sorted(self.llm.items())
            },
            "errors": {
                "traces": error_traces,
                "rate": round(error_traces / self.traces, 4) if self.traces else 0.0,
                "by_type": dict(sorted(self.errors_by_type.items())),
                "spans_by_type": dict(sorted(self.span_errors.items())),
            },
            "error_spike": {
                "date": self.spike_date,
                "model": spike_model,
                "error_type": "RateLimitError",
                "count": spike_counts.get(self.spike_date, 0),
                "other_days_mean": round(other_mean, 3),
                "by_date": spike_counts,
            },
            "slow_traces": {
                "threshold_seconds": SLOW_TRACE_SECONDS,
                "count": len(self.slow_traces),
                "with_error": sum(1 for t in self.slow_traces if t in self.error_roots),
                "ids": list(self.slow_traces),
            },
            "slow_tool": {
                "name": slow_tool,
                "p50_seconds": p50.get(slow_tool),
                "calls": len(self.tool_durations.get(slow_tool, [])),
                "other_tools_p50_seconds": {k: v for k, v in sorted(p50.items()) if k != slow_tool},
            },
            "tools": {
                name: {"calls": len(v), "errors": self.tool_errors[name], "p50_seconds": p50[name]}
                for name, v in sorted(self.tool_durations.items())
            },
            "bad_user": {
                "user_id": bad_user,
                "traces": self.users[bad_user],
                "error_traces": self.user_errors[bad_user],
                "scored_traces": len(scored.get(bad_user, {}).get("Factuality", [])),
                "mean_factuality": score_mean([bad_user], "Factuality"),
                "mean_helpfulness": score_mean([bad_user], "Helpfulness"),
                "others_mean_factuality": score_mean(others_users, "Factuality"),
                "others_mean_helpfulness": score_mean(others_users, "Helpfulness"),
                "feedback": len(bad_feedback),
                "negative_feedback": sum(1 for f in bad_feedback if f[2] == 0),
            },
            "online_scores": {
                "scored_traces": sum(len(s.get("Factuality", [])) for s in scored.values()),
                "score_spans": self.spans_by_type.get("score", 0),
                "mean": {n: score_mean(list(scored), n) for n in ("Factuality", "Helpfulness")},
            },
            "feedback": {
                "merges": len(self.feedback_rows),
                "positive": sum(1 for f in self.feedback_rows if f[2] == 1),
                "negative": sum(1 for f in self.feedback_rows if f[2] == 0),
                "comments": sum(1 for f in self.feedback_rows if f[3] is not None),
                "negative_by_user": dict(
                    Counter(f[1] for f in self.feedback_rows if f[2] == 0).most_common(5)
                ),
            },
        }
