"""pick_best_scorers ranks the demo experiment's scores and built-ins, using human review."""

from __future__ import annotations

from ._evals_demo import evals_demo, run


def test_review_scores_decide_the_ranking() -> None:
    from openloop.services.experiments import experiment_root_rows
    from openloop.services.review import submit_review

    d = evals_demo()
    exp = d.summary.experiment_ids["baseline-v1"]
    rows = experiment_root_rows(d.svc, d.principal, exp)
    for row in rows[:12]:  # a reviewer who agrees with the judge
        judge = row["scores"]["Answer quality (judge)"]
        submit_review(d.svc, d.principal, "experiment", exp, row_id=row["id"],
                      scores={"human_quality": judge})  # fmt: skip
    res = run("pick_best_scorers", d.ctx(experiment_id=exp))
    ranked = {r["name"]: r for r in res.data["ranked"]}
    assert res.data["review_scores"] == ["human_quality"]
    assert res.data["ranked"][0]["name"] == "Answer quality (judge)"
    assert ranked["Answer quality (judge)"]["review_correlation"]["human_quality"] > 0.99
    assert ranked["Levenshtein"]["source"] == "built-in (run now)"
    assert "| scorer | source |" in res.text and "Keep: Answer quality (judge)" in res.text
