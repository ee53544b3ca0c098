"""The provider API and the OpenAI-compatible proxy, through the ASGI app, with simulated
providers behind an httpx.MockTransport."""

from __future__ import annotations

import time

import orjson
import pytest
from sqlalchemy import text

from tests.llm.upstream import (
    ANTHROPIC_HOST,
    OPENAI_HOST,
    FakeUpstream,
    anthropic_message,
    anthropic_stream,
    openai_completion,
    openai_stream,
)
from tests.server.conftest import make_user

OA_KEY = "sk-proj-test-0123456789abcdefghijklmnopqrstuvwxyz"
ANT_KEY = "sk-ant-api03-test-0123456789abcdefghijklmnop"
HELLO = [{"role": "user", "content": "Say hello"}]


@pytest.fixture
def upstream(monkeypatch) -> FakeUpstream:
    return FakeUpstream().install(monkeypatch)


@pytest.fixture
def providers(client, org):
    for body in (
        {"name": "oa", "provider": "openai", "api_key": OA_KEY, "models": ["gpt-4o"]},
        {"name": "claude", "provider": "anthropic", "api_key": ANT_KEY},
        {
            "name": "ollama",
            "provider": "openai_compatible",
            "base_url": "http://ollama.local:11434/v1",
            "models": ["llama3.1:8b"],
        },
    ):
        r = client.post("/v1/ai_provider", json=body, headers=org.auth())
        assert r.status_code == 200, r.text
    return client


def _spans(services, org_id, expect=1):
    """The proxy's spans in the internal project. A streamed call's span is written as the
    stream closes, a moment after the client's last read, so wait briefly for ``expect``."""
    from openloop.store.data.base import ObjectRef

    rows: list = []
    for _ in range(100):
        project = services.control.get_project(org_id, "openloop-internal")
        ref = ObjectRef(org_id, project.id, "project_logs", project.id)
        rows = sorted(services.data.read(ref), key=lambda r: r["metrics"]["start"])
        if len(rows) >= expect:
            break
        time.sleep(0.05)
    return rows


def _chunks(text_body: str) -> list:
    out = []
    for block in text_body.split("\n\n"):
        if block.startswith("data: "):
            payload = block[len("data: ") :]
            out.append(payload if payload == "[DONE]" else orjson.loads(payload))
    return out


# -- provider management -----------------------------------------------------------------------


def test_keys_are_encrypted_and_never_returned(providers, org, services):
    client = providers
    listed = client.get("/v1/ai_provider", headers=org.auth())
    assert listed.status_code == 200
    by_name = {p["name"]: p for p in listed.json()["objects"]}
    assert by_name["oa"]["has_key"] and by_name["oa"]["key_hint"] == "sk-...wxyz"
    assert by_name["ollama"]["has_key"] is False and by_name["ollama"]["key_hint"] is None
    # replacing without a key keeps it; no response ever carries it
    again = client.post(
        "/v1/ai_provider", json={"name": "oa", "provider": "openai", "models": ["gpt-4.1"]},
        headers=org.auth(),
    )  # fmt: skip
    assert again.json()["has_key"] and again.json()["models"] == ["gpt-4.1"]
    for response in (listed, again, client.get("/v1/org/loop_models", headers=org.auth())):
        assert OA_KEY not in response.text and ANT_KEY not in response.text
        assert "abcdefghijklmnop" not in response.text
    with services.control.engine.connect() as conn:
        stored = " ".join(
            str(v) for v in conn.execute(text("SELECT * FROM provider_secrets")).all()
        )
    assert OA_KEY not in stored and ANT_KEY not in stored
    assert client.delete("/v1/ai_provider/claude", headers=org.auth()).status_code == 204
    assert client.delete("/v1/ai_provider/claude", headers=org.auth()).status_code == 404


@pytest.mark.parametrize("role", ["viewer", "member"])
def test_only_admins_manage_providers(providers, org, services, role):
    client = providers
    headers = {"Authorization": f"Bearer {make_user(services, org.org_id, f'{role}@x.io', role)}"}
    body = {"name": "mine", "provider": "openai", "api_key": "sk-mine-0123456789abcdef"}
    assert client.get("/v1/ai_provider", headers=headers).status_code == 403
    r = client.post("/v1/ai_provider", json=body, headers=headers)
    assert r.status_code == 403 and r.json()["error"]["type"] == "Forbidden"
    assert client.delete("/v1/ai_provider/oa", headers=headers).status_code == 403
    put = client.put("/v1/org/loop_models", json={"loop_models": ["gpt-4o"]}, headers=headers)
    assert put.status_code == 403
    # but everyone sees which models exist
    assert client.get("/v1/org/loop_models", headers=headers).status_code == 200
    assert client.get("/v1/proxy/models", headers=headers).status_code == 200


def test_bad_provider_input_is_a_400(client, org):
    cases = [
        {"name": "a/b", "provider": "openai", "api_key": "k" * 20},
        {"name": "x", "provider": "gemini", "api_key": "k" * 20},
        {"name": "x", "provider": "openai"},
        {"name": "x", "provider": "openai_compatible"},
    ]
    for body in cases:
        r = client.post("/v1/ai_provider", json=body, headers=org.auth())
        assert r.status_code == 400, body
        assert r.json()["error"]["message"]


def test_loop_model_allowlist_must_resolve(providers, org):
    client = providers
    bad = client.put(
        "/v1/org/loop_models", json={"loop_models": ["gpt-4o", "mystery-9000"]}, headers=org.auth()
    )
    assert bad.status_code == 400 and "mystery-9000" in bad.json()["error"]["message"]
    good = client.put(
        "/v1/org/loop_models",
        json={"loop_models": ["claude-sonnet-4-5", "ollama/llama3.1:8b", "gpt-4o"]},
        headers=org.auth(),
    )
    assert good.status_code == 200
    got = client.get("/v1/org/loop_models", headers=org.auth()).json()
    assert got["loop_models"] == ["claude-sonnet-4-5", "ollama/llama3.1:8b", "gpt-4o"]
    assert {"oa/gpt-4o", "claude/claude-sonnet-4-5", "ollama/llama3.1:8b"} <= set(got["available"])


def test_loop_model_follows_the_allowlist(providers, org, services):
    from openloop.errors import InvalidInput
    from openloop.services.providers import resolve_loop_model

    p = services.control.authenticate_api_key(org.key)
    providers.put("/v1/org/loop_models", json={"loop_models": ["claude/claude-sonnet-4-5"]},
                  headers=org.auth())  # fmt: skip
    assert resolve_loop_model(services, p).qualified == "claude/claude-sonnet-4-5"
    assert resolve_loop_model(services, p, "claude-sonnet-4-5").provider_name == "claude"
    with pytest.raises(InvalidInput, match="not allowed for Loop"):
        resolve_loop_model(services, p, "gpt-4o")


def test_models_endpoint_lists_configured_and_registry_models(providers, org):
    data = providers.get("/v1/proxy/models", headers=org.auth()).json()
    ids = {m["id"]: m for m in data["data"]}
    assert data["object"] == "list"
    assert ids["oa/gpt-4o"]["owned_by"] == "oa" and ids["oa/gpt-4o"]["context_tokens"] == 128_000
    assert "claude/claude-3-5-haiku" in ids and "ollama/llama3.1:8b" in ids
    assert not any(i.startswith("ollama/gpt") for i in ids)


# -- proxy -------------------------------------------------------------------------------------


def test_openai_pass_through(providers, org, upstream, services):
    upstream.add(OPENAI_HOST, openai_completion("Hello!", prompt=1000, completion=500))
    body = {"model": "oa/gpt-4o", "messages": HELLO, "temperature": 0}
    r = providers.post("/v1/proxy/chat/completions", json=body, headers=org.auth())
    assert r.status_code == 200, r.text
    assert r.json()["choices"][0]["message"]["content"] == "Hello!"
    sent = upstream.requests[-1]
    assert str(sent.url) == "https://api.openai.com/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {OA_KEY}"  # the org's key, not the caller's
    assert upstream.body() == {"model": "gpt-4o", "messages": HELLO, "temperature": 0}
    (span,) = _spans(services, org.org_id)
    assert span["span_attributes"]["type"] == "llm"
    assert span["metadata"]["provider"] == "openai" and span["metadata"]["model"] == "gpt-4o"
    m = span["metrics"]
    assert (m["prompt_tokens"], m["completion_tokens"], m["tokens"]) == (1000, 500, 1500)
    assert m["estimated_cost"] == pytest.approx((1000 * 2.5 + 500 * 10.0) / 1e6)
    assert m["end"] >= m["start"]
    assert span["output"][0]["message"]["content"] == "Hello!"


def test_openai_streaming_pass_through(providers, org, upstream, services):
    upstream.add(OPENAI_HOST, openai_stream(["Hel", "lo", "!"]))
    body = {"model": "gpt-4o", "messages": HELLO, "stream": True}
    with providers.stream("POST", "/v1/proxy/chat/completions", json=body, headers=org.auth()) as r:
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("text/event-stream")
        chunks = _chunks(r.read().decode())
    assert chunks[-1] == "[DONE]"
    text_out = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks[:-1])
    assert text_out == "Hello!"
    assert not any("usage" in c for c in chunks[:-1])  # not asked for, so not shown
    assert upstream.body()["stream_options"] == {"include_usage": True}
    (span,) = _spans(services, org.org_id)
    assert span["metrics"]["tokens"] == 11 and span["metrics"]["estimated_cost"] > 0
    assert span["metrics"]["time_to_first_token"] >= 0
    assert span["output"][0]["message"]["content"] == "Hello!"


def test_anthropic_translation(providers, org, upstream, services):
    upstream.add(
        ANTHROPIC_HOST,
        anthropic_message("Let me check.", tool={"name": "weather", "input": {"city": "Paris"}}),
    )
    body = {
        "model": "claude-3-5-sonnet-latest",
        "messages": [{"role": "system", "content": "Be brief."}, *HELLO],
        "tools": [{"type": "function", "function": {"name": "weather", "parameters": {}}}],
        "max_tokens": 200,
    }
    r = providers.post("/v1/proxy/chat/completions", json=body, headers=org.auth())
    assert r.status_code == 200, r.text
    sent = upstream.requests[-1]
    assert str(sent.url) == "https://api.anthropic.com/v1/messages"
    assert sent.headers["x-api-key"] == ANT_KEY and sent.headers["anthropic-version"]
    assert "authorization" not in sent.headers
    sent_body = upstream.body()
    assert sent_body["system"] == "Be brief." and sent_body["max_tokens"] == 200
    assert sent_body["tools"][0]["name"] == "weather"
    out = r.json()
    choice = out["choices"][0]
    assert out["object"] == "chat.completion" and choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] == "Let me check."
    assert orjson.loads(choice["message"]["tool_calls"][0]["function"]["arguments"]) == {
        "city": "Paris"
    }
    assert out["usage"] == {
        "prompt_tokens": 20, "completion_tokens": 5, "total_tokens": 25,
        "prompt_tokens_details": {"cached_tokens": 0},
    }  # fmt: skip
    (span,) = _spans(services, org.org_id)
    assert span["metadata"]["provider"] == "anthropic"
    assert span["metrics"]["estimated_cost"] == pytest.approx((20 * 3 + 5 * 15) / 1e6)


def test_anthropic_streaming_translation(providers, org, upstream, services):
    upstream.add(ANTHROPIC_HOST, anthropic_stream(["Bon", "jour"], prompt=15, completion=4))
    body = {
        "model": "claude-3-5-sonnet-latest",
        "messages": HELLO,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    with providers.stream("POST", "/v1/proxy/chat/completions", json=body, headers=org.auth()) as r:
        assert r.status_code == 200
        chunks = _chunks(r.read().decode())
    assert chunks[-1] == "[DONE]"
    objs = chunks[:-1]
    assert all(c["object"] == "chat.completion.chunk" for c in objs)
    deltas = [c["choices"][0]["delta"] for c in objs if c["choices"]]
    assert deltas[0]["role"] == "assistant"
    assert "".join(d.get("content") or "" for d in deltas) == "Bonjour"
    calls = [tc for d in deltas for tc in d.get("tool_calls", [])]
    assert calls[0]["id"] == "toolu_9" and calls[0]["function"]["name"] == "lookup"
    assert "".join(tc["function"]["arguments"] for tc in calls) == '{"q": "paris"}'
    finishes = [c["choices"][0]["finish_reason"] for c in objs if c["choices"]]
    assert finishes[-1] == "tool_calls"
    assert objs[-1]["usage"]["prompt_tokens"] == 15 and objs[-1]["usage"]["completion_tokens"] == 4
    assert upstream.body()["stream"] is True
    (span,) = _spans(services, org.org_id)
    assert (span["metrics"]["prompt_tokens"], span["metrics"]["completion_tokens"]) == (15, 4)
    assert (
        span["output"][0]["message"]["tool_calls"][0]["function"]["arguments"] == '{"q": "paris"}'
    )


def test_retries_then_success_on_503(providers, org, upstream):
    import httpx

    upstream.add(OPENAI_HOST, httpx.Response(503), openai_completion("finally"))
    r = providers.post(
        "/v1/proxy/chat/completions",
        json={"model": "gpt-4o", "messages": HELLO},
        headers=org.auth(),
    )
    assert r.status_code == 200 and r.json()["choices"][0]["message"]["content"] == "finally"
    assert len(upstream.requests) == 2


def test_exhausted_retries_are_a_502_naming_the_provider(providers, org, upstream, services):
    import httpx

    upstream.add(OLLAMA := "ollama.local", *[httpx.ConnectError("refused") for _ in range(3)])
    for stream in (False, True):
        upstream.add(OLLAMA, *[httpx.Response(503) for _ in range(3)] if stream else [])
        body = {"model": "llama3.1:8b", "messages": HELLO, "stream": stream}
        r = providers.post("/v1/proxy/chat/completions", json=body, headers=org.auth())
        assert r.status_code == 502, r.text
        err = r.json()["error"]
        assert err["type"] == "ProviderError" and err["provider"] == "ollama"
        assert "'ollama'" in err["message"] and "llama3.1:8b" in err["message"]
    assert len(upstream.requests) == 6  # 1 try + 2 retries, twice
    spans = _spans(services, org.org_id, expect=2)
    assert len(spans) == 2 and all("ollama" in s["error"] for s in spans)


def test_rate_limits_are_retried_then_reported_as_429(providers, org, upstream):
    import httpx

    limited = httpx.Response(
        429, headers={"retry-after": "0.01"}, json={"error": {"message": "slow"}}
    )
    upstream.add(OPENAI_HOST, limited, openai_completion())
    ok = providers.post(
        "/v1/proxy/chat/completions",
        json={"model": "gpt-4o", "messages": HELLO},
        headers=org.auth(),
    )
    assert ok.status_code == 200
    upstream.add(OPENAI_HOST, *[httpx.Response(429, json={"error": {"message": "slow"}})] * 3)
    r = providers.post(
        "/v1/proxy/chat/completions",
        json={"model": "gpt-4o", "messages": HELLO},
        headers=org.auth(),
    )
    assert r.status_code == 429 and "'oa'" in r.json()["error"]["message"]


def test_unknown_model_is_404_naming_configured_models(providers, org, upstream):
    r = providers.post(
        "/v1/proxy/chat/completions", json={"model": "mystery-9000", "messages": HELLO},
        headers=org.auth(),
    )  # fmt: skip
    assert r.status_code == 404
    message = r.json()["error"]["message"]
    assert "mystery-9000" in message and "oa/gpt-4o" in message and "ollama/llama3.1:8b" in message
    assert upstream.requests == []
    bad = providers.post("/v1/proxy/chat/completions", json={"model": "gpt-4o"}, headers=org.auth())
    assert bad.status_code == 400 and "messages" in bad.json()["error"]["message"]


def test_proxy_needs_an_openloop_key(providers, upstream):
    r = providers.post("/v1/proxy/chat/completions", json={"model": "gpt-4o", "messages": HELLO})
    assert r.status_code == 401 and upstream.requests == []


def test_the_openai_client_works_against_the_proxy(providers, org, upstream, services):
    from openai import OpenAI

    upstream.add(ANTHROPIC_HOST, anthropic_message("Hi from Claude"))
    upstream.add(OPENAI_HOST, openai_stream(["str", "eamed"]))
    oa = OpenAI(base_url="http://testserver/v1/proxy", api_key=org.key, http_client=providers)
    done = oa.chat.completions.create(model="claude-3-5-sonnet-latest", messages=HELLO)
    assert done.choices[0].message.content == "Hi from Claude"
    assert done.usage is not None and done.usage.total_tokens == 25
    pieces = [
        c.choices[0].delta.content or ""
        for c in oa.chat.completions.create(model="gpt-4o", messages=HELLO, stream=True)
        if c.choices
    ]
    assert "".join(pieces) == "streamed"
    assert {m.id for m in oa.models.list()} >= {"oa/gpt-4o", "claude/claude-3-5-sonnet"}
    spans = _spans(services, org.org_id, expect=2)
    assert [s["metadata"]["provider"] for s in spans] == ["anthropic", "openai"]
    assert all(s["metrics"]["estimated_cost"] > 0 for s in spans)


def test_a_provider_error_mid_stream_ends_the_stream_with_an_error(
    providers, org, upstream, services
):
    from tests.llm.upstream import sse

    upstream.add(
        ANTHROPIC_HOST,
        sse(
            [
                ("message_start", {"type": "message_start", "message": {"id": "m", "usage": {}}}),
                (
                    "error",
                    {
                        "type": "error",
                        "error": {"type": "overloaded_error", "message": "Overloaded"},
                    },
                ),
            ]
        ),
    )
    body = {"model": "claude-3-5-haiku-latest", "messages": HELLO, "stream": True}
    with providers.stream("POST", "/v1/proxy/chat/completions", json=body, headers=org.auth()) as r:
        chunks = _chunks(r.read().decode())
    assert chunks[-1] == "[DONE]"
    assert (
        "Overloaded" in chunks[-2]["error"]["message"]
        and "'claude'" in chunks[-2]["error"]["message"]
    )
    (span,) = _spans(services, org.org_id)
    assert "Overloaded" in span["error"]
