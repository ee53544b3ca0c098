"""Realistic span batches for the ingest benchmark: traces shaped like the demo project (a root
task span, a retrieval tool span, one or two LLM spans), ~1 KB payloads, varied vocabulary."""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

_WORDS = [
    "invoice",
    "refund",
    "billing",
    "sso",
    "saml",
    "okta",
    "login",
    "password",
    "reset",
    "webhook",
    "retry",
    "signature",
    "export",
    "csv",
    "parquet",
    "quota",
    "limit",
    "rate",
    "api",
    "key",
    "rotate",
    "region",
    "latency",
    "outage",
    "status",
    "page",
    "integration",
    "slack",
    "jira",
    "salesforce",
    "plan",
    "upgrade",
    "downgrade",
    "seat",
    "trial",
    "cancel",
    "delete",
    "account",
    "audit",
    "log",
    "role",
    "admin",
    "viewer",
    "permission",
    "token",
    "usage",
    "cost",
    "dashboard",
    "alert",
    "threshold",
    "timeout",
    "error",
    "retry",
    "backoff",
]
_MODELS = ("gpt-4o", "gpt-4o-mini", "claude-3-5-sonnet", "claude-3-5-haiku")


def _text(rng: random.Random, n: int) -> str:
    return " ".join(
        rng.choice(_WORDS) + (str(rng.randrange(1000)) if rng.random() < 0.1 else "")
        for _ in range(n)
    )


def make_trace(rng: random.Random, t0: datetime) -> list[dict[str, Any]]:
    trace = uuid.UUID(int=rng.getrandbits(128)).hex
    root = trace
    start = t0.timestamp()
    user = f"u_{rng.randrange(5000)}"
    question = _text(rng, 25)
    spans: list[dict[str, Any]] = [
        {
            "id": root,
            "span_id": root,
            "root_span_id": trace,
            "span_parents": [],
            "created": t0.isoformat(),
            "input": {"question": question, "user_id": user},
            "output": {"answer": _text(rng, 60)},
            "metadata": {
                "user_id": user,
                "session_id": f"s_{rng.randrange(50000)}",
                "channel": "web",
            },
            "metrics": {"start": start, "end": start + rng.uniform(0.5, 4)},
            "span_attributes": {"name": "support_request", "type": "task"},
            "tags": rng.sample(["billing", "sso", "beta", "escalated"], k=rng.randrange(3)),
        },
        {
            "id": uuid.UUID(int=rng.getrandbits(128)).hex,
            "root_span_id": trace,
            "span_parents": [root],
            "created": t0.isoformat(),
            "input": {"query": question[:80]},
            "output": {"documents": [_text(rng, 12) for _ in range(3)]},
            "metrics": {"start": start + 0.01, "end": start + rng.uniform(0.05, 0.4)},
            "span_attributes": {"name": "retrieve_docs", "type": "tool"},
        },
    ]
    for _ in range(1 + (rng.random() < 0.3)):
        pt, ct = rng.randrange(300, 2500), rng.randrange(40, 400)
        model = rng.choice(_MODELS)
        sid = uuid.UUID(int=rng.getrandbits(128)).hex
        spans.append(
            {
                "id": sid,
                "span_id": sid,
                "root_span_id": trace,
                "span_parents": [root],
                "created": t0.isoformat(),
                "input": [
                    {"role": "system", "content": "You are a support assistant."},
                    {"role": "user", "content": question},
                ],
                "output": {"role": "assistant", "content": _text(rng, 50)},
                "metadata": {
                    "model": model,
                    "provider": "openai" if model.startswith("gpt") else "anthropic",
                },
                "metrics": {
                    "start": start + 0.4,
                    "end": start + rng.uniform(0.8, 3),
                    "prompt_tokens": pt,
                    "completion_tokens": ct,
                    "tokens": pt + ct,
                    "time_to_first_token": rng.uniform(0.2, 0.9),
                },
                "span_attributes": {"name": "Chat Completion", "type": "llm"},
            }
        )
    for s in spans:
        s.setdefault("span_id", s["id"])
    return spans


def make_batches(n_spans: int, batch_size: int, seed: int = 1) -> list[list[dict[str, Any]]]:
    rng = random.Random(seed)
    now = datetime.now(UTC)
    rows: list[dict[str, Any]] = []
    while len(rows) < n_spans:
        rows.extend(make_trace(rng, now - timedelta(seconds=rng.randrange(14 * 86400))))
    rows = rows[:n_spans]
    return [rows[i : i + batch_size] for i in range(0, len(rows), batch_size)]
