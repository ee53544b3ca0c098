"""Fixtures for tests that need the real platform: opened stores, an org, a live server."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from tests.server.live import serve_in_thread


@dataclass
class Org:
    org_id: str
    user_id: str
    key: str

    @property
    def principal(self):
        from openloop.auth import Principal

        return Principal(self.org_id, self.user_id, "owner")


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
def client(services, org):
    from fastapi.testclient import TestClient

    from openloop.server.app import create_app

    app = create_app(services.settings, services=services)
    with TestClient(app, headers={"Authorization": f"Bearer {org.key}"}) as c:
        yield c


@pytest.fixture
def live_url(services, org):
    from openloop.server.app import create_app

    with serve_in_thread(create_app(services.settings, services=services)) as url:
        yield url


@pytest.fixture
def fake_model(monkeypatch):
    """Route every model name to pydantic-ai models given by the test."""
    from openloop.evals import _models

    models: dict[str, object] = {}

    def factory(svc, org_id, name):
        if name not in models:
            from openloop.errors import NotFound

            raise NotFound(f"model {name!r} is not configured")
        return models[name]

    monkeypatch.setattr(_models, "model_factory", factory)
    return models
