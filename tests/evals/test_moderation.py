"""The Moderation scorer against a simulated provider: the request it sends, flagged and
threshold verdicts, retries, provider choice, and the row error without a provider."""

from __future__ import annotations

import httpx
import orjson
import pytest

from openloop.errors import InvalidInput
from openloop.evals.scorers.moderation import Moderation, moderation_target
from openloop.services.scorers import builtin_scorer
from tests.llm.upstream import FakeUpstream

KEY = "sk-test-0123456789abcdefghijklmnop"


def _answer(flagged: bool, **scores: float) -> httpx.Response:
    return httpx.Response(
        200,
        json={
            "id": "modr-1",
            "model": "omni-moderation-latest",
            "results": [
                {
                    "flagged": flagged,
                    "categories": {k: flagged and v >= 0.5 for k, v in scores.items()},
                    "category_scores": scores,
                }
            ],
        },
    )


@pytest.fixture
def upstream(monkeypatch):
    return FakeUpstream().install(monkeypatch)


@pytest.fixture
def openai_org(services, org):
    services.control.set_provider(org.org_id, "oa", "openai", api_key=KEY)
    return org.org_id


def test_clean_and_flagged_output_through_the_orgs_openai_provider(services, openai_org, upstream):
    upstream.add(
        "api.openai.com",
        _answer(False, harassment=0.01, violence=0.02),
        _answer(True, harassment=0.2, violence=0.91),
    )
    scorer = builtin_scorer(services, openai_org, "Moderation")
    clean = scorer.evaluate(output="Have a nice day")
    assert clean.score == 1.0 and clean.error is None
    assert (
        clean.metadata["flagged"] is False and clean.metadata["category_scores"]["violence"] == 0.02
    )
    sent = upstream.requests[0]
    assert str(sent.url) == "https://api.openai.com/v1/moderations"
    assert sent.headers["authorization"] == f"Bearer {KEY}"
    assert orjson.loads(sent.content) == {
        "model": "omni-moderation-latest",
        "input": "Have a nice day",
    }
    flagged = scorer.evaluate(output={"answer": "something violent"})
    assert flagged.score == 0.0 and flagged.metadata["categories"] == ["violence"]
    assert orjson.loads(upstream.requests[1].content)["input"] == '{"answer": "something violent"}'


def test_a_threshold_replaces_the_providers_verdict(services, openai_org, upstream):
    upstream.add(
        "api.openai.com",
        _answer(False, harassment=0.35, violence=0.1),
        _answer(True, harassment=0.6, violence=0.7),
    )
    strict = builtin_scorer(services, openai_org, "Moderation", {"threshold": 0.3})
    low = strict.evaluate(output="borderline")
    assert low.score == 0.0 and low.metadata["categories"] == ["harassment"]
    assert low.metadata["threshold"] == 0.3
    lenient = builtin_scorer(services, openai_org, "Moderation", {"threshold": 0.9})
    assert lenient.evaluate(output="edgy").score == 1.0
    with pytest.raises(InvalidInput, match=r"threshold must be a number in \[0, 1\]"):
        Moderation(threshold=2)


def test_retries_then_reports_a_rejected_key_on_the_row(services, openai_org, upstream):
    upstream.add(
        "api.openai.com",
        httpx.Response(503, json={"error": {"message": "overloaded"}}),
        _answer(False, violence=0.0),
        httpx.Response(401, json={"error": {"message": "Incorrect API key"}}),
    )
    scorer = builtin_scorer(services, openai_org, "Moderation")
    assert scorer.evaluate(output="hi").score == 1.0
    assert len(upstream.requests) == 2
    failed = scorer.evaluate(output="hi")
    assert failed.score is None
    assert "'oa'" in failed.error and "rejected the stored API key" in failed.error


def test_openai_compatible_provider_and_explicit_choice(services, org, upstream):
    c = services.control
    c.set_provider(org.org_id, "claude", "anthropic", api_key="sk-ant-0123456789abcdefghij")
    c.set_provider(
        org.org_id, "local", "openai_compatible", api_key=None,
        base_url="http://localhost:8000/v1", models=["llama-guard"],
    )  # fmt: skip
    upstream.add("localhost", _answer(True, hate=0.8))
    scorer = builtin_scorer(services, org.org_id, "Moderation", {"model": "llama-guard"})
    assert scorer.evaluate(output="x").score == 0.0
    sent = upstream.requests[0]
    assert str(sent.url) == "http://localhost:8000/v1/moderations"
    assert "authorization" not in sent.headers
    assert orjson.loads(sent.content)["model"] == "llama-guard"
    c.set_provider(org.org_id, "oa", "openai", api_key=KEY)
    assert moderation_target(c, org.org_id).provider_name == "oa"  # OpenAI first
    assert moderation_target(c, org.org_id, provider="local").provider_name == "local"
    with pytest.raises(InvalidInput, match="'claude' is anthropic"):
        builtin_scorer(services, org.org_id, "Moderation", {"provider": "claude"})


def test_without_a_provider_every_row_says_what_to_configure(services, org, client):
    services.control.set_provider(
        org.org_id, "claude", "anthropic", api_key="sk-ant-0123456789abcdefghij"
    )
    definition = {"name": "mod", "function_data": {"type": "builtin", "name": "Moderation"}}
    out = client.post("/v1/scorer/test", json={"definition": definition, "output": "x"}).json()
    assert out["score"] is None
    assert "OpenAI or OpenAI-compatible" in out["error"] and "/v1/ai_provider" in out["error"]
    listed = {b["name"]: b for b in client.get("/v1/scorer/builtins").json()["objects"]}
    assert listed["Moderation"]["kind"] == "moderation" and listed["Moderation"]["args"] == [
        "output"
    ]
