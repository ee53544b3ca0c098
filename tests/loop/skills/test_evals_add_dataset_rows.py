"""add_dataset_rows: a one-line preview listing the rows; nothing is written until run."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from openloop.errors import InvalidInput

from ._evals_demo import evals_demo, preview, run


def _fresh_dataset(name: str) -> str:
    from openloop.services.datasets import create_dataset, insert_rows

    d = evals_demo()
    obj = create_dataset(d.svc, d.principal, d.summary.project_id, name)
    insert_rows(d.svc, d.principal, obj.id, [{"input": {"question": "hi"}, "expected": "hello"}])
    return obj.id


def test_preview_then_run_appends_rows() -> None:
    from openloop.services.datasets import read_rows

    d = evals_demo()
    ds = _fresh_dataset("add-rows-target")
    rows = [{"input": {"question": "Can I pay by invoice?"}, "expected": "Yes, on business.",
             "metadata": {"category": "billing"}, "tags": ["billing"]},
            {"input": {"question": "¿Puedo exportar mis datos?"}, "expected": "Sí."}]  # fmt: skip
    ctx = d.ctx(dataset_id=ds)
    card = preview("add_dataset_rows", ctx, rows=rows)
    assert "\n" not in card.description
    assert card.description == "Add 2 rows to dataset 'add-rows-target' (1 → 3 rows)"
    assert card.diff.count("\n+ ") == 1 and "Can I pay by invoice?" in card.diff
    assert len(read_rows(d.svc, d.principal, ds)["rows"]) == 1  # nothing written yet
    res = run("add_dataset_rows", ctx, rows=rows)
    got = read_rows(d.svc, d.principal, ds)["rows"]
    assert len(got) == 3 and "now 3 rows" in res.text
    assert got[-1]["input"] == {"question": "¿Puedo exportar mis datos?"}


def test_bad_rows_are_refused_before_the_card() -> None:
    d = evals_demo()
    ds = _fresh_dataset("add-rows-bad")
    with pytest.raises(ValidationError, match="tags"):
        preview("add_dataset_rows", d.ctx(dataset_id=ds), rows=[{"input": "x", "tags": [1]}])
    with pytest.raises(InvalidInput, match="no dataset named 'nope'"):
        preview("add_dataset_rows", d.ctx(), dataset="nope", rows=[{"input": "x"}])
