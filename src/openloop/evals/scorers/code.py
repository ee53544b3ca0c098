"""Code scorers: a Python ``handler`` a user writes, run in the sandbox for every row.

    def handler(input, output, expected, metadata):
        return 1.0 if output.strip() == expected else 0.0

The handler may declare any subset of ``input, output, expected, metadata`` (or ``**kwargs``)
and returns a number in [0, 1], a bool, ``{"score": x, "metadata": {...}}``, a list of named
scores, or None. It runs under :mod:`openloop.evals.sandbox` with a time and memory limit and an
import allowlist; any failure is reported on the row's ``Score.error``, never raised.
"""

from __future__ import annotations

import ast
import asyncio
import logging
from dataclasses import dataclass, field
from typing import Any

from openloop.evals.sandbox import (
    DEFAULT_ALLOWED_IMPORTS,
    CodeScorerError,
    Sandbox,
    check_source,
    default_sandbox,
)
from openloop.evals.score import Score, normalize_scores

logger = logging.getLogger(__name__)

__all__ = ["HANDLER_ARGS", "CodeScorer", "run_code_scorer", "run_code_scorer_async"]

HANDLER_ARGS = ("input", "output", "expected", "metadata")
_ARGS_GLOBAL = "_openloop_args"


def _handler_call(tree: ast.Module) -> str:
    """The expression appended to the user's code that calls ``handler`` with what it declares."""
    handler: ast.FunctionDef | ast.AsyncFunctionDef | None = None
    assigned = False
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name == "handler":
            handler = node
        elif isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "handler" for target in node.targets
        ):
            assigned = True
    if handler is None and not assigned:
        raise CodeScorerError(
            "a code scorer must define a function named 'handler'"
            " (def handler(input, output, expected, metadata): ...)",
            kind="syntax",
        )
    if isinstance(handler, ast.AsyncFunctionDef):
        raise CodeScorerError("'handler' must be a plain function, not async", kind="syntax")
    if handler is None or handler.args.kwarg is not None:
        return "handler(" + ", ".join(f"{n}={_ARGS_GLOBAL}[{n!r}]" for n in HANDLER_ARGS) + ")"
    args = handler.args
    params = args.posonlyargs + args.args + args.kwonlyargs
    unknown = [p.arg for p in params if p.arg not in HANDLER_ARGS]
    if unknown:
        raise CodeScorerError(
            f"handler parameter '{unknown[0]}' is not one of {', '.join(HANDLER_ARGS)}"
            f" (line {handler.lineno})",
            kind="syntax",
            line=handler.lineno,
        )
    positional = [f"{_ARGS_GLOBAL}[{p.arg!r}]" for p in args.posonlyargs]
    keywords = [f"{p.arg}={_ARGS_GLOBAL}[{p.arg!r}]" for p in args.args + args.kwonlyargs]
    call_args = ", ".join(positional + keywords)
    return f"handler({call_args})"


def _scores_from(name: str, value: Any, stdout: str) -> list[Score]:
    if isinstance(value, str):
        shown = value if len(value) <= 60 else value[:57] + "..."
        return [
            Score.failure(
                name,
                f"handler returned the string {shown!r}; return a number in [0, 1],"
                " a bool or {'score': ..., 'metadata': {...}}",
            )
        ]
    scores = normalize_scores(name, value)
    if stdout:
        scores = [Score(s.name, s.score, {**s.metadata, "logs": stdout}, s.error) for s in scores]
    return scores


def run_code_scorer(
    code: str,
    *,
    input: Any = None,
    output: Any = None,
    expected: Any = None,
    metadata: Any = None,
    timeout_s: float = 2.0,
    memory_mb: int = 256,
    name: str = "code",
    allowed_imports: frozenset[str] = DEFAULT_ALLOWED_IMPORTS,
    sandbox: Sandbox | None = None,
) -> Score:
    """Run a code scorer on one row and return its (first) Score; errors land on ``Score.error``.

    >>> run_code_scorer("def handler(output, expected):\\n    return output == expected",
    ...                 output="a", expected="a").score
    1.0
    """
    return run_code_scorer_all(
        code,
        input=input,
        output=output,
        expected=expected,
        metadata=metadata,
        timeout_s=timeout_s,
        memory_mb=memory_mb,
        name=name,
        allowed_imports=allowed_imports,
        sandbox=sandbox,
    )[0]


def run_code_scorer_all(
    code: str,
    *,
    input: Any = None,
    output: Any = None,
    expected: Any = None,
    metadata: Any = None,
    timeout_s: float = 2.0,
    memory_mb: int = 256,
    name: str = "code",
    allowed_imports: frozenset[str] = DEFAULT_ALLOWED_IMPORTS,
    sandbox: Sandbox | None = None,
) -> list[Score]:
    """Like :func:`run_code_scorer` but keeps every score when the handler returns a list."""
    try:
        tree = check_source(code, allowed_imports)
        program = f"{code}\n{_handler_call(tree)}\n"
        result = (sandbox or default_sandbox()).run(
            program,
            inputs={
                _ARGS_GLOBAL: {
                    "input": input,
                    "output": output,
                    "expected": expected,
                    "metadata": metadata if metadata is not None else {},
                }
            },
            timeout_s=timeout_s,
            memory_mb=memory_mb,
            allowed_imports=allowed_imports,
        )
    except CodeScorerError as exc:
        logger.info("scorer.code.error name=%s kind=%s", name, exc.kind)
        return [Score.failure(name, exc.message)]
    return _scores_from(name, result.value, result.stdout)


async def run_code_scorer_async(code: str, **kwargs: Any) -> Score:
    """:func:`run_code_scorer` off the event loop (the sandbox call blocks a thread)."""
    return await asyncio.to_thread(run_code_scorer, code, **kwargs)


@dataclass
class CodeScorer:
    """A saved code scorer: its name, source and limits. Checked once when built."""

    name: str
    code: str
    timeout_s: float = 2.0
    memory_mb: int = 256
    allowed_imports: frozenset[str] = field(default=DEFAULT_ALLOWED_IMPORTS)

    def __post_init__(self) -> None:
        _handler_call(check_source(self.code, self.allowed_imports))

    def evaluate(
        self,
        *,
        input: Any = None,
        output: Any = None,
        expected: Any = None,
        metadata: Any = None,
        **_: Any,
    ) -> Score:
        return run_code_scorer(
            self.code,
            input=input,
            output=output,
            expected=expected,
            metadata=metadata,
            timeout_s=self.timeout_s,
            memory_mb=self.memory_mb,
            name=self.name,
            allowed_imports=self.allowed_imports,
        )

    async def evaluate_async(self, **kwargs: Any) -> Score:
        return await asyncio.to_thread(lambda: self.evaluate(**kwargs))
