from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from openloop.errors import NotFound, Unauthorized
from openloop.store.control import ControlStore
from openloop.store.control.schema import Base


def _all_cells(control: ControlStore) -> list[str]:
    cells: list[str] = []
    with control.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            for row in conn.execute(text(f'SELECT * FROM "{table.name}"')):
                cells.extend(str(v) for v in row)
    return cells


def test_api_key_lifecycle(control: ControlStore, org) -> None:
    o, owner = org
    record, plaintext = control.create_api_key(o.id, owner.id, "ci")
    assert plaintext.startswith("olk_") and len(plaintext) >= 4 + 43
    assert record.prefix == plaintext[:12]
    assert "key_hash" not in record.to_dict() and plaintext not in str(record.to_dict())
    # Nothing in the database holds the key, only its prefix and digest.
    cells = _all_cells(control)
    assert not [c for c in cells if plaintext in c]
    assert record.prefix in cells

    listed = control.list_api_keys(o.id)
    assert [(k.id, k.prefix, k.last_used_at) for k in listed] == [(record.id, record.prefix, None)]

    p = control.authenticate_api_key(plaintext)
    assert (p.org_id, p.user_id, p.role, p.api_key_id) == (o.id, owner.id, "owner", record.id)
    first_use = control.list_api_keys(o.id)[0].last_used_at
    assert first_use is not None and first_use.tzinfo is not None
    control.authenticate_api_key(plaintext)
    # Refreshed at most once a minute, so a burst of requests does not write each time.
    assert control.list_api_keys(o.id)[0].last_used_at == first_use

    revoked = control.revoke_api_key(o.id, record.id)
    assert revoked.revoked and revoked.to_dict()["revoked_at"]
    with pytest.raises(Unauthorized, match="revoked"):
        control.authenticate_api_key(plaintext)
    with pytest.raises(Unauthorized):
        control.authenticate_api_key("olk_" + "x" * 43)


def test_api_keys_are_scoped_by_org(control: ControlStore, org) -> None:
    o, owner = org
    other = control.create_org("other")
    record, plaintext = control.create_api_key(o.id, owner.id, "ci")
    with pytest.raises(NotFound):
        control.revoke_api_key(other.id, record.id)
    assert control.list_api_keys(other.id) == []
    assert control.authenticate_api_key(plaintext).org_id == o.id
    with pytest.raises(NotFound):
        control.create_api_key(other.id, owner.id, "not a member there")


def test_login_link_is_one_time(control: ControlStore, org) -> None:
    o, owner = org
    token = control.create_login_link(o.id, owner.id)
    assert not [c for c in _all_cells(control) if token in c]
    session, p = control.consume_login_link(token)
    assert (p.org_id, p.user_id, p.role) == (o.id, owner.id, "owner")
    assert p.session_id is not None
    assert control.authenticate_session(session) == p
    with pytest.raises(Unauthorized, match="already used"):
        control.consume_login_link(token)
    with pytest.raises(Unauthorized, match="not valid"):
        control.consume_login_link("made-up-token")


def test_login_link_expires(control: ControlStore, org) -> None:
    o, owner = org
    token = control.create_login_link(o.id, owner.id, ttl_minutes=0.001)
    time.sleep(0.1)
    with pytest.raises(Unauthorized, match="expired"):
        control.consume_login_link(token)


def test_sessions(control: ControlStore, org) -> None:
    o, owner = org
    token = control.create_session(o.id, owner.id)
    p = control.authenticate_session(token)
    assert (p.org_id, p.user_id, p.role, p.api_key_id) == (o.id, owner.id, "owner", None)
    assert not [c for c in _all_cells(control) if token in c]
    control.end_session(token)
    with pytest.raises(Unauthorized):
        control.authenticate_session(token)
    control.end_session(token)  # signing out twice is fine

    short = control.create_session(o.id, owner.id, ttl_hours=0.00001)
    time.sleep(0.1)
    with pytest.raises(Unauthorized, match="expired"):
        control.authenticate_session(short)
    assert control.purge_expired() >= 1


def test_role_change_applies_to_existing_credentials(control: ControlStore, org) -> None:
    o, _ = org
    u = control.create_user("m@acme.test", "M")
    control.add_member(o.id, u.id, "member")
    _, key = control.create_api_key(o.id, u.id, "k")
    assert control.authenticate_api_key(key).can_write()
    control.set_role(o.id, u.id, "viewer")
    assert not control.authenticate_api_key(key).can_write()
