"""/summarize on the demo: score means, pass rates, metrics, and exactly the planted changes."""

from __future__ import annotations

from openloop.loop.offline import parse_command

from ._evals_demo import evals_demo


def test_summary_reports_the_planted_improvements_and_regressions() -> None:
    d = evals_demo()
    ctx = d.ctx(experiment_id=d.summary.experiment_ids["citations-v2"])
    cmd = parse_command("/summarize")
    assert cmd.spec is not None and cmd.spec.name == "summarize_experiment"
    res = cmd.spec.run(ctx, cmd.args)
    facts = d.facts["evals"]
    assert res.data["baseline_name"] == "baseline-v1"
    for name, expected in facts["comparison"]["scores"].items():
        got = res.data["changes"]["scores"][name]
        assert sorted(got["improved"]) == sorted(expected["improved"])
        assert sorted(got["regressed"]) == sorted(expected["regressed"])
        assert res.data["scores"][name]["improvements"] == len(expected["improved"])
        mean = facts["experiments"]["citations-v2"]["mean"][name]
        assert round(res.data["scores"][name]["score"], 4) == mean
    judge = res.data["scores"]["Answer quality (judge)"]
    assert judge["threshold"] == 0.7  # the saved scorer's pass threshold
    assert 0 < judge["pass_rate"] < 1
    assert {"total_tokens", "estimated_cost", "duration"} <= set(res.data["metrics"])
    assert "### Worst rows" in res.text and "baseline-v1" in res.text
    assert len(res.data["worst"]) == 5


def test_summary_by_name_without_a_page() -> None:
    d = evals_demo()
    cmd = parse_command("/summarize baseline-v1")
    out = cmd.spec.run(d.ctx(), cmd.args)
    assert out.data["experiment_name"] == "baseline-v1"
    # The first experiment has nothing earlier to compare with.
    assert out.data["baseline_name"] is None and out.data["changes"] is None
    assert out.data["row_count"] == 50
