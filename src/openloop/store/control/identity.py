"""Organizations, users, members and password sign-in."""

from __future__ import annotations

import functools
import logging

from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from openloop.auth import (
    Principal,
    hash_password,
    password_needs_rehash,
    validate_password,
    validate_role,
    verify_password,
)
from openloop.errors import Conflict, NotFound, Unauthorized
from openloop.store.control._base import StoreBase, clean_email, clean_name
from openloop.store.control.records import Member, Org, User
from openloop.store.control.schema import (
    ApiKeyRow,
    MemberRow,
    OrgRow,
    SessionRow,
    UserRow,
    utcnow,
)

logger = logging.getLogger(__name__)

_BAD_LOGIN = "wrong email or password"


@functools.cache
def _dummy_hash() -> str:
    # Verifying against this when the email is unknown keeps both paths equally slow.
    return hash_password("openloop-no-such-user")


def org_row(s: Session, org_id: str) -> OrgRow:
    row = s.get(OrgRow, org_id)
    if row is None:
        raise NotFound(f"organization {org_id!r} not found")
    return row


def user_row(s: Session, user_id: str) -> UserRow:
    row = s.get(UserRow, user_id)
    if row is None:
        raise NotFound(f"user {user_id!r} not found")
    return row


def principal_for(
    s: Session,
    org_id: str,
    user_id: str,
    *,
    api_key_id: str | None = None,
    session_id: str | None = None,
) -> Principal:
    """The caller's principal in ``org_id``; Unauthorized once they are no longer a member."""
    member = s.get(MemberRow, (org_id, user_id))
    if member is None:
        raise Unauthorized("these credentials belong to someone who is no longer a member")
    return Principal(
        org_id=org_id,
        user_id=user_id,
        role=member.role,
        api_key_id=api_key_id,
        session_id=session_id,
    )


class IdentityMixin(StoreBase):
    # -- organizations -----------------------------------------------------------------------

    def is_empty(self) -> bool:
        """True until the first organization exists."""
        with self._read() as s:
            return s.scalar(select(OrgRow.id).limit(1)) is None

    def create_org(self, name: str) -> Org:
        name = clean_name(name, "organization name")
        try:
            with self._write() as s:
                if s.scalar(select(OrgRow.id).where(OrgRow.name == name)) is not None:
                    raise Conflict(f"an organization named {name!r} already exists")
                row = OrgRow(name=name)
                s.add(row)
                s.flush()
                org = Org.of(row)
        except IntegrityError as exc:
            raise Conflict(f"an organization named {name!r} already exists") from exc
        logger.info("control.org_created org=%s", org.id)
        return org

    def get_org(self, org_id: str) -> Org:
        with self._read() as s:
            return Org.of(org_row(s, org_id))

    def list_orgs(self) -> list[Org]:
        """Every organization, oldest first (server administration and the CLI)."""
        with self._read() as s:
            rows = s.scalars(select(OrgRow).order_by(OrgRow.created, OrgRow.id)).all()
            return [Org.of(r) for r in rows]

    def list_orgs_for_user(self, user_id: str) -> list[tuple[Org, str]]:
        """Every organization the user belongs to, with their role, oldest membership first."""
        with self._read() as s:
            rows = s.execute(
                select(OrgRow, MemberRow.role)
                .join(MemberRow, MemberRow.org_id == OrgRow.id)
                .where(MemberRow.user_id == user_id)
                .order_by(MemberRow.created, OrgRow.id)
            ).all()
            return [(Org.of(org), role) for org, role in rows]

    # -- users -------------------------------------------------------------------------------

    def create_user(self, email: str, name: str, password: str | None = None) -> User:
        email = clean_email(email)
        name = clean_name(name, "user name")
        pw_hash = hash_password(validate_password(password)) if password is not None else None
        try:
            with self._write() as s:
                if s.scalar(select(UserRow.id).where(UserRow.email == email)) is not None:
                    raise Conflict(f"a user with email {email!r} already exists")
                row = UserRow(email=email, name=name, password_hash=pw_hash)
                s.add(row)
                s.flush()
                return User.of(row)
        except IntegrityError as exc:
            raise Conflict(f"a user with email {email!r} already exists") from exc

    def get_user(self, user_id: str) -> User:
        with self._read() as s:
            return User.of(user_row(s, user_id))

    def get_user_by_email(self, email: str) -> User | None:
        with self._read() as s:
            row = s.scalar(select(UserRow).where(UserRow.email == email.strip().lower()))
            return User.of(row) if row is not None else None

    def set_password(self, user_id: str, password: str) -> None:
        pw_hash = hash_password(validate_password(password))
        with self._write() as s:
            user_row(s, user_id).password_hash = pw_hash

    def authenticate_password(self, email: str, password: str) -> Principal:
        """The principal for ``email`` in their first organization; Unauthorized otherwise."""
        with self._read() as s:
            row = s.scalar(select(UserRow).where(UserRow.email == email.strip().lower()))
            stored = row.password_hash if row is not None else None
            if row is None or stored is None:
                verify_password(_dummy_hash(), password)
                raise Unauthorized(_BAD_LOGIN)
            if not verify_password(stored, password):
                raise Unauthorized(_BAD_LOGIN)
            user_id = row.id
            org_id = s.scalar(
                select(MemberRow.org_id)
                .where(MemberRow.user_id == user_id)
                .order_by(MemberRow.created, MemberRow.org_id)
                .limit(1)
            )
            if org_id is None:
                raise Unauthorized("this user is not a member of any organization")
            principal = principal_for(s, org_id, user_id)
        if password_needs_rehash(stored):
            self.set_password(user_id, password)
        return principal

    # -- members -----------------------------------------------------------------------------

    def add_member(self, org_id: str, user_id: str, role: str) -> Member:
        validate_role(role)
        try:
            with self._write() as s:
                org_row(s, org_id)
                user = user_row(s, user_id)
                if s.get(MemberRow, (org_id, user_id)) is not None:
                    raise Conflict(f"{user.email} is already a member of this organization")
                row = MemberRow(org_id=org_id, user_id=user_id, role=role)
                s.add(row)
                s.flush()
                return Member.of(row, user)
        except IntegrityError as exc:
            raise Conflict("this user is already a member of this organization") from exc

    def list_members(self, org_id: str) -> list[Member]:
        with self._read() as s:
            org_row(s, org_id)
            rows = s.execute(
                select(MemberRow, UserRow)
                .join(UserRow, UserRow.id == MemberRow.user_id)
                .where(MemberRow.org_id == org_id)
                .order_by(MemberRow.created, UserRow.email)
            ).all()
            return [Member.of(m, u) for m, u in rows]

    def get_member(self, org_id: str, user_id: str) -> Member:
        with self._read() as s:
            row = s.get(MemberRow, (org_id, user_id))
            if row is None:
                raise NotFound("no such member in this organization")
            return Member.of(row, user_row(s, user_id))

    def _locked_member(self, s: Session, org_id: str, user_id: str) -> MemberRow:
        # Lock the org's member rows (PostgreSQL) so two demotions cannot both pass the
        # last-owner check; SQLite write transactions are already serialised.
        rows = s.scalars(
            select(MemberRow).where(MemberRow.org_id == org_id).with_for_update()
        ).all()
        for row in rows:
            if row.user_id == user_id:
                return row
        raise NotFound("no such member in this organization")

    def _check_not_last_owner(self, s: Session, row: MemberRow, action: str) -> None:
        if row.role != "owner":
            return
        owners = s.scalar(
            select(func.count())
            .select_from(MemberRow)
            .where(MemberRow.org_id == row.org_id, MemberRow.role == "owner")
        )
        if (owners or 0) <= 1:
            raise Conflict(
                f"cannot {action} the last owner; make someone else an owner first",
                user_id=row.user_id,
            )

    def set_role(self, org_id: str, user_id: str, role: str) -> Member:
        validate_role(role)
        with self._write() as s:
            row = self._locked_member(s, org_id, user_id)
            if role != "owner":
                self._check_not_last_owner(s, row, "demote")
            row.role = role
            return Member.of(row, user_row(s, user_id))

    def remove_member(self, org_id: str, user_id: str) -> None:
        """Remove a member, revoking their API keys and ending their sessions in this org."""
        with self._write() as s:
            row = self._locked_member(s, org_id, user_id)
            self._check_not_last_owner(s, row, "remove")
            s.execute(
                update(ApiKeyRow)
                .where(
                    ApiKeyRow.org_id == org_id,
                    ApiKeyRow.user_id == user_id,
                    ApiKeyRow.revoked_at.is_(None),
                )
                .values(revoked_at=utcnow())
            )
            s.execute(
                delete(SessionRow).where(SessionRow.org_id == org_id, SessionRow.user_id == user_id)
            )
            s.delete(row)
        logger.info("control.member_removed org=%s user=%s", org_id, user_id)
