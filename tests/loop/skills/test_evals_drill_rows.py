"""drill_rows: an experiment's rows by score range, sorted."""

from __future__ import annotations

import pytest

from openloop.errors import InvalidInput

from ._evals_demo import evals_demo, run


def test_rows_where_the_judge_failed_worst_first() -> None:
    d = evals_demo()
    ctx = d.ctx(experiment_id=d.summary.experiment_ids["citations-v2"])
    res = run("drill_rows", ctx, score="Answer quality (judge)", max_score=0.0)
    rows = res.data
    assert rows and all(r["scores"]["Answer quality (judge)"] == 0 for r in rows)
    best = run("drill_rows", ctx, score="cites_source", sort="-score", limit=3).data
    assert [r["value"] for r in best] == [1.0, 1.0, 1.0]
    assert "data from experiment citations-v2" in res.text


def test_unknown_score_lists_the_real_ones() -> None:
    d = evals_demo()
    ctx = d.ctx(experiment_id=d.summary.experiment_ids["citations-v2"])
    with pytest.raises(InvalidInput, match="cites_source"):
        run("drill_rows", ctx, score="accuracy")
