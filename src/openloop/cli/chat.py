"""``openloop chat``: talk to Loop in the terminal.

Answers stream as they are written; a change Loop wants to make is shown with its description
and diff and waits for ``y``/``n`` (``--yes`` approves everything). ``--message`` answers one
message and exits. Runs against the data directory in-process, or against a running server
when ``OPENLOOP_BASE_URL`` and ``OPENLOOP_API_KEY`` are set.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import typer

from openloop.cli._common import data_dir_option, fail, friendly_errors, load_settings

__all__ = ["register"]


class _Local:
    """Loop in this process, over the data directory."""

    def __init__(self, svc: Any, principal: Any) -> None:
        from openloop.services import loop as svc_loop

        self.svc, self.p, self.api = svc, principal, svc_loop

    async def start(self, project: str | None, model: str | None, auto: bool) -> str:
        thread = self.api.create_thread(
            self.svc, self.p, project=project, title="chat", model=model, auto_accept=auto or None
        )
        return thread.id

    async def send(self, thread: str, text: str) -> int:
        return (await self.api.send_message(self.svc, self.p, thread, text))["last_event_id"]

    async def decide(self, approval: str, approve: bool) -> int:
        decision = "approve" if approve else "reject"
        out = await self.api.decide_approval(self.svc, self.p, approval, decision)
        return out["last_event_id"]

    async def events(self, thread: str, after: int) -> AsyncIterator[Any]:
        async for e in await self.api.subscribe(
            self.svc, self.p, thread, after=after, until_idle=True
        ):
            if e is not None:
                yield e

    async def close(self) -> None:
        return None


class _Remote:
    """Loop on a running server, over its HTTP API."""

    def __init__(self, url: str, key: str) -> None:
        import httpx

        self.http = httpx.AsyncClient(
            base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=None
        )

    async def _json(self, method: str, path: str, body: Any = None) -> Any:
        r = await self.http.request(method, path, json=body)
        if r.status_code >= 400:
            try:
                message = r.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = r.text[:300]
            fail(message, code=2)
        return r.json()

    async def start(self, project: str | None, model: str | None, auto: bool) -> str:
        body = {
            "project": project,
            "title": "chat",
            "model": model,
            "auto_accept": True if auto else None,
        }
        return (await self._json("POST", "/v1/loop/threads", body))["id"]

    async def send(self, thread: str, text: str) -> int:
        out = await self._json("POST", f"/v1/loop/threads/{thread}/messages", {"content": text})
        return out["last_event_id"]

    async def decide(self, approval: str, approve: bool) -> int:
        body = {"decision": "approve" if approve else "reject"}
        return (await self._json("POST", f"/v1/loop/approvals/{approval}", body))["last_event_id"]

    async def events(self, thread: str, after: int) -> AsyncIterator[Any]:
        from openloop.loop.events import decode_sse

        url = f"/v1/loop/threads/{thread}/events"
        params: dict[str, str | int] = {"after": after, "until_idle": "true"}
        async with self.http.stream("GET", url, params=params) as r:
            block: list[str] = []
            async for line in r.aiter_lines():
                if line:
                    block.append(line)
                    continue
                event = decode_sse(block)
                block = []
                if event is not None:
                    yield event

    async def close(self) -> None:
        await self.http.aclose()


def _show(event: Any) -> None:
    d = event.data
    if event.type == "text_delta":
        typer.echo(d["text"], nl=False)
    elif event.type == "tool_call":
        typer.secho(f"\n→ {d['name']} {d.get('args') or ''}", fg=typer.colors.BRIGHT_BLACK)
    elif event.type == "tool_result" and d.get("display") == "error":
        typer.secho(f"  ✗ {d['text'][:300]}", fg=typer.colors.YELLOW)
    elif event.type == "tool_result":
        rows = len(d["data"]) if isinstance(d.get("data"), list) else None
        typer.secho(
            f"  ✓ {d['name']}" + (f" ({rows} rows)" if rows is not None else ""),
            fg=typer.colors.BRIGHT_BLACK,
        )
    elif event.type == "choices":
        typer.echo(f"\n{d['question']}")
        for i, c in enumerate(d["choices"], 1):
            typer.echo(f"  {i}. {c['name']} ({c['id']})")
    elif event.type == "error":
        typer.secho(f"\nerror: {d['message']}", fg=typer.colors.RED, err=True)
    elif event.type == "done":
        typer.echo("")


async def _turn(backend: Any, thread: str, after: int, yes: bool) -> None:
    """Print the events after ``after``; ask about approvals; return when the thread idles."""
    while True:
        approvals = []
        async for event in backend.events(thread, after):
            _show(event)
            if event.type == "approval_request":
                approvals.append(event.data)
        if not approvals:
            return
        for req in approvals:
            typer.secho(f"\nLoop wants to: {req['description']}", fg=typer.colors.CYAN)
            if req.get("diff"):
                typer.echo(req["diff"])
            ok = yes or await asyncio.to_thread(typer.confirm, "Apply this change?", default=False)
            after = await backend.decide(req["id"], ok)


async def _session(
    backend: Any, project: str | None, model: str | None, message: str | None, yes: bool
) -> None:
    try:
        thread = await backend.start(project, model, yes)
        if message is not None:
            await _turn(backend, thread, await backend.send(thread, message), yes)
            return
        typer.echo("Loop — type a question or /help; Ctrl-D to quit.")
        while True:
            try:
                line = await asyncio.to_thread(input, "> ")
            except EOFError:
                typer.echo("")
                return
            if line.strip() in ("/exit", "/quit"):
                return
            if line.strip():
                await _turn(backend, thread, await backend.send(thread, line), yes)
    finally:
        await backend.close()


def chat(
    project: str | None = typer.Option(None, help="Project to talk about (id or name)."),
    message: str | None = typer.Option(None, "--message", "-m", help="Answer this and exit."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Approve every change (auto-accept)."),
    model: str | None = typer.Option(None, help="Model to use (default: the organization's)."),
    data_dir: Path | None = data_dir_option(),
) -> None:
    """Chat with Loop, OpenLoop's assistant (slash commands work without a model)."""
    url, key = os.environ.get("OPENLOOP_BASE_URL"), os.environ.get("OPENLOOP_API_KEY")
    if url and key:
        with friendly_errors():
            asyncio.run(_session(_Remote(url.rstrip("/"), key), project, model, message, yes))
        return
    from openloop.cli._common import local_principal, open_services

    settings = load_settings(data_dir=data_dir)
    with friendly_errors():
        svc = open_services(settings, remote_ok=True)
        try:
            backend = _Local(svc, local_principal(svc))
            asyncio.run(_session(backend, project, model, message, yes))
        finally:
            svc.close()


def register(app: typer.Typer) -> None:
    app.command("chat")(chat)
