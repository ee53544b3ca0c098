from __future__ import annotations

import asyncio

import httpx
import pytest

from openloop.errors import InvalidInput, NotFound
from openloop.llm.providers import (
    ProviderError,
    RetryPolicy,
    build_model,
    resolve_model,
    send_with_retries,
    validate_provider_name,
)
from tests.llm.upstream import FakeUpstream, openai_completion

KEY = "sk-test-0123456789abcdefghijklmnop"
ANT_KEY = "sk-ant-test-0123456789abcdefghij"


@pytest.fixture
def configured(services, org_id):
    c = services.control
    c.set_provider(org_id, "oa", "openai", api_key=KEY)
    c.set_provider(org_id, "claude", "anthropic", api_key=ANT_KEY)
    c.set_provider(
        org_id, "ollama", "openai_compatible", api_key=None,
        base_url="http://localhost:11434/v1", models=["llama3.1:8b"],
    )  # fmt: skip
    c.set_provider(
        org_id, "openrouter", "openai_compatible", api_key="or-key-0123456789abcdef",
        base_url="https://openrouter.ai/api/v1", models=["meta-llama/llama-3-8b-instruct"],
    )  # fmt: skip
    return services.control


@pytest.mark.parametrize(
    ("name", "provider", "model"),
    [
        ("gpt-4o", "oa", "gpt-4o"),
        ("gpt-4o-2024-08-06", "oa", "gpt-4o-2024-08-06"),
        ("gpt-5.2", "oa", "gpt-5.2"),  # newer than the price list: its family says OpenAI
        ("claude-3-5-sonnet-latest", "claude", "claude-3-5-sonnet-latest"),
        ("llama3.1:8b", "ollama", "llama3.1:8b"),  # ':' inside an Ollama tag, not a provider
        ("ollama/qwen2.5:7b", "ollama", "qwen2.5:7b"),
        ("openai:gpt-4.1", "oa", "gpt-4.1"),  # a provider kind works as a prefix too
        ("meta-llama/llama-3-8b-instruct", "openrouter", "meta-llama/llama-3-8b-instruct"),
        ("openrouter/anthropic/claude-3.5-haiku", "openrouter", "anthropic/claude-3.5-haiku"),
        ("claude/claude-sonnet-4-5", "claude", "claude-sonnet-4-5"),
    ],
)
def test_model_names_route_to_the_right_provider(configured, org_id, name, provider, model):
    target = resolve_model(configured, org_id, name)
    assert (target.provider_name, target.model) == (provider, model)


def test_resolution_loads_the_decrypted_key_but_never_shows_it(configured, org_id):
    target = resolve_model(configured, org_id, "gpt-4o")
    assert target.api_key == KEY
    assert KEY not in repr(target)
    assert resolve_model(configured, org_id, "llama3.1:8b").api_key is None


def test_unknown_model_names_the_configured_models(configured, org_id):
    with pytest.raises(NotFound) as info:
        resolve_model(configured, org_id, "mystery-model")
    assert "ollama/llama3.1:8b" in info.value.message
    assert "openrouter/meta-llama/llama-3-8b-instruct" in info.value.message
    with pytest.raises(InvalidInput):
        resolve_model(configured, org_id, "  ")


def test_no_provider_at_all_says_how_to_add_one(services, org_id):
    with pytest.raises(NotFound, match="POST /v1/ai_provider"):
        resolve_model(services.control, org_id, "gpt-4o")


def test_an_open_ended_compatible_provider_serves_any_model(services, org_id):
    services.control.set_provider(
        org_id, "vllm", "openai_compatible", api_key=None, base_url="http://gpu:8000/v1"
    )
    target = resolve_model(services.control, org_id, "Qwen/Qwen2.5-7B-Instruct")
    assert (target.provider_name, target.model) == ("vllm", "Qwen/Qwen2.5-7B-Instruct")


def test_provider_names_cannot_hold_separators():
    assert validate_provider_name(" my-vllm ") == "my-vllm"
    for bad in ("a/b", "a:b", "", "x" * 65, None):
        with pytest.raises(InvalidInput):
            validate_provider_name(bad)


def test_build_model_uses_the_stored_key_and_base_url(configured, org_id):
    from pydantic_ai.models.anthropic import AnthropicModel
    from pydantic_ai.models.openai import OpenAIChatModel

    oa = build_model(resolve_model(configured, org_id, "gpt-4o"))
    assert isinstance(oa, OpenAIChatModel)
    assert oa.model_name == "gpt-4o" and oa.base_url.startswith("https://api.openai.com/v1")
    assert oa.client.api_key == KEY

    local = build_model(resolve_model(configured, org_id, "llama3.1:8b"))
    assert isinstance(local, OpenAIChatModel)
    assert local.base_url.startswith("http://localhost:11434/v1")
    assert local.system == "ollama"

    claude = build_model(resolve_model(configured, org_id, "claude-3-5-haiku-latest"))
    assert isinstance(claude, AnthropicModel)
    assert claude.model_name == "claude-3-5-haiku-latest"
    assert claude.client.api_key == ANT_KEY
    assert claude.client.max_retries == RetryPolicy().retries


# -- retries -----------------------------------------------------------------------------------


def _send(fake: FakeUpstream, target, policy: RetryPolicy, sleeps: list[float]):
    async def run():
        async def sleep(s: float) -> None:
            sleeps.append(s)

        async with fake.client() as client:

            def build():
                return client.build_request("POST", "https://api.openai.com/v1/chat/completions")

            resp = await send_with_retries(client, build, target, policy, sleep=sleep)
            return resp.status_code

    return asyncio.run(run())


POLICY = RetryPolicy(retries=3, base_delay=0.1, max_delay=1.0, max_retry_after=5.0)


def test_retries_with_exponential_backoff_then_succeeds(configured, org_id):
    fake = FakeUpstream()
    fake.add(
        "api.openai.com",
        httpx.Response(503, json={"error": {"message": "overloaded"}}),
        httpx.ConnectError("connection refused"),
        httpx.Response(502),
        openai_completion(),
    )
    sleeps: list[float] = []
    assert _send(fake, resolve_model(configured, org_id, "gpt-4o"), POLICY, sleeps) == 200
    assert len(fake.requests) == 4
    # 0.1, 0.2, 0.4 with up to 50% jitter below
    assert [0.05 <= sleeps[0] <= 0.1, 0.1 <= sleeps[1] <= 0.2, 0.2 <= sleeps[2] <= 0.4] == [
        True
    ] * 3


def test_retry_after_is_honoured_on_429(configured, org_id):
    fake = FakeUpstream()
    fake.add(
        "api.openai.com",
        httpx.Response(429, headers={"retry-after": "2"}, json={"error": {"message": "slow down"}}),
        openai_completion(),
    )
    sleeps: list[float] = []
    assert _send(fake, resolve_model(configured, org_id, "gpt-4o"), POLICY, sleeps) == 200
    assert sleeps == [2.0]


def test_exhausted_retries_name_provider_and_model(configured, org_id):
    fake = FakeUpstream()
    fake.add("api.openai.com", *[httpx.Response(503) for _ in range(4)])
    with pytest.raises(ProviderError) as info:
        _send(fake, resolve_model(configured, org_id, "gpt-4o"), POLICY, [])
    err = info.value
    assert err.status == 502 and err.upstream_status == 503
    assert "'oa'" in err.message and "gpt-4o" in err.message and "4 attempts" in err.message
    assert len(fake.requests) == 4


def test_persistent_429_stays_429_and_bad_requests_are_not_retried(configured, org_id):
    target = resolve_model(configured, org_id, "gpt-4o")
    fake = FakeUpstream()
    fake.add("api.openai.com", *[httpx.Response(429) for _ in range(4)])
    with pytest.raises(ProviderError) as info:
        _send(fake, target, POLICY, [])
    assert info.value.status == 429

    fake = FakeUpstream()
    fake.add("api.openai.com", httpx.Response(400, json={"error": {"message": "bad temperature"}}))
    with pytest.raises(ProviderError, match="bad temperature") as info:
        _send(fake, target, POLICY, [])
    assert info.value.status == 400 and len(fake.requests) == 1

    fake = FakeUpstream()
    fake.add("api.openai.com", httpx.Response(401, json={"error": {"message": "invalid key"}}))
    with pytest.raises(ProviderError, match="rejected the stored API key") as info:
        _send(fake, target, POLICY, [])
    assert info.value.status == 502
