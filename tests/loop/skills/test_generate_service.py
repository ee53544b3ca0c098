"""services.generate: the model proposes, the parser decides, one self-repair round."""

from __future__ import annotations

import json

import pytest
from pydantic_ai.messages import ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel

P = "project_logs('demo-support-bot')"


def scripted(*outputs: dict, seen: list | None = None) -> FunctionModel:
    """Answers with each output in turn through the output tool; records what it was told."""
    queue = list(outputs)

    def model(messages: list, info: AgentInfo) -> ModelResponse:
        if seen is not None:
            seen.append([getattr(p, "content", None) for p in messages[-1].parts])
        out = queue.pop(0)
        return ModelResponse(parts=[ToolCallPart(info.output_tools[0].name, json.dumps(out))])

    return FunctionModel(model)


def test_filter_bad_then_good(demo) -> None:
    from openloop.services.generate import generate_filter

    seen: list = []
    model = scripted({"filter": "span_atributes.type = 'llm'", "explanation": "LLM spans"},
                     {"filter": "span_attributes.type = 'llm'", "explanation": "LLM spans"}, seen=seen)  # fmt: skip
    out = generate_filter(
        demo.svc, demo.principal, "only LLM spans", project=demo.project, model=model
    )
    assert out["filter"] == "span_attributes.type = 'llm'"
    assert out["matches"] > 0 and out["window_days"] == 7
    assert len(seen) == 2
    assert any("does not compile" in str(c) for c in seen[1])


def test_two_failures_are_a_400_with_the_error(demo) -> None:
    from openloop.errors import InvalidInput
    from openloop.services.generate import generate_filter

    bad = {"filter": "nosuch = 1", "explanation": ""}
    with pytest.raises(InvalidInput, match=r"could not generate a valid query.*nosuch") as info:
        generate_filter(
            demo.svc, demo.principal, "x", project=demo.project, model=scripted(bad, bad)
        )
    assert info.value.status == 400


def test_query_gets_a_range_and_update_sees_the_current_query(demo) -> None:
    from openloop.services.generate import generate_query

    seen: list = []
    q = f"SELECT error_type, count(1) AS n FROM {P} WHERE error IS NOT NULL GROUP BY 1"
    out = generate_query(demo.svc, demo.principal, "group by error type instead", project=demo.project,
                         model=scripted({"query": q, "explanation": "errors"}, seen=seen),
                         current_query=f"SELECT id FROM {P} LIMIT 3")  # fmt: skip
    assert "created > now() - interval 7 day" in out["query"]
    assert "Current query" in str(seen[0])


def test_chart_from_words(demo) -> None:
    from openloop.services.generate import generate_chart

    proposal = {"title": "Error rate by model", "chart_type": "bar", "unit": "percent",
                "query": f"SELECT metadata.model AS model, count(error) / count(1) AS error_rate FROM {P} "
                         "WHERE span_attributes.type = 'llm' AND created > now() - interval 7 day "
                         "GROUP BY 1 ORDER BY error_rate DESC LIMIT 5"}  # fmt: skip
    out = generate_chart(demo.svc, demo.principal, "top 5 models by error rate over the last 7 days",
                         project=demo.project, model=scripted(proposal))  # fmt: skip
    assert out["chart_type"] == "bar" and out["preview"]["unit"] == "percent"
    assert len(out["preview"]["series"][0]["points"]) == 4
