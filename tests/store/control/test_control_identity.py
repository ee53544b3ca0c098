from __future__ import annotations

import pytest
from sqlalchemy import text

from openloop.errors import Conflict, InvalidInput, NotFound, Unauthorized
from openloop.store.control import ControlStore


def test_bootstrap_makes_an_owner_who_can_sign_in(control: ControlStore) -> None:
    assert control.is_empty()
    boot = control.bootstrap()
    assert not control.is_empty()
    assert boot.org.name == "default"
    assert boot.user.email == "admin@localhost"
    assert boot.api_key_plaintext.startswith("olk_")
    assert boot.api_key == boot.api_key_plaintext and boot.key.prefix == boot.api_key[:12]
    assert [o.name for o in control.list_orgs()] == ["default"]
    p = control.authenticate_api_key(boot.api_key_plaintext)
    assert (p.org_id, p.user_id, p.role) == (boot.org.id, boot.user.id, "owner")
    assert [k.name for k in control.list_api_keys(boot.org.id)] == ["admin"]
    _, session_p = control.consume_login_link(boot.login_token)
    assert session_p.role == "owner"
    with pytest.raises(Conflict):
        control.bootstrap()


def test_passwords_are_argon2_and_checked(control: ControlStore, org) -> None:
    o, _ = org
    user = control.create_user("Dev@Acme.test", "Dev", password="correct horse")
    assert user.email == "dev@acme.test" and user.has_password
    control.add_member(o.id, user.id, "member")
    with control.engine.connect() as conn:
        stored = conn.execute(
            text("SELECT password_hash FROM users WHERE id = :id"), {"id": user.id}
        ).scalar()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored
    p = control.authenticate_password("DEV@acme.test", "correct horse")
    assert (p.org_id, p.user_id, p.role) == (o.id, user.id, "member")
    with pytest.raises(Unauthorized):
        control.authenticate_password("dev@acme.test", "wrong horse")
    with pytest.raises(Unauthorized):
        control.authenticate_password("nobody@acme.test", "correct horse")
    control.set_password(user.id, "battery staple")
    with pytest.raises(Unauthorized):
        control.authenticate_password("dev@acme.test", "correct horse")
    assert control.authenticate_password("dev@acme.test", "battery staple").user_id == user.id
    with pytest.raises(InvalidInput):
        control.set_password(user.id, "short")


def test_user_without_password_or_org_cannot_sign_in(control: ControlStore) -> None:
    control.create_user("nopw@x.test", "No Password")
    with pytest.raises(Unauthorized):
        control.authenticate_password("nopw@x.test", "anything at all")
    control.create_user("loner@x.test", "Loner", password="password123")
    with pytest.raises(Unauthorized, match="not a member"):
        control.authenticate_password("loner@x.test", "password123")


def test_validation_and_duplicates(control: ControlStore, org) -> None:
    o, owner = org
    with pytest.raises(InvalidInput):
        control.create_user("not-an-email", "X")
    with pytest.raises(InvalidInput):
        control.create_org("")
    with pytest.raises(InvalidInput):
        control.create_org("x" * 129)
    with pytest.raises(Conflict):
        control.create_org("acme")
    with pytest.raises(Conflict):
        control.create_user("OWNER@acme.test", "Again")
    with pytest.raises(Conflict):
        control.add_member(o.id, owner.id, "admin")
    with pytest.raises(InvalidInput):
        control.add_member(o.id, owner.id, "superuser")
    with pytest.raises(NotFound):
        control.get_org("nope")
    with pytest.raises(NotFound):
        control.get_user("nope")
    assert control.get_user_by_email("ghost@acme.test") is None


def test_members_roles_and_last_owner(control: ControlStore, org) -> None:
    o, owner = org
    bob = control.create_user("bob@acme.test", "Bob")
    control.add_member(o.id, bob.id, "viewer")
    assert {(m.email, m.role) for m in control.list_members(o.id)} == {
        ("owner@acme.test", "owner"),
        ("bob@acme.test", "viewer"),
    }
    with pytest.raises(Conflict, match="last owner"):
        control.set_role(o.id, owner.id, "admin")
    with pytest.raises(Conflict, match="last owner"):
        control.remove_member(o.id, owner.id)
    assert control.set_role(o.id, bob.id, "owner").role == "owner"
    assert control.set_role(o.id, owner.id, "admin").role == "admin"
    with pytest.raises(Conflict):
        control.remove_member(o.id, bob.id)
    control.remove_member(o.id, owner.id)
    assert [m.user_id for m in control.list_members(o.id)] == [bob.id]
    with pytest.raises(NotFound):
        control.set_role(o.id, owner.id, "member")


def test_removed_member_loses_keys_and_sessions(control: ControlStore, org) -> None:
    o, _ = org
    eve = control.create_user("eve@acme.test", "Eve")
    control.add_member(o.id, eve.id, "member")
    _, key = control.create_api_key(o.id, eve.id, "laptop")
    session = control.create_session(o.id, eve.id)
    assert control.authenticate_api_key(key).user_id == eve.id
    control.remove_member(o.id, eve.id)
    with pytest.raises(Unauthorized):
        control.authenticate_api_key(key)
    with pytest.raises(Unauthorized):
        control.authenticate_session(session)


def test_user_in_two_orgs_signs_in_to_the_first(control: ControlStore, org) -> None:
    o, _ = org
    other = control.create_org("other")
    u = control.create_user("multi@acme.test", "Multi", password="password123")
    control.add_member(o.id, u.id, "viewer")
    control.add_member(other.id, u.id, "owner")
    assert control.authenticate_password("multi@acme.test", "password123").org_id == o.id
    assert [(org.name, role) for org, role in control.list_orgs_for_user(u.id)] == [
        ("acme", "viewer"),
        ("other", "owner"),
    ]
