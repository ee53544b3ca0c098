"""Scorers for Loop's write tools: checking a proposed definition, diffing two versions,
measuring agreement with a user's labels, and ranking candidate scorers on an experiment.

A proposed **LLM judge** must have at least two choices with distinct, non-empty labels and
scores in [0, 1], and a mustache prompt that renders with a row's ``input``, ``output``,
``expected`` and ``metadata`` (a misspelled variable is an error, not an empty string). A
proposed **code scorer** (Python) must pass the sandbox's source check; it is then tried on a
sample row and the outcome is reported.
"""

from __future__ import annotations

import logging
import math
import statistics
from collections.abc import Mapping, Sequence
from typing import Any

from openloop.errors import InvalidInput, OpenLoopError
from openloop.evals.templates import render, template_variables

from .evals_common import json_diff

__all__ = [
    "ROW_VARIABLES",
    "agreement",
    "check_code",
    "check_judge",
    "definition_diff",
    "pearson",
    "score_stats",
]

logger = logging.getLogger(__name__)

ROW_VARIABLES = ("input", "output", "expected", "metadata")
_SAMPLE = {
    "input": {"question": "How do I reset my password?"},
    "output": "Open Settings > Security and choose Reset password.",
    "expected": "Settings > Security > Reset password.",
    "metadata": {},
}


def check_judge(
    prompt: str, choice_scores: Mapping[str, Any], model: str, use_cot: bool
) -> dict[str, Any]:
    """A validated ``llm_judge`` definition, or InvalidInput saying what to fix."""
    from openloop.services.scorers import check_function_data

    if not isinstance(choice_scores, Mapping) or len(choice_scores) < 2:
        raise InvalidInput("a judge needs at least two choices, e.g. {'Yes': 1, 'No': 0}")
    labels = [str(k).strip() for k in choice_scores]
    if any(not label for label in labels) or len(set(labels)) != len(labels):
        raise InvalidInput("choice labels must be non-empty and distinct")
    for label, value in choice_scores.items():
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise InvalidInput(f"choice {label!r} maps to {value!r}; scores must be in [0, 1]")
    scores = {str(k).strip(): float(v) for k, v in choice_scores.items()}
    if len(set(scores.values())) == 1:
        raise InvalidInput("every choice has the same score, so the judge cannot discriminate")
    try:
        names = template_variables(prompt)
    except InvalidInput as exc:
        raise InvalidInput(f"judge prompt: {exc.message}") from None
    unknown = sorted(n for n in names if n.split(".")[0] not in ROW_VARIABLES)
    if unknown:
        raise InvalidInput(
            f"judge prompt uses unknown variable(s) {', '.join(unknown)}; a judge sees "
            f"{', '.join('{{' + v + '}}' for v in ROW_VARIABLES)}"
        )
    if not names & {"output"} and not any(n.startswith("output.") for n in names):
        raise InvalidInput("the judge prompt never shows the output: add {{output}}")
    render(prompt, _SAMPLE, strict=False)
    data = {"type": "llm_judge", "prompt": prompt, "model": model,
            "choice_scores": scores, "use_cot": use_cot}  # fmt: skip
    return check_function_data(data)


def check_code(code: str, sample: Mapping[str, Any] | None = None) -> tuple[dict[str, Any], str]:
    """A validated ``code`` definition and a one-line note on its trial run on ``sample``."""
    from openloop.evals.scorers.code import run_code_scorer
    from openloop.services.scorers import check_function_data

    data = check_function_data({"type": "code", "language": "python", "code": code})
    row: dict[str, Any] = {k: (sample or _SAMPLE).get(k) for k in ROW_VARIABLES}
    try:
        score = run_code_scorer(code, **row, name="trial")
    except OpenLoopError as exc:
        return data, f"trial run failed: {exc.message}"
    if score.error:
        return data, f"trial run on a sample row failed: {score.error}"
    return data, f"trial run on a sample row scored {score.score}"


def _text(definition: Mapping[str, Any] | None) -> dict[str, Any] | None:
    if definition is None:
        return None
    return {k: v for k, v in definition.items() if v not in (None, {}, "")}


def definition_diff(
    old: Mapping[str, Any] | None, new: Mapping[str, Any], *, name: str, old_version: str | None
) -> str:
    """Unified diff of two scorer versions (``{function_data, metadata}``), prompt and code
    shown line by line."""

    def lines(d: Mapping[str, Any] | None) -> Any:
        if d is None:
            return None
        fd = dict(d.get("function_data") or {})
        body = fd.pop("prompt", None) or fd.pop("code", None)
        out: dict[str, Any] = {**fd, "metadata": d.get("metadata") or {}}
        if body is not None:
            out["text"] = body.split("\n")
        return _text(out)

    label = f"{name}@{old_version}" if old_version else f"{name} (new)"
    return json_diff(lines(old), lines(new), old_label=label, new_label=f"{name} (proposed)")


def agreement(
    labels: Sequence[Mapping[str, Any]], results: Sequence[Mapping[str, Any]], tolerance: float
) -> dict[str, Any]:
    """How often a scorer agrees with the user's labels. A label is ``{choice}`` (compared
    with the judge's choice) or ``{score}`` (agree within ``tolerance``)."""
    agree = judged = 0
    rows = []
    for label, got in zip(labels, results, strict=True):
        if got.get("error"):
            ok = False
        elif label.get("choice") is not None:
            ok = str(got.get("choice")) == str(label["choice"])
        else:
            value = got.get("score")
            ok = value is not None and abs(float(value) - float(label["score"])) <= tolerance
        judged += 1
        agree += ok
        rows.append({**got, "agrees": ok})
    return {"agree": agree, "rows": judged, "rate": agree / judged if judged else None,
            "detail": rows}  # fmt: skip


def score_stats(values: Sequence[float]) -> dict[str, Any]:
    """Spread of a score: mean, standard deviation, distinct values, share at the mode."""
    if not values:
        return {"n": 0, "mean": None, "stdev": 0.0, "distinct": 0, "mode_share": 1.0}
    counts: dict[float, int] = {}
    for v in values:
        counts[round(v, 3)] = counts.get(round(v, 3), 0) + 1
    return {
        "n": len(values),
        "mean": statistics.fmean(values),
        "stdev": statistics.pstdev(values),
        "distinct": len(counts),
        "mode_share": max(counts.values()) / len(values),
    }


def pearson(xs: Sequence[float], ys: Sequence[float]) -> float | None:
    """Correlation of paired values; None when fewer than 3 pairs or a constant side."""
    if len(xs) < 3:
        return None
    mx, my = statistics.fmean(xs), statistics.fmean(ys)
    sx = math.sqrt(sum((x - mx) ** 2 for x in xs))
    sy = math.sqrt(sum((y - my) ** 2 for y in ys))
    if sx == 0 or sy == 0:
        return None
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / (sx * sy)
