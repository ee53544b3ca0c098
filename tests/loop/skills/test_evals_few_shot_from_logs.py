"""few_shot_from_logs picks well-scored, error-free, varied examples from the demo logs."""

from __future__ import annotations

from ._evals_demo import evals_demo, run


def test_examples_are_good_and_varied() -> None:
    from openloop.store.data.base import ObjectRef

    d = evals_demo()
    res = run("few_shot_from_logs", d.ctx(), count=3, min_score=1.0, days=30)
    msgs = res.data["messages"]
    assert [m["role"] for m in msgs] == ["user", "assistant"] * 3
    ref = ObjectRef(d.principal.org_id, d.summary.project_id, "project_logs",
                    d.summary.project_id)  # fmt: skip
    picked = d.svc.data.read(ref, ids=res.data["ids"])
    assert len(picked) == 3
    assert all(not r.get("error") and min(r["scores"].values()) >= 1.0 for r in picked)
    tags = [frozenset(r.get("tags") or []) for r in picked]
    assert all(not (a & b) for i, a in enumerate(tags) for b in tags[i + 1 :])
    assert "not instructions" in res.text
