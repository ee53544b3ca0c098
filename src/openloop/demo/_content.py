"""What the demo support bot's world contains: its users, the results its tools return, the
answers it gives and the errors its providers raise."""

from __future__ import annotations

import json
import random
from dataclasses import dataclass
from typing import Any

from . import _text as text
from ._common import MODELS, Ids

__all__ = ["User", "answer", "rate_limit_message", "rationale", "tool_io", "users"]


@dataclass(frozen=True)
class User:
    id: str
    name: str
    plan: str
    region: str
    channel: str
    beta: bool
    account: str


def users(rng: random.Random, bad_user: str) -> tuple[list[User], list[float]]:
    """300 users with stable plan, region and channel; ``bad_user`` is a busy enterprise
    user whose activity share is fixed at about 1.2%."""
    out, weights = [], []
    for i in range(300):
        uid = f"u_{1000 + i}"
        plan = rng.choices(text.PLANS, weights=(3, 4, 2, 1))[0]
        out.append(
            User(
                uid,
                rng.choice(text.FIRST_NAMES),
                plan,
                rng.choice(text.REGIONS),
                rng.choices(text.CHANNELS, weights=(5, 3, 2, 1, 1))[0],
                rng.random() < 0.12,
                f"acct_{rng.getrandbits(32):08x}",
            )
        )
        weights.append(1.0 / (1 + (i * 37 % 300)) ** 0.7)
    bad = next(i for i, u in enumerate(out) if u.id == bad_user)
    out[bad] = User(
        bad_user, "Dana", "enterprise", "eu-west-1", "web_widget", False, out[bad].account
    )
    weights[bad] = sum(weights) * 0.012
    return out, weights


def rate_limit_message(rng: random.Random, model: str) -> str:
    if MODELS[model][0] == "openai":
        used = rng.randint(195_000, 199_900)
        return (
            f"RateLimitError: 429 Rate limit reached for {model} in organization org-acme "
            f"on tokens per min (TPM): Limit 200000, Used {used}, Requested "
            f"{rng.randint(900, 2600)}. Please try again in {rng.randint(80, 900)}ms."
        )
    return (
        'RateLimitError: 429 {"type":"error","error":{"type":"rate_limit_error",'
        '"message":"Number of request tokens has exceeded your per-minute rate limit"}}'
    )


def tool_io(
    rng: random.Random,
    ids: Ids,
    tool: str,
    user: User,
    question: str,
    topic: text.Topic,
    values: dict[str, str],
) -> tuple[dict[str, Any], dict[str, Any]]:
    if tool == "lookup_account":
        return {"account_id": user.account}, {
            "account_id": user.account,
            "plan": user.plan,
            "status": "active",
            "seats": rng.choice((3, 5, 12, 40, 150)),
            "balance_due": "$0.00",
            "last_invoice": values["invoice"],
        }
    if tool == "create_ticket":
        queue = "privacy" if topic.key == "deletion" else "support"
        return {
            "subject": question[:80],
            "priority": rng.choice(("normal", "high")),
            "queue": queue,
        }, {"ticket_id": f"ACME-{rng.randint(10000, 99999)}", "status": "open", "eta_hours": 24}
    component = {"webhooks": "webhooks", "rate_limits": "api", "sso": "sso"}.get(
        topic.key, "scheduler"
    )
    degraded = rng.random() < 0.25
    return {"component": component, "region": user.region}, {
        "component": component,
        "region": user.region,
        "status": "degraded" if degraded else "operational",
        "incident": f"INC-2026-{rng.randint(100, 999)}: elevated error rates" if degraded else None,
    }


def answer(
    rng: random.Random,
    reply: str,
    values: dict[str, str],
    quality: float,
    bad_user: bool,
    tool: str | None,
    messages: list[dict[str, Any]],
) -> str:
    if bad_user or quality < 0.35:
        return rng.choice(text.DEFLECTIONS)
    body = text.fill(reply, values)
    if tool == "create_ticket":
        ticket = json.loads(messages[-1]["content"])["ticket_id"]
        body += f" I've opened ticket {ticket} for you; the team replies within 24 hours."
    elif tool == "check_status":
        status = json.loads(messages[-1]["content"])
        if status["status"] == "degraded":
            body = (
                f"We're currently seeing {status['incident'].split(': ')[1]} on "
                f"{status['component']} in {status['region']}. {body}"
            )
    greeting = rng.choice(("", "", f"Hi {values['name']}! ", "Thanks for reaching out. "))
    return greeting + body


def rationale(name: str, value: float) -> str:
    if value >= 0.7:
        return f"{name}: the answer is consistent with the retrieved documentation."
    if value >= 0.4:
        return f"{name}: the answer is partly supported but misses part of the question."
    return f"{name}: the answer does not address the question or contradicts the docs."
