from __future__ import annotations

import threading

import pytest

from openloop.errors import NotFound, UsageError
from openloop.store.control import ControlStore


def test_threads(control: ControlStore, org) -> None:
    o, owner = org
    p = control.create_project(o.id, "proj")
    t1 = control.create_thread(o.id, p.id, owner.id, title="why errors?", model="openai:gpt-4.1")
    t2 = control.create_thread(o.id, None, owner.id)
    assert (t1.project_id, t1.title, t1.model, t1.settings) == (
        p.id,
        "why errors?",
        "openai:gpt-4.1",
        {},
    )
    assert [t.id for t in control.list_threads(o.id, p.id, owner.id)] == [t1.id]
    assert {t.id for t in control.list_threads(o.id, None, owner.id)} == {t1.id, t2.id}
    other_user = control.create_user("x@acme.test", "X")
    control.add_member(o.id, other_user.id, "member")
    assert control.list_threads(o.id, None, other_user.id) == []

    t1b = control.update_thread(o.id, t1.id, title="renamed", settings={"tools": ["query"]})
    assert (t1b.title, t1b.settings, t1b.model) == (
        "renamed",
        {"tools": ["query"]},
        "openai:gpt-4.1",
    )
    assert control.get_thread(o.id, t1.id) == t1b
    with pytest.raises(UsageError):
        control.update_thread(o.id, t1.id, user_id="someone")
    b = control.create_org("org-b")
    with pytest.raises(NotFound):
        control.get_thread(b.id, t1.id)
    with pytest.raises(NotFound):
        control.update_thread(b.id, t1.id, title="x")
    control.delete_thread(o.id, t2.id)
    with pytest.raises(NotFound):
        control.get_thread(o.id, t2.id)


def test_messages_append_update_truncate(control: ControlStore, org) -> None:
    o, owner = org
    t = control.create_thread(o.id, None, owner.id)
    m1 = control.append_message(t.id, "user", {"text": "hi"})
    m2 = control.append_message(t.id, "assistant", {"text": ""}, status="running")
    m3 = control.append_message(t.id, "user", {"text": "more"}, status="queued")
    assert [m.seq for m in (m1, m2, m3)] == [1, 2, 3]
    done = control.update_message(t.id, 2, content={"text": "hello!"}, status="done")
    assert (done.content, done.status) == ({"text": "hello!"}, "done")
    assert control.get_thread(o.id, t.id).updated >= t.updated

    # Edit and re-run the second message: drop it and everything after, then append again.
    control.truncate_messages(t.id, 2)
    assert [(m.seq, m.role) for m in control.list_messages(t.id)] == [(1, "user")]
    again = control.append_message(t.id, "assistant", {"text": "again"})
    assert again.seq == 2
    assert [m.content["text"] for m in control.list_messages(t.id)] == ["hi", "again"]
    with pytest.raises(NotFound):
        control.append_message("no-such-thread", "user", {})
    with pytest.raises(NotFound):
        control.update_message(t.id, 99, status="done")


def test_concurrent_appends_get_distinct_seqs(control: ControlStore, org) -> None:
    o, owner = org
    t = control.create_thread(o.id, None, owner.id)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(5):
                control.append_message(t.id, "user", {"w": n, "i": i})
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert errors == []
    assert [m.seq for m in control.list_messages(t.id)] == list(range(1, 21))
