from __future__ import annotations

import pytest
from sqlalchemy import text

from openloop.errors import ConfigError, InvalidInput, NotFound
from openloop.store.control import ControlStore

KEY = "sk-test-abcdefghijklmnopqrstuvwxyz0123456789"


def test_provider_keys_are_encrypted_at_rest(control: ControlStore, org) -> None:
    o, _ = org
    prov = control.set_provider(o.id, "openai", "openai", api_key=KEY, models=["gpt-4.1"])
    assert prov.has_key and prov.models == ["gpt-4.1"]
    assert KEY not in str(prov.to_dict())
    with control.engine.connect() as conn:
        raw = conn.execute(text("SELECT encrypted_key FROM provider_secrets")).scalar()
    assert raw and KEY not in raw and "abcdefghijklmnop" not in raw
    assert control.get_provider_key(o.id, "openai") == KEY
    listed = control.list_providers(o.id)
    assert [(p.name, p.has_key) for p in listed] == [("openai", True)]
    assert all(KEY not in str(p.to_dict()) for p in listed)


def test_update_keeps_or_clears_key(control: ControlStore, org) -> None:
    o, _ = org
    local = control.set_provider(
        o.id, "local", "openai_compatible", api_key=None, base_url="http://localhost:11434/v1/"
    )
    assert not local.has_key and local.base_url == "http://localhost:11434/v1"
    assert control.get_provider_key(o.id, "local") is None
    control.set_provider(o.id, "claude", "anthropic", api_key=KEY)
    again = control.set_provider(o.id, "claude", "anthropic", api_key=None, models=["claude-x"])
    assert again.has_key and again.models == ["claude-x"]
    assert control.get_provider_key(o.id, "claude") == KEY
    assert not control.set_provider(o.id, "claude", "anthropic", api_key="").has_key
    control.delete_provider(o.id, "claude")
    assert [p.name for p in control.list_providers(o.id)] == ["local"]
    with pytest.raises(NotFound):
        control.delete_provider(o.id, "claude")
    with pytest.raises(NotFound):
        control.get_provider_key(o.id, "claude")


def test_provider_validation_and_scoping(control: ControlStore, org) -> None:
    o, _ = org
    with pytest.raises(InvalidInput, match="unknown provider"):
        control.set_provider(o.id, "x", "cohere", api_key=KEY)
    with pytest.raises(InvalidInput, match="base_url"):
        control.set_provider(o.id, "x", "openai_compatible", api_key=None)
    with pytest.raises(InvalidInput, match="base_url"):
        control.set_provider(o.id, "x", "openai", api_key=None, base_url="ftp://nope")
    control.set_provider(o.id, "openai", "openai", api_key=KEY)
    b = control.create_org("org-b")
    assert control.list_providers(b.id) == []
    with pytest.raises(NotFound):
        control.get_provider_key(b.id, "openai")


def test_wrong_secret_key_cannot_decrypt(control: ControlStore, control_url: str, org) -> None:
    o, _ = org
    control.set_provider(o.id, "openai", "openai", api_key=KEY)
    other = ControlStore.open(control_url, secret_key=b"a-different-secret")
    try:
        with pytest.raises(ConfigError, match="different secret key"):
            other.get_provider_key(o.id, "openai")
        assert other.list_providers(o.id)[0].has_key
    finally:
        other.close()


def test_org_settings(control: ControlStore, org) -> None:
    o, _ = org
    assert control.get_org_settings(o.id) == {"loop_models": [], "auto_accept": False}
    stored = control.set_org_settings(o.id, {"loop_models": ["openai:gpt-4.1"], "theme": "dark"})
    assert stored == {"loop_models": ["openai:gpt-4.1"], "auto_accept": False, "theme": "dark"}
    assert control.get_org_settings(o.id) == stored
    control.set_org_settings(o.id, {"auto_accept": True})
    assert control.get_org_settings(o.id) == {"loop_models": [], "auto_accept": True}
    with pytest.raises(InvalidInput):
        control.set_org_settings(o.id, {"auto_accept": "yes"})
    with pytest.raises(InvalidInput):
        control.set_org_settings(o.id, {"loop_models": "gpt"})
    with pytest.raises(NotFound):
        control.get_org_settings("no-such-org")
