from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

import pytest
from pydantic import BaseModel, Field


@dataclass
class Platform:
    svc: Any
    principal: Any
    project_id: str
    thread_id: str
    notes: list[str] = field(default_factory=list)

    def run(self, coro: Any) -> Any:
        return asyncio.run(coro)

    def messages(self) -> list[dict[str, Any]]:
        from openloop.services import loop as svc_loop

        return svc_loop.list_messages(self.svc, self.principal, self.thread_id)

    async def turn(self, text: str, **kw: Any) -> list[Any]:
        """Send ``text`` and collect the events until the thread is idle."""
        from openloop.services import loop as svc_loop

        sent = await svc_loop.send_message(self.svc, self.principal, self.thread_id, text, **kw)
        return await self.collect(sent["last_event_id"])

    async def wait_event(self, kind: str, after: int = 0) -> Any:
        """Wait for the first event of ``kind`` after id ``after``."""
        from openloop.services import loop as svc_loop

        stream = await svc_loop.subscribe(self.svc, self.principal, self.thread_id, after=after)
        async with asyncio.timeout(20):
            async for e in stream:
                if e is not None and e.type == kind:
                    return e
        return None

    async def collect(self, after: int) -> list[Any]:
        from openloop.services import loop as svc_loop

        stream = await svc_loop.subscribe(
            self.svc, self.principal, self.thread_id, after=after, until_idle=True
        )
        out = []
        async with asyncio.timeout(20):
            async for e in stream:
                if e is not None:
                    out.append(e)
        return out


@pytest.fixture(autouse=True)
def _close_leftover_event_loop():
    """pydantic-ai's ``run_sync`` leaves an event loop set on the main thread; our tests'
    ``asyncio.run`` replaces it and the orphan is reported as an unclosed socket during some
    later test. Close it when the test that made it ends."""
    yield
    policy = asyncio.get_event_loop_policy()
    loop = getattr(getattr(policy, "_local", None), "_loop", None)
    if loop is not None and not loop.is_running() and not loop.is_closed():
        loop.close()
        policy.set_event_loop(None)


class ReadArgs(BaseModel):
    rows: int = Field(default=3, description="How many rows to return.")
    planted: str | None = Field(default=None, description="Text to put in each row's output.")


class NoteArgs(BaseModel):
    text: str = Field(description="The note to save.")


@pytest.fixture
def test_tools():
    """Two tools of our own: a read tool returning rows, a write tool saving notes."""
    from openloop.loop.tools.base import (
        REGISTRY,
        ChangePreview,
        ToolResult,
        ToolSpec,
        bounded_rows,
        list_tools,
        register_tool,
    )

    list_tools()  # load the built-ins first so ours are added on top
    saved: list[str] = []

    def read_rows(ctx, args: ReadArgs) -> ToolResult:
        out = args.planted or "ok"
        return bounded_rows([{"i": i, "output": out} for i in range(args.rows)], source="logs")

    def save_note(ctx, args: NoteArgs) -> ToolResult:
        saved.append(args.text)
        return ToolResult(text=f"saved note {args.text!r}")

    def preview(ctx, args: NoteArgs) -> ChangePreview:
        return ChangePreview(description=f"Save the note {args.text!r}", diff=f"+ {args.text}")

    specs = [
        ToolSpec("t_read_rows", "Read log rows.", "read", ReadArgs, read_rows, command="/t-rows"),
        ToolSpec(
            "t_save_note",
            "Save a note.",
            "write",
            NoteArgs,
            save_note,
            preview=preview,
            command="/t-note",
        ),
    ]
    for s in specs:
        register_tool(s, replace=True)
    try:
        yield saved
    finally:
        for s in specs:
            REGISTRY.pop(s.name, None)


@pytest.fixture
def services(settings):
    from openloop.services import Services

    svc = Services.open(settings)
    yield svc
    svc.close()


@pytest.fixture
def platform(services, test_tools) -> Platform:
    from openloop.auth import Principal
    from openloop.services import loop as svc_loop

    boot = services.control.bootstrap()
    p = Principal(boot.org.id, boot.user.id, "owner")
    project = services.control.create_project(boot.org.id, "shop")
    thread = svc_loop.create_thread(services, p, project="shop")
    plat = Platform(services, p, project.id, thread.id, notes=test_tools)
    return plat
