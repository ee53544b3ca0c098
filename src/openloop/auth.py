"""Who is calling and what they may do: principals, roles, tokens and password hashes.

Pure functions and values; the server turns credentials into a :class:`Principal` through
:class:`openloop.store.control.ControlStore` and checks it with :func:`require_write` /
:func:`require_admin` before changing anything.

Roles, strongest first::

    owner    everything, including managing owners; every org keeps at least one
    admin    members, API keys, provider secrets, org settings, plus everything a member does
    member   create and change projects, experiments, datasets, prompts, scorers, logs
    viewer   read only

>>> p = Principal(org_id="o", user_id="u", role="viewer")
>>> p.can_write()
False
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from openloop.errors import Forbidden, InvalidInput

__all__ = [
    "API_KEY_PREFIX",
    "ROLES",
    "Principal",
    "generate_api_key",
    "generate_token",
    "hash_password",
    "hash_token",
    "password_needs_rehash",
    "require_admin",
    "require_write",
    "validate_password",
    "validate_role",
    "verify_password",
]

logger = logging.getLogger(__name__)

ROLES: tuple[str, ...] = ("owner", "admin", "member", "viewer")
WRITE_ROLES = frozenset({"owner", "admin", "member"})
ADMIN_ROLES = frozenset({"owner", "admin"})

#: Every API key starts with this, so a leaked key is recognisable (and greppable by scanners).
API_KEY_PREFIX = "olk_"
#: Random bytes behind every API key, login link and session token.
TOKEN_BYTES = 32
MIN_PASSWORD_LENGTH = 8
MAX_PASSWORD_LENGTH = 1024

_hasher = PasswordHasher()


@dataclass(frozen=True)
class Principal:
    """An authenticated caller acting inside one organization."""

    org_id: str
    user_id: str
    role: str
    api_key_id: str | None = None
    session_id: str | None = None

    def can_write(self) -> bool:
        """Owners, admins and members may change things; viewers may not."""
        return self.role in WRITE_ROLES

    def can_admin(self) -> bool:
        """Owners and admins manage members, keys, providers and org settings."""
        return self.role in ADMIN_ROLES


def require_write(p: Principal) -> None:
    """Raise :class:`~openloop.errors.Forbidden` unless ``p`` may change things."""
    if not p.can_write():
        raise Forbidden(
            "viewers cannot change anything; ask an owner or admin of this organization "
            "for the member role",
            role=p.role,
        )


def require_admin(p: Principal) -> None:
    """Raise :class:`~openloop.errors.Forbidden` unless ``p`` is an owner or admin."""
    if not p.can_admin():
        raise Forbidden(
            "only owners and admins can do this; ask one of them to do it or to make you an admin",
            role=p.role,
        )


def validate_role(role: str) -> str:
    """Return ``role`` if it is one of :data:`ROLES`, else raise InvalidInput."""
    if role not in ROLES:
        raise InvalidInput(f"unknown role {role!r}; use one of {', '.join(ROLES)}", role=role)
    return role


def generate_token() -> str:
    """A fresh URL-safe random token (session cookies, login links)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def generate_api_key() -> str:
    """A fresh API key: ``olk_`` followed by 32 random bytes, URL-safe base64."""
    return API_KEY_PREFIX + secrets.token_urlsafe(TOKEN_BYTES)


def hash_token(token: str) -> str:
    """SHA-256 hex digest of a token. Tokens carry 256 random bits, so a fast hash is enough;
    only this digest is ever stored."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def validate_password(pw: str) -> str:
    """Return ``pw`` if its length is acceptable, else raise InvalidInput."""
    if not isinstance(pw, str) or len(pw) < MIN_PASSWORD_LENGTH:
        raise InvalidInput(f"password must be at least {MIN_PASSWORD_LENGTH} characters long")
    if len(pw) > MAX_PASSWORD_LENGTH:
        raise InvalidInput(f"password must be at most {MAX_PASSWORD_LENGTH} characters long")
    return pw


def hash_password(pw: str) -> str:
    """An argon2id hash of ``pw`` (``$argon2id$...``), salted."""
    return _hasher.hash(pw)


def verify_password(hash: str, pw: str) -> bool:
    """True when ``pw`` matches ``hash``; False for a mismatch or an unreadable hash."""
    try:
        return _hasher.verify(hash, pw)
    except VerifyMismatchError:
        return False
    except (InvalidHashError, VerificationError):
        logger.warning("auth.verify_password unreadable hash")
        return False


def password_needs_rehash(hash: str) -> bool:
    """True when ``hash`` was made with weaker parameters than the current ones."""
    try:
        return _hasher.check_needs_rehash(hash)
    except InvalidHashError:
        return True
