"""The result of scoring one row, and the rules for turning whatever a scorer returns into one.

A scorer may return any of these; :func:`normalize_scores` turns each into ``Score`` rows:

    number in [0, 1]          -> Score(name, float(value))
    bool                      -> 1.0 for True, 0.0 for False
    {"score": x, "metadata": {...}, "name": "..."}   (metadata and name optional)
    Score                     -> kept (name filled in when empty)
    list/tuple of the above   -> one Score each; names must be distinct
    None                      -> Score(name, None): "not applicable", not an error

Anything else, a number outside [0, 1], NaN or a non-dict metadata becomes a ``Score`` whose
``error`` says what was wrong, so one bad row never stops an experiment.

A score's metadata may carry ``__pass_threshold`` (a number in [0, 1]); ``Score.passed`` then
says whether the row passes, which the UI shows as green/red.

>>> normalize_scores("accuracy", {"score": 0.5, "metadata": {"why": "half"}})[0].score
0.5
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

logger = logging.getLogger(__name__)

__all__ = ["PASS_THRESHOLD_KEY", "Score", "normalize_score", "normalize_scores"]

PASS_THRESHOLD_KEY = "__pass_threshold"
_DICT_KEYS = frozenset({"name", "score", "metadata"})
_EXPECTED = (
    "expected a number in [0, 1], a bool, {score, metadata}, a Score, a list of those, or None"
)


@dataclass(frozen=True)
class Score:
    """One named score for one row. ``score`` is in [0, 1], or None when the scorer did not
    apply or failed; ``error`` is set only when it failed."""

    name: str
    score: float | None
    metadata: dict[str, Any] = field(default_factory=dict)
    error: str | None = None

    @classmethod
    def failure(cls, name: str, message: str, **metadata: Any) -> Score:
        """A failed score: no value, the message a user will read, optional context."""
        return cls(name=name, score=None, metadata=dict(metadata), error=message)

    @property
    def pass_threshold(self) -> float | None:
        """The ``__pass_threshold`` from metadata, when it is a valid number in [0, 1]."""
        value = self.metadata.get(PASS_THRESHOLD_KEY)
        if isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1:
            return float(value)
        return None

    @property
    def passed(self) -> bool | None:
        """True/False against the pass threshold; None without a threshold or a score."""
        threshold = self.pass_threshold
        if threshold is None or self.score is None:
            return None
        return self.score >= threshold

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "score": self.score,
            "metadata": dict(self.metadata),
            "error": self.error,
        }


def _is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _describe(value: object) -> str:
    text = repr(value)
    if len(text) > 80:
        text = text[:77] + "..."
    return f"{type(value).__name__} {text}"


def _check_value(name: str, value: object) -> tuple[float | None, str | None]:
    """Validate a bare score value; returns (score, error)."""
    if value is None:
        return None, None
    if isinstance(value, bool):
        return (1.0 if value else 0.0), None
    if not _is_number(value):
        return None, f"scorer {name!r} returned {_describe(value)}; {_EXPECTED}"
    try:
        number = float(value)  # type: ignore[arg-type]
    except OverflowError:
        return None, f"scorer {name!r} returned a score outside [0, 1]"
    if math.isnan(number):
        return None, f"scorer {name!r} returned NaN; a score must be a number in [0, 1]"
    if not 0.0 <= number <= 1.0:
        return None, f"scorer {name!r} returned {number:g}, outside [0, 1]"
    return number, None


def _check_metadata(name: str, metadata: object) -> tuple[dict[str, Any], str | None]:
    if metadata is None:
        return {}, None
    if not isinstance(metadata, Mapping):
        return (
            {},
            f"scorer {name!r} returned metadata of type {type(metadata).__name__}; expected a dict",
        )
    meta = {str(k): v for k, v in metadata.items()}
    if PASS_THRESHOLD_KEY in meta:
        threshold = meta[PASS_THRESHOLD_KEY]
        if not (_is_number(threshold) and 0.0 <= float(threshold) <= 1.0):
            return meta, f"{PASS_THRESHOLD_KEY} must be a number in [0, 1], got {threshold!r}"
    return meta, None


def normalize_score(name: str, value: object) -> Score:
    """Turn one non-list scorer return value into a validated ``Score`` (see module docs)."""
    if isinstance(value, Score):
        score_name = value.name or name
        if value.error is not None:
            return replace(value, name=score_name, score=None)
        number, error = _check_value(score_name, value.score)
        meta, meta_error = _check_metadata(score_name, value.metadata)
        return Score(score_name, number, meta, error or meta_error)
    if isinstance(value, Mapping):
        keys = {str(k) for k in value}
        score_name = str(value.get("name") or name)
        if "score" not in keys:
            return Score.failure(
                score_name, f"scorer {score_name!r} returned a dict without a 'score' key"
            )
        unknown = sorted(keys - _DICT_KEYS)
        if unknown:
            return Score.failure(
                score_name,
                f"scorer {score_name!r} returned unexpected key(s) {', '.join(unknown)};"
                " allowed keys are name, score, metadata",
            )
        number, error = _check_value(score_name, value["score"])
        meta, meta_error = _check_metadata(score_name, value.get("metadata"))
        if error or meta_error:
            return Score(score_name, None, meta, error or meta_error)
        return Score(score_name, number, meta)
    number, error = _check_value(name, value)
    return Score(name, number, {}, error)


def normalize_scores(name: str, value: object) -> list[Score]:
    """Turn any scorer return value into a list of validated ``Score`` rows.

    A list must hold named scores (``Score`` or dicts with ``name``) with distinct names, because
    unnamed values could not be told apart in the experiment's ``scores`` column.
    """
    if not isinstance(value, list | tuple):
        return [normalize_score(name, value)]
    if not value:
        return [Score.failure(name, f"scorer {name!r} returned an empty list")]
    scores: list[Score] = []
    for index, item in enumerate(value):
        if isinstance(item, list | tuple):
            scores.append(Score.failure(name, f"scorer {name!r} returned a nested list"))
            continue
        named = (isinstance(item, Score) and item.name) or (
            isinstance(item, Mapping) and item.get("name")
        )
        if len(value) > 1 and not named:
            scores.append(
                Score.failure(
                    f"{name}[{index}]",
                    f"scorer {name!r} returned several scores; each needs its own name",
                )
            )
            continue
        scores.append(normalize_score(name, item))
    seen: set[str] = set()
    for index, score in enumerate(scores):
        if score.name in seen:
            scores[index] = Score.failure(
                score.name, f"scorer {name!r} returned the name {score.name!r} twice"
            )
        seen.add(score.name)
    return scores
