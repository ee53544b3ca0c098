"""The demo project loaded once into real stores in a temp dir, shared by the eval skill tests.

Write-tool tests only create new objects (datasets, prompts, scorers) with their own names, so
the demo's experiments and the 50-row dataset stay as loaded.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_CACHE: dict[str, Any] = {}


@dataclass
class Demo:
    svc: Any
    principal: Any
    summary: Any

    @property
    def facts(self) -> dict[str, Any]:
        return self.summary.facts

    def ctx(self, **page: Any) -> Any:
        from openloop.loop.tools.base import LoopContext

        return LoopContext(self.svc, self.principal, project_id=self.summary.project_id,
                           page=dict(page))  # fmt: skip


def evals_demo() -> Demo:
    if "demo" not in _CACHE:
        from openloop.auth import Principal
        from openloop.demo import load_demo
        from openloop.services import Services
        from openloop.settings import Settings

        root = Path(tempfile.mkdtemp(prefix="openloop-evals-skills-"))
        atexit.register(shutil.rmtree, root, True)
        svc = Services.open(Settings(data_dir=root, load_demo=False, secret_key="k"))
        atexit.register(svc.close)
        boot = svc.control.bootstrap()
        # A fixed time of day keeps the generated rows identical whenever the tests run.
        now = datetime.now(UTC).replace(hour=9, minute=30, second=0, microsecond=0)
        summary = load_demo(svc.control, svc.data, boot.org.id, traces=300, now=now)
        _CACHE["demo"] = Demo(svc, Principal(boot.org.id, boot.user.id, "owner"), summary)
    return _CACHE["demo"]


def tool(name: str, /) -> Any:
    from openloop.loop.tools.base import get_tool

    return get_tool(name)


def run(name: str, ctx: Any, /, **args: Any) -> Any:
    spec = tool(name)
    return spec.run(ctx, spec.args(**args))


def preview(name: str, ctx: Any, /, **args: Any) -> Any:
    spec = tool(name)
    assert spec.preview is not None
    return spec.preview(ctx, spec.args(**args))
