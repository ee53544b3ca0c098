"""The control plane: organizations, users, members, API keys, sessions, projects, the object
registry, settings, AI-provider secrets and Loop threads.

:class:`ControlStore` is the whole surface; it returns the frozen records re-exported here.
The ORM classes live in :mod:`openloop.store.control.schema` and the migrations in
:mod:`openloop.store.migrations`.
"""

from __future__ import annotations

from openloop.store.control.providers import ORG_SETTINGS_DEFAULTS
from openloop.store.control.records import (
    OBJECT_KINDS,
    PROVIDER_KINDS,
    ApiKey,
    Bootstrap,
    Member,
    Message,
    Org,
    Project,
    Provider,
    RegistryObject,
    Thread,
    User,
)
from openloop.store.control.store import ControlStore

__all__ = [
    "OBJECT_KINDS",
    "ORG_SETTINGS_DEFAULTS",
    "PROVIDER_KINDS",
    "ApiKey",
    "Bootstrap",
    "ControlStore",
    "Member",
    "Message",
    "Org",
    "Project",
    "Provider",
    "RegistryObject",
    "Thread",
    "User",
]
