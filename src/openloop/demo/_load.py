"""Writing a generated demo into the stores: registry objects in the control plane, rows in the
data plane, in the order a real team would have produced them (dataset → prompt versions →
scorers → experiments → production logs → late feedback)."""

from __future__ import annotations

import copy
import logging
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from openloop.errors import Conflict
from openloop.store.data.base import ObjectRef, WriteRequest

from . import DEMO_PROJECT, DemoData, DemoSummary, build_demo
from ._evals import CITES, DATASET, JUDGE, PROMPT

if TYPE_CHECKING:
    from openloop.store.control import ControlStore, Project
    from openloop.store.data.base import DataStore

__all__ = ["BATCH_ROWS", "load"]

logger = logging.getLogger(__name__)

#: Rows per data-plane write for the logs (whole traces are never split across writes).
BATCH_ROWS = 2000
_SETTINGS_KEY = "demo"


def _write(data: DataStore, ref: ObjectRef, rows: list[dict[str, Any]]) -> int:
    result = data.write([WriteRequest(ref=ref, rows=rows)])[0]
    if result.errors:
        first = result.errors[0]
        raise Conflict(
            f"the data store rejected {len(result.errors)} demo rows "
            f"(first: row {first.index}: {first.message})"
        )
    return int(result.xact_id)


def _register(
    control: ControlStore,
    org_id: str,
    project_id: str,
    kind: str,
    name: str,
    oid: str,
    **kwargs: Any,
) -> str:
    """Create a registry object with the demo's deterministic id; on a resumed load the object
    from the interrupted run is reused."""
    try:
        return str(control.create_object(org_id, project_id, kind, name, id=oid, **kwargs).id)
    except Conflict:
        existing = control.get_object(org_id, project_id, kind, name)
        if existing.id != oid:
            raise
        return str(existing.id)


def _batches(rows: list[dict[str, Any]], size: int) -> list[list[dict[str, Any]]]:
    """Cut rows (grouped by trace) into writes of about ``size`` rows at trace boundaries."""
    out: list[list[dict[str, Any]]] = [[]]
    for row in rows:
        if len(out[-1]) >= size and not row["span_parents"]:
            out.append([])
        out[-1].append(row)
    return [b for b in out if b]


def _summary(project: Project, demo: DemoData, *, loaded: bool, seconds: float) -> DemoSummary:
    ev, logs = demo.evals, demo.logs
    comments = sum(1 for r in logs.late_rows if "comment" in r)
    counts = {
        "traces": logs.facts["traces"],
        "log_spans": len(logs.rows),
        "feedback_merges": len(logs.late_rows) - comments,
        "comments": comments,
        "dataset_rows": len(ev.dataset_rows),
        "prompt_versions": len(ev.prompt_versions),
        "scorers": len(ev.scorer_rows),
        **{f"experiment_spans:{e.name}": len(e.rows) for e in ev.experiments},
    }
    return DemoSummary(
        project_id=project.id,
        project_name=project.name,
        loaded=loaded,
        seed=demo.seed,
        now=demo.now.isoformat(),
        dataset_id=ev.dataset_id,
        prompt_id=ev.prompt_id,
        scorer_ids=dict(ev.scorer_ids),
        experiment_ids={e.name: e.id for e in ev.experiments},
        counts=counts,
        facts=demo.facts,
        seconds=round(seconds, 3),
    )


def load(
    control: ControlStore,
    data: DataStore,
    org_id: str,
    *,
    now: datetime | None,
    seed: int,
    traces: int,
) -> DemoSummary:
    started = time.perf_counter()
    project = control.get_or_create_project(org_id, DEMO_PROJECT)
    pid = project.id
    logs_ref = ObjectRef(org_id, pid, "project_logs", pid)
    settings = control.get_project_settings(org_id, pid)
    previous = settings.get(_SETTINGS_KEY)
    if previous is not None:
        now = datetime.fromisoformat(previous["now"])
        seed, traces = int(previous["seed"]), int(previous["traces"])
    elif data.count(logs_ref) > 0:
        raise Conflict(f"project {DEMO_PROJECT!r} already has logs that the demo did not write")
    demo = build_demo(now=now or datetime.now(UTC), seed=seed, traces=traces, scope=pid)
    if previous is not None and previous.get("complete"):
        logger.info("demo.exists project=%s", pid)
        return _summary(project, demo, loaded=False, seconds=time.perf_counter() - started)
    params = {"seed": seed, "now": demo.now.isoformat(), "traces": traces, "complete": False}
    control.set_project_settings(org_id, pid, {**settings, _SETTINGS_KEY: params})

    ev = demo.evals
    _register(
        control,
        org_id,
        pid,
        "dataset",
        DATASET,
        ev.dataset_id,
        description="Fifty representative Acme Cloud support questions with reference answers.",
    )
    _register(
        control,
        org_id,
        pid,
        "prompt",
        PROMPT,
        ev.prompt_id,
        slug=PROMPT,
        description=ev.prompt_versions[-1]["description"],
    )
    for row in ev.scorer_rows:
        _register(
            control,
            org_id,
            pid,
            "scorer",
            row["name"],
            row["id"],
            slug=row["slug"],
            description=row["description"],
        )
    dataset_xact = _write(data, ObjectRef(org_id, pid, "dataset", ev.dataset_id), ev.dataset_rows)
    prompt_ref = ObjectRef(org_id, pid, "prompt", pid)
    prompt_xacts = [_write(data, prompt_ref, [v]) for v in ev.prompt_versions]
    _write(data, ObjectRef(org_id, pid, "function", pid), ev.scorer_rows)
    for exp in ev.experiments:
        meta = {
            "dataset_id": ev.dataset_id,
            "dataset_version": str(dataset_xact),
            "prompt_id": ev.prompt_id,
            "prompt_version": str(prompt_xacts[exp.prompt_version]),
            "prompt_label": f"v{exp.prompt_version + 1}",
            "scorers": [JUDGE, CITES],
        }
        if exp.base:
            meta["base_exp_id"] = exp.base
        _register(
            control,
            org_id,
            pid,
            "experiment",
            exp.name,
            exp.id,
            description=exp.description,
            metadata=meta,
        )
        rows = copy.deepcopy(exp.rows)
        for row in rows:
            if "origin" in row:
                row["origin"]["_xact_id"] = str(dataset_xact)
        _write(data, ObjectRef(org_id, pid, "experiment", exp.id), rows)

    batches = _batches(demo.logs.rows, BATCH_ROWS)
    for batch in batches:
        _write(data, logs_ref, batch)
    # Feedback arrives later than the spans it rates: a separate write of merges and comments.
    if demo.logs.late_rows:
        _write(data, logs_ref, demo.logs.late_rows)

    baseline = ev.experiments[0].id
    control.set_project_settings(
        org_id,
        pid,
        {
            **settings,
            "baseline_experiment_id": baseline,
            _SETTINGS_KEY: {**params, "complete": True},
        },
    )
    seconds = time.perf_counter() - started
    logger.info(
        "demo.load project=%s traces=%d rows=%d writes=%d ms=%d",
        pid,
        traces,
        len(demo.logs.rows),
        len(batches) + 8,
        int(seconds * 1000),
    )
    return _summary(project, demo, loaded=True, seconds=seconds)
