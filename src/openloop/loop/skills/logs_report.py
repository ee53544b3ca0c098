"""The logs report behind ``/analyze-logs``: health, volume, errors, latency, models, scores,
users and recommendations for one project over a bounded window (default: the last 7 days).

Every number comes from a time-filtered, row-limited query in the user-facing language; the
queries are kept on the report so a user can re-run any of them in the sandbox. A ``focus``
("errors", "why is it slow?", "cost"...) narrows the report to the matching sections and adds
detail to them.
"""

from __future__ import annotations

import logging
import statistics
from dataclasses import dataclass, field
from typing import Any

from openloop.loop.tools.base import quote_untrusted

from .querying import DEFAULT_DAYS, Scope, literal, logs_from, run, since

__all__ = ["FOCUS_WORDS", "Report", "Section", "analyze_logs", "pick_sections"]

logger = logging.getLogger(__name__)

#: Report sections and the words of a question that select them.
FOCUS_WORDS: dict[str, tuple[str, ...]] = {
    "health": ("health", "overview", "volume", "traffic", "activity", "trend", "usage", "request"),
    "errors": ("error", "fail", "exception", "crash", "bug", "rate limit", "timeout", "broken"),
    "latency": ("latency", "slow", "fast", "duration", "performance", "took", "seconds", "tool"),
    "models": ("model", "cost", "token", "spend", "price", "expensive", "usd", "$"),
    "scores": ("score", "quality", "factual", "helpful", "feedback", "accura", "eval"),
    "users": ("user", "customer", "retention", "session", "who"),
}
_SLOW_TRACE_SECONDS = 60.0
#: A trace's root span; comment rows (feedback attached to a span) are roots but not traces.
_ROOT = "is_root AND comment IS NULL"


@dataclass
class Section:
    name: str
    heading: str
    lines: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)


@dataclass
class Report:
    project: str
    days: int
    focus: str | None
    sections: list[Section] = field(default_factory=list)
    recommendations: list[str] = field(default_factory=list)
    queries: list[str] = field(default_factory=list)

    def section(self, name: str) -> Section | None:
        return next((s for s in self.sections if s.name == name), None)

    def markdown(self) -> str:
        head = f"## Logs report: {self.project}, last {self.days} days"
        if self.focus:
            head += f" (focus: {_short(self.focus, 80)})"
        parts = [head]
        for s in self.sections:
            parts.append(f"### {s.heading}\n" + "\n".join(f"- {line}" for line in s.lines))
        if self.recommendations:
            parts.append(
                "### Recommendations\n" + "\n".join(f"- {r}" for r in self.recommendations)
            )
        samples = [f"{kind}: {msg}" for s in self.sections
                   for kind, msg in s.data.get("messages", {}).items()]  # fmt: skip
        if samples:
            parts.append("Latest message of each error type:\n"
                         + quote_untrusted("\n".join(samples), source="project logs"))  # fmt: skip
        return "\n\n".join(parts)

    def to_dict(self) -> dict[str, Any]:
        return {"project": self.project, "days": self.days, "focus": self.focus,
                "sections": {s.name: {"heading": s.heading, "lines": s.lines, **s.data}
                             for s in self.sections},
                "recommendations": self.recommendations, "queries": self.queries}  # fmt: skip


def _short(value: Any, n: int = 60) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _num(v: Any, digits: int = 2) -> str:
    if v is None:
        return "n/a"
    return f"{v:.{digits}f}" if isinstance(v, float) else str(v)


def pick_sections(focus: str | None) -> list[str]:
    """The sections a question is about; every section when it names none."""
    names = list(FOCUS_WORDS)
    if not focus:
        return names
    text = focus.lower()
    picked = [n for n, words in FOCUS_WORDS.items() if any(w in text for w in words)]
    return picked or names


class _Runner:
    def __init__(self, scope: Scope, days: int) -> None:
        self.scope, self.days = scope, days
        self.queries: list[str] = []
        self.src = logs_from(scope.project)
        self.window = since(days)

    def rows(
        self, select: str, where: str = "", tail: str = "", src: str | None = None
    ) -> list[dict[str, Any]]:
        cond = f"{where} AND {self.window}" if where else self.window
        text = f"SELECT {select} FROM {src or self.src} WHERE {cond} {tail}".strip()
        self.queries.append(text)
        return run(self.scope, text)["data"]


def analyze_logs(scope: Scope, *, days: int = DEFAULT_DAYS, focus: str | None = None) -> Report:
    """Build the report. Sections with no data say so instead of disappearing."""
    days = max(1, min(int(days), 90))
    q = _Runner(scope, days)
    report = Report(scope.project, days, focus)
    wanted = pick_sections(focus)
    detail = bool(focus) and len(wanted) < len(FOCUS_WORDS)
    health = _health(q)
    if "health" in wanted or not detail:
        report.sections.append(health)
    if health.data["traces"] == 0:
        health.lines.append("No traces in this window: send traces or widen the window.")
        report.queries = q.queries
        return report
    builders = {"errors": _errors, "latency": _latency, "models": _models, "scores": _scores,
                "users": _users}  # fmt: skip
    for name in wanted:
        if name in builders:
            report.sections.append(builders[name](q, health, detail))
    report.recommendations = _recommend(report)
    report.queries = q.queries
    logger.info("loop.analyze_logs project=%s days=%d sections=%d queries=%d",
                scope.project_id, days, len(report.sections), len(q.queries))  # fmt: skip
    return report


def _health(q: _Runner) -> Section:
    by_day = q.rows("day(created) AS day, count(1) AS traces, count(error) AS errors, "
                    "count_distinct(metadata.user_id) AS users", _ROOT,
                    "GROUP BY 1 ORDER BY day ASC LIMIT 400")  # fmt: skip
    traces = sum(r["traces"] for r in by_day)
    errors = sum(r["errors"] or 0 for r in by_day)
    s = Section("health", "Health and volume", data={"traces": traces, "error_traces": errors,
                "error_rate": round(errors / traces, 4) if traces else 0.0, "by_day": by_day})  # fmt: skip
    if not traces:
        return s
    spans = q.rows("count(1) AS spans")
    users = q.rows("count_distinct(metadata.user_id) AS users", _ROOT)[0]["users"]
    s.data.update(spans=spans[0]["spans"], users=users)
    s.lines.append(f"{traces} traces ({spans[0]['spans']} spans) from {users} users; "
                   f"{errors} traces failed ({100 * errors / traces:.1f}%).")  # fmt: skip
    days = [f"{r['day'][:10]}: {r['traces']}" for r in by_day]
    s.lines.append("Traces per day: " + ", ".join(days) + ".")
    if len(by_day) >= 4:
        half = len(by_day) // 2
        first = statistics.fmean(r["traces"] for r in by_day[:half])
        second = statistics.fmean(r["traces"] for r in by_day[half:])
        change = (second - first) / first * 100 if first else 0.0
        trend = "up" if change > 10 else "down" if change < -10 else "flat"
        s.data["trend"] = {"direction": trend, "change_percent": round(change, 1)}
        s.lines.append(f"Volume is {trend} ({change:+.0f}% daily average, second half vs first).")
    return s


def _errors(q: _Runner, health: Section, detail: bool) -> Section:
    s = Section("errors", "Errors")
    top = q.rows("error_type, count(1) AS traces", _ROOT + " AND error IS NOT NULL",
                 "GROUP BY 1 ORDER BY traces DESC LIMIT 10")  # fmt: skip
    recent = q.rows("error_type, root_span_id, error", _ROOT + " AND error IS NOT NULL",
                    "ORDER BY created DESC LIMIT 300")  # fmt: skip
    examples: dict[str, list[str]] = {}
    messages: dict[str, str] = {}
    for r in recent:
        ids = examples.setdefault(str(r["error_type"]), [])
        if len(ids) < 3:
            ids.append(r["root_span_id"])
        messages.setdefault(str(r["error_type"]), _short(r["error"], 160))
    s.data["top"] = [{"error_type": r["error_type"], "traces": r["traces"],
                      "example_trace_ids": examples.get(str(r["error_type"]), [])} for r in top]  # fmt: skip
    if not top:
        s.lines.append("No failed traces in this window.")
        return s
    for r in s.data["top"]:
        shown = ", ".join(f"`{i}`" for i in r["example_trace_ids"])
        s.lines.append(
            f"`{_short(r['error_type'])}`: {_plural(r['traces'], 'trace')} (e.g. {shown})."
        )
    origin = q.rows("span_attributes.name AS span, error_type, count(1) AS spans",
                    "NOT is_root AND error IS NOT NULL", "GROUP BY 1, 2 ORDER BY spans DESC LIMIT 10")  # fmt: skip
    s.data["origin"] = origin
    if origin:
        s.lines.append("Where they start: " + ", ".join(
            f"`{_short(r['error_type'])}` in `{_short(r['span'])}` ({_plural(r['spans'], 'span')})" for r in origin[:5]) + ".")  # fmt: skip
    s.data["spikes"] = _spikes(q, health)
    for sp in s.data["spikes"][:3]:
        s.lines.append(f"Spike: `{_short(sp['error_type'])}` on `{_short(sp['model'])}` hit {sp['count']} "
                       f"on {sp['day']} vs {sp['other_days_mean']:.1f}/day on other days.")  # fmt: skip
    if detail:
        s.data["messages"] = dict(list(messages.items())[:5])
    return s


def _spikes(q: _Runner, health: Section) -> list[dict[str, Any]]:
    """(model, error type) pairs whose worst day stands out from the other days of the window."""
    rows = q.rows("day(created) AS day, metadata.model AS model, error_type, count(1) AS n",
                  "error IS NOT NULL AND metadata.model IS NOT NULL",
                  "GROUP BY 1, 2, 3 ORDER BY n DESC LIMIT 500")  # fmt: skip
    days = [r["day"][:10] for r in health.data["by_day"]]
    series: dict[tuple[str, str], dict[str, int]] = {}
    for r in rows:
        series.setdefault((str(r["model"]), str(r["error_type"])), {})[r["day"][:10]] = r["n"]
    out = []
    for (model, kind), counts in series.items():
        day, peak = max(counts.items(), key=lambda kv: kv[1])
        others = [counts.get(d, 0) for d in days if d != day] or [0]
        mean = statistics.fmean(others)
        if peak >= 3 and peak >= 3 * mean + 2:
            out.append({"model": model, "error_type": kind, "day": day, "count": peak,
                        "other_days_mean": round(mean, 3), "ratio": round(peak / max(mean, 0.25), 1)})  # fmt: skip
    return sorted(out, key=lambda x: (-x["ratio"], -x["count"]))


def _latency(q: _Runner, health: Section, detail: bool) -> Section:
    s = Section("latency", "Latency")
    root = q.rows("percentile(latency, 0.5) AS p50, percentile(latency, 0.95) AS p95, "
                  f"sum(latency > {_SLOW_TRACE_SECONDS:g} ? 1 : 0) AS slow", _ROOT)[0]  # fmt: skip
    s.data["traces"] = root
    s.lines.append(f"Traces: p50 {_num(root['p50'])} s, p95 {_num(root['p95'])} s; "
                   f"{root['slow'] or 0} took over {_SLOW_TRACE_SECONDS:g} s.")  # fmt: skip
    spans = q.rows("span_attributes.name AS name, span_attributes.type AS type, count(1) AS n, "
                   "percentile(latency, 0.5) AS p50, percentile(latency, 0.95) AS p95", "NOT is_root",
                   "GROUP BY 1, 2 ORDER BY p95 DESC LIMIT 25")  # fmt: skip
    s.data["by_span"] = spans
    if spans:
        s.lines.append("By span (p50 / p95 s): " + ", ".join(
            f"`{_short(r['name'])}` {_num(r['p50'])} / {_num(r['p95'])} ({r['n']})" for r in spans[:8]) + ".")  # fmt: skip
    tools = [r for r in spans if r["type"] == "tool" and r["p50"] is not None]
    s.data["slow_tools"] = []
    for t in tools:
        others = [o["p50"] for o in tools if o is not t]
        if others and t["p50"] >= 3 * statistics.median(others) and t["p50"] >= 1.0:
            s.data["slow_tools"].append({"name": t["name"], "p50": t["p50"], "calls": t["n"],
                                         "others_median_p50": statistics.median(others)})  # fmt: skip
            s.lines.append(f"Slow tool: `{_short(t['name'])}` p50 {_num(t['p50'])} s over {t['n']} calls, "
                           f"{t['p50'] / statistics.median(others):.0f}x the other tools' median.")  # fmt: skip
    if detail:
        slowest = q.rows(
            "root_span_id, latency, error_type", _ROOT, "ORDER BY latency DESC LIMIT 5"
        )
        s.data["slowest_traces"] = slowest
        s.lines.append("Slowest traces: " + ", ".join(
            f"`{r['root_span_id']}` {_num(r['latency'], 1)} s" for r in slowest) + ".")  # fmt: skip
    return s


def _models(q: _Runner, health: Section, detail: bool) -> Section:
    s = Section("models", "Models, tokens and cost")
    rows = q.rows("metadata.model AS model, count(1) AS calls, count(error) AS errors, "
                  "percentile(latency, 0.5) AS p50, percentile(latency, 0.95) AS p95, "
                  "avg(metrics.time_to_first_token) AS ttft, sum(metrics.prompt_tokens) AS prompt_tokens, "
                  "sum(metrics.completion_tokens) AS completion_tokens, sum(metrics.tokens) AS tokens, "
                  "sum(estimated_cost()) AS cost", "span_attributes.type = 'llm'",
                  "GROUP BY 1 ORDER BY calls DESC LIMIT 20")  # fmt: skip
    s.data["by_model"] = rows
    if not rows:
        s.lines.append("No LLM spans in this window.")
        return s
    total_cost = sum(r["cost"] or 0 for r in rows)
    s.data["total_cost"] = total_cost
    for r in rows:
        rate = 100 * (r["errors"] or 0) / r["calls"]
        s.lines.append(f"`{_short(r['model'])}`: {r['calls']} calls, {rate:.1f}% errors, p50 {_num(r['p50'])} s / "
                       f"p95 {_num(r['p95'])} s, {r['tokens'] or 0:,} tokens, ${r['cost'] or 0:.4f}.")  # fmt: skip
    s.lines.append(f"Total estimated cost: ${total_cost:.4f}.")
    return s


def _scores(q: _Runner, health: Section, detail: bool) -> Section:
    s = Section("scores", "Scores")
    rows = q.rows("score, day(created) AS day, avg(value) AS avg, count(1) AS n", "",
                  "GROUP BY 1, 2 ORDER BY day ASC LIMIT 1000",
                  src=f"{q.src} UNPIVOT (value FOR score IN (scores))")  # fmt: skip
    by_score: dict[str, list[dict[str, Any]]] = {}
    for r in rows:
        by_score.setdefault(str(r["score"]), []).append(r)
    s.data["trends"] = {}
    if not by_score:
        s.lines.append("No scores in this window: add online scoring rules or log feedback.")
    for name, days in sorted(by_score.items()):
        n = sum(d["n"] for d in days)
        mean = sum(d["avg"] * d["n"] for d in days) / n
        trend = {"mean": round(mean, 4), "count": n}
        line = f"`{_short(name)}`: mean {mean:.2f} over {n} values"
        if len(days) >= 4:
            half = len(days) // 2
            a = statistics.fmean(d["avg"] for d in days[:half])
            b = statistics.fmean(d["avg"] for d in days[half:])
            trend["change"] = round(b - a, 4)
            line += f", {'rising' if b - a > 0.03 else 'falling' if b - a < -0.03 else 'steady'} ({b - a:+.2f})"
        s.data["trends"][name] = trend
        s.lines.append(line + ".")
    return s


def _users(q: _Runner, health: Section, detail: bool) -> Section:
    s = Section("users", "Notable users")
    worst_errors = q.rows("metadata.user_id AS user, count(1) AS traces, count(error) AS errors",
                          _ROOT + " AND metadata.user_id IS NOT NULL",
                          "GROUP BY 1 HAVING count(error) > 0 ORDER BY errors DESC LIMIT 5")  # fmt: skip
    s.data["most_errors"] = worst_errors
    if worst_errors:
        s.lines.append("Most failed traces: " + ", ".join(
            f"`{_short(r['user'])}` {r['errors']}/{r['traces']}" for r in worst_errors) + ".")  # fmt: skip
    rows = q.rows("metadata.user_id AS user, score, avg(value) AS avg, count(1) AS n",
                  _ROOT + " AND metadata.user_id IS NOT NULL", "GROUP BY 1, 2 LIMIT 5000",
                  src=f"{q.src} UNPIVOT (value FOR score IN (scores))")  # fmt: skip
    low: list[dict[str, Any]] = []
    for name in sorted({str(r["score"]) for r in rows}):
        per = [r for r in rows if r["score"] == name]
        total = sum(r["n"] for r in per)
        overall = sum(r["avg"] * r["n"] for r in per) / total
        for r in per:
            if r["n"] >= 3 and r["avg"] <= overall - 0.25:
                low.append({"user": r["user"], "score": name, "avg": round(r["avg"], 4), "n": r["n"],
                            "overall": round(overall, 4)})  # fmt: skip
    low.sort(key=lambda x: x["avg"] - x["overall"])
    s.data["lowest_scores"] = low[:10]
    for r in low[:5]:
        s.lines.append(f"`{_short(r['user'])}` averages {r['avg']:.2f} on `{_short(r['score'])}` "
                       f"({r['n']} values) vs {r['overall']:.2f} overall.")  # fmt: skip
    if detail:
        users = q.rows("metadata.user_id AS user, count_distinct(day(created)) AS active_days, count(1) AS traces",
                       _ROOT + " AND metadata.user_id IS NOT NULL", "GROUP BY 1 ORDER BY traces DESC LIMIT 1000")  # fmt: skip
        returning = sum(1 for u in users if u["active_days"] > 1)
        s.data["returning_users"] = returning
        s.lines.append(f"{returning} of {len(users)} users came back on more than one day.")
    if not s.lines:
        s.lines.append("No user stands out.")
    return s


def _recommend(report: Report) -> list[str]:
    out: list[str] = []
    src = literal(report.project)
    errors = report.section("errors")
    if errors and errors.data.get("spikes"):
        sp = errors.data["spikes"][0]
        out.append(f"Investigate `{_short(sp['error_type'])}` on `{_short(sp['model'])}` around {sp['day']}: "
                   "add retries with backoff or a fallback model, and alert on its error rate.")  # fmt: skip
    if errors and errors.data.get("top"):
        top = errors.data["top"][0]
        out.append(f"Turn the `{_short(top['error_type'])}` traces into a dataset to reproduce them: filter "
                   f"`error_type = {literal(str(top['error_type']))}` on project_logs({src}).")  # fmt: skip
    latency = report.section("latency")
    for t in (latency.data.get("slow_tools", []) if latency else [])[:1]:
        out.append(f"Speed up `{_short(t['name'])}` (p50 {t['p50']:.1f} s): cache its results or give it a "
                   "timeout, since every trace that calls it waits on it.")  # fmt: skip
    users = report.section("users")
    for u in (users.data.get("lowest_scores", []) if users else [])[:1]:
        out.append(f"Review the traces of `{_short(u['user'])}` (low `{_short(u['score'])}`): their questions "
                   "may be poorly covered by the retrieved documents; add them to an eval dataset.")  # fmt: skip
    scores = report.section("scores")
    if scores and not scores.data.get("trends"):
        out.append("Add an online scoring rule so quality is measured on production traffic.")
    return out
