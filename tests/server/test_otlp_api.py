"""OTLP/HTTP ingestion through a real server with the real OpenTelemetry SDK exporter."""

from __future__ import annotations

import httpx
import pytest

from openloop.store.data.base import ObjectRef
from tests.server.live import serve_in_thread


@pytest.fixture
def live_app(services, org):
    from openloop.server.app import create_app

    with serve_in_thread(create_app(services.settings, services=services)) as url:
        yield url


def _provider(url, key, project=None, resource_project=None):
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor

    headers = {"Authorization": f"Bearer {key}"}
    if project:
        headers["x-openloop-project"] = project
    attrs = {"service.name": "otel-app"}
    if resource_project:
        attrs["openloop.project"] = resource_project
    provider = TracerProvider(resource=Resource.create(attrs))
    exporter = OTLPSpanExporter(endpoint=url + "/v1/traces", headers=headers)
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


def test_otel_sdk_exporter_lands_llm_span(live_app, services, org):
    provider = _provider(live_app, org.key, project="otel-proj")
    tracer = provider.get_tracer("test")
    with tracer.start_as_current_span("agent") as root:
        root.set_attribute("gen_ai.operation.name", "invoke_agent")
        with tracer.start_as_current_span("chat gpt-4o") as llm:
            llm.set_attribute("gen_ai.operation.name", "chat")
            llm.set_attribute("gen_ai.request.model", "gpt-4o")
            llm.set_attribute("gen_ai.system", "openai")
            llm.set_attribute("gen_ai.usage.input_tokens", 120)
            llm.set_attribute("gen_ai.usage.output_tokens", 30)
    provider.shutdown()
    p = services.control.get_project(org.org_id, "otel-proj")
    rows = services.data.read(ObjectRef(org.org_id, p.id, "project_logs", p.id))
    assert len(rows) == 2
    llm_row = next(r for r in rows if r["span_attributes"]["type"] == "llm")
    assert llm_row["metadata"]["model"] == "gpt-4o"
    assert llm_row["metrics"]["prompt_tokens"] == 120
    assert llm_row["metrics"]["completion_tokens"] == 30
    root_row = next(r for r in rows if r["id"] != llm_row["id"])
    assert llm_row["span_parents"] == [root_row["span_id"]]
    assert llm_row["root_span_id"] == root_row["root_span_id"]


def test_project_from_resource_attribute(live_app, services, org):
    provider = _provider(live_app, org.key, resource_project="from-resource")
    with provider.get_tracer("t").start_as_current_span("work"):
        pass
    provider.shutdown()
    p = services.control.get_project(org.org_id, "from-resource")
    assert services.data.count(ObjectRef(org.org_id, p.id, "project_logs", p.id)) == 1


def test_otlp_bad_input(live_app, org):
    h = {"Authorization": f"Bearer {org.key}", "x-openloop-project": "p"}
    r = httpx.post(
        live_app + "/v1/traces",
        content=b"\x00garbage\xff",
        headers={**h, "content-type": "application/x-protobuf"},
    )
    assert r.status_code == 400 and r.json()["error"]["message"]
    r = httpx.post(
        live_app + "/v1/traces", content=b"{}", headers={**h, "content-type": "text/plain"}
    )
    assert r.status_code == 415
    r = httpx.post(
        live_app + "/v1/traces", content=b"{}", headers={"content-type": "application/json"}
    )
    assert r.status_code == 401
    r = httpx.post(
        live_app + "/v1/traces",
        content=b'{"resourceSpans": []}',
        headers={**h, "content-type": "application/json"},
    )
    assert r.status_code == 200
