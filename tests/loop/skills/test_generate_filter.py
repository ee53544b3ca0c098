"""generate_filter validates the model's filter; a bad field costs one ModelRetry round."""

from __future__ import annotations

import pytest
from pydantic_ai import Agent, ModelRetry
from pydantic_ai.messages import ModelResponse, RetryPromptPart, TextPart, ToolCallPart
from pydantic_ai.models.function import AgentInfo, FunctionModel


def _agent_with_tool(demo, calls: list[str]) -> Agent:
    """A minimal agent exposing the registered tool, as the Loop agent does."""
    from openloop.loop.tools.base import get_tool

    spec = get_tool("generate_filter")
    agent = Agent(FunctionModel(_script(calls)), retries=1)

    @agent.tool_plain(name=spec.name, description=spec.description)
    def generate_filter(filter: str) -> str:
        return spec.run(demo.ctx(), spec.args(filter=filter)).text

    return agent


def _script(calls: list[str]):
    proposals = ["metadta.model = 'gpt-4o-mini'", "metadata.model = 'gpt-4o-mini'"]

    def model(messages: list, info: AgentInfo) -> ModelResponse:
        last = messages[-1].parts
        retried = [p for p in last if isinstance(p, RetryPromptPart)
                   or getattr(p, "outcome", None) == "retried"]  # fmt: skip
        if retried:
            calls.append("retry:" + str(retried[0].content))
        done = [
            p for p in last if getattr(p, "part_kind", "") == "tool-return" and p not in retried
        ]
        if done:
            return ModelResponse(parts=[TextPart(f"Filter ready: {done[0].content}")])
        n = sum(1 for c in calls if not c.startswith("retry:"))
        calls.append(proposals[n])
        return ModelResponse(parts=[ToolCallPart("generate_filter", {"filter": proposals[n]})])

    return model


def test_bad_field_then_good_field_via_model_retry(demo) -> None:
    calls: list[str] = []
    result = _agent_with_tool(demo, calls).run_sync("only gpt-4o-mini spans")
    assert calls[0] == "metadta.model = 'gpt-4o-mini'"
    assert calls[1].startswith("retry:") and "did you mean 'metadata'" in calls[1]
    assert "(column 1)" in calls[1]  # the position inside the filter the model wrote
    assert "Valid fields include: metadata" in calls[1]
    assert calls[2] == "metadata.model = 'gpt-4o-mini'"
    assert "Valid filter: `metadata.model = 'gpt-4o-mini'`" in result.output


def test_valid_filter_counts_matches_in_a_window(demo) -> None:
    res = demo.run("generate_filter", filter="span_attributes.type = 'llm'")
    assert res.data["window_days"] == 7
    assert 0 < res.data["matches"] < sum(m["llm_spans"] for m in demo.facts["models"].values())
    ranged = demo.run(
        "generate_filter",
        filter="span_attributes.type = 'llm' AND created > now() - interval 15 day",
    )
    assert ranged.data["window_days"] is None
    assert ranged.data["matches"] == sum(m["llm_spans"] for m in demo.facts["models"].values())


def test_direct_call_raises_model_retry_with_suggestions(demo) -> None:
    with pytest.raises(ModelRetry) as info:
        demo.run("generate_filter", filter="scors.Factuality < 0.5")
    assert "did you mean 'scores'" in str(info.value)
    assert "metadata.user_id" in str(info.value)


@pytest.mark.parametrize("smuggled", ["span_attributes.type = 'llm' | limit: 100000",
                                      "span_attributes.type = 'llm' | sort: created"])  # fmt: skip
def test_extra_clauses_are_refused(demo, smuggled: str) -> None:
    with pytest.raises(ModelRetry, match=r"filter expression|more than once|twice|expected"):
        demo.run("generate_filter", filter=smuggled)
