"""A live OpenLoop server (uvicorn in a thread over real stores with the demo loaded) and one
Chromium browser for the whole session. Browser tests skip when /usr/bin/chromium is absent."""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.server.live import serve_in_thread

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery staple"


@dataclass
class Live:
    url: str
    services: Any
    org_id: str
    owner_id: str
    email: str
    project: str
    project_id: str

    def login_link(self) -> str:
        token = self.services.control.create_login_link(self.org_id, self.owner_id)
        return f"{self.url}/auth/link/{token}"


@pytest.fixture(scope="session")
def live(tmp_path_factory) -> Any:

    from openloop.demo import load_demo
    from openloop.server.app import create_app
    from openloop.services import Services
    from openloop.settings import Settings

    data_dir = tmp_path_factory.mktemp("web-data")
    settings = Settings(data_dir=data_dir, load_demo=False, secret_key="web-test-secret")
    svc = Services.open(settings)
    boot = svc.control.bootstrap()
    svc.control.set_password(boot.user.id, PASSWORD)
    # A fixed time of day keeps the generated rows identical whenever the tests run.
    now = datetime.now(UTC).replace(hour=9, minute=30, second=0, microsecond=0)
    demo = load_demo(svc.control, svc.data, boot.org.id, traces=300, now=now)
    user = svc.control.get_user(boot.user.id)
    with serve_in_thread(create_app(settings, services=svc)) as url:
        yield Live(
            url, svc, boot.org.id, boot.user.id, user.email, demo.project_name, demo.project_id
        )
    svc.close()


@pytest.fixture(scope="session")
def browser(tmp_path_factory) -> Any:
    if not Path(CHROMIUM).exists():
        pytest.skip(
            f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        )
    from playwright.sync_api import sync_playwright

    home = tmp_path_factory.mktemp("browser-home")
    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
            env={**os.environ, "HOME": str(home)},
        )
        yield b
        b.close()


class Page:
    """A Playwright page that records JS errors; tests call :meth:`assert_clean`."""

    def __init__(self, page: Any) -> None:
        self.page = page
        self.errors: list[str] = []
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        page.on(
            "console",
            lambda msg: self.errors.append(f"console: {msg.text}") if msg.type == "error" else None,
        )

    def goto(self, url: str) -> Any:
        resp = self.page.goto(url)
        assert resp is not None and resp.status == 200, (url, resp and resp.status)
        return resp

    def assert_clean(self, allow: tuple[str, ...] = ()) -> None:
        bad = [e for e in self.errors if not any(a in e for a in allow)]
        assert not bad, bad


@pytest.fixture
def page(browser, live) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    wrapped = Page(context.new_page())
    yield wrapped
    context.close()


@pytest.fixture
def signed_in(page, live) -> Page:
    page.goto(live.login_link())
    return page
