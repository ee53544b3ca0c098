"""``openloop eval FILE.py``: run every ``Eval(...)`` in a Python file and print summaries.

The file runs as a script (``__name__ == "__main__"``), so each ``openloop.Eval`` call in it
executes against ``OPENLOOP_BASE_URL`` with ``OPENLOOP_API_KEY``; their results are collected
and summarized here. The exit code is 1 when a case failed (task error) and ``--fail-on-error``
is set, or when the file itself raised.
"""

from __future__ import annotations

import os
import runpy
import sys
import traceback
from pathlib import Path

import typer

from openloop.cli._common import fail

__all__ = ["register"]


def eval_command(
    files: list[Path] = typer.Argument(..., help="Python files that call openloop.Eval(...)."),
    fail_on_error: bool = typer.Option(
        False, "--fail-on-error", help="Exit with 1 when any case's task raised."
    ),
) -> None:
    """Run the evals defined in FILES and print each experiment's summary."""
    from openloop.sdk import eval as sdk_eval

    if not os.environ.get("OPENLOOP_API_KEY"):
        typer.secho(
            "warning: OPENLOOP_API_KEY is not set; the server will refuse to log experiments",
            fg=typer.colors.YELLOW,
            err=True,
        )
    collected: list[sdk_eval.EvalResultWithSummary] = []
    sdk_eval._collector = collected
    try:
        for path in files:
            if not path.is_file():
                fail(f"no such file: {path}", code=2)
            sys.path.insert(0, str(path.resolve().parent))
            try:
                runpy.run_path(str(path), run_name="__main__")
            except Exception:
                typer.echo(traceback.format_exc(), err=True)
                fail(f"{path} raised an error (traceback above)")
            finally:
                sys.path.pop(0)
    finally:
        sdk_eval._collector = None
    if not collected:
        fail("no Eval(...) call ran; does the file call openloop.Eval?", code=2)
    errors = 0
    for outcome in collected:
        typer.echo(str(outcome.summary))
        failed = sum(1 for r in outcome.results if r.error)
        errors += failed
        if failed:
            typer.secho(f"  {failed} case(s) raised an error", fg=typer.colors.RED)
        typer.echo("")
    if errors and fail_on_error:
        raise typer.Exit(1)


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)
