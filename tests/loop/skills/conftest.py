"""One demo project (800 traces, two weeks of logs ending today) in real DuckDB/SQLite files,
loaded once for every skill test. Tests that write use their own dataset and chart names."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import pytest


@dataclass
class DemoEnv:
    svc: Any
    principal: Any
    project_id: str
    project: str
    facts: dict[str, Any]
    api_key: str
    summary: Any

    def ctx(self, **page: Any) -> Any:
        from openloop.loop.tools.base import LoopContext

        return LoopContext(svc=self.svc, principal=self.principal, project_id=self.project_id,
                           page=dict(page))  # fmt: skip

    def run(self, tool: str, **args: Any) -> Any:
        """Run a registered tool the way the agent does: validated args, then ``run``."""
        from openloop.loop.tools.base import get_tool

        spec = get_tool(tool)
        page = args.pop("_page", {})
        return spec.run(self.ctx(**page), spec.args(**args))


@pytest.fixture(scope="session")
def demo(tmp_path_factory) -> DemoEnv:
    from openloop.auth import Principal
    from openloop.demo import load_demo
    from openloop.services import Services
    from openloop.settings import Settings

    data_dir = tmp_path_factory.mktemp("loop-skills")
    settings = Settings(data_dir=data_dir, load_demo=False, secret_key="test-secret-key")
    svc = Services.open(settings)
    boot = svc.control.bootstrap()
    principal = Principal(boot.org.id, boot.user.id, "owner")
    # A fixed time of day keeps the generated rows (and so the facts) identical on every run.
    now = datetime.now(UTC).replace(hour=9, minute=30, second=0, microsecond=0)
    summary = load_demo(svc.control, svc.data, boot.org.id, traces=800, now=now)
    yield DemoEnv(svc, principal, summary.project_id, summary.project_name,
                  summary.facts["logs"], boot.api_key, summary)  # fmt: skip
    svc.close()
