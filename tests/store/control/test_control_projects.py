from __future__ import annotations

import pytest

from openloop.errors import Conflict, InvalidInput, NotFound
from openloop.store.control import ControlStore


def test_project_crud(control: ControlStore, org) -> None:
    o, _ = org
    p = control.create_project(o.id, "  support-bot ", "answers tickets")
    assert (p.name, p.description, p.org_id) == ("support-bot", "answers tickets", o.id)
    assert len(p.id) == 32 and int(p.id, 16) >= 0
    assert p.created.tzinfo is not None
    assert control.get_project(o.id, p.id) == p
    assert control.get_project(o.id, "support-bot") == p
    control.create_project(o.id, "alpha")
    assert [x.name for x in control.list_projects(o.id)] == ["alpha", "support-bot"]

    renamed = control.update_project(o.id, p.id, name="helpdesk", description="v2")
    assert (renamed.name, renamed.description) == ("helpdesk", "v2")
    with pytest.raises(NotFound):
        control.get_project(o.id, "support-bot")
    with pytest.raises(Conflict):
        control.update_project(o.id, p.id, name="alpha")

    control.delete_project(o.id, p.id)
    assert [x.name for x in control.list_projects(o.id)] == ["alpha"]
    with pytest.raises(NotFound):
        control.get_project(o.id, p.id)
    with pytest.raises(NotFound):
        control.delete_project(o.id, p.id)
    # The name of a deleted project is free again.
    assert control.create_project(o.id, "helpdesk").id != p.id


def test_project_names_are_validated_and_unique(control: ControlStore, org) -> None:
    o, _ = org
    control.create_project(o.id, "p")
    with pytest.raises(Conflict):
        control.create_project(o.id, "p")
    for bad in ("", "   ", "x" * 129):
        with pytest.raises(InvalidInput):
            control.create_project(o.id, bad)
    assert control.create_project(o.id, "x" * 128).name == "x" * 128
    # Names are unique per org, not globally.
    other = control.create_org("other")
    assert control.create_project(other.id, "p").org_id == other.id


def test_get_or_create_project(control: ControlStore, org) -> None:
    o, _ = org
    first = control.get_or_create_project(o.id, "sdk-logs")
    assert control.get_or_create_project(o.id, "sdk-logs") == first
    assert len(control.list_projects(o.id)) == 1


def test_other_orgs_cannot_touch_a_project(control: ControlStore, org) -> None:
    o, _ = org
    p = control.create_project(o.id, "secret-project")
    b = control.create_org("org-b")
    assert control.list_projects(b.id) == []
    for call in (
        lambda: control.get_project(b.id, p.id),
        lambda: control.get_project(b.id, "secret-project"),
        lambda: control.update_project(b.id, p.id, name="stolen"),
        lambda: control.delete_project(b.id, p.id),
        lambda: control.get_project_settings(b.id, p.id),
        lambda: control.set_project_settings(b.id, p.id, {"x": 1}),
        lambda: control.create_object(b.id, p.id, "dataset", "d"),
        lambda: control.list_objects(b.id, p.id, "dataset"),
    ):
        with pytest.raises(NotFound):
            call()
    assert control.get_project(o.id, p.id).name == "secret-project"


def test_registry_crud(control: ControlStore, org) -> None:
    o, _ = org
    p = control.create_project(o.id, "proj")
    exp = control.create_object(
        o.id, p.id, "experiment", "baseline", description="first run", metadata={"model": "m1"}
    )
    assert (exp.kind, exp.name, exp.metadata, exp.project_id) == (
        "experiment",
        "baseline",
        {"model": "m1"},
        p.id,
    )
    prompt = control.create_object(o.id, p.id, "prompt", "Greeter", slug="greeter")
    fixed = control.create_object(o.id, p.id, "dataset", "golden", id="ds-123")
    assert fixed.id == "ds-123"
    with pytest.raises(Conflict):
        control.create_object(o.id, p.id, "experiment", "baseline")
    with pytest.raises(Conflict):
        control.create_object(o.id, p.id, "prompt", "Other", slug="greeter")
    with pytest.raises(Conflict):
        control.create_object(o.id, p.id, "chart", "c", id="ds-123")
    # Same name, different kind: fine.
    control.create_object(o.id, p.id, "dataset", "baseline")
    with pytest.raises(InvalidInput, match="unknown object kind"):
        control.create_object(o.id, p.id, "widget", "w")

    assert [x.name for x in control.list_objects(o.id, p.id, "experiment")] == ["baseline"]
    assert {x.kind for x in control.list_objects(o.id, p.id)} == {"experiment", "prompt", "dataset"}
    assert control.get_object(o.id, p.id, "prompt", "greeter") == prompt
    assert control.get_object(o.id, p.id, "prompt", "Greeter") == prompt
    assert control.get_object(o.id, p.id, "experiment", exp.id) == exp
    assert control.find_object(o.id, fixed.id) == fixed

    updated = control.update_object(o.id, exp.id, name="baseline-v2", metadata={"model": "m2"})
    assert (updated.name, updated.metadata, updated.description) == (
        "baseline-v2",
        {"model": "m2"},
        "first run",
    )
    assert updated.updated >= exp.updated
    with pytest.raises(Conflict):
        control.update_object(o.id, fixed.id, name="baseline")

    control.delete_object(o.id, exp.id)
    with pytest.raises(NotFound):
        control.find_object(o.id, exp.id)
    with pytest.raises(NotFound):
        control.get_object(o.id, p.id, "experiment", "baseline-v2")
    assert control.create_object(o.id, p.id, "experiment", "baseline-v2").id != exp.id

    b = control.create_org("org-b")
    with pytest.raises(NotFound):
        control.find_object(b.id, fixed.id)
    with pytest.raises(NotFound):
        control.update_object(b.id, fixed.id, name="x")
    with pytest.raises(NotFound):
        control.delete_object(b.id, fixed.id)

    # Deleting the project hides its objects.
    control.delete_project(o.id, p.id)
    with pytest.raises(NotFound):
        control.find_object(o.id, fixed.id)


def test_registry_records_are_json_ready(control: ControlStore, org) -> None:
    o, _ = org
    p = control.create_project(o.id, "proj")
    obj = control.create_object(o.id, p.id, "scorer", "judge", metadata={"a": [1, {"b": None}]})
    d = obj.to_dict()
    assert d["metadata"] == {"a": [1, {"b": None}]}
    assert isinstance(d["created"], str) and d["created"].endswith("+00:00")
    with pytest.raises(InvalidInput):
        control.create_object(o.id, p.id, "scorer", "bad", metadata={"x": object()})


def test_project_settings(control: ControlStore, org) -> None:
    o, _ = org
    p = control.create_project(o.id, "proj")
    assert control.get_project_settings(o.id, p.id) == {}
    stored = control.set_project_settings(o.id, p.id, {"baseline": "exp1", "score_order": ["a"]})
    assert control.get_project_settings(o.id, p.id) == stored
    control.set_project_settings(o.id, p.id, {"baseline": "exp2"})
    assert control.get_project_settings(o.id, "proj") == {"baseline": "exp2"}
    with pytest.raises(InvalidInput):
        control.set_project_settings(o.id, p.id, ["not", "a", "dict"])  # type: ignore[arg-type]
