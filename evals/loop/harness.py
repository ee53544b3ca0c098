"""Shared machinery of Loop's own evaluation suites (``evals/loop/eval_*.py``).

A *backend* is where Loop runs: :class:`LocalLoop` opens a data directory in-process (the demo
project loaded deterministically from a fixed ``now``) and calls the service functions;
:class:`HttpLoop` talks to a running server (``OPENLOOP_BASE_URL`` + ``OPENLOOP_API_KEY``).
Each suite's task asks Loop for a query, a filter or a fix, runs what came back, runs the
case's reference right after it, and compares the two answers (:mod:`answers`). Three scorers
read the outcome: ``answer_correct``, ``valid_query`` (parses and runs) and ``repaired`` (needed
the self-repair round, then succeeded). Configuration is read from the environment once, by
:func:`config` — see ``README.md`` for every variable.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from answers import answer_preview, compare_answers, expected_answer

logger = logging.getLogger(__name__)

__all__ = ["DEMO", "EVAL_PROJECT", "Config", "Outcome", "answer_correct", "ask_filter", "ask_fix",
           "ask_query", "config", "eval_data", "eval_options", "load_cases", "open_backend",
           "print_report", "repaired", "summarize", "valid_query"]  # fmt: skip

DEMO = "demo-support-bot"
#: The project the suites' experiments are logged to (on the server at OPENLOOP_BASE_URL).
EVAL_PROJECT = "openloop-loop-evals"
CASES = Path(__file__).resolve().parent / "cases"
#: Window added to every filter comparison (the demo spans 14 days).
FILTER_WINDOW = "created > now() - interval 30 day"
_ENV = "OPENLOOP_LOOP_EVAL_"


@dataclass(frozen=True)
class Config:
    target: str  # "local" or "http"
    model: str | None
    data_dir: Path | None
    traces: int
    now: datetime
    limit: int | None
    fix_mode: str  # "loop" (deterministic fixer, then the model), "model", "offline"
    concurrency: int
    dry_run: bool


def _now(text: str | None) -> datetime:
    if text:
        value = datetime.fromisoformat(text)
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return datetime.now(UTC).replace(minute=0, second=0, microsecond=0)


def config(env: dict[str, str] | None = None) -> Config:
    """The run's settings from ``OPENLOOP_LOOP_EVAL_*`` (and ``OPENLOOP_BASE_URL``/``_API_KEY``)."""
    env = dict(os.environ if env is None else env)
    get = lambda name, default=None: env.get(_ENV + name) or default  # noqa: E731
    remote = bool(env.get("OPENLOOP_BASE_URL") and env.get("OPENLOOP_API_KEY"))
    target = get("TARGET", "http" if remote else "local")
    if target not in ("local", "http"):
        raise ValueError(f"{_ENV}TARGET must be 'local' or 'http', not {target!r}")
    fix_mode = get("FIX_MODE", "loop")
    if fix_mode not in ("loop", "model", "offline"):
        raise ValueError(f"{_ENV}FIX_MODE must be 'loop', 'model' or 'offline', not {fix_mode!r}")
    data_dir = get("DATA_DIR")
    return Config(
        target=target, model=get("MODEL"), data_dir=Path(data_dir) if data_dir else None,
        traces=int(get("TRACES", "5000")), now=_now(get("NOW")),
        limit=int(get("LIMIT")) if get("LIMIT") else None, fix_mode=fix_mode,
        concurrency=int(get("CONCURRENCY", "4")), dry_run=get("DRY_RUN", "") not in ("", "0"),
    )  # fmt: skip


def load_cases(name: str) -> list[dict[str, Any]]:
    """The cases of ``cases/<name>.jsonl`` (``questions``, ``filters`` or ``fixes``)."""
    with (CASES / f"{name}.jsonl").open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


_INPUT = {"questions": "question", "filters": "request", "fixes": "broken"}


def eval_data(name: str, limit: int | None = None) -> list[dict[str, Any]]:
    """``Eval`` rows: the plain-language text as input, the whole case as ``expected``."""
    rows = [
        {"input": c[_INPUT[name]], "expected": c,
         "metadata": {"case": c["id"], "category": c.get("category") or c.get("kind")}}
        for c in load_cases(name)
    ]  # fmt: skip
    return rows[:limit] if limit else rows


# -- counting model requests ---------------------------------------------------------------------


def counting(model: Any) -> Any:
    """Wrap a pydantic-ai model so the requests made for one generation can be counted: two
    requests mean the first proposal failed and the self-repair round ran. Make one per
    generation."""
    from pydantic_ai.models.wrapper import WrapperModel

    class _Counting(WrapperModel):
        calls = 0

        async def request(self, *args: Any, **kwargs: Any) -> Any:
            self.calls += 1
            return await self.wrapped.request(*args, **kwargs)

    return _Counting(model)


# -- outcome and scorers -------------------------------------------------------------------------


@dataclass
class Outcome:
    """What one case produced; it is the task's output (a dict) in the experiment."""

    query: str | None = None
    valid: bool = False
    correct: bool | None = None
    model_calls: int | None = None
    method: str = "model"
    error: str | None = None
    answer: list[dict[str, Any]] = field(default_factory=list)
    expected_answer: list[dict[str, Any]] = field(default_factory=list)

    @property
    def repaired(self) -> bool | None:
        if self.model_calls is None:
            return None
        return self.valid and self.model_calls >= 2

    def to_dict(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items()}
        out["repaired"] = self.repaired
        return out


def answer_correct(output: Any) -> float | None:
    """1 when the generated query's answer matches the reference's."""
    if not isinstance(output, dict) or output.get("correct") is None:
        return None
    return 1.0 if output["correct"] else 0.0


def valid_query(output: Any) -> float | None:
    """1 when what Loop returned parses and runs."""
    return None if not isinstance(output, dict) else (1.0 if output.get("valid") else 0.0)


def repaired(output: Any) -> float | None:
    """1 when the first proposal failed and the self-repair round fixed it (unknown over HTTP)."""
    if not isinstance(output, dict) or output.get("repaired") is None:
        return None
    return 1.0 if output["repaired"] else 0.0


# -- running a case --------------------------------------------------------------------------------


def _error_text(exc: BaseException) -> str:
    return getattr(exc, "message", None) or f"{type(exc).__name__}: {exc}"


def ask_query(loop: Any, case: dict[str, Any]) -> dict[str, Any]:
    """questions.jsonl: plain language → query; its answer against the reference's."""
    out = Outcome()
    try:
        out.query, out.model_calls = loop.generate_query(case["question"])
    except Exception as exc:  # a failed generation is a wrong, invalid answer, not a crash
        out.error, out.model_calls, out.correct = _error_text(exc), loop.last_calls(), False
        return out.to_dict()
    return _judge(loop, out, case["query"], case).to_dict()


def ask_filter(loop: Any, case: dict[str, Any]) -> dict[str, Any]:
    """filters.jsonl: plain language → filter; the matching row ids against the reference's."""
    out = Outcome()
    try:
        expr, out.model_calls = loop.generate_filter(case["request"])
    except Exception as exc:
        out.error, out.model_calls, out.correct = _error_text(exc), loop.last_calls(), False
        return out.to_dict()
    out.query = expr
    try:
        got = loop.filter_ids(expr)
        out.valid = True
    except Exception as exc:
        out.error, out.correct = _error_text(exc), False
        return out.to_dict()
    want = loop.filter_ids(case["filter"])
    out.correct = got == want
    out.answer = [{"matches": len(got)}]
    out.expected_answer = [{"matches": len(want)}]
    return out.to_dict()


def ask_fix(loop: Any, case: dict[str, Any], mode: str = "loop") -> dict[str, Any]:
    """fixes.jsonl: a broken query → Fix with Loop; runs, and returns the reference's rows."""
    out = Outcome(method="offline")
    broken = case["broken"]
    fixed = loop.offline_fix(broken) if mode in ("loop", "offline") else None
    if fixed is None and mode != "offline":
        out.method = "model"
        try:
            error = loop.failure(broken, strict=bool(case.get("strict")))
            out.query, out.model_calls = loop.generate_query(
                f"Fix this query so that it runs. It fails with: {error}", current_query=broken
            )
        except Exception as exc:
            out.error, out.model_calls, out.correct = _error_text(exc), loop.last_calls(), False
            return out.to_dict()
    elif fixed is None:
        out.error, out.correct = "no deterministic repair applies", False
        return out.to_dict()
    else:
        out.query = fixed
    reference = case.get("reference")
    if reference is None:
        out.correct = None
        return _run_only(loop, out, strict=True).to_dict()
    return _judge(loop, out, reference, {"compare": "exact"}, strict=True).to_dict()


def _run_only(loop: Any, out: Outcome, *, strict: bool = False) -> Outcome:
    try:
        rows = loop.run(out.query, strict=strict)
        out.valid, out.answer = True, answer_preview(rows)
    except Exception as exc:
        out.error = _error_text(exc)
    return out


def _judge(loop: Any, out: Outcome, reference: str, case: dict[str, Any],
           *, strict: bool = False) -> Outcome:  # fmt: skip
    try:
        rows = loop.run(out.query, strict=strict)
        out.valid = True
    except Exception as exc:
        out.error, out.correct = _error_text(exc), False
        return out
    ref_rows = loop.run(reference)
    out.answer, out.expected_answer = answer_preview(rows), answer_preview(ref_rows)
    if case.get("compare") == "exact":
        out.correct = same_rows(rows, ref_rows)
    else:
        out.correct = compare_answers(expected_answer(case, ref_rows), rows)
    return out


def same_rows(a: list[dict[str, Any]], b: list[dict[str, Any]]) -> bool:
    """The same rows (as value tuples in column order), in any order."""
    canon = lambda rows: sorted(json.dumps(list(r.values()), default=str) for r in rows)  # noqa: E731
    return canon(a) == canon(b)


# -- backends --------------------------------------------------------------------------------------


def open_backend(cfg: Config, suite: str | None = None, model: Any = None) -> Any:
    """The Loop to evaluate, per ``cfg.target``. ``model`` (a pydantic-ai model) replaces the
    configured one in-process; with ``cfg.dry_run`` a scripted model answers every case of
    ``suite`` with its reference (a sanity check of the harness: 100% accuracy)."""
    if cfg.target == "http":
        from backends import HttpLoop

        return HttpLoop.from_env(cfg)
    from backends import LocalLoop

    if model is None and cfg.dry_run:
        from dryrun import scripted_model

        model = scripted_model(load_cases(suite or "questions"))
    scratch = None if cfg.data_dir else Path(tempfile.mkdtemp(prefix="openloop-loop-evals-"))
    loop = LocalLoop.open(cfg.data_dir or scratch, now=cfg.now, traces=cfg.traces,
                          model=model or cfg.model)  # fmt: skip
    loop.scratch = scratch
    return loop


def eval_options(cfg: Config, suite: str) -> dict[str, Any]:
    """``Eval`` keyword arguments: experiment name and metadata, concurrency, and local-only
    runs when no server is configured to log to."""
    model = "dry-run" if cfg.dry_run else (cfg.model or "default")
    return {
        "experiment_name": f"loop-{suite}-{model.replace('/', '-')}",
        "metadata": {"suite": suite, "model": model, "target": cfg.target, "traces": cfg.traces,
                     "demo_now": cfg.now.isoformat(), "fix_mode": cfg.fix_mode},
        "max_concurrency": cfg.concurrency,
        "no_send_logs": not os.environ.get("OPENLOOP_BASE_URL"),
    }  # fmt: skip


# -- report ----------------------------------------------------------------------------------------


def _rate(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return sum(known) / len(known) if known else None


def summarize(results: list[Any]) -> dict[str, Any]:
    """Accuracy, valid-query rate and repair rate over an Eval's results, with per-category
    accuracy."""
    outs = [r.output if isinstance(r.output, dict) else {} for r in results]
    correct = [answer_correct(o) for o in outs]
    needed = [o for o in outs if (o.get("model_calls") or 0) >= 2]
    by_cat: dict[str, list[float | None]] = {}
    for r, c in zip(results, correct, strict=True):
        by_cat.setdefault(str((r.metadata or {}).get("category")), []).append(c)
    return {
        "cases": len(results),
        "accuracy": _rate(correct),
        "valid_query_rate": _rate([valid_query(o) for o in outs]),
        "repair_rate": _rate([repaired(o) for o in outs]),
        "repair_success": (sum(1 for o in needed if o.get("valid")) / len(needed)) if needed else None,
        "task_errors": sum(1 for r in results if r.error),
        "by_category": {k: _rate(v) for k, v in sorted(by_cat.items())},
    }  # fmt: skip


def print_report(title: str, results: list[Any]) -> dict[str, Any]:
    """Print the suite's headline numbers (the eval files are command-line scripts)."""
    s = summarize(results)
    pct = lambda v: "n/a" if v is None else f"{v * 100:.1f}%"  # noqa: E731
    print(f"\n{title}: {s['cases']} cases")
    print(f"  accuracy          {pct(s['accuracy'])}")
    print(f"  valid-query rate  {pct(s['valid_query_rate'])}")
    print(f"  repair rate       {pct(s['repair_rate'])}  (needed the self-repair round and "
          f"then succeeded; of those that needed it: {pct(s['repair_success'])})")  # fmt: skip
    for cat, acc in s["by_category"].items():
        print(f"    {cat:<20} {pct(acc)}")
    return s
