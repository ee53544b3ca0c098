"""Vocabulary of the demo: the fictional "Acme Cloud" product, its help-center articles and the
questions its customers ask.

Every template is filled from :func:`slots`, so one template yields many distinct questions.
Topics carry the docs the retriever finds and the tool the assistant may call for them.
"""

from __future__ import annotations

import functools
import random
import re

from ._topics import TOPIC_BY_KEY, TOPICS, Topic

__all__ = [
    "CHANNELS",
    "COMMENTS_NEGATIVE",
    "COMMENTS_POSITIVE",
    "DEFLECTIONS",
    "FIRST_NAMES",
    "PLANS",
    "REGIONS",
    "SCIM_QUESTIONS",
    "SYSTEM_PROMPT",
    "TOPICS",
    "TOPIC_BY_KEY",
    "Topic",
    "answer_for",
    "decorate",
    "doc_for",
    "fill",
    "slots",
]


SYSTEM_PROMPT = (
    "You are the support assistant for Acme Cloud, a platform for running background jobs, "
    "APIs and data pipelines. Answer the customer's question using only the documentation in "
    "the context. Be concise (under 150 words). If the documentation does not cover the "
    "question, say so and offer to open a support ticket. Never invent account details."
)

FIRST_NAMES = (
    "Maria",
    "James",
    "Priya",
    "Chen",
    "Fatima",
    "Lukas",
    "Sofia",
    "Diego",
    "Aisha",
    "Tom",
    "Yuki",
    "Olga",
    "Kwame",
    "Elena",
    "Raj",
    "Hannah",
    "Mateo",
    "Nora",
    "Ibrahim",
    "Grace",
    "Pedro",
    "Lena",
    "Omar",
    "Zoe",
    "Arjun",
    "Mia",
    "Felix",
    "Amara",
    "Jonas",
    "Chloe",
)
PLANS = ("free", "team", "business", "enterprise")
REGIONS = ("us-east-1", "us-west-2", "eu-west-1", "eu-central-1", "ap-southeast-2")
CHANNELS = ("web_widget", "in_app", "slack", "email", "api")

_IDPS = ("Okta", "Azure AD", "Google Workspace", "OneLogin", "JumpCloud", "Ping Identity")
_INTEGRATIONS = ("Slack", "Salesforce", "Zapier", "GitHub", "Jira", "HubSpot", "PagerDuty")
_SSO_ERRORS = (
    "SAMLResponse signature is invalid",
    "Audience URI mismatch",
    "invalid_grant: assertion has expired",
    "redirect_uri_mismatch",
    "User is not assigned to this application",
    "NameID format not supported",
)
_ENDPOINTS = ("/v2/jobs", "/v2/events", "/v2/projects", "/v2/pipelines/runs", "/v2/usage")
_FORMATS = ("CSV", "JSON", "Parquet", "NDJSON")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
_ROLES = ("admin", "billing manager", "developer", "viewer")
_WORKSPACES = (
    "northwind",
    "globex-data",
    "initech",
    "umbrella-labs",
    "hooli-infra",
    "stark-analytics",
    "wayne-ops",
    "tyrell-ml",
    "cyberdyne",
    "soylent-eu",
)

_PREFIXES = (
    "",
    "",
    "",
    "Hi, ",
    "Hello! ",
    "Hey team, ",
    "Quick question: ",
    "Hi there. ",
    "Good morning, ",
    "Urgent: ",
)
_SUFFIXES = (
    "",
    "",
    "",
    " Thanks!",
    " Thanks in advance.",
    " This is blocking our team.",
    " We're on the {plan} plan.",
    " Our workspace is {workspace}.",
    " Any ideas?",
    " Cheers, {name}",
)


DEFLECTIONS = (
    "I'm sorry, I couldn't find anything about that in our documentation. Would you like me "
    "to open a support ticket?",
    "To reset your password, use the 'Forgot password' link on the sign-in page; the email "
    "comes from no-reply@acme.cloud.",
    "Please try logging out and back in, and clear your browser cache.",
    "You can find all settings under Settings in the left sidebar.",
)
#: What the struggling enterprise user keeps asking (and the bot keeps getting wrong).
SCIM_QUESTIONS = (
    "Does Acme Cloud support SCIM provisioning with {idp}?",
    "SCIM sync from {idp} stopped creating users, what's wrong?",
    "Deprovisioned users in {idp} can still log in to Acme Cloud via SSO.",
    "How do I map {idp} groups to Acme Cloud roles with SCIM?",
)
COMMENTS_NEGATIVE = (
    "This didn't answer my question.",
    "Wrong answer, I asked about SCIM provisioning, not password resets.",
    "The steps don't match what I see in the settings page.",
    "Still broken, the bot keeps sending me the same article.",
    "Not helpful, I need a human.",
    "The link in the answer is broken.",
)
COMMENTS_POSITIVE = (
    "Perfect, thanks!",
    "That fixed it.",
    "Helpful, the signature example worked.",
    "Clear and quick, thank you.",
)


def slots(rng: random.Random, *, name: str, plan: str, region: str) -> dict[str, str]:
    """Values for every template placeholder; the user's own name, plan and region are kept."""
    return {
        "name": name,
        "plan": plan,
        "region": region,
        "idp": rng.choice(_IDPS),
        "integration": rng.choice(_INTEGRATIONS),
        "sso_error": rng.choice(_SSO_ERRORS),
        "endpoint": rng.choice(_ENDPOINTS),
        "format": rng.choice(_FORMATS),
        "month": rng.choice(_MONTHS),
        "role": rng.choice(_ROLES),
        "workspace": rng.choice(_WORKSPACES),
        "status_code": rng.choice(("401", "403", "429", "500", "502", "503")),
        "invoice": f"INV-2026-{rng.randint(1000, 9999)}",
        "amount": f"${rng.choice((19, 49, 99, 149, 240, 490, 1200))}.00",
        "seats": str(rng.choice((2, 3, 5, 10, 25))),
        "time": f"{rng.randint(0, 23):02d}:{rng.choice((0, 15, 30, 45)):02d} UTC",
    }


def fill(template: str, values: dict[str, str]) -> str:
    return template.format_map(values)


def decorate(rng: random.Random, question: str, values: dict[str, str]) -> str:
    """A question as a customer types it: an optional greeting and sign-off."""
    text = rng.choice(_PREFIXES) + question + fill(rng.choice(_SUFFIXES), values)
    return text[0].upper() + text[1:]


_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "you",
        "your",
        "our",
        "can",
        "how",
        "what",
        "with",
        "this",
        "that",
        "from",
        "are",
        "not",
        "does",
        "have",
        "has",
        "get",
        "why",
        "its",
        "into",
        "then",
        "when",
        "who",
        "any",
        "all",
        "out",
        "was",
        "were",
        "will",
        "need",
        "use",
        "using",
        "under",
        "about",
        "there",
        "their",
        "them",
        "they",
        "been",
        "just",
        "also",
        "only",
        "more",
        "some",
        "than",
        "which",
        "where",
    ]
)


def _stems(s: str) -> set[str]:
    """Crude stems (first five letters) so "charged" meets "charges" and "refund" "refunds"."""
    return {w[:5] for w in re.findall(r"[a-z0-9]+", s.lower()) if len(w) > 2 and w not in _STOP}


@functools.cache
def _rarity() -> dict[str, float]:
    """1 / document frequency of each stem over all answers and articles: shared words such as
    "Acme" or "settings" count for little when matching."""
    counts: dict[str, int] = {}
    for topic in TOPICS:
        for chunk in (*topic.answers, *(f"{t} {s}" for t, s in topic.docs)):
            for stem in _stems(chunk):
                counts[stem] = counts.get(stem, 0) + 1
    return {stem: 1.0 / n for stem, n in counts.items()}


def _match(words: set[str], candidate: str) -> float:
    rarity = _rarity()
    return sum(rarity.get(w, 0.0) for w in words & _stems(candidate))


@functools.cache
def answer_for(topic_key: str, question: str) -> str:
    """The answer template of a topic that best matches a question template."""
    words = _stems(question)
    return max(TOPIC_BY_KEY[topic_key].answers, key=lambda a: _match(words, a))


@functools.cache
def doc_for(topic_key: str, answer: str) -> str:
    """The title of the topic's article that best supports an answer template."""
    words = _stems(answer)
    return max(TOPIC_BY_KEY[topic_key].docs, key=lambda d: _match(words, f"{d[0]} {d[1]}"))[0]
