"""Production logs of the demo support bot: ~5,000 traces over 14 days with planted patterns.

Each trace is a root ``task`` span ``support_request`` with a ``retrieve_docs`` tool span, one or
two ``Chat Completion`` llm spans, sometimes an action tool span (``lookup_account``,
``create_ticket``, ``check_status``), and, for sampled traces, online ``score`` spans. The
patterns Loop should find (error types, a one-day error spike, a slow tool, a struggling user,
feedback) are planted here and counted into :class:`LogsData.facts` as they are planted.
"""

from __future__ import annotations

import json
import math
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from . import _content as content
from . import _text as text
from ._common import MODELS, CostFn, Ids, iso, lognormal
from ._tally import Tally

__all__ = ["BAD_USER", "SLOW_TOOL", "SPIKE_DAYS_AGO", "SPIKE_MODEL", "LogsData", "generate_logs"]

BAD_USER = "u_1042"
SLOW_TOOL = "check_status"
SPIKE_MODEL = "gpt-4o-mini"
SPIKE_DAYS_AGO = 5
DAYS = 14

_MODEL_WEIGHTS = {
    "gpt-4o-mini": 0.40,
    "gpt-4o": 0.25,
    "claude-3-5-sonnet": 0.20,
    "claude-3-5-haiku": 0.15,
}
_TTFT = {"gpt-4o-mini": 0.35, "gpt-4o": 0.55, "claude-3-5-sonnet": 0.70, "claude-3-5-haiku": 0.40}
_TOKENS_PER_S = {
    "gpt-4o-mini": 95.0,
    "gpt-4o": 60.0,
    "claude-3-5-sonnet": 55.0,
    "claude-3-5-haiku": 110.0,
}
_TOOL_MEDIAN_S = {
    "retrieve_docs": 0.18,
    "lookup_account": 0.22,
    "create_ticket": 0.35,
    "check_status": 4.0,
}
_P_RATE_LIMIT, _P_RATE_LIMIT_SPIKE = 0.008, 0.12
_P_TIMEOUT_LLM, _P_TIMEOUT_RETRIEVAL, _P_TOOL_ERROR = 0.004, 0.002, 0.08
_P_RETRIED = 0.004  # traces that recover after two LLM timeouts (> 60 s, no error)
_P_SCORED, _P_FEEDBACK, _P_COMMENT = 0.30, 0.03, 0.4


@dataclass
class LogsData:
    """Rows for ``project_logs``: the spans (replace writes, grouped by trace, oldest first), the
    late updates (feedback merges and comment rows), and the planted facts."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    late_rows: list[dict[str, Any]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)


def _session_start(rng: random.Random, t0: float, span: float) -> float:
    """Rejection-sample a time: a diurnal curve peaking at 15:00 UTC and a mild upward trend."""
    while True:
        ts = t0 + rng.random() * span
        hour = (ts % 86400) / 3600
        diurnal = 1.0 + 0.75 * math.cos((hour - 15) / 24 * 2 * math.pi)
        trend = 0.75 + 0.5 * (ts - t0) / span
        if rng.random() * 1.75 * 1.25 <= diurnal * trend:
            return ts


class _Builder:
    def __init__(
        self, rng: random.Random, ids: Ids, now: datetime, cost: CostFn, project_id: str
    ) -> None:
        self.rng, self.ids, self.cost, self.project_id = rng, ids, cost, project_id
        self.now = now.timestamp()
        self.spike_date = (now - timedelta(days=SPIKE_DAYS_AGO)).date().isoformat()
        self.data = LogsData()
        self.tally = Tally(self.spike_date)

    # -- rows ---------------------------------------------------------------------------------
    def _span(
        self,
        root: str | None,
        parent: str | None,
        name: str,
        kind: str,
        start: float,
        end: float,
        **fields: Any,
    ) -> dict[str, Any]:
        sid = self.ids.new()
        row: dict[str, Any] = {
            "id": sid,
            "span_id": sid,
            "root_span_id": root or sid,
            "span_parents": [parent] if parent else [],
            "created": iso(start),
            "span_attributes": {"name": name, "type": kind},
        }
        row.update(fields)
        row.setdefault("metrics", {})
        row["metrics"].update({"start": round(start, 6), "end": round(end, 6)})
        self.data.rows.append(row)
        self.tally.span(row)
        return row

    def _llm(
        self,
        root: str,
        start: float,
        model: str,
        messages: list[dict[str, Any]],
        reply: dict[str, Any] | None,
        error: str | None,
    ) -> dict[str, Any]:
        rng = self.rng
        meta = {
            "model": model,
            "provider": MODELS[model][0],
            "temperature": 0.2,
            "max_tokens": 512,
            "tools": ["lookup_account", "create_ticket", "check_status"],
        }
        ttft = lognormal(rng, _TTFT[model], 0.3)
        if error is not None:
            timeout = error.startswith("TimeoutError")
            end = start + (30.0 + rng.random() * 0.2 if timeout else rng.uniform(0.15, 0.6))
            return self._span(
                root,
                root,
                "Chat Completion",
                "llm",
                start,
                end,
                input=messages,
                metadata=meta,
                error=error,
            )
        assert reply is not None
        prompt = (
            900 + rng.randint(0, 700) + sum(len(str(m.get("content") or "")) for m in messages) // 4
        )
        completion = max(12, len(json.dumps(reply)) // 4 + rng.randint(-5, 15))
        cached = 1024 if prompt >= 1200 and rng.random() < 0.4 else 0
        end = start + ttft + completion / lognormal(rng, _TOKENS_PER_S[model], 0.2)
        metrics = {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "tokens": prompt + completion,
            "prompt_cached_tokens": cached,
            "time_to_first_token": round(ttft, 4),
            "estimated_cost": round(self.cost(model, prompt, completion, cached), 8),
        }
        return self._span(
            root,
            root,
            "Chat Completion",
            "llm",
            start,
            end,
            input=messages,
            output=reply,
            metadata=meta,
            metrics=metrics,
        )

    def _retrieve(
        self, root_id: str, ts: float, question: str, topic: text.Topic, reply: str, bad_user: bool
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """The ``retrieve_docs`` span: the best article for the answer, another of the topic and
        one unrelated. The struggling user's SCIM questions retrieve password-reset articles."""
        rng = self.rng
        docs_topic = text.TOPIC_BY_KEY["login"] if bad_user else topic
        other = rng.choice(text.TOPICS)
        best = text.doc_for(
            docs_topic.key,
            text.answer_for(docs_topic.key, docs_topic.questions[0]) if bad_user else reply,
        )
        docs = [
            next(d for d in docs_topic.docs if d[0] == best),
            rng.choice([d for d in docs_topic.docs if d[0] != best]),
            rng.choice(other.docs),
        ]
        start = ts + rng.uniform(0.004, 0.02)
        fields: dict[str, Any] = {
            "input": {"query": question, "top_k": 3},
            "metadata": {"index": "help-center-v3"},
        }
        documents = [
            {"title": t, "snippet": s, "score": round(0.9 - 0.07 * i - rng.random() * 0.05, 3)}
            for i, (t, s) in enumerate(docs)
        ]
        if rng.random() < _P_TIMEOUT_RETRIEVAL:
            fields["error"] = (
                "TimeoutError: vector search on index help-center-v3 did not respond within 10s"
            )
            end = start + 10.0
        else:
            fields["output"] = {"documents": documents}
            end = start + lognormal(rng, _TOOL_MEDIAN_S["retrieve_docs"], 0.3)
        row = self._span(root_id, root_id, "retrieve_docs", "tool", start, end, **fields)
        return row, documents

    # -- one trace ----------------------------------------------------------------------------
    def trace(self, ts: float, user: content.User, session: str, topic: text.Topic) -> None:
        rng, tally = self.rng, self.tally
        bad_user = user.id == BAD_USER
        values = text.slots(rng, name=user.name, plan=user.plan, region=user.region)
        template = rng.choice(topic.questions)
        question = text.decorate(rng, text.fill(template, values), values)
        reply = text.answer_for(topic.key, template)
        if bad_user:
            question = text.decorate(
                rng, text.fill(rng.choice(text.SCIM_QUESTIONS), values), values
            )
        quality = rng.uniform(0.05, 0.35) if bad_user else min(1.0, rng.betavariate(6, 1.6))
        model = rng.choices(list(_MODEL_WEIGHTS), weights=list(_MODEL_WEIGHTS.values()))[0]
        date = iso(ts)[:10]
        version = (
            "4.13.0-beta.2" if user.beta else ("4.12.1" if ts < self.now - 7 * 86400 else "4.13.0")
        )
        tags = list(topic.tags) + (["beta"] if user.beta else [])
        meta = {
            "user_id": user.id,
            "session_id": session,
            "channel": user.channel,
            "plan": user.plan,
            "region": user.region,
            "app_version": version,
        }
        root_id, first = self.ids.new(), len(self.data.rows)
        children: list[dict[str, Any]] = []

        r_row, documents = self._retrieve(root_id, ts, question, topic, reply, bad_user)
        children.append(r_row)
        error, cursor = r_row.get("error"), r_row["metrics"]["end"] + 0.004
        context = "\n".join(
            f"[{i + 1}] {d['title']}: {d['snippet']}" for i, d in enumerate(documents)
        )
        messages: list[dict[str, Any]] = [
            {"role": "system", "content": text.SYSTEM_PROMPT},
            {"role": "system", "content": f"Context:\n{context}"},
            {"role": "user", "content": question},
        ]
        spike = model == SPIKE_MODEL and date == self.spike_date
        tool = (
            topic.tool if (topic.tool and not bad_user and rng.random() < topic.tool_rate) else None
        )
        if error is None:
            if rng.random() < (_P_RATE_LIMIT_SPIKE if spike else _P_RATE_LIMIT):
                error = content.rate_limit_message(rng, model)
            elif rng.random() < _P_TIMEOUT_LLM:
                error = _timeout(model)
            if error is not None:
                children.append(self._llm(root_id, cursor, model, messages, None, error))
            elif rng.random() < _P_RETRIED:
                # Two timed-out attempts, then the retry succeeds: a slow trace without an error.
                for attempt in (1, 2):
                    failed = self._llm(
                        root_id, cursor, model, messages, None, _timeout(model, attempt)
                    )
                    children.append(failed)
                    cursor = failed["metrics"]["end"] + rng.uniform(0.5, 2.0)
        if error is None and tool is not None:
            call_id = f"call_{self.ids.short(20)}"
            args, result = content.tool_io(rng, self.ids, tool, user, question, topic, values)
            call = {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": call_id,
                        "type": "function",
                        "function": {"name": tool, "arguments": json.dumps(args)},
                    }
                ],
            }
            llm1 = self._llm(root_id, cursor, model, messages, call, None)
            t_start = llm1["metrics"]["end"] + 0.003
            t_end = t_start + lognormal(rng, _TOOL_MEDIAN_S[tool], 0.35)
            tool_row: dict[str, Any] = {"input": args, "metadata": {"tool_call_id": call_id}}
            if tool == "lookup_account" and rng.random() < _P_TOOL_ERROR:
                error = (
                    f"ToolError: lookup_account failed: billing service returned 503 for "
                    f"account {user.account}"
                )
                tool_row["error"] = error
            else:
                tool_row["output"] = result
            children += [
                llm1,
                self._span(root_id, root_id, tool, "tool", t_start, t_end, **tool_row),
            ]
            messages = [
                *messages,
                call,
                {"role": "tool", "tool_call_id": call_id, "content": json.dumps(result)},
            ]
            cursor = t_end + 0.003
            if tool == "create_ticket":
                tags.append("escalated")
        answer = None
        if error is None:
            answer = content.answer(rng, reply, values, quality, bad_user, tool, messages)
            children.append(
                self._llm(
                    root_id, cursor, model, messages, {"role": "assistant", "content": answer}, None
                )
            )
        end = max(c["metrics"]["end"] for c in children) + rng.uniform(0.005, 0.03)
        root = {"input": {"question": question, "user_id": user.id}, "metadata": meta, "tags": tags}
        if answer is not None:
            root["output"] = {"answer": answer}
        if error is not None:
            root["error"] = error
        scored = error is None and rng.random() < (0.5 if bad_user else _P_SCORED)
        scores = {}
        if scored:
            scores = {
                "Factuality": round(min(1.0, max(0.0, quality + rng.gauss(0, 0.06))), 2),
                "Helpfulness": round(min(1.0, max(0.0, quality + rng.gauss(0, 0.08))), 2),
            }
            root["scores"] = dict(scores)
        root_row = self._root(root_id, first, ts, end, root)
        tally.trace(root_row, user.id, session, model, date, error, scores)
        for name, value in scores.items():
            s_start = end + rng.uniform(2, 20)
            self._span(
                root_id,
                root_id,
                name,
                "score",
                s_start,
                s_start + rng.uniform(0.8, 3.0),
                input={"input": question, "output": answer},
                output={"score": value, "rationale": content.rationale(name, value)},
                scores={name: value},
                span_attributes={"name": name, "type": "score", "purpose": "scorer"},
            )
        if error is None and rng.random() < (0.45 if bad_user else _P_FEEDBACK):
            self._feedback(root_id, end, quality, user.id)

    def _root(
        self, rid: str, first: int, start: float, end: float, fields: dict[str, Any]
    ) -> dict[str, Any]:
        row: dict[str, Any] = {
            "id": rid,
            "span_id": rid,
            "root_span_id": rid,
            "span_parents": [],
            "created": iso(start),
            "span_attributes": {"name": "support_request", "type": "task"},
            **fields,
            "metrics": {"start": round(start, 6), "end": round(end, 6)},
        }
        # The root is written first within its trace, as an instrumented app would.
        self.data.rows.insert(first, row)
        self.tally.span(row)
        return row

    def _feedback(self, rid: str, end: float, quality: float, user_id: str) -> None:
        rng = self.rng
        value = 1 if rng.random() < quality * 0.95 else 0
        when = min(end + rng.uniform(30, 3600), self.now - 1)
        self.data.late_rows.append(
            {"id": rid, "scores": {"user_feedback": value}, "_is_merge": True}
        )
        comment = None
        if rng.random() < _P_COMMENT:
            comment = rng.choice(text.COMMENTS_POSITIVE if value else text.COMMENTS_NEGATIVE)
            self.data.late_rows.append(
                {
                    "id": self.ids.new(),
                    "created": iso(when),
                    "origin": {
                        "object_type": "project_logs",
                        "object_id": self.project_id,
                        "id": rid,
                    },
                    "comment": {"text": comment},
                }
            )
        self.tally.feedback(rid, user_id, value, comment)


def _timeout(model: str, attempt: int | None = None) -> str:
    host = "api.openai.com" if MODELS[model][0] == "openai" else "api.anthropic.com"
    retry = f" (attempt {attempt} of 3, retrying)" if attempt else ""
    return f"TimeoutError: Request to {host} timed out after 30.0 seconds{retry}"


def generate_logs(
    rng: random.Random, ids: Ids, now: datetime, traces: int, cost: CostFn, project_id: str
) -> LogsData:
    """Plan sessions over the 14 days before ``now`` and build every trace, oldest first."""
    users, weights = content.users(rng, BAD_USER)
    t0, span = now.timestamp() - DAYS * 86400, DAYS * 86400 - 3600
    weights_by_topic = [t.weight for t in text.TOPICS]
    planned: list[tuple[float, content.User, str, text.Topic]] = []
    while len(planned) < traces:
        n = min(rng.choice((1, 1, 1, 2, 2, 3, 4, 6)), traces - len(planned))
        ts, user = _session_start(rng, t0, span), rng.choices(users, weights)[0]
        session = f"sess_{ids.short(12)}"
        topic = (
            text.TOPIC_BY_KEY["sso"]
            if user.id == BAD_USER
            else rng.choices(text.TOPICS, weights=weights_by_topic)[0]
        )
        for _ in range(n):
            planned.append((ts, user, session, topic))
            ts += rng.uniform(40, 420)
            if user.id != BAD_USER and rng.random() < 0.3:
                topic = rng.choices(text.TOPICS, weights=weights_by_topic)[0]
    planned.sort(key=lambda p: p[0])
    builder = _Builder(rng, ids, now, cost, project_id)
    for ts, user, session, topic in planned:
        builder.trace(ts, user, session, topic)
    builder.data.facts = builder.tally.facts(BAD_USER, SPIKE_MODEL, SLOW_TOOL)
    return builder.data
