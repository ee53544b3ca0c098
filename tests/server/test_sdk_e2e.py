"""The ten-line example from docs/tracing.md against a real server: a traced function calling a
wrapped OpenAI client lands as a trace with its LLM span, tokens and cost."""

from __future__ import annotations

import logging

import httpx
import openai

import openloop
from openloop.store.data.base import ObjectRef
from tests.server.test_otlp_api import live_app  # noqa: F401  (fixture)

COMPLETION = {
    "id": "chatcmpl-1", "object": "chat.completion", "created": 1700000000, "model": "gpt-4o-mini",
    "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "Paris."}}],
    "usage": {"prompt_tokens": 1200, "completion_tokens": 300, "total_tokens": 1500},
}  # fmt: skip


def _fake_openai() -> openai.OpenAI:
    transport = httpx.MockTransport(lambda req: httpx.Response(200, json=COMPLETION))
    return openai.OpenAI(api_key="sk-test", http_client=httpx.Client(transport=transport))


def test_traced_function_with_wrapped_openai(live_app, services, org, caplog):  # noqa: F811
    caplog.set_level(logging.INFO, logger="openloop.services.ingest")
    logger = openloop.init_logger(project="e2e-app", api_key=org.key, base_url=live_app)
    client = openloop.wrap_openai(_fake_openai())

    @openloop.traced
    def answer(question: str) -> str:
        r = client.chat.completions.create(
            model="gpt-4o-mini", messages=[{"role": "user", "content": question}]
        )
        return r.choices[0].message.content

    assert answer("Capital of France?") == "Paris."
    assert logger.flush(timeout=20)
    # the SDK sends each finished span as one complete row: the batch takes the fast path
    assert any("fast=1" in m for m in caplog.messages)
    p = services.control.get_project(org.org_id, "e2e-app")
    rows = services.data.read(ObjectRef(org.org_id, p.id, "project_logs", p.id))
    assert len(rows) == 2
    root = next(r for r in rows if r["is_root"])
    llm = next(r for r in rows if not r["is_root"])
    assert root["span_attributes"]["name"] == "answer"
    assert root["input"] == {"question": "Capital of France?"}
    assert root["output"] == "Paris."
    assert llm["span_attributes"]["type"] == "llm"
    assert llm["span_parents"] == [root["span_id"]]
    assert llm["metadata"]["model"] == "gpt-4o-mini"
    assert llm["metrics"]["prompt_tokens"] == 1200
    assert llm["metrics"]["completion_tokens"] == 300
    assert llm["metrics"]["estimated_cost"] > 0
    assert llm["metrics"]["end"] >= llm["metrics"]["start"]
    # feedback arrives later as a merge
    logger.log_feedback(root["id"], scores={"correct": 1}, comment="right answer")
    assert logger.flush(timeout=20)
    rows = {
        r["id"]: r for r in services.data.read(ObjectRef(org.org_id, p.id, "project_logs", p.id))
    }
    assert rows[root["id"]]["scores"]["correct"] == 1
    assert rows[root["id"]]["output"] == "Paris."
    logger.close()
