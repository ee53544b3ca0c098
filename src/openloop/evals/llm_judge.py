"""LLM-as-judge scorers: a mustache prompt, a model, and a map from the model's choice to a score.

The judge renders its prompt with the row (``input``, ``output``, ``expected`` and any extra
arguments), then asks the model for a verdict through a **forced tool call** named
``select_choice``: the tool's ``choice`` field is an enum of the choice keys, and with chain of
thought (``use_cot=True``) a ``reasons`` field comes first so the model explains before it
decides. The score is ``choice_scores[choice]``; ``choice`` and ``rationale`` go to metadata.

Nothing a model or provider does raises out of ``evaluate``: an answer without a valid choice,
a provider error or a missing API key becomes ``Score(score=None, error=...)`` on the row.

>>> from pydantic_ai.models.test import TestModel
>>> judge = LLMJudge("Polite", "Is this polite? {{output}}", {"Yes": 1, "No": 0})
>>> judge.evaluate(output="Thanks!", model=TestModel()).score in (0, 1)
True
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, Field, create_model
from pydantic_ai import Agent, ToolOutput, capture_run_messages
from pydantic_ai.exceptions import ModelAPIError, UnexpectedModelBehavior, UserError
from pydantic_ai.messages import ModelResponse, ToolCallPart
from pydantic_ai.models import Model
from pydantic_ai.settings import ModelSettings

from openloop.errors import InvalidInput, UsageError
from openloop.evals.score import Score
from openloop.evals.templates import render

logger = logging.getLogger(__name__)

__all__ = ["SELECT_CHOICE_TOOL", "LLMJudge", "run_sync"]

SELECT_CHOICE_TOOL = "select_choice"
_INSTRUCTIONS = (
    "You are an impartial evaluator. Read the task carefully, judge only what it asks, and "
    "report your verdict with the select_choice tool."
)
_COT_SUFFIX = (
    "\n\nBefore deciding, write out your analysis step by step in `reasons`. Then record your "
    "verdict by calling `select_choice` with `choice` set to exactly one of: {choices}."
)
_PLAIN_SUFFIX = (
    "\n\nRecord your verdict by calling `select_choice` with `choice` set to exactly one of: "
    "{choices}."
)


def run_sync(make: Any) -> Any:
    """Run the coroutine ``make()`` to completion from sync code, even when an event loop is
    already running in this thread (then it runs on a helper thread with its own loop)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(make())
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(lambda: asyncio.run(make())).result()


def _choice_model(choices: tuple[str, ...], use_cot: bool) -> type[BaseModel]:
    fields: dict[str, Any] = {}
    if use_cot:
        fields["reasons"] = (
            str,
            Field(description="Step-by-step analysis that leads to the verdict."),
        )
    fields["choice"] = (
        Literal[choices],  # type: ignore[valid-type]
        Field(description="The verdict: exactly one of the allowed choices."),
    )
    return create_model("SelectChoice", **fields)


def _provider_of(model: Model | str) -> str:
    if isinstance(model, str):
        return model.split(":", 1)[0] if ":" in model else model
    return getattr(model, "system", None) or type(model).__name__


def _last_choice(messages: list[Any]) -> Any:
    for message in reversed(messages):
        if isinstance(message, ModelResponse):
            for part in message.parts:
                if isinstance(part, ToolCallPart) and part.tool_name == SELECT_CHOICE_TOOL:
                    args = part.args_as_dict() if hasattr(part, "args_as_dict") else {}
                    return args.get("choice")
    return None


class LLMJudge:
    """A scorer that asks a model to pick one of ``choice_scores``'s keys.

    ``model`` is a pydantic-ai ``Model`` or a model name such as ``"openai:gpt-4o-mini"``; it can
    also be given per call. ``required_args`` name row values that must be present (e.g.
    ``criteria``); ``render_args`` are fixed template values (e.g. ``language="French"``).
    """

    def __init__(
        self,
        name: str,
        prompt_template: str,
        choice_scores: Mapping[str, float],
        model: Model | str | None = None,
        use_cot: bool = True,
        temperature: float = 0,
        *,
        max_tokens: int | None = None,
        required_args: tuple[str, ...] = (),
        **render_args: Any,
    ) -> None:
        if not choice_scores:
            raise UsageError(f"judge {name!r} needs at least one choice")
        for choice, value in choice_scores.items():
            if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
                raise UsageError(f"judge {name!r}: score for choice {choice!r} must be in [0, 1]")
        self.name = name
        self.prompt_template = prompt_template
        self.choice_scores = {str(k): float(v) for k, v in choice_scores.items()}
        self.model = model
        self.use_cot = use_cot
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.required_args = tuple(required_args)
        self.render_args = render_args
        output = _choice_model(tuple(self.choice_scores), use_cot)
        self._agent: Agent[None, Any] = Agent(
            output_type=ToolOutput(
                output,
                name=SELECT_CHOICE_TOOL,
                description="Record the verdict for this evaluation.",
            ),
            instructions=_INSTRUCTIONS,
            retries=1,
        )

    def build_prompt(self, variables: Mapping[str, Any]) -> str:
        """The full user message for one row (raises InvalidInput on a missing variable)."""
        suffix = _COT_SUFFIX if self.use_cot else _PLAIN_SUFFIX
        choices = ", ".join(self.choice_scores)
        return render(self.prompt_template, variables, strict=True) + suffix.format(choices=choices)

    async def evaluate_async(
        self,
        *,
        input: Any = None,
        output: Any = None,
        expected: Any = None,
        metadata: Any = None,
        model: Model | str | None = None,
        **kwargs: Any,
    ) -> Score:
        variables: dict[str, Any] = {
            **self.render_args,
            "input": input,
            "output": output,
            "expected": expected,
            "metadata": metadata if metadata is not None else {},
            **kwargs,
        }
        missing = [arg for arg in self.required_args if variables.get(arg) is None]
        if missing:
            return Score.failure(self.name, f"{self.name} needs '{missing[0]}'")
        chosen_model = model if model is not None else self.model
        if chosen_model is None:
            return Score.failure(self.name, f"no model configured for judge {self.name!r}")
        try:
            prompt = self.build_prompt(variables)
        except InvalidInput as exc:
            return Score.failure(self.name, exc.message)
        return await self._ask(prompt, chosen_model)

    async def _ask(self, prompt: str, model: Model | str) -> Score:
        provider = _provider_of(model)
        settings = ModelSettings(temperature=self.temperature)
        if self.max_tokens is not None:
            settings["max_tokens"] = self.max_tokens
        allowed = ", ".join(self.choice_scores)
        with capture_run_messages() as messages:
            try:
                result = await self._agent.run(prompt, model=model, model_settings=settings)  # type: ignore[call-overload]
            except UnexpectedModelBehavior as exc:
                got = _last_choice(messages)
                detail = f"got {got!r}; " if got is not None else ""
                logger.info("scorer.judge.no_choice name=%s provider=%s", self.name, provider)
                return Score.failure(
                    self.name,
                    f"model returned no valid choice ({detail}expected one of {allowed}): {exc.message}",
                )
            except ModelAPIError as exc:
                logger.warning(
                    "scorer.judge.provider_error name=%s provider=%s", self.name, provider
                )
                return Score.failure(self.name, f"provider '{provider}' failed: {exc}")
            except UserError as exc:
                return Score.failure(self.name, f"provider '{provider}' is not usable: {exc}")
            except Exception as exc:  # transport errors, SDK bugs: still one row, not the run
                logger.warning(
                    "scorer.judge.error name=%s provider=%s type=%s",
                    self.name,
                    provider,
                    type(exc).__name__,
                )
                return Score.failure(
                    self.name, f"provider '{provider}' failed: {type(exc).__name__}: {exc}"
                )
        verdict = result.output
        choice = verdict.choice
        metadata: dict[str, Any] = {"choice": choice}
        if self.use_cot:
            metadata["rationale"] = verdict.reasons
        return Score(self.name, self.choice_scores[choice], metadata)

    def evaluate(self, **kwargs: Any) -> Score:
        """Sync form of :meth:`evaluate_async`."""
        return run_sync(lambda: self.evaluate_async(**kwargs))

    def __repr__(self) -> str:
        return f"LLMJudge(name={self.name!r}, choices={list(self.choice_scores)!r})"
