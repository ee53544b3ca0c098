from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from fastapi.testclient import TestClient


@dataclass
class Org:
    org_id: str
    owner_id: str
    key: str  # owner's API key

    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.key}"}


@pytest.fixture
def services(settings):
    from openloop.services import Services

    svc = Services.open(settings)
    yield svc
    svc.close()


@pytest.fixture
def org(services) -> Org:
    boot = services.control.bootstrap()
    return Org(boot.org.id, boot.user.id, boot.api_key)


@pytest.fixture
def client(services, org) -> Any:
    from openloop.server.app import create_app

    app = create_app(services.settings, services=services)
    with TestClient(app) as c:
        yield c


def make_user(services, org_id: str, email: str, role: str) -> str:
    """A member with ``role`` in ``org_id``; returns their API key."""
    user = services.control.create_user(email, email.split("@")[0], "correct horse battery")
    services.control.add_member(org_id, user.id, role)
    _, key = services.control.create_api_key(org_id, user.id, f"{role}-key")
    return key
