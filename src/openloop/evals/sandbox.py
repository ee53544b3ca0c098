"""Running untrusted Python (code scorers) in the ``pydantic-monty`` sandbox.

Monty is a Python interpreter written in Rust that runs in pooled worker subprocesses. It has
no access to the host: files, environment, sockets and subprocesses simply do not exist inside
it. This module adds the policy a scorer needs on top:

* **imports** — only modules in ``allowed_imports`` (default: :data:`DEFAULT_ALLOWED_IMPORTS`),
  checked on the source before it runs; ``exec``/``eval``/``open`` and dunder attributes are
  refused the same way, so the allowlist cannot be side-stepped;
* **files and OS calls** — every OS call monty would hand to the host is answered with
  ``PermissionError`` by :func:`_deny_os`;
* **time** — ``max_feed_duration_secs`` inside the worker, sleeps that return at once, and the
  pool kills a worker that overruns its limit by a grace second (a hang monty cannot interrupt);
* **memory** — ``max_memory`` on monty's heap;
* **crash isolation** — a worker that dies is replaced by the pool; the caller gets an error.

Every failure becomes :class:`CodeScorerError` with a message a user can act on.
"""

from __future__ import annotations

import ast
import atexit
import json
import logging
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pydantic_monty as monty

from openloop.errors import InvalidInput

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_ALLOWED_IMPORTS",
    "CodeScorerError",
    "Sandbox",
    "SandboxResult",
    "check_source",
    "default_sandbox",
    "shutdown_default_sandbox",
]

DEFAULT_ALLOWED_IMPORTS: frozenset[str] = frozenset(
    {"re", "json", "math", "datetime", "typing", "collections", "itertools", "functools"}
)
# Builtins that would let code run text we never checked, or reach files.
_FORBIDDEN_NAMES = frozenset(
    {"exec", "eval", "compile", "open", "__import__", "globals", "locals", "vars", "breakpoint"}
)
_MAX_PRINT_BYTES = 64 * 1024
_HOST_GRACE_S = 1.0


class CodeScorerError(InvalidInput):
    """A code scorer failed. ``kind`` is one of: syntax, not_allowed, timeout, memory,
    exception, bad_return, bad_input, crashed."""

    def __init__(self, message: str, *, kind: str, line: int | None = None) -> None:
        super().__init__(message, kind=kind, line=line)
        self.kind = kind
        self.line = line


@dataclass(frozen=True)
class SandboxResult:
    value: Any
    stdout: str
    duration_s: float


def check_source(code: str, allowed_imports: Iterable[str] = DEFAULT_ALLOWED_IMPORTS) -> ast.Module:
    """Parse ``code`` and refuse what the sandbox policy forbids; returns the parsed module."""
    try:
        tree = ast.parse(code, filename="scorer.py")
    except SyntaxError as exc:
        raise CodeScorerError(
            f"syntax error on line {exc.lineno}: {exc.msg}", kind="syntax", line=exc.lineno
        ) from None
    allowed = set(allowed_imports)
    problems = [problem for node in ast.walk(tree) if (problem := _violation(node, allowed))]
    if problems:
        # report the first problem in reading order
        _, _, message, line = min(problems)
        raise CodeScorerError(message, kind="not_allowed", line=line)
    return tree


def _violation(node: ast.AST, allowed: set[str]) -> tuple[int, int, str, int] | None:
    line = getattr(node, "lineno", 0)
    modules: list[str] = []
    if isinstance(node, ast.Import):
        modules = [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
        modules = ["." * node.level + (node.module or "")]
    for module in modules:
        if module.split(".")[0] not in allowed:
            return (
                line,
                getattr(node, "col_offset", 0),
                f"import of '{module}' is not allowed (line {line}); allowed modules: "
                + ", ".join(sorted(allowed)),
                line,
            )
    if isinstance(node, ast.Name) and node.id in _FORBIDDEN_NAMES:
        message = f"'{node.id}' is not allowed in code scorers (line {line})"
        return line, node.col_offset, message, line
    if isinstance(node, ast.Attribute) and node.attr.startswith("__"):
        message = f"attribute '{node.attr}' is not allowed in code scorers (line {line})"
        return line, node.end_col_offset or 0, message, line
    return None


def _deny_os(*, name: str, **_: Any) -> Any:
    """Answer every host OS call (files, environment, urandom) with a refusal."""
    raise PermissionError(f"'{name}' is not allowed in code scorers: no file or network access")


def _plain(value: Any) -> Any:
    """A JSON-shaped copy of a row value, so any Python object can cross into the sandbox."""
    try:
        return json.loads(json.dumps(value, default=str))
    except (TypeError, ValueError) as exc:
        raise CodeScorerError(
            f"the row could not be passed to the scorer: {exc}", kind="bad_input"
        ) from None


class Sandbox:
    """A pool of monty workers plus the policy above. Thread-safe; one per process is enough.

    ``max_timeout_s`` bounds the per-call ``timeout_s`` and sets the pool's last-resort
    per-request deadline.
    """

    def __init__(self, *, max_workers: int = 2, max_timeout_s: float = 60.0) -> None:
        self.max_timeout_s = max_timeout_s
        self._max_workers = max_workers
        self._pool: monty.Monty | None = None
        self._lock = threading.Lock()

    def _get_pool(self) -> monty.Monty:
        with self._lock:
            if self._pool is None:
                pool = monty.Monty(
                    min_processes=1,
                    max_processes=self._max_workers,
                    request_timeout=self.max_timeout_s + 5 * _HOST_GRACE_S,
                    feed_duration_limit_grace=_HOST_GRACE_S,
                    turn_duration_limit_grace=_HOST_GRACE_S,
                )
                pool.__enter__()
                self._pool = pool
                logger.info("sandbox.start workers=%d", self._max_workers)
            return self._pool

    def close(self) -> None:
        """Stop every worker process. The sandbox starts a new pool if used again."""
        with self._lock:
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.__exit__(None, None, None)
            logger.info("sandbox.stop")

    def run(
        self,
        code: str,
        *,
        inputs: Mapping[str, Any] | None = None,
        timeout_s: float = 2.0,
        memory_mb: int = 256,
        allowed_imports: Iterable[str] = DEFAULT_ALLOWED_IMPORTS,
    ) -> SandboxResult:
        """Check and run ``code``; its last expression is the result. Raises CodeScorerError."""
        check_source(code, allowed_imports)
        timeout_s = max(0.01, min(float(timeout_s), self.max_timeout_s))
        limits: monty.ResourceLimits = {
            "max_feed_duration_secs": timeout_s,
            "max_memory": int(memory_mb) * 1024 * 1024,
        }
        printed = monty.CollectString(max_bytes=_MAX_PRINT_BYTES)
        plain_inputs = {key: _plain(val) for key, val in (inputs or {}).items()}
        started = time.monotonic()
        try:
            with self._get_pool().checkout(
                script_name="scorer.py", limits=limits, os_policy={"sleep": "zero"}
            ) as session:
                value = session.feed_run(
                    code,
                    inputs=plain_inputs,
                    print_callback=printed,
                    os=_deny_os,
                )
        except monty.MontyError as exc:
            elapsed = time.monotonic() - started
            raise _translate(
                exc, timeout_s=timeout_s, memory_mb=memory_mb, elapsed=elapsed
            ) from None
        except (OSError, RuntimeError, TimeoutError) as exc:
            # the pool itself failed (worker binary missing, no free worker in time)
            logger.error("sandbox.unavailable error=%s", exc)
            raise CodeScorerError(
                f"the code sandbox is unavailable: {exc}", kind="crashed"
            ) from None
        elapsed = time.monotonic() - started
        logger.debug("sandbox.run ms=%d", elapsed * 1000)
        return SandboxResult(value=value, stdout=printed.output, duration_s=elapsed)


def _user_line(exc: monty.MontyError) -> int | None:
    frames = exc.traceback() if hasattr(exc, "traceback") else []
    return frames[-1].line if frames else None


def _translate(
    exc: monty.MontyError, *, timeout_s: float, memory_mb: int, elapsed: float
) -> CodeScorerError:
    timeout_text = f"timed out after {timeout_s:g} s"
    if isinstance(exc, monty.MontyCrashedError):
        if exc.timed_out or elapsed >= timeout_s:
            return CodeScorerError(timeout_text, kind="timeout")
        logger.warning("sandbox.crash status=%s", exc.exit_status)
        return CodeScorerError(
            f"the sandbox crashed while running the scorer: {exc}", kind="crashed"
        )
    if isinstance(exc, monty.MontySyntaxError):
        line = _user_line(exc)
        return CodeScorerError(
            f"syntax error on line {line}: {exc.display('msg')}", kind="syntax", line=line
        )
    if isinstance(exc, monty.MontyRuntimeError):
        inner = exc.exception()
        kind_name = type(inner).__name__
        message = exc.display("msg")
        line = _user_line(exc)
        if isinstance(inner, TimeoutError):
            return CodeScorerError(timeout_text, kind="timeout", line=line)
        if isinstance(inner, MemoryError):
            return CodeScorerError(
                f"exceeded the memory limit of {memory_mb} MB", kind="memory", line=line
            )
        if isinstance(inner, PermissionError):
            return CodeScorerError(f"{message} (line {line})", kind="not_allowed", line=line)
        if isinstance(inner, ModuleNotFoundError):
            return CodeScorerError(
                f"{message}: importing it is not allowed (line {line})",
                kind="not_allowed",
                line=line,
            )
        where = f" (line {line})" if line else ""
        return CodeScorerError(f"{kind_name}: {message}{where}", kind="exception", line=line)
    if isinstance(exc, monty.MontyConversionError):
        return CodeScorerError(
            f"the scorer returned a value that cannot leave the sandbox: {exc}", kind="bad_return"
        )
    return CodeScorerError(f"the sandbox failed: {exc}", kind="crashed")


_default: Sandbox | None = None
_default_lock = threading.Lock()


def default_sandbox() -> Sandbox:
    """The process-wide sandbox, created on first use and closed at exit."""
    global _default
    with _default_lock:
        if _default is None:
            _default = Sandbox()
            atexit.register(shutdown_default_sandbox)
        return _default


def shutdown_default_sandbox() -> None:
    """Stop the process-wide sandbox's workers (tests and server shutdown call this)."""
    with _default_lock:
        sandbox = _default
    if sandbox is not None:
        sandbox.close()
