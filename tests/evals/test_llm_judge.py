from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx2
import pytest
from pydantic_ai.messages import ModelMessage, ModelResponse, TextPart, ToolCallPart
from pydantic_ai.models import override_allow_model_requests
from pydantic_ai.models.function import AgentInfo, FunctionModel
from pydantic_ai.models.openai import OpenAIChatModel
from pydantic_ai.models.test import TestModel
from pydantic_ai.providers.openai import OpenAIProvider

from openloop.errors import UsageError
from openloop.evals.llm_judge import LLMJudge
from openloop.evals.scorers.registry import get_scorer


class ScriptedJudge:
    """A model that answers with a fixed tool call and records what it was asked."""

    def __init__(self, args: dict[str, Any] | None = None, text: str | None = None) -> None:
        self.args = args
        self.text = text
        self.prompts: list[str] = []
        self.infos: list[AgentInfo] = []

    def __call__(self, messages: list[ModelMessage], info: AgentInfo) -> ModelResponse:
        self.infos.append(info)
        self.prompts.append(str(messages[0].parts[-1].content))
        if self.text is not None:
            return ModelResponse(parts=[TextPart(self.text)])
        return ModelResponse(parts=[ToolCallPart("select_choice", self.args)])

    @property
    def model(self) -> FunctionModel:
        return FunctionModel(self)


def test_judge_forces_select_choice_tool_and_maps_choice_to_score() -> None:
    script = ScriptedJudge({"reasons": "It thanks the user.", "choice": "Yes"})
    judge = LLMJudge("Polite", "Is this reply polite?\n{{output}}", {"Yes": 1, "No": 0})
    score = judge.evaluate(output="Thanks a lot!", model=script.model)
    assert (score.name, score.score, score.error) == ("Polite", 1.0, None)
    assert score.metadata == {"choice": "Yes", "rationale": "It thanks the user."}

    info = script.infos[0]
    assert info.allow_text_output is False  # the verdict can only arrive through the tool
    [tool] = info.output_tools
    assert tool.name == "select_choice"
    schema = tool.parameters_json_schema
    assert list(schema["properties"]) == ["reasons", "choice"]
    assert schema["properties"]["choice"]["enum"] == ["Yes", "No"]
    assert info.model_settings is not None and info.model_settings.get("temperature") == 0
    assert script.prompts[0].startswith("Is this reply polite?\nThanks a lot!")
    assert "select_choice" in script.prompts[0] and "Yes, No" in script.prompts[0]


def test_without_cot_there_is_no_reasons_field() -> None:
    script = ScriptedJudge({"choice": "No"})
    judge = LLMJudge("Polite", "{{output}}", {"Yes": 1, "No": 0}, use_cot=False, model=script.model)
    score = judge.evaluate(output="Go away")
    assert score.score == 0.0 and score.metadata == {"choice": "No"}
    assert list(script.infos[0].output_tools[0].parameters_json_schema["properties"]) == ["choice"]


def test_invalid_choice_is_a_row_error_not_an_exception() -> None:
    script = ScriptedJudge({"reasons": "hmm", "choice": "Maybe"})
    score = LLMJudge("Polite", "{{output}}", {"Yes": 1, "No": 0}).evaluate(
        output="x", model=script.model
    )
    assert score.score is None
    assert score.error is not None
    assert score.error.startswith(
        "model returned no valid choice (got 'Maybe'; expected one of Yes, No)"
    )
    assert len(script.infos) == 2  # the model was told what was wrong once before giving up


def test_plain_text_answer_is_no_valid_choice() -> None:
    score = LLMJudge("Polite", "{{output}}", {"Yes": 1, "No": 0}).evaluate(
        output="x", model=ScriptedJudge(text="Yes").model
    )
    assert score.score is None and (score.error or "").startswith("model returned no valid choice")


def test_provider_http_error_names_the_provider() -> None:
    def failing(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(503, json={"error": {"message": "upstream overloaded"}})

    client = httpx2.AsyncClient(transport=httpx2.MockTransport(failing))
    model = OpenAIChatModel(
        "gpt-4o-mini", provider=OpenAIProvider(api_key="test-key", http_client=client)
    )
    judge = LLMJudge("Polite", "{{output}}", {"Yes": 1, "No": 0})
    with override_allow_model_requests(True):  # the transport above is the only "network"
        score = judge.evaluate(output="x", model=model)
    assert score.score is None
    assert score.error is not None and score.error.startswith("provider 'openai' failed")
    assert "503" in score.error


def test_unconfigured_provider_is_a_row_error() -> None:
    judge = LLMJudge("Polite", "{{output}}", {"Yes": 1, "No": 0})
    score = judge.evaluate(output="x", model="openai:gpt-4o-mini")
    assert score.score is None and (score.error or "").startswith("provider 'openai' is not usable")
    assert judge.evaluate(output="x").error == "no model configured for judge 'Polite'"


def test_bad_choice_scores_are_a_developer_error() -> None:
    with pytest.raises(UsageError, match="must be in \\[0, 1\\]"):
        LLMJudge("Bad", "{{output}}", {"Yes": 2})
    with pytest.raises(UsageError):
        LLMJudge("Bad", "{{output}}", {})


def test_builtin_factuality_renders_row_and_scores_choice() -> None:
    script = ScriptedJudge({"reasons": "subset", "choice": "A"})
    judge = get_scorer("Factuality", model=script.model)
    score = judge.evaluate(
        input="Capital of France?", output="Paris", expected="Paris, on the Seine"
    )
    assert score.score == 0.4 and score.metadata["choice"] == "A"
    prompt = script.prompts[0]
    for text in ("Capital of France?", "Paris, on the Seine", "(E)"):
        assert text in prompt
    assert script.infos[0].output_tools[0].parameters_json_schema["properties"]["choice"][
        "enum"
    ] == ["A", "B", "C", "D", "E"]


def test_required_arguments_are_checked_before_calling_the_model() -> None:
    script = ScriptedJudge({"reasons": "", "choice": "Y"})
    judge = get_scorer("ClosedQA", model=script.model)
    score = judge.evaluate(input="q", output="a")
    assert score.error == "ClosedQA needs 'criteria'" and not script.prompts
    assert judge.evaluate(input="q", output="a", criteria="Is it short?").score == 1.0


def test_rag_judge_lists_context_passages() -> None:
    script = ScriptedJudge({"reasons": "all supported", "choice": "A"})
    judge = get_scorer("Faithfulness", model=script.model)
    score = judge.evaluate(
        input="Where is the Eiffel tower?",
        output="In Paris.",
        context=["The Eiffel tower is in Paris.", {"source": "wiki"}],
    )
    assert score.score == 1.0
    prompt = script.prompts[0]
    assert "---\nThe Eiffel tower is in Paris.\n---\n" in prompt
    assert json.dumps({"source": "wiki"}) in prompt


def test_test_model_and_async_and_sync_inside_a_running_loop() -> None:
    judge = get_scorer("Humor", model=TestModel())

    async def both() -> tuple[float | None, float | None]:
        first = await judge.evaluate_async(output="a pun")
        second = judge.evaluate(output="a pun")  # sync call from inside a running loop
        return first.score, second.score

    first, second = asyncio.run(both())
    assert first in (0.0, 0.5, 1.0) and first == second
