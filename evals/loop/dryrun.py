"""A scripted stand-in for the model: answers every case with its reference.

Used by ``OPENLOOP_LOOP_EVAL_DRY_RUN=1`` and by the CI test, to check the harness itself
without any provider: with the references as answers every suite must score 100% accuracy.
``break_first`` names cases whose first proposal is deliberately wrong, so the self-repair
round runs and ``repaired`` is exercised.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

__all__ = ["BROKEN_FILTER", "BROKEN_QUERY", "scripted_model"]

BROKEN_QUERY = "SELECT no_such_field FROM project_logs('demo-support-bot')"
BROKEN_FILTER = "no_such_field = 1"


def _needle(case: dict[str, Any]) -> str:
    return case.get("question") or case.get("request") or case["broken"]


def _answer(case: dict[str, Any]) -> str | None:
    return case.get("query") or case.get("filter") or case.get("reference")


def _prompt(messages: list[Any]) -> str:
    """The user's text of the first request (the plain-language request, or the query to fix)."""
    for part in getattr(messages[0], "parts", []):
        if type(part).__name__ == "UserPromptPart" and isinstance(part.content, str):
            return part.content
    return ""


def _is_retry(messages: list[Any]) -> bool:
    """A request after an earlier answer of ours is the repair round."""
    return any(type(m).__name__ == "ModelResponse" for m in messages)


def scripted_model(cases: Iterable[dict[str, Any]], break_first: Iterable[str] = ()) -> Any:
    """A pydantic-ai ``FunctionModel`` that finds the case a request is about (by its text) and
    returns the case's reference through the output tool."""
    from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart
    from pydantic_ai.models.function import AgentInfo, FunctionModel

    table = sorted(((_needle(c), c) for c in cases), key=lambda x: -len(x[0]))
    broken = set(break_first)

    def respond(messages: list[Any], info: AgentInfo) -> ModelResponse:
        prompt = _prompt(messages)
        case = next((c for needle, c in table if needle in prompt), None)
        if case is None or not info.output_tools:
            return ModelResponse(parts=[TextPart("I do not know that request.")])
        tool = info.output_tools[0]
        wants_filter = "filter" in (tool.parameters_json_schema.get("properties") or {})
        first_try = not _is_retry(messages)
        answer = _answer(case) or case.get("broken", "")
        if first_try and case["id"] in broken:
            answer = BROKEN_FILTER if wants_filter else BROKEN_QUERY
        args = {"filter" if wants_filter else "query": answer, "explanation": "scripted"}
        return ModelResponse(parts=[ToolCallPart(tool.name, json.dumps(args))])

    return FunctionModel(respond)
