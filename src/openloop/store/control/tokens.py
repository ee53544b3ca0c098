"""API keys, browser sessions and one-time login links. Only SHA-256 digests of tokens are
stored; the plaintext is returned once, at creation."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete, or_, select, update

from openloop.auth import Principal, generate_api_key, generate_token, hash_token
from openloop.errors import InvalidInput, NotFound, Unauthorized
from openloop.store.control._base import StoreBase, clean_name
from openloop.store.control.identity import org_row, principal_for, user_row
from openloop.store.control.records import ApiKey
from openloop.store.control.schema import (
    ApiKeyRow,
    LoginLinkRow,
    MemberRow,
    SessionRow,
    utcnow,
)

logger = logging.getLogger(__name__)

#: Characters of an API key kept in clear so people can tell their keys apart.
KEY_PREFIX_CHARS = 12
#: ``last_used_at`` is refreshed at most this often per key, to keep authentication read-only.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def _positive(value: float, what: str) -> float:
    if value <= 0:
        raise InvalidInput(f"{what} must be positive")
    return value


class TokensMixin(StoreBase):
    # -- API keys ----------------------------------------------------------------------------

    def create_api_key(self, org_id: str, user_id: str, name: str) -> tuple[ApiKey, str]:
        """A new key for ``user_id`` acting in ``org_id``: (record, plaintext shown once)."""
        name = clean_name(name, "key name")
        plaintext = generate_api_key()
        with self._write() as s:
            if s.get(MemberRow, (org_id, user_id)) is None:
                raise NotFound("no such member in this organization")
            row = ApiKeyRow(
                org_id=org_id,
                user_id=user_id,
                name=name,
                prefix=plaintext[:KEY_PREFIX_CHARS],
                key_hash=hash_token(plaintext),
            )
            s.add(row)
            s.flush()
            key = ApiKey.of(row)
        logger.info("control.api_key_created org=%s key=%s", org_id, key.id)
        return key, plaintext

    def list_api_keys(self, org_id: str, *, user_id: str | None = None) -> list[ApiKey]:
        """The org's keys (revoked ones included), newest first; only ``user_id``'s if given."""
        stmt = select(ApiKeyRow).where(ApiKeyRow.org_id == org_id)
        if user_id is not None:
            stmt = stmt.where(ApiKeyRow.user_id == user_id)
        with self._read() as s:
            rows = s.scalars(stmt.order_by(ApiKeyRow.created.desc(), ApiKeyRow.id)).all()
            return [ApiKey.of(r) for r in rows]

    def revoke_api_key(self, org_id: str, key_id: str) -> ApiKey:
        with self._write() as s:
            row = s.get(ApiKeyRow, key_id)
            if row is None or row.org_id != org_id:
                raise NotFound(f"API key {key_id!r} not found")
            if row.revoked_at is None:
                row.revoked_at = utcnow()
            key = ApiKey.of(row)
        logger.info("control.api_key_revoked org=%s key=%s", org_id, key_id)
        return key

    def authenticate_api_key(self, token: str) -> Principal:
        """The principal behind an API key; Unauthorized for unknown or revoked keys."""
        now = utcnow()
        with self._read() as s:
            row = s.scalar(select(ApiKeyRow).where(ApiKeyRow.key_hash == hash_token(token)))
            if row is None:
                raise Unauthorized("invalid API key")
            if row.revoked_at is not None:
                raise Unauthorized("this API key was revoked; create a new one")
            principal = principal_for(s, row.org_id, row.user_id, api_key_id=row.id)
            stale = row.last_used_at is None or now - row.last_used_at >= LAST_USED_RESOLUTION
        if stale:
            cutoff = now - LAST_USED_RESOLUTION
            with self._write() as s:
                s.execute(
                    update(ApiKeyRow)
                    .where(
                        ApiKeyRow.id == principal.api_key_id,
                        or_(ApiKeyRow.last_used_at.is_(None), ApiKeyRow.last_used_at < cutoff),
                    )
                    .values(last_used_at=now)
                )
        return principal

    # -- sessions ----------------------------------------------------------------------------

    def create_session(self, org_id: str, user_id: str, ttl_hours: float = 336) -> str:
        """A new browser session; returns the plaintext token for the cookie."""
        _positive(ttl_hours, "ttl_hours")
        token = generate_token()
        with self._write() as s:
            if s.get(MemberRow, (org_id, user_id)) is None:
                raise NotFound("no such member in this organization")
            s.add(
                SessionRow(
                    org_id=org_id,
                    user_id=user_id,
                    token_hash=hash_token(token),
                    expires_at=utcnow() + timedelta(hours=ttl_hours),
                )
            )
        return token

    def authenticate_session(self, token: str) -> Principal:
        with self._read() as s:
            row = s.scalar(select(SessionRow).where(SessionRow.token_hash == hash_token(token)))
            if row is None:
                raise Unauthorized("not signed in")
            if row.expires_at <= utcnow():
                raise Unauthorized("your session has expired; sign in again")
            return principal_for(s, row.org_id, row.user_id, session_id=row.id)

    def end_session(self, token: str) -> None:
        """Sign out. Ending an unknown or already ended session is not an error."""
        with self._write() as s:
            s.execute(delete(SessionRow).where(SessionRow.token_hash == hash_token(token)))

    # -- one-time login links ----------------------------------------------------------------

    def create_login_link(self, org_id: str, user_id: str, ttl_minutes: float = 60) -> str:
        """A one-time token to put in a login URL; valid for ``ttl_minutes``."""
        _positive(ttl_minutes, "ttl_minutes")
        token = generate_token()
        with self._write() as s:
            org_row(s, org_id)
            user_row(s, user_id)
            if s.get(MemberRow, (org_id, user_id)) is None:
                raise NotFound("no such member in this organization")
            s.add(
                LoginLinkRow(
                    org_id=org_id,
                    user_id=user_id,
                    token_hash=hash_token(token),
                    expires_at=utcnow() + timedelta(minutes=ttl_minutes),
                )
            )
        return token

    def consume_login_link(self, token: str, ttl_hours: float = 336) -> tuple[str, Principal]:
        """Use a login link (once): returns (session token, principal)."""
        _positive(ttl_hours, "ttl_hours")
        now = utcnow()
        session_token = generate_token()
        with self._write() as s:
            row = s.scalar(select(LoginLinkRow).where(LoginLinkRow.token_hash == hash_token(token)))
            if row is None:
                raise Unauthorized("this login link is not valid")
            if row.used_at is not None:
                raise Unauthorized("this login link was already used; ask for a new one")
            if row.expires_at <= now:
                raise Unauthorized("this login link has expired; ask for a new one")
            # The conditional UPDATE is what makes the link single-use under concurrency.
            claimed = s.execute(
                update(LoginLinkRow)
                .where(LoginLinkRow.id == row.id, LoginLinkRow.used_at.is_(None))
                .values(used_at=now)
                .execution_options(synchronize_session=False)
            )
            if claimed.rowcount != 1:  # type: ignore[attr-defined]
                raise Unauthorized("this login link was already used; ask for a new one")
            org_id, user_id = row.org_id, row.user_id
            session = SessionRow(
                org_id=org_id,
                user_id=user_id,
                token_hash=hash_token(session_token),
                expires_at=now + timedelta(hours=ttl_hours),
            )
            s.add(session)
            s.flush()
            principal = principal_for(s, org_id, user_id, session_id=session.id)
        logger.info("control.login_link_used org=%s user=%s", org_id, user_id)
        return session_token, principal

    def purge_expired(self) -> int:
        """Delete expired sessions and spent or expired login links; returns how many."""
        now = utcnow()
        with self._write() as s:
            n = s.execute(delete(SessionRow).where(SessionRow.expires_at <= now)).rowcount  # type: ignore[attr-defined]
            n += s.execute(  # type: ignore[attr-defined]
                delete(LoginLinkRow).where(
                    or_(LoginLinkRow.used_at.is_not(None), LoginLinkRow.expires_at <= now)
                )
            ).rowcount
        return int(n or 0)
