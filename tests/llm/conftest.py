from __future__ import annotations

import uuid

import pytest


@pytest.fixture(scope="module")
def services(tmp_path_factory):
    """One set of stores per module (opening and migrating them is the slow part); each test
    gets its own organization, so tests stay independent."""
    from openloop.services import Services
    from openloop.settings import Settings

    data_dir = tmp_path_factory.mktemp("openloop-data")
    svc = Services.open(Settings(data_dir=data_dir, load_demo=False, secret_key="test-secret"))
    yield svc
    svc.close()


@pytest.fixture
def org_id(services) -> str:
    return services.control.create_org(f"org-{uuid.uuid4().hex[:8]}").id
