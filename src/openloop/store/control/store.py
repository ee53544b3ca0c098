"""``ControlStore``: the control plane behind one object.

>>> store = ControlStore.open("sqlite://", secret_key=b"k")
>>> boot = store.bootstrap()
>>> store.authenticate_api_key(boot.api_key_plaintext).role
'owner'
>>> store.close()
"""

from __future__ import annotations

import logging

from sqlalchemy.engine import Engine, make_url

from openloop.errors import Conflict
from openloop.store.control._base import make_engine
from openloop.store.control.identity import IdentityMixin
from openloop.store.control.projects import ProjectsMixin
from openloop.store.control.providers import ProvidersMixin
from openloop.store.control.records import Bootstrap
from openloop.store.control.registry import RegistryMixin
from openloop.store.control.threads import ThreadsMixin
from openloop.store.control.tokens import TokensMixin

__all__ = ["ControlStore"]

logger = logging.getLogger(__name__)


class ControlStore(
    IdentityMixin, TokensMixin, ProjectsMixin, RegistryMixin, ProvidersMixin, ThreadsMixin
):
    """Orgs, users, members, API keys, sessions, projects, the object registry, settings,
    provider secrets and Loop threads, over SQLite (default) or PostgreSQL.

    Every method opens its own short session, so one instance is shared by all threads.
    Methods return frozen records, never live ORM objects.
    """

    def __init__(self, engine: Engine, secret_key: bytes) -> None:
        super().__init__(engine, secret_key)

    @classmethod
    def open(cls, url: str, *, secret_key: bytes, migrate: bool = True) -> ControlStore:
        """Connect to ``url`` (creating a SQLite file and its directory if needed) and, unless
        ``migrate=False``, bring the schema to the newest revision."""
        engine = make_engine(url)
        if migrate:
            from openloop.store.migrations import upgrade

            upgrade(engine)
        logger.info("control.open backend=%s", make_url(url).get_backend_name())
        return cls(engine, secret_key)

    def close(self) -> None:
        """Release every pooled connection."""
        self._engine.dispose()

    def bootstrap(
        self, *, org_name: str = "default", email: str = "admin@localhost", name: str = "Admin"
    ) -> Bootstrap:
        """First start: an org, its owner, an API key named ``admin`` and a login link token.
        Conflict when any organization exists already."""
        if not self.is_empty():
            raise Conflict("this server is already set up; sign in with an existing account")
        org = self.create_org(org_name)
        user = self.get_user_by_email(email) or self.create_user(email, name)
        self.add_member(org.id, user.id, "owner")
        key, plaintext = self.create_api_key(org.id, user.id, "admin")
        token = self.create_login_link(org.id, user.id)
        logger.info("control.bootstrap org=%s user=%s", org.id, user.id)
        return Bootstrap(
            org=org, user=user, api_key_plaintext=plaintext, login_token=token, key=key
        )
