"""Summaries and row-by-row comparison on crafted experiments."""

from __future__ import annotations

import pytest

from openloop.evals.compare import canonical_key, compare, summarize


def _row(id, input, acc, **extra):
    return {"id": id, "input": input, "scores": {"acc": acc}, **extra}


BASE = [
    _row("b1", {"q": 1, "lang": "en"}, 0.0),
    _row("b2", {"q": 2}, 1.0),
    _row("b3", {"q": 3}, 0.5),
    _row("b4", {"q": 4}, 0.5),
    _row("b5", {"q": 99}, 1.0),  # not in the current run
]
CURRENT = [
    _row("c1", {"lang": "en", "q": 1}, 1.0),  # same input, other key order: improved
    _row("c2", {"q": 2}, 0.0),  # regressed
    _row("c3", {"q": 3}, 0.5),  # unchanged
    _row("c4a", {"q": 4}, 1.0),  # two trials average to 0.75 > 0.5: improved
    _row("c4b", {"q": 4}, 0.5),
    _row("c6", {"q": 6}, 1.0),  # new input, no baseline
]


def test_canonical_key_ignores_key_order():
    assert canonical_key({"a": 1, "b": [1, 2]}) == canonical_key({"b": [1, 2], "a": 1})
    assert canonical_key({"a": 1}) != canonical_key({"a": "1"})


def test_summary_counts_improvements_and_regressions_by_input():
    s = summarize(CURRENT, BASE)["scores"]["acc"]
    assert s["score"] == pytest.approx(4 / 6)
    assert s["diff"] == pytest.approx(4 / 6 - 3 / 5)
    assert s["improvements"] == 2
    assert s["regressions"] == 1


def test_summary_without_baseline_has_no_diff():
    s = summarize(CURRENT)
    assert s["scores"]["acc"]["diff"] is None
    assert s["scores"]["acc"]["improvements"] == 0
    assert s["row_count"] == 6


def test_null_scores_are_left_out_of_means():
    rows = [_row("a", 1, None), _row("b", 2, 1.0)]
    assert summarize(rows)["scores"]["acc"]["score"] == 1.0


def test_metrics_lower_duration_is_an_improvement():
    base = [{"id": "b", "input": 1, "metrics": {"start": 0, "end": 2, "tokens": 10}}]
    cur = [{"id": "c", "input": 1, "metrics": {"start": 5, "end": 6, "tokens": 20}}]
    m = summarize(cur, base)["metrics"]
    assert m["duration"]["metric"] == 1 and m["duration"]["diff"] == -1
    assert m["duration"]["improvements"] == 1 and m["duration"]["regressions"] == 0
    assert m["total_tokens"]["regressions"] == 1 and m["total_tokens"]["unit"] == "tok"


def test_compare_lists_matches_and_sorts_by_change():
    out = compare(CURRENT, BASE)
    assert out["matched_count"] == 4
    assert out["improved"] == ["c1", "c4a"]
    assert out["regressed"] == ["c2"]
    q4 = next(m for m in out["matches"] if m["input"] == {"q": 4})
    assert q4["ids"] == ["c4a", "c4b"] and q4["baseline_ids"] == ["b4"]
    assert q4["scores"]["acc"] == {"score": 0.75, "baseline": 0.5, "diff": 0.25}
    new = next(m for m in out["matches"] if m["input"] == {"q": 6})
    assert new["matched"] is False and new["scores"]["acc"]["diff"] is None
    assert [u["ids"] for u in out["unmatched_baseline"]] == [["b5"]]
    worst_first = [m["ids"][0] for m in compare(CURRENT, BASE, sort="diff")["matches"]]
    assert worst_first[0] == "c2" and worst_first[-1] == "c1"
    best_first = [m["ids"][0] for m in compare(CURRENT, BASE, sort="-diff")["matches"]]
    assert best_first[0] == "c1"


def test_compare_can_focus_on_one_score():
    cur = [{"id": "c", "input": 1, "scores": {"a": 1.0, "b": 0.0}}]
    base = [{"id": "b", "input": 1, "scores": {"a": 0.0, "b": 1.0}}]
    out = compare(cur, base, score="b")
    assert out["improved"] == [] and out["regressed"] == ["c"]


def test_unknown_sort_is_a_clear_error():
    from openloop.errors import InvalidInput

    with pytest.raises(InvalidInput, match="unknown sort"):
        compare(CURRENT, BASE, sort="sideways")
