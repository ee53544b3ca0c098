"""``openloop query``, ``openloop import`` and ``openloop export``.

They run against the data directory in-process, or against a running server over HTTP when
``--url``/``OPENLOOP_BASE_URL`` and an API key (``OPENLOOP_API_KEY``) are given.
"""

from __future__ import annotations

import csv
import io
import os
import sys
from pathlib import Path
from typing import Any

import orjson
import typer

from openloop.cli._common import (
    data_dir_option,
    fail,
    friendly_errors,
    load_settings,
    local_principal,
    open_services,
)

__all__ = ["register"]

_BATCH = 1000


def _remote() -> tuple[str, str] | None:
    url, key = os.environ.get("OPENLOOP_BASE_URL"), os.environ.get("OPENLOOP_API_KEY")
    return (url.rstrip("/"), key) if url and key else None


def _http(url: str, key: str) -> Any:
    import httpx

    return httpx.Client(base_url=url, headers={"Authorization": f"Bearer {key}"}, timeout=120)


def _check(resp: Any) -> Any:
    if resp.status_code >= 400:
        try:
            err = resp.json()["error"]
            fail(f"{err.get('message')}{_where(err)}", code=2)
        except (ValueError, KeyError, TypeError):
            fail(f"server answered {resp.status_code}: {resp.text[:300]}")
    return resp.json()


def _where(err: dict[str, Any]) -> str:
    snippet = err.get("snippet")
    return f"\n{snippet}" if snippet else ""


def query(
    text: str = typer.Argument(..., help="BTQL or SQL query text."),
    project: str | None = typer.Option(None, help="Project for `FROM logs` shorthand / names."),
    fmt: str = typer.Option("table", "--format", help="table, json or csv."),
    data_dir: Path | None = data_dir_option(),
) -> None:
    """Run a query and print the rows."""
    if fmt not in ("table", "json", "csv"):
        fail("--format must be table, json or csv", code=2)
    remote = _remote()
    if remote:
        with _http(*remote) as client:
            result = _check(client.post("/btql", json={"query": text, "project": project}))
    else:
        from openloop.services.query import run_user_query

        settings = load_settings(data_dir=data_dir)
        with friendly_errors():
            svc = open_services(settings, remote_ok=True)
            try:
                result = run_user_query(svc, local_principal(svc), text, project=project)
            finally:
                svc.close()
    for w in result.get("warnings") or []:
        typer.secho(f"warning: {w.get('message', w)}", fg=typer.colors.YELLOW, err=True)
    _print_rows(result.get("data", []), fmt)


def _print_rows(rows: list[dict[str, Any]], fmt: str) -> None:
    if fmt == "json":
        for r in rows:
            sys.stdout.write(orjson.dumps(r, default=str).decode() + "\n")
        return
    cols: list[str] = []
    for r in rows:
        for k in r:
            if k not in cols:
                cols.append(k)

    def cell(v: Any) -> str:
        if isinstance(v, dict | list):
            return orjson.dumps(v, default=str).decode()
        return "" if v is None else str(v)

    if fmt == "csv":
        buf = io.StringIO()
        w = csv.writer(buf)
        w.writerow(cols)
        for r in rows:
            w.writerow([cell(r.get(c)) for c in cols])
        sys.stdout.write(buf.getvalue())
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(*cols)
    for r in rows:
        t.add_row(*[cell(r.get(c))[:80] for c in cols])
    Console().print(t)
    typer.echo(f"{len(rows)} row(s)", err=True)


def import_rows(
    file: Path = typer.Argument(
        ..., exists=True, dir_okay=False, readable=True, help="JSONL file."
    ),
    project: str = typer.Option(..., help="Project (name or id) to import the rows into."),
    data_dir: Path | None = data_dir_option(),
) -> None:
    """Import rows (one JSON object per line) into a project's logs."""
    from rich.progress import Progress

    total_bytes = file.stat().st_size
    stored = rejected = 0
    remote = _remote()
    svc = client = None
    project_id = None
    try:
        if remote:
            client = _http(*remote)
            project_id = _check(client.post("/v1/project/register", json={"name": project}))["id"]
        else:
            from openloop.services.projects import register_project

            svc = open_services(load_settings(data_dir=data_dir), remote_ok=True)
            p = local_principal(svc)
            with friendly_errors():
                project_id = register_project(svc, p, project).id
        with Progress(transient=False) as progress, file.open("rb") as fh:
            task = progress.add_task(f"importing {file.name}", total=total_bytes)
            batch: list[Any] = []
            for lineno, line in enumerate(fh, 1):
                progress.advance(task, len(line))
                if not line.strip():
                    continue
                try:
                    row = orjson.loads(line)
                except orjson.JSONDecodeError as exc:
                    typer.secho(
                        f"line {lineno}: not valid JSON ({exc}); skipped",
                        fg=typer.colors.YELLOW,
                        err=True,
                    )
                    rejected += 1
                    continue
                if isinstance(row, dict):
                    for k in ("project_name", "experiment_id", "dataset_id", "org_id"):
                        row.pop(k, None)
                    row["project_id"], row["log_id"] = project_id, "g"
                batch.append(row)
                if len(batch) >= _BATCH:
                    s, r = _send(batch, svc, client)
                    stored, rejected = stored + s, rejected + r
                    batch = []
            if batch:
                s, r = _send(batch, svc, client)
                stored, rejected = stored + s, rejected + r
    finally:
        if svc:
            svc.close()
        if client:
            client.close()
    typer.echo(f"imported {stored} row(s) into {project!r}; {rejected} rejected")
    if rejected and not stored:
        raise typer.Exit(2)


def _send(batch: list[Any], svc: Any, client: Any) -> tuple[int, int]:
    if client is not None:
        resp = client.post(
            "/v1/ingest",
            content=orjson.dumps({"rows": batch}),
            headers={"content-type": "application/json"},
        )
        body = resp.json()
        errors = body.get("errors") or (body.get("error") or {}).get("errors") or []
        if resp.status_code >= 400 and not body.get("ids"):
            for e in errors[:3]:
                typer.secho(f"row: {e.get('message')}", fg=typer.colors.YELLOW, err=True)
        return len(body.get("ids") or []), len(errors)
    from openloop.services.ingest import ingest_rows

    with friendly_errors():
        result = ingest_rows(svc, local_principal(svc), batch)
    for e in result.errors[:3]:
        typer.secho(f"row {e['index']}: {e['message']}", fg=typer.colors.YELLOW, err=True)
    return len(result.ids), len(result.errors)


def export_rows(
    project: str = typer.Option(..., help="Project (name or id) whose logs to export."),
    output: Path | None = typer.Option(
        None, "-o", "--output", help="File to write (default: stdout)."
    ),
    data_dir: Path | None = data_dir_option(),
) -> None:
    """Export a project's logs as JSONL (every visible row, oldest first)."""
    from rich.progress import Progress

    from openloop.store.data.base import ObjectRef

    out = output.open("wb") if output else sys.stdout.buffer
    n = 0
    try:
        remote = _remote()
        if remote:
            with _http(*remote) as client:
                cursor = None
                while True:
                    body = {
                        "query": f"select: * | from: project_logs({_quote(project)}) | sort: _pagination_key asc | limit: {_BATCH}"
                    }
                    if cursor:
                        body["cursor"] = cursor
                    page = _check(client.post("/btql", json=body))
                    for r in page.get("data", []):
                        out.write(orjson.dumps(r) + b"\n")
                        n += 1
                    cursor = page.get("cursor")
                    if not cursor or not page.get("data"):
                        break
        else:
            svc = open_services(load_settings(data_dir=data_dir), remote_ok=True)
            try:
                with friendly_errors():
                    p = local_principal(svc)
                    proj = svc.control.get_project(p.org_id, project)
                ref = ObjectRef(p.org_id, proj.id, "project_logs", proj.id)
                total = svc.data.count(ref)
                with Progress(console=_stderr_console()) as progress:
                    task = progress.add_task(f"exporting {proj.name}", total=total)
                    for chunk in svc.data.iter_rows(ref, batch_size=_BATCH):
                        for r in chunk:
                            out.write(orjson.dumps(r, default=str) + b"\n")
                        n += len(chunk)
                        progress.advance(task, len(chunk))
            finally:
                svc.close()
    finally:
        if output:
            out.close()
        else:
            out.flush()
    typer.echo(f"exported {n} row(s)", err=True)


def _quote(name: str) -> str:
    return "'" + name.replace("\\", "\\\\").replace("'", "\\'") + "'"


def _stderr_console() -> Any:
    from rich.console import Console

    return Console(stderr=True)


def register(app: typer.Typer) -> None:
    app.command("query")(query)
    app.command("import")(import_rows)
    app.command("export")(export_rows)
