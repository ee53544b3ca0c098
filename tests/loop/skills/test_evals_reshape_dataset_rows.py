"""reshape_dataset_rows: declarative reshaping of every row as one new version."""

from __future__ import annotations

import pytest

from openloop.errors import InvalidInput

from ._evals_demo import evals_demo, preview, run


def test_rename_drop_and_wrap_with_a_three_row_diff() -> None:
    from openloop.services.datasets import create_dataset, insert_rows, list_versions, read_rows

    d = evals_demo()
    obj = create_dataset(d.svc, d.principal, d.summary.project_id, "reshape-me")
    insert_rows(d.svc, d.principal, obj.id, [
        {"id": f"r{i}", "input": {"question": f"q{i}"}, "expected": f"a{i}",
         "metadata": {"category": "c"}} for i in range(5)])  # fmt: skip
    ops = [{"op": "rename", "path": "input.question", "to": "content"},
           {"op": "move", "path": "metadata.category", "to": "input.category"},
           {"op": "drop", "path": "expected"}]  # fmt: skip
    ctx = d.ctx(dataset_id=obj.id)
    card = preview("reshape_dataset_rows", ctx, operations=ops)
    assert "\n" not in card.description
    assert card.description.startswith("Reshape 5 of 5 rows of dataset 'reshape-me'")
    assert "rename input.question → input.content" not in card.description  # names the key
    assert "rename input.question → content" in card.description
    assert card.diff.count("+++ row ") == 3 and '-  "expected": "a0"' in card.diff
    assert len(list_versions(d.svc, d.principal, obj.id)) == 1
    run("reshape_dataset_rows", ctx, operations=ops)
    rows = read_rows(d.svc, d.principal, obj.id)["rows"]
    assert rows[0]["input"] == {"content": "q0", "category": "c"}
    assert rows[0]["expected"] is None and rows[0]["metadata"] == {}
    assert len(list_versions(d.svc, d.principal, obj.id)) == 2

    wrap = [{"op": "wrap", "path": "input", "key": "message"}]
    run("reshape_dataset_rows", ctx, operations=wrap)
    assert read_rows(d.svc, d.principal, obj.id)["rows"][0]["input"] == {
        "message": {"content": "q0", "category": "c"}}  # fmt: skip


def test_operations_that_match_nothing_are_refused() -> None:
    d = evals_demo()
    ctx = d.ctx(dataset_id=d.summary.dataset_id)
    with pytest.raises(InvalidInput, match="change no row"):
        preview("reshape_dataset_rows", ctx, operations=[{"op": "drop", "path": "input.nope"}])
    with pytest.raises(InvalidInput, match="must start with input"):
        preview("reshape_dataset_rows", ctx, operations=[{"op": "drop", "path": "output"}])
