"""Loop conversation threads and their messages. Messages are numbered per thread by ``seq``
(1, 2, 3, ...); editing an earlier message truncates from its ``seq`` and appends again."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from openloop.errors import InvalidInput, NotFound, UsageError
from openloop.store.control._base import StoreBase, clean_json_dict, clean_name
from openloop.store.control.projects import project_row
from openloop.store.control.records import Message, Thread
from openloop.store.control.schema import MemberRow, MessageRow, ThreadRow, utcnow

logger = logging.getLogger(__name__)

_THREAD_FIELDS = frozenset({"title", "model", "settings"})


def _title(title: object) -> str:
    if not isinstance(title, str):
        raise InvalidInput("title must be a string")
    return title.strip()[:256]


def _model(model: object) -> str | None:
    return clean_name(model, "model", 256) if model is not None else None


def _short(value: object, what: str, max_len: int) -> str:
    return clean_name(value, what, max_len)


def _thread_row(s: Session, thread_id: str, *, lock: bool = False) -> ThreadRow:
    stmt = select(ThreadRow).where(ThreadRow.id == thread_id)
    row = s.scalar(stmt.with_for_update() if lock else stmt)
    if row is None:
        raise NotFound(f"thread {thread_id!r} not found")
    return row


class ThreadsMixin(StoreBase):
    def create_thread(
        self,
        org_id: str,
        project_id: str | None,
        user_id: str,
        *,
        title: str = "",
        model: str | None = None,
        settings: dict[str, Any] | None = None,
    ) -> Thread:
        """A new thread for ``user_id``; ``project_id=None`` for an org-level conversation."""
        title, model_name = _title(title), _model(model)
        value = clean_json_dict(settings, "thread settings")
        with self._write() as s:
            if s.get(MemberRow, (org_id, user_id)) is None:
                raise NotFound("no such member in this organization")
            pid = project_row(s, org_id, project_id).id if project_id is not None else None
            row = ThreadRow(
                org_id=org_id,
                project_id=pid,
                user_id=user_id,
                title=title,
                model=model_name,
                settings=value,
            )
            s.add(row)
            s.flush()
            return Thread.of(row)

    def list_threads(self, org_id: str, project_id: str | None, user_id: str) -> list[Thread]:
        """The user's threads in one project (every project for ``None``), recent first."""
        with self._read() as s:
            stmt = select(ThreadRow).where(ThreadRow.org_id == org_id, ThreadRow.user_id == user_id)
            if project_id is not None:
                stmt = stmt.where(ThreadRow.project_id == project_row(s, org_id, project_id).id)
            rows = s.scalars(stmt.order_by(ThreadRow.updated.desc(), ThreadRow.id)).all()
            return [Thread.of(r) for r in rows]

    def get_thread(self, org_id: str, thread_id: str) -> Thread:
        with self._read() as s:
            row = _thread_row(s, thread_id)
            if row.org_id != org_id:
                raise NotFound(f"thread {thread_id!r} not found")
            return Thread.of(row)

    def update_thread(self, org_id: str, thread_id: str, **fields: Any) -> Thread:
        """Change ``title``, ``model`` or ``settings`` (replaced as a whole)."""
        unknown = set(fields) - _THREAD_FIELDS
        if unknown:
            raise UsageError(f"update_thread cannot change {', '.join(sorted(unknown))}")
        with self._write() as s:
            row = _thread_row(s, thread_id)
            if row.org_id != org_id:
                raise NotFound(f"thread {thread_id!r} not found")
            if "title" in fields:
                row.title = _title(fields["title"])
            if "model" in fields:
                row.model = _model(fields["model"])
            if "settings" in fields:
                row.settings = clean_json_dict(fields["settings"], "thread settings")
            row.updated = utcnow()
            s.flush()
            return Thread.of(row)

    def delete_thread(self, org_id: str, thread_id: str) -> None:
        """Delete a thread and its messages for good."""
        with self._write() as s:
            row = _thread_row(s, thread_id)
            if row.org_id != org_id:
                raise NotFound(f"thread {thread_id!r} not found")
            s.execute(delete(MessageRow).where(MessageRow.thread_id == thread_id))
            s.delete(row)

    # -- messages ----------------------------------------------------------------------------

    def append_message(
        self, thread_id: str, role: str, content: dict[str, Any], status: str = "done"
    ) -> Message:
        """Add the next message (``seq`` one past the last) and bump the thread's ``updated``."""
        role = _short(role, "role", 32)
        status = _short(status, "status", 16)
        value = clean_json_dict(content, "message content")
        with self._write() as s:
            # Locking the thread row serialises appends to one thread on PostgreSQL.
            thread = _thread_row(s, thread_id, lock=True)
            last = s.scalar(
                select(func.max(MessageRow.seq)).where(MessageRow.thread_id == thread_id)
            )
            row = MessageRow(
                thread_id=thread_id, seq=(last or 0) + 1, role=role, content=value, status=status
            )
            s.add(row)
            thread.updated = utcnow()
            s.flush()
            return Message.of(row)

    def update_message(
        self,
        thread_id: str,
        seq: int,
        *,
        content: dict[str, Any] | None = None,
        status: str | None = None,
    ) -> Message:
        """Replace a message's content and/or status (streaming, approvals, errors)."""
        value = clean_json_dict(content, "message content") if content is not None else None
        new_status = _short(status, "status", 16) if status is not None else None
        with self._write() as s:
            row = s.scalar(
                select(MessageRow).where(MessageRow.thread_id == thread_id, MessageRow.seq == seq)
            )
            if row is None:
                raise NotFound(f"message {seq} not found in thread {thread_id!r}")
            if value is not None:
                row.content = value
            if new_status is not None:
                row.status = new_status
            s.flush()
            return Message.of(row)

    def list_messages(self, thread_id: str) -> list[Message]:
        with self._read() as s:
            _thread_row(s, thread_id)
            rows = s.scalars(
                select(MessageRow).where(MessageRow.thread_id == thread_id).order_by(MessageRow.seq)
            ).all()
            return [Message.of(r) for r in rows]

    def truncate_messages(self, thread_id: str, from_seq: int) -> None:
        """Delete message ``from_seq`` and every later one (edit and re-run)."""
        with self._write() as s:
            _thread_row(s, thread_id, lock=True)
            s.execute(
                delete(MessageRow).where(
                    MessageRow.thread_id == thread_id, MessageRow.seq >= from_seq
                )
            )
