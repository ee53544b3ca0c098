"""create_dataset: from written rows, or from an experiment's failing rows with back-pointers."""

from __future__ import annotations

import pytest

from openloop.errors import InvalidInput

from ._evals_demo import evals_demo, preview, run


def test_failing_rows_of_an_experiment_become_a_dataset() -> None:
    from openloop.services.datasets import read_rows

    d = evals_demo()
    exp_id = d.summary.experiment_ids["citations-v2"]
    args = {"name": "judge-failures", "from_experiment": "citations-v2",
            "score": "Answer quality (judge)", "threshold": 0.5}  # fmt: skip
    card = preview("create_dataset", d.ctx(), **args)
    assert "\n" not in card.description and "judge-failures" in card.description
    names = [
        o.name
        for o in d.svc.control.list_objects(d.principal.org_id, d.summary.project_id, "dataset")
    ]
    assert "judge-failures" not in names  # nothing written by the preview
    res = run("create_dataset", d.ctx(), **args)
    rows = read_rows(d.svc, d.principal, res.data["dataset_id"])["rows"]
    failing = d.facts["evals"]["experiments"]["citations-v2"]
    assert rows and len(rows) == len(card.preview)
    assert all(r["origin"]["object_type"] == "experiment" for r in rows)
    assert all(r["origin"]["object_id"] == exp_id for r in rows)
    assert all(r["metadata"]["source_row"] for r in rows) and failing["rows"] == 50


def test_written_rows_and_name_clash() -> None:
    d = evals_demo()
    rows = [{"input": "a", "expected": "b"}]
    res = run("create_dataset", d.ctx(), name="tiny-new", rows=rows)
    assert res.data["rows"] == 1
    with pytest.raises(InvalidInput, match="already exists"):
        preview("create_dataset", d.ctx(), name="tiny-new", rows=rows)
    with pytest.raises(InvalidInput, match="give rows"):
        preview("create_dataset", d.ctx(), name="empty-one")
