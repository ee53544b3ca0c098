"""The demo project ``demo-support-bot``: a RAG customer-support assistant for the fictional
"Acme Cloud", with two weeks of production logs and an evaluation setup, so every page and
every Loop skill has realistic data the minute the server starts.

:func:`build_demo` is pure (same seed, ``now`` and scope → identical rows);
:func:`load_demo` writes it into a control store and a data store once.

>>> from datetime import UTC, datetime
>>> demo = build_demo(now=datetime(2026, 1, 15, tzinfo=UTC), traces=50)
>>> demo.facts["logs"]["traces"]
50

The ``facts`` of a demo are its answer key: every planted pattern (error types, the one-day
rate-limit spike, the slow tool, the struggling user, feedback, the experiment comparison)
with exact counts over the generated rows.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from openloop.errors import UsageError

from ._common import Ids, cost_function
from ._evals import CITES, DATASET, JUDGE, PROMPT, EvalsData, generate_evals
from ._traces import BAD_USER, SLOW_TOOL, SPIKE_MODEL, LogsData, generate_logs

if TYPE_CHECKING:
    from openloop.store.control import ControlStore
    from openloop.store.data.base import DataStore

__all__ = [
    "CITES",
    "DATASET",
    "DEMO_PROJECT",
    "JUDGE",
    "PROMPT",
    "DemoData",
    "DemoSummary",
    "build_demo",
    "load_demo",
]

DEMO_PROJECT = "demo-support-bot"


@dataclass
class DemoData:
    """Everything the demo writes, before it is written."""

    now: datetime
    seed: int
    logs: LogsData
    evals: EvalsData
    facts: dict[str, Any]


@dataclass
class DemoSummary:
    """What :func:`load_demo` loaded (or found already loaded, then ``loaded`` is False).

    ``counts`` are rows per kind; ``facts`` is the answer key described in the module doc.
    """

    project_id: str
    project_name: str
    loaded: bool
    seed: int
    now: str
    dataset_id: str
    prompt_id: str
    scorer_ids: dict[str, str]
    experiment_ids: dict[str, str]
    counts: dict[str, int] = field(default_factory=dict)
    facts: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def build_demo(*, now: datetime, seed: int = 7, traces: int = 5000, scope: str = "") -> DemoData:
    """Generate the demo without touching any store.

    ``now`` must be timezone-aware; logs cover the 14 days before it. ``scope`` (the project
    id when loading) is mixed into every id so two demo projects never share ids; the content
    depends only on ``seed``, ``now`` and ``traces``.
    """
    if now.tzinfo is None:
        raise UsageError("build_demo needs a timezone-aware `now`")
    if traces < 1:
        raise UsageError("build_demo needs traces >= 1")
    cost = cost_function()
    log_rng = random.Random(f"openloop-demo:{seed}:logs")
    eval_rng = random.Random(f"openloop-demo:{seed}:evals")
    evals = generate_evals(eval_rng, Ids(eval_rng, scope), now, cost)
    logs = generate_logs(log_rng, Ids(log_rng, scope), now, traces, cost, scope)
    facts = {
        "project": DEMO_PROJECT,
        "seed": seed,
        "window": {"end": now.isoformat(), "days": 14},
        "patterns": {"bad_user": BAD_USER, "slow_tool": SLOW_TOOL, "spike_model": SPIKE_MODEL},
        "logs": logs.facts,
        "evals": evals.facts,
    }
    return DemoData(now=now, seed=seed, logs=logs, evals=evals, facts=facts)


def load_demo(
    control: ControlStore,
    data: DataStore,
    org_id: str,
    *,
    now: datetime | None = None,
    seed: int = 7,
    traces: int = 5000,
) -> DemoSummary:
    """Create and fill the ``demo-support-bot`` project of ``org_id``.

    Idempotent: when the project already holds a complete demo, nothing is written and the
    summary of that demo is returned (``loaded=False``), rebuilt from the parameters kept in
    the project settings. An interrupted load is resumed with its original parameters (every
    row id is deterministic, so rewriting is harmless). Raises :class:`~openloop.errors.Conflict`
    when the project has logs that the demo did not write.
    """
    from ._load import load

    return load(control, data, org_id, now=now, seed=seed, traces=traces)
