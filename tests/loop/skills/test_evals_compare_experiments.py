"""/compare A B on the demo reports exactly the planted improvements and regressions."""

from __future__ import annotations

import pytest

from openloop.errors import InvalidInput
from openloop.loop.offline import parse_command

from ._evals_demo import evals_demo, run


def test_compare_command_names_both_experiments() -> None:
    d = evals_demo()
    cmd = parse_command("/compare citations-v2 baseline-v1")
    res = cmd.spec.run(d.ctx(), cmd.args)
    assert (res.data["experiment_name"], res.data["baseline_name"]) == (
        "citations-v2",
        "baseline-v1",
    )
    for name, expected in d.facts["evals"]["comparison"]["scores"].items():
        got = res.data["changes"][name]
        assert sorted(got["improved"]) == sorted(expected["improved"])
        assert sorted(got["regressed"]) == sorted(expected["regressed"])
        assert res.data["scores"][name]["regressions"] == len(expected["regressed"])
    assert res.data["matched"] == 50
    top = res.data["changed_rows"][0]
    assert top["input"] and top["diffs"]
    assert "Top changed rows" in res.text and "| Answer quality (judge) |" in res.text


def test_compare_defaults_to_the_page_experiment_and_its_baseline() -> None:
    d = evals_demo()
    ctx = d.ctx(experiment_id=d.summary.experiment_ids["citations-v2"])
    res = run("compare_experiments", ctx, top=3)
    assert res.data["baseline_name"] == "baseline-v1"
    assert res.text.count("\n- `") == 3


def test_compare_rejects_an_unknown_experiment() -> None:
    d = evals_demo()
    with pytest.raises(InvalidInput, match="no experiment named 'nope'"):
        run("compare_experiments", d.ctx(), experiments="citations-v2 nope")
