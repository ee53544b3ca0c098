"""/dataset-report on the demo's 50-row dataset."""

from __future__ import annotations

from openloop.loop.offline import parse_command

from ._evals_demo import evals_demo, run


def test_report_describes_the_demo_dataset() -> None:
    d = evals_demo()
    cmd = parse_command("/dataset-report")
    res = cmd.spec.run(d.ctx(dataset_id=d.summary.dataset_id), cmd.args)
    data = res.data
    facts = d.facts["evals"]["dataset"]
    assert data["rows"] == facts["rows"] == 50
    assert data["categories"]["metadata.category"] == facts["categories"]
    assert set(data["categories"]["metadata.difficulty"]) == {"easy", "medium", "hard"}
    assert data["fields"]["input"]["keys"]["question"]["present"] == 50
    assert data["fields"]["expected"]["keys"]["answer"]["kinds"] == {"string": 50}
    assert data["missing_expected"] == 0 and data["duplicates"]["exact"] == []
    assert (
        data["input_length"]["min"] <= data["input_length"]["median"] <= data["input_length"]["max"]
    )
    assert sum(data["tags"].values()) == 50
    assert any("every row has an expected output" in s for s in data["strengths"])
    assert data["recommendations"]
    for section in ("### Strengths", "### Gaps", "### Recommendations"):
        assert section in res.text
    # Deterministic: the same report twice.
    assert run("analyze_dataset", d.ctx(), dataset="support-questions").data == data


def test_duplicates_and_thin_datasets_are_gaps() -> None:
    from openloop.loop.skills.datasets_report import analyze

    rows = [
        {"id": str(i), "input": "How do I reset my password?", "expected": None} for i in range(3)
    ] + [{"id": "x", "input": "how do I reset my password", "expected": "a"}]
    report = analyze(rows)
    assert report["duplicates"]["exact"] == [["0", "1", "2"]]
    assert report["duplicates"]["near"] == [["0", "1", "2", "x"]]  # case and punctuation differ
    assert any("too few" in g for g in report["gaps"])
    assert report["missing_expected"] == 3
