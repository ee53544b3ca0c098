"""The SDK surface users import, and what importing it costs."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap

import openloop


def test_all_is_pinned():
    assert openloop.__all__ == [
        "Dataset",
        "Eval",
        "EvalAsync",
        "Logger",
        "Prompt",
        "SenderConfig",
        "Span",
        "TracedThreadPoolExecutor",
        "__version__",
        "current_logger",
        "current_span",
        "flush",
        "init_dataset",
        "init_experiment",
        "init_logger",
        "load_prompt",
        "log_feedback",
        "start_span",
        "traced",
        "wrap_anthropic",
        "wrap_openai",
    ]
    for name in openloop.__all__:
        assert getattr(openloop, name) is not None


def _run(code: str, **env: str) -> subprocess.CompletedProcess[str]:
    full_env = {**os.environ, **env}
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True, text=True, timeout=60, env=full_env,
    )  # fmt: skip


def test_import_openloop_does_not_load_the_server_stack():
    result = _run(
        """
        import sys
        import openloop
        heavy = {"fastapi", "duckdb", "sqlalchemy", "pyarrow", "tantivy", "sqlglot",
                 "openai", "anthropic"}
        print(sorted(m for m in sys.modules if m.split(".")[0] in heavy))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"


def test_unflushed_rows_are_sent_at_interpreter_exit(http_server):
    result = _run(
        """
        import openloop
        logger = openloop.init_logger("exit-project")

        @openloop.traced
        def handler(x):
            return x + 1

        handler(41)
        logger.log(input="last words", output="sent at exit")
        """,
        OPENLOOP_BASE_URL=http_server.url,
        OPENLOOP_API_KEY="sk-exit",
    )
    assert result.returncode == 0, result.stderr
    by_input = {}
    for row in http_server.rows:
        by_input.setdefault(row["id"], {}).update(row)
    outputs = sorted(str(r.get("output")) for r in by_input.values())
    assert outputs == ["42", "sent at exit"]
    assert set(http_server.auth) == {"Bearer sk-exit"}
    assert all(r["project_id"] == "proj-http" for r in http_server.rows)
