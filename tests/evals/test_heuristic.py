from __future__ import annotations

import asyncio

import pytest

from openloop.evals.scorers.heuristic import (
    ExactMatch,
    JSONDiff,
    Levenshtein,
    ListContains,
    NumericDiff,
    ValidJSON,
    best_assignment,
    edit_distance,
)


def test_exact_match_normalises_json_values() -> None:
    scorer = ExactMatch()
    assert scorer.evaluate(output='{"b": 2, "a": 1.0}', expected={"a": 1, "b": 2}).score == 1.0
    assert scorer.evaluate(output="42", expected=42).score == 1.0
    assert scorer.evaluate(output="Paris", expected="Paris").score == 1.0
    assert scorer.evaluate(output="Paris ", expected="Paris").score == 0.0
    assert scorer.evaluate(output=[1, 2], expected=[2, 1]).score == 0.0


def test_levenshtein() -> None:
    assert edit_distance("kitten", "sitting") == 3
    assert edit_distance("", "abc") == 3
    assert Levenshtein().evaluate(output="kitten", expected="sitting").score == pytest.approx(4 / 7)
    assert Levenshtein().evaluate(output="", expected="").score == 1.0
    assert Levenshtein().evaluate(output={"a": 1}, expected='{"a": 1}').score == 1.0


def test_numeric_diff() -> None:
    scorer = NumericDiff()
    assert scorer.evaluate(output=9, expected=10).score == pytest.approx(0.9)
    assert scorer.evaluate(output="0", expected=0).score == 1.0
    assert scorer.evaluate(output=-5, expected=5).score == 0.0
    bad = scorer.evaluate(output="many", expected=3)
    assert bad.score is None and bad.error == "NumericDiff needs numbers; output is 'many'"


def test_scorers_that_need_expected_say_so() -> None:
    score = Levenshtein().evaluate(output="a")
    assert score.score is None and score.error == "Levenshtein needs an expected value"


def test_json_diff_is_recursive_with_sub_scorers() -> None:
    score = JSONDiff().evaluate(
        output={"a": "hello", "b": 10, "c": [1, 2]},
        expected={"a": "hallo", "b": 8, "c": [1]},
    )
    # a: 1 - 1/5, b: 1 - 2/10, c: one of two positions matches
    assert score.score == pytest.approx((0.8 + 0.8 + 0.5) / 3)
    assert (
        JSONDiff()
        .evaluate(output='{"x": [1, {"y": null}]}', expected={"x": [1, {"y": None}]})
        .score
        == 1.0
    )
    assert JSONDiff().evaluate(output={"x": 1}, expected={"y": 1}).score == 0.0
    assert (
        JSONDiff(preserve_strings=True).evaluate(output='{"x": 1}', expected={"x": 1}).score == 0.0
    )
    exact = JSONDiff(string_scorer=ExactMatch()).evaluate(
        output={"a": "hello"}, expected={"a": "hallo"}
    )
    assert exact.score == 0.0


def test_valid_json_with_and_without_schema() -> None:
    assert ValidJSON().evaluate(output='{"a": 1}').score == 1.0
    assert ValidJSON().evaluate(output=[1, 2]).score == 1.0
    broken = ValidJSON().evaluate(output='{"a": 1')
    assert broken.score == 0.0 and broken.metadata["reason"].startswith("not valid JSON")
    assert ValidJSON().evaluate(output="3").metadata["reason"] == "not a JSON object or array"
    schema = {
        "type": "object",
        "required": ["name", "age"],
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "minLength": 1},
            "age": {"type": "integer", "minimum": 0},
            "tags": {"type": "array", "items": {"enum": ["a", "b"]}},
        },
    }
    assert (
        ValidJSON(schema).evaluate(output='{"name": "Ann", "age": 3, "tags": ["a"]}').score == 1.0
    )
    bad = ValidJSON(schema).evaluate(output={"name": "", "age": -1, "tags": ["c"], "x": 1})
    assert bad.score == 0.0
    errors = "\n".join(bad.metadata["errors"])
    for problem in (
        "$.name: shorter",
        "$.age: -1 is less than 0",
        "$.tags[0]",
        "unexpected property 'x'",
    ):
        assert problem in errors


def test_list_contains_best_matching() -> None:
    scorer = ListContains()
    score = scorer.evaluate(output=["banana", "apple", "cherry"], expected=["apple", "banana"])
    assert score.score == pytest.approx(2 / 3)
    assert {(p["output"], p["expected"]) for p in score.metadata["pairs"]} == {
        ("apple", "apple"),
        ("banana", "banana"),
    }
    lenient = ListContains(allow_extra_entities=True)
    assert (
        lenient.evaluate(output=["banana", "apple", "cherry"], expected=["apple", "banana"]).score
        == 1.0
    )
    assert scorer.evaluate(output=[], expected=[]).score == 1.0
    assert (
        scorer.evaluate(output="not a list", expected=["a"]).error
        == "ListContains needs lists; output is str"
    )


def test_best_assignment_beats_greedy() -> None:
    # Greedy would take (0, 0) = 0.9 and be left with (1, 1) = 0.0; the best total is 1.6.
    weights = [[0.9, 0.8], [0.8, 0.0]]
    pairs = best_assignment(weights)
    assert sorted(pairs) == [(0, 1), (1, 0)]


def test_async_surface_matches_sync() -> None:
    score = asyncio.run(ExactMatch().evaluate_async(output="a", expected="a"))
    assert score.score == 1.0
