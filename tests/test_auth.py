from __future__ import annotations

import pytest

from openloop.auth import (
    ROLES,
    Principal,
    generate_api_key,
    hash_password,
    hash_token,
    require_admin,
    require_write,
    verify_password,
)
from openloop.errors import Forbidden


@pytest.mark.parametrize(
    ("role", "write", "admin"),
    [
        ("owner", True, True),
        ("admin", True, True),
        ("member", True, False),
        ("viewer", False, False),
    ],
)
def test_roles(role: str, write: bool, admin: bool) -> None:
    p = Principal(org_id="o", user_id="u", role=role)
    assert (p.can_write(), p.can_admin()) == (write, admin)
    if write:
        require_write(p)
    else:
        with pytest.raises(Forbidden, match="viewers cannot change anything") as exc:
            require_write(p)
        assert exc.value.status == 403
    if admin:
        require_admin(p)
    else:
        with pytest.raises(Forbidden, match="owners and admins"):
            require_admin(p)
    assert role in ROLES


def test_api_keys_are_random_and_hashed() -> None:
    keys = {generate_api_key() for _ in range(50)}
    assert len(keys) == 50
    key = keys.pop()
    assert key.startswith("olk_") and len(key) >= 4 + 43
    digest = hash_token(key)
    assert len(digest) == 64 and key not in digest and hash_token(key) == digest


def test_password_hashing() -> None:
    h = hash_password("hunter22")
    assert h.startswith("$argon2id$") and h != hash_password("hunter22")
    assert verify_password(h, "hunter22")
    assert not verify_password(h, "hunter23")
    assert not verify_password("not-a-hash", "hunter22")
