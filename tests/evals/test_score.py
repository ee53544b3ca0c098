from __future__ import annotations

import math

import pytest

from openloop.evals.score import Score, normalize_score, normalize_scores


@pytest.mark.parametrize(
    ("value", "expected"),
    [(0.25, 0.25), (1, 1.0), (0, 0.0), (True, 1.0), (False, 0.0)],
)
def test_numbers_and_bools(value: object, expected: float) -> None:
    assert normalize_score("acc", value) == Score("acc", expected, {}, None)


def test_dict_with_metadata_and_own_name() -> None:
    score = normalize_score("acc", {"score": 0.5, "metadata": {"why": "half"}})
    assert (score.name, score.score, score.metadata, score.error) == (
        "acc",
        0.5,
        {"why": "half"},
        None,
    )
    assert normalize_score("acc", {"name": "tone", "score": 1}).name == "tone"


def test_none_means_not_applicable_not_error() -> None:
    assert normalize_score("acc", None) == Score("acc", None, {}, None)
    assert normalize_score("acc", {"score": None}).error is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.5, "returned 1.5, outside [0, 1]"),
        (-0.1, "outside [0, 1]"),
        (math.nan, "NaN"),
        ("0.5", "returned str '0.5'"),
        ({"metadata": {}}, "without a 'score' key"),
        ({"score": 0.5, "extra": 1}, "unexpected key(s) extra"),
        ({"score": 0.5, "metadata": [1]}, "metadata of type list"),
        ({"score": 2, "metadata": {}}, "outside [0, 1]"),
        ({"score": 0.5, "metadata": {"__pass_threshold": 3}}, "__pass_threshold must be"),
    ],
)
def test_invalid_returns_become_row_errors(value: object, message: str) -> None:
    score = normalize_score("acc", value)
    assert score.score is None
    assert score.error is not None and message in score.error


def test_score_objects_are_validated_and_named() -> None:
    assert normalize_score("acc", Score("", 0.3)).name == "acc"
    assert normalize_score("acc", Score("x", 7.0)).error == "scorer 'x' returned 7, outside [0, 1]"
    failed = Score.failure("x", "boom")
    assert normalize_score("acc", failed) == failed


def test_lists_need_distinct_names() -> None:
    scores = normalize_scores("multi", [Score("a", 1.0), {"name": "b", "score": 0}])
    assert [(s.name, s.score) for s in scores] == [("a", 1.0), ("b", 0.0)]
    assert normalize_scores("one", [0.5]) == [Score("one", 0.5)]
    unnamed = normalize_scores("multi", [0.1, 0.2])
    assert all("each needs its own name" in (s.error or "") for s in unnamed)
    dup = normalize_scores("multi", [Score("a", 1.0), Score("a", 0.0)])
    assert dup[1].error == "scorer 'multi' returned the name 'a' twice"
    assert "empty list" in (normalize_scores("multi", [])[0].error or "")


def test_pass_threshold() -> None:
    passing = Score("acc", 0.8, {"__pass_threshold": 0.7})
    failing = Score("acc", 0.6, {"__pass_threshold": 0.7})
    assert (passing.passed, failing.passed, Score("acc", 0.6).passed) == (True, False, None)
    assert passing.pass_threshold == 0.7
    assert passing.to_dict() == {
        "name": "acc",
        "score": 0.8,
        "metadata": {"__pass_threshold": 0.7},
        "error": None,
    }
