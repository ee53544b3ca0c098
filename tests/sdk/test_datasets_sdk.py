"""``init_dataset`` and ``load_prompt`` against the real app (in-process, over httpx's ASGI
transport) and real stores."""

from __future__ import annotations

import httpx
import pytest

import openloop
from openloop.errors import InvalidInput, NotFound


@pytest.fixture
def services(settings):
    from openloop.services import Services

    svc = Services.open(settings)
    yield svc
    svc.close()


@pytest.fixture
def conn(services):
    """Keyword arguments that point the SDK at the app, authenticated as an org owner."""
    from openloop.server.app import create_app

    boot = services.control.bootstrap()
    app = create_app(services.settings, services=services)
    return {
        "api_key": boot.api_key,
        "base_url": "http://openloop.test",
        "transport": httpx.ASGITransport(app=app),
    }


def test_init_dataset_writes_versions_and_reads_them_back(conn):
    with openloop.init_dataset("sdk-proj", "golden", description="hand-picked", **conn) as ds:
        a = ds.insert(input={"q": "2+2"}, expected="4", metadata={"src": "doc"}, tags=["math"])
        b = ds.insert(input={"q": "3+3"}, expected="6", id="row-b")
        assert b == "row-b"
        v1 = ds.flush()
        assert v1 is not None and ds.version == v1
        ds.update(a, expected="four", metadata={"checked": True})
        ds.delete(b)
        rows = list(ds)
        assert [r["id"] for r in rows] == [a]
        assert rows[0]["expected"] == "four"
        assert rows[0]["metadata"] == {"src": "doc", "checked": True}
        assert rows[0]["tags"] == ["math"]
        summary = ds.summarize()
        assert summary["num_rows"] == 1 and summary["dataset_name"] == "golden"
        assert int(ds.version) > int(v1)
        dataset_id = ds.id

    # get-or-create: the same name opens the same dataset; a pinned one reads the old version
    again = openloop.init_dataset("sdk-proj", "golden", version=v1, **conn)
    assert again.id == dataset_id and again.version == v1
    assert sorted(r["expected"] for r in again) == ["4", "6"]
    again.close()


def test_rejected_writes_raise_and_stay_pending(conn, services):
    from openloop.auth import Principal
    from openloop.services import datasets

    ds = openloop.init_dataset("sdk-proj", "doomed", **conn)
    ds.insert(input="x")
    owner = Principal(org_id=services.control.list_orgs()[0].id, user_id="u", role="owner")
    datasets.delete_dataset(services, owner, ds.id)
    with pytest.raises(NotFound, match="dataset"):
        ds.flush()
    assert len(ds._pending) == 1  # kept, so a retry after fixing the cause sends it
    ds._pending.clear()
    ds.close()


def test_load_prompt_pins_versions_and_builds_client_kwargs(conn, services):
    from openloop.auth import Principal
    from openloop.services import prompts

    owner = Principal(org_id=services.control.list_orgs()[0].id, user_id="u", role="owner")
    services.control.create_project(owner.org_id, "sdk-proj")
    fields = {
        "model": "gpt-4o-mini", "params": {"temperature": 0.2},
        "messages": [{"role": "user", "content": "Say hi to {{name}}"}],
    }  # fmt: skip
    created = prompts.create_prompt(services, owner, "sdk-proj", "Greeter", fields)
    v1 = created["version"]
    v2 = prompts.save_version(services, owner, created["id"], {"params": {"temperature": 0.9}})[
        "version"
    ]

    latest = openloop.load_prompt("sdk-proj", "greeter", **conn)
    assert latest.version == v2
    assert latest.build(name="Ada") == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "Say hi to Ada"}],
        "temperature": 0.9,
    }
    pinned = openloop.load_prompt("sdk-proj", "greeter", version=v1, defaults={"max_tokens": 50},
                                  **conn)  # fmt: skip
    assert pinned.version == v1
    assert pinned.build({"name": "Bo"}) == {
        "model": "gpt-4o-mini",
        "messages": [{"role": "user", "content": "Say hi to Bo"}],
        "temperature": 0.2,
        "max_tokens": 50,
    }
    with pytest.raises(InvalidInput, match="name"):
        latest.build()
    with pytest.raises(NotFound):
        openloop.load_prompt("sdk-proj", "nope", **conn)
