"""Heuristic scorers: pure computations over ``output`` and ``expected``, no model needed.

    ExactMatch    1 when equal after normalising JSON-ish values ('{"a":1}' == {"a": 1})
    Levenshtein   1 - edit distance / length of the longer string
    NumericDiff   1 - |a - b| / max(|a|, |b|), floored at 0; both 0 -> 1
    JSONDiff      recursive structural similarity, strings and numbers by sub-scorers
    ValidJSON     1 when output is a JSON object/array (and matches ``schema`` if given)
    ListContains  best one-to-one matching between two lists, by a pairwise scorer

>>> Levenshtein().evaluate(output="kitten", expected="sitting").score  # doctest: +ELLIPSIS
0.571...
"""

from __future__ import annotations

import json
import logging
import math
from collections.abc import Mapping, Sequence
from difflib import SequenceMatcher
from typing import Any

from openloop.evals.score import Score
from openloop.evals.scorers._schema import schema_errors
from openloop.evals.scorers.registry import ScorerSpec, register_scorer

logger = logging.getLogger(__name__)

__all__ = [
    "ExactMatch",
    "HeuristicScorer",
    "JSONDiff",
    "Levenshtein",
    "ListContains",
    "NumericDiff",
    "ValidJSON",
]

_MISSING = object()
# Above this many cells the exact edit distance is too slow in Python; use difflib's ratio.
_MAX_EDIT_CELLS = 4_000_000


class HeuristicScorer:
    """Base for scorers that compute synchronously. Subclasses implement ``_score``; a
    ``ValueError`` it raises becomes the row's error."""

    name: str = "heuristic"
    needs_expected: bool = True

    def evaluate(
        self,
        *,
        input: Any = None,
        output: Any = None,
        expected: Any = None,
        metadata: Any = None,
        **kwargs: Any,
    ) -> Score:
        if self.needs_expected and expected is None:
            return Score.failure(self.name, f"{self.name} needs an expected value")
        try:
            return self._score(output, expected)
        except ValueError as exc:
            return Score.failure(self.name, str(exc))

    async def evaluate_async(self, **kwargs: Any) -> Score:
        return self.evaluate(**kwargs)

    def _score(self, output: Any, expected: Any) -> Score:
        raise ValueError(f"{self.name} does not compute a score")

    def value(self, output: Any, expected: Any) -> float:
        """The bare score (0 on failure), for use as a sub-scorer."""
        score = self.evaluate(output=output, expected=expected)
        return score.score if score.score is not None else 0.0


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _canonical(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, Mapping):
        return {str(k): _canonical(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def _parse_jsonish(value: Any) -> Any:
    """Strings that hold JSON become the value they hold; everything else is kept."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def _as_text(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(_canonical(value), sort_keys=True, ensure_ascii=False, default=str)


class ExactMatch(HeuristicScorer):
    name = "ExactMatch"

    def _score(self, output: Any, expected: Any) -> Score:
        left = _canonical(_parse_jsonish(output))
        right = _canonical(_parse_jsonish(expected))
        return Score(self.name, 1.0 if _as_text(left) == _as_text(right) else 0.0)


def edit_distance(a: str, b: str) -> int:
    """Levenshtein distance (insert, delete, substitute all cost 1)."""
    start = 0
    while start < min(len(a), len(b)) and a[start] == b[start]:
        start += 1
    end = 0
    while end < min(len(a), len(b)) - start and a[-1 - end] == b[-1 - end]:
        end += 1
    a, b = a[start : len(a) - end], b[start : len(b) - end]
    if len(a) < len(b):
        a, b = b, a
    previous = list(range(len(b) + 1))
    for i, char_a in enumerate(a, 1):
        current = [i]
        for j, char_b in enumerate(b, 1):
            current.append(
                min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (char_a != char_b))
            )
        previous = current
    return previous[-1]


class Levenshtein(HeuristicScorer):
    name = "Levenshtein"

    def _score(self, output: Any, expected: Any) -> Score:
        a, b = _as_text(output if output is not None else ""), _as_text(expected)
        longest = max(len(a), len(b))
        if longest == 0:
            return Score(self.name, 1.0)
        if len(a) * len(b) > _MAX_EDIT_CELLS:
            ratio = SequenceMatcher(None, a, b, autojunk=False).ratio()
            return Score(self.name, ratio, {"approximate": True})
        return Score(self.name, 1.0 - edit_distance(a, b) / longest)


def _to_number(value: Any, role: str, scorer: str) -> float:
    if _is_number(value):
        number = float(value)
    else:
        try:
            number = float(str(value).strip())
        except ValueError:
            raise ValueError(f"{scorer} needs numbers; {role} is {value!r}") from None
    if math.isnan(number):
        raise ValueError(f"{scorer} needs numbers; {role} is NaN")
    return number


class NumericDiff(HeuristicScorer):
    name = "NumericDiff"

    def _score(self, output: Any, expected: Any) -> Score:
        a = _to_number(output, "output", self.name)
        b = _to_number(expected, "expected", self.name)
        if a == b:
            return Score(self.name, 1.0)
        if math.isinf(a) or math.isinf(b):
            return Score(self.name, 0.0)
        return Score(self.name, max(0.0, 1.0 - abs(a - b) / max(abs(a), abs(b))))


class JSONDiff(HeuristicScorer):
    """Recursive similarity of two JSON values: objects average over the union of keys (a
    missing key scores 0), arrays over the longer length, strings by ``string_scorer``, numbers
    by ``number_scorer``; other values must be equal. With ``preserve_strings=False`` strings that
    hold JSON objects/arrays are parsed first."""

    name = "JSONDiff"

    def __init__(
        self,
        string_scorer: HeuristicScorer | None = None,
        number_scorer: HeuristicScorer | None = None,
        preserve_strings: bool = False,
    ) -> None:
        self.string_scorer = string_scorer or Levenshtein()
        self.number_scorer = number_scorer or NumericDiff()
        self.preserve_strings = preserve_strings

    def _prepare(self, value: Any) -> Any:
        if not self.preserve_strings and isinstance(value, str) and value.strip()[:1] in ("{", "["):
            return _parse_jsonish(value)
        return value

    def _diff(self, a: Any, b: Any) -> float:
        a, b = self._prepare(a), self._prepare(b)
        if a is _MISSING or b is _MISSING:
            return 0.0
        if a is None or b is None:
            return 1.0 if a is b else 0.0
        if isinstance(a, Mapping) and isinstance(b, Mapping):
            keys = set(a) | set(b)
            if not keys:
                return 1.0
            return sum(self._diff(a.get(k, _MISSING), b.get(k, _MISSING)) for k in keys) / len(keys)
        if isinstance(a, list | tuple) and isinstance(b, list | tuple):
            longest = max(len(a), len(b))
            if longest == 0:
                return 1.0
            return sum(self._diff(x, y) for x, y in zip(a, b, strict=False)) / longest
        if isinstance(a, str) and isinstance(b, str):
            return self.string_scorer.value(a, b)
        if _is_number(a) and _is_number(b):
            return self.number_scorer.value(a, b)
        return 1.0 if a == b and type(a) is type(b) else 0.0

    def _score(self, output: Any, expected: Any) -> Score:
        return Score(self.name, self._diff(output, expected))


class ValidJSON(HeuristicScorer):
    """1 when ``output`` is a JSON object or array (a dict/list, or a string holding one) that
    matches ``schema`` when one is given; 0 otherwise, with the reason in metadata."""

    name = "ValidJSON"
    needs_expected = False

    def __init__(self, schema: Mapping[str, Any] | None = None) -> None:
        self.schema = schema

    def _score(self, output: Any, expected: Any) -> Score:
        value = output
        if isinstance(output, str):
            try:
                value = json.loads(output)
            except ValueError as exc:
                return Score(self.name, 0.0, {"reason": f"not valid JSON: {exc}"})
        if not isinstance(value, dict | list):
            return Score(self.name, 0.0, {"reason": "not a JSON object or array"})
        if self.schema is not None:
            errors = schema_errors(value, self.schema)
            if errors:
                return Score(
                    self.name, 0.0, {"reason": "does not match the schema", "errors": errors[:20]}
                )
        return Score(self.name, 1.0)


def best_assignment(weights: Sequence[Sequence[float]]) -> list[tuple[int, int]]:
    """Pairs (row, column) of a one-to-one matching with the largest total weight
    (Hungarian algorithm on the padded square cost matrix)."""
    rows = len(weights)
    cols = len(weights[0]) if rows else 0
    size = max(rows, cols)
    cost = [
        [-(weights[i][j]) if i < rows and j < cols else 0.0 for j in range(size)]
        for i in range(size)
    ]
    u, v = [0.0] * (size + 1), [0.0] * (size + 1)
    match, way = [0] * (size + 1), [0] * (size + 1)
    for i in range(1, size + 1):
        match[0], column = i, 0
        low = [math.inf] * (size + 1)
        used = [False] * (size + 1)
        while True:
            used[column] = True
            row, delta, nxt = match[column], math.inf, 0
            for j in range(1, size + 1):
                if not used[j]:
                    reduced = cost[row - 1][j - 1] - u[row] - v[j]
                    if reduced < low[j]:
                        low[j], way[j] = reduced, column
                    if low[j] < delta:
                        delta, nxt = low[j], j
            for j in range(size + 1):
                if used[j]:
                    u[match[j]] += delta
                    v[j] -= delta
                else:
                    low[j] -= delta
            column = nxt
            if match[column] == 0:
                break
        while column:
            previous = way[column]
            match[column] = match[previous]
            column = previous
    return [
        (match[j] - 1, j - 1) for j in range(1, size + 1) if match[j] - 1 < rows and j - 1 < cols
    ]


class ListContains(HeuristicScorer):
    """How well ``output`` (a list) covers ``expected`` (a list): items are paired one-to-one to
    maximise ``pairwise_scorer`` similarity; the total is divided by the longer list's length, or
    by ``expected``'s alone when ``allow_extra_entities`` is set."""

    name = "ListContains"

    def __init__(
        self, pairwise_scorer: HeuristicScorer | None = None, allow_extra_entities: bool = False
    ) -> None:
        self.pairwise_scorer = pairwise_scorer or Levenshtein()
        self.allow_extra_entities = allow_extra_entities

    def _score(self, output: Any, expected: Any) -> Score:
        out, exp = _parse_jsonish(output if output is not None else []), _parse_jsonish(expected)
        for role, value in (("output", out), ("expected", exp)):
            if not isinstance(value, list | tuple):
                raise ValueError(f"{self.name} needs lists; {role} is {type(value).__name__}")
        if not out and not exp:
            return Score(self.name, 1.0)
        denominator = len(exp) if self.allow_extra_entities else max(len(out), len(exp))
        if denominator == 0:
            return Score(self.name, 1.0)
        if not out or not exp:
            return Score(self.name, 0.0)
        weights = [[self.pairwise_scorer.value(o, e) for e in exp] for o in out]
        pairs = best_assignment(weights)
        total = sum(weights[i][j] for i, j in pairs)
        matches = [{"output": out[i], "expected": exp[j], "score": weights[i][j]} for i, j in pairs]
        return Score(self.name, min(1.0, total / denominator), {"pairs": matches})


def _register() -> None:
    builtins = [
        (
            ExactMatch,
            "1 if output equals expected after normalising JSON values, else 0",
            ("output", "expected"),
        ),
        (
            Levenshtein,
            "String similarity: 1 - edit distance / longer length",
            ("output", "expected"),
        ),
        (NumericDiff, "Closeness of two numbers: 1 - relative difference", ("output", "expected")),
        (JSONDiff, "Recursive similarity of two JSON values", ("output", "expected")),
        (ValidJSON, "1 if output is JSON (optionally matching a JSON schema)", ("output",)),
        (
            ListContains,
            "Best one-to-one match between output and expected lists",
            ("output", "expected"),
        ),
    ]
    for cls, description, args in builtins:
        register_scorer(
            ScorerSpec(cls.name, "heuristic", description, args, factory=cls, builtin=True)
        )


_register()
