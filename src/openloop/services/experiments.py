"""Experiments: register, list, read, change, delete, summarize and compare with a baseline.

An experiment is a registry object (kind ``experiment``) whose metadata holds what Braintrust
keeps on the experiment record — ``dataset_id``, ``dataset_version``, ``base_exp_id``, user
``metadata`` and ``tags`` — and whose rows (one trace per eval case) live in the data plane
under the same id. Every read of rows is a query (``experiment('<id>')``) on the one query path.

The baseline of a summary or comparison is, in order: the experiment asked for, the
experiment's ``base_exp_id``, the project's ``baseline_experiment_id`` setting, else the most
recent earlier experiment of the project.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from openloop.auth import require_write
from openloop.errors import Conflict, InvalidInput, NotFound
from openloop.evals.compare import compare, summarize
from openloop.services.query import run_user_query
from openloop.store.data.base import ObjectRef

if TYPE_CHECKING:
    from openloop.auth import Principal
    from openloop.services import Services
    from openloop.store.control import RegistryObject

__all__ = [
    "compare_experiments",
    "delete_experiment",
    "experiment_ref",
    "experiment_root_rows",
    "get_experiment",
    "list_experiments",
    "register_experiment",
    "resolve_baseline",
    "summarize_experiment",
    "update_experiment",
]

logger = logging.getLogger(__name__)

_RECORD_KEYS = ("dataset_id", "dataset_version", "base_exp_id", "metadata", "tags", "user_id")
_PAGE = 1000
_MAX_ROWS = 100_000


def _to_dict(obj: RegistryObject) -> dict[str, Any]:
    meta = obj.metadata
    return {
        "id": obj.id,
        "project_id": obj.project_id,
        "name": obj.name,
        "description": obj.description,
        "created": obj.created.isoformat(),
        "updated": obj.updated.isoformat(),
        "dataset_id": meta.get("dataset_id"),
        "dataset_version": meta.get("dataset_version"),
        "base_exp_id": meta.get("base_exp_id"),
        "metadata": meta.get("metadata") or {},
        "tags": meta.get("tags") or [],
        "user_id": meta.get("user_id"),
    }


def _experiment(svc: Services, p: Principal, experiment_id: str) -> RegistryObject:
    try:
        obj = svc.control.find_object(p.org_id, experiment_id)
    except NotFound:
        obj = None
    if obj is None or obj.kind != "experiment":
        raise NotFound(f"experiment {experiment_id!r} not found")
    return obj


def experiment_ref(svc: Services, p: Principal, experiment_id: str) -> ObjectRef:
    """The data-plane container of an experiment of the caller's org."""
    obj = _experiment(svc, p, experiment_id)
    return ObjectRef(p.org_id, obj.project_id, "experiment", obj.id)


def _free_name(svc: Services, p: Principal, project_id: str, wanted: str) -> str:
    taken = {o.name for o in svc.control.list_objects(p.org_id, project_id, "experiment")}
    if wanted not in taken:
        return wanted
    n = 1
    while f"{wanted}-{n}" in taken:
        n += 1
    return f"{wanted}-{n}"


def register_experiment(
    svc: Services,
    p: Principal,
    *,
    project_name: str | None = None,
    project_id: str | None = None,
    name: str | None = None,
    description: str = "",
    dataset_id: str | None = None,
    dataset_version: str | int | None = None,
    base_experiment_id: str | None = None,
    base_experiment: str | None = None,
    metadata: dict[str, Any] | None = None,
    tags: list[str] | None = None,
) -> dict[str, Any]:
    """Create an experiment (the project is created on first use when named). A taken name
    gets a ``-1``, ``-2``... suffix, so every run is kept."""
    require_write(p)
    if project_id:
        project = svc.control.get_project(p.org_id, project_id)
    elif project_name:
        project = svc.control.get_or_create_project(p.org_id, project_name)
    else:
        raise InvalidInput("give project_name or project_id")
    base_id = base_experiment_id
    if base_id is None and base_experiment:
        base_id = svc.control.get_object(p.org_id, project.id, "experiment", base_experiment).id
    if base_id is not None:
        base_id = _experiment(svc, p, base_id).id
    if dataset_id is not None:
        ds = svc.control.find_object(p.org_id, dataset_id)
        if ds.kind != "dataset":
            raise NotFound(f"dataset {dataset_id!r} not found")
    if tags is not None and not all(isinstance(t, str) for t in tags):
        raise InvalidInput("tags must be a list of strings")
    wanted = name or datetime.now(UTC).strftime("experiment-%Y%m%d-%H%M%S")
    record = {
        "dataset_id": dataset_id,
        "dataset_version": None if dataset_version is None else str(dataset_version),
        "base_exp_id": base_id,
        "metadata": metadata or {},
        "tags": list(tags or []),
        "user_id": p.user_id,
    }
    for _attempt in range(5):
        try:
            obj = svc.control.create_object(
                p.org_id,
                project.id,
                "experiment",
                _free_name(svc, p, project.id, wanted),
                description=description or "",
                metadata=record,
            )
            break
        except Conflict:  # a concurrent registration took the name; pick the next one
            continue
    else:
        raise Conflict(f"could not find a free experiment name based on {wanted!r}")
    logger.info("experiment.registered id=%s project=%s", obj.id, project.id)
    out = _to_dict(obj)
    out["project_name"] = project.name
    return out


def list_experiments(
    svc: Services, p: Principal, project: str | None = None
) -> list[dict[str, Any]]:
    """Experiments of one project (id or name), or of every project, newest first."""
    projects = (
        [svc.control.get_project(p.org_id, project)]
        if project
        else svc.control.list_projects(p.org_id)
    )
    out: list[dict[str, Any]] = []
    for proj in projects:
        for obj in svc.control.list_objects(p.org_id, proj.id, "experiment"):
            out.append({**_to_dict(obj), "project_name": proj.name})
    out.sort(key=lambda e: e["created"], reverse=True)
    return out


def get_experiment(svc: Services, p: Principal, experiment_id: str) -> dict[str, Any]:
    obj = _experiment(svc, p, experiment_id)
    project = svc.control.get_project(p.org_id, obj.project_id)
    return {**_to_dict(obj), "project_name": project.name}


def update_experiment(
    svc: Services,
    p: Principal,
    experiment_id: str,
    *,
    name: str | None = None,
    description: str | None = None,
    metadata: dict[str, Any] | None = None,
    tags: list[str] | None = None,
    base_exp_id: str | None = None,
) -> dict[str, Any]:
    require_write(p)
    obj = _experiment(svc, p, experiment_id)
    record = {k: obj.metadata.get(k) for k in _RECORD_KEYS}
    if metadata is not None:
        record["metadata"] = metadata
    if tags is not None:
        record["tags"] = list(tags)
    if base_exp_id is not None:
        if base_exp_id == obj.id:
            raise InvalidInput("an experiment cannot be its own baseline")
        record["base_exp_id"] = _experiment(svc, p, base_exp_id).id
    svc.control.update_object(p.org_id, obj.id, name=name, description=description, metadata=record)
    return get_experiment(svc, p, obj.id)


def delete_experiment(svc: Services, p: Principal, experiment_id: str) -> None:
    """Remove the experiment from the registry and tombstone its rows (older versions stay)."""
    require_write(p)
    ref = experiment_ref(svc, p, experiment_id)
    svc.control.delete_object(p.org_id, ref.object_id)
    svc.data.delete_object(ref)


# -- rows, summaries, comparisons ---------------------------------------------------------------


def _query_all(svc: Services, p: Principal, text: str) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor: str | None = None
    while len(rows) < _MAX_ROWS:
        page = run_user_query(svc, p, text, cursor=cursor)
        rows.extend(page["data"])
        cursor = page.get("cursor")
        if not cursor or not page["data"]:
            break
    return rows


def experiment_root_rows(svc: Services, p: Principal, experiment_id: str) -> list[dict[str, Any]]:
    """One row per case (the ``eval`` root spans), oldest first, with token and cost totals of
    the whole trace (scorer spans excluded) added to ``metrics``."""
    obj = _experiment(svc, p, experiment_id)
    source = f"experiment('{obj.id}')"
    roots = _query_all(
        svc,
        p,
        "select: id, span_id, root_span_id, created, input, expected, output, error, scores, "
        f"metrics, metadata, tags, origin | from: {source} | filter: is_root | limit: {_PAGE}",
    )
    totals = _query_all(
        svc,
        p,
        "dimensions: root_span_id | measures: sum(metrics.prompt_tokens) as prompt_tokens, "
        "sum(metrics.completion_tokens) as completion_tokens, sum(metrics.tokens) as tokens, "
        f"sum(metrics.estimated_cost) as estimated_cost | from: {source} | filter: not is_root "
        "and (span_attributes.purpose is null or span_attributes.purpose != 'scorer') "
        f"| limit: {svc.settings.query_max_limit}",
    )
    by_trace = {t["root_span_id"]: t for t in totals}
    for row in roots:
        metrics = dict(row.get("metrics") or {})
        for key, value in (by_trace.get(row.get("root_span_id")) or {}).items():
            if key != "root_span_id" and value is not None and key not in metrics:
                metrics[key] = value
        row["metrics"] = metrics
    roots.sort(key=lambda r: str(r.get("created") or ""))
    return roots


def resolve_baseline(
    svc: Services, p: Principal, experiment_id: str, explicit: str | None = None
) -> RegistryObject | None:
    """The experiment to compare with (see the module docstring), or None."""
    obj = _experiment(svc, p, experiment_id)
    if explicit:
        try:
            return _experiment(svc, p, explicit)
        except NotFound:
            return svc.control.get_object(p.org_id, obj.project_id, "experiment", explicit)
    candidates = [
        obj.metadata.get("base_exp_id"),
        svc.control.get_project_settings(p.org_id, obj.project_id).get("baseline_experiment_id"),
    ]
    for candidate in candidates:
        if candidate and candidate != obj.id:
            try:
                return _experiment(svc, p, str(candidate))
            except NotFound:
                continue
    earlier = [
        o
        for o in svc.control.list_objects(p.org_id, obj.project_id, "experiment")
        if o.id != obj.id and o.created <= obj.created
    ]
    return earlier[0] if earlier else None


def summarize_experiment(
    svc: Services,
    p: Principal,
    experiment_id: str,
    *,
    comparison_experiment_id: str | None = None,
) -> dict[str, Any]:
    """Per-score means and metric averages, with diffs and improvement/regression counts
    against the baseline."""
    exp = get_experiment(svc, p, experiment_id)
    base = resolve_baseline(svc, p, exp["id"], comparison_experiment_id)
    rows = experiment_root_rows(svc, p, exp["id"])
    base_rows = experiment_root_rows(svc, p, base.id) if base is not None else None
    body = summarize(rows, base_rows)
    base_url = svc.settings.base_url
    return {
        "project_name": exp["project_name"],
        "experiment_name": exp["name"],
        "experiment_id": exp["id"],
        "project_url": f"{base_url}/projects/{exp['project_id']}",
        "experiment_url": f"{base_url}/experiments/{exp['id']}",
        "comparison_experiment_name": base.name if base is not None else None,
        "comparison_experiment_id": base.id if base is not None else None,
        **body,
    }


def compare_experiments(
    svc: Services,
    p: Principal,
    experiment_id: str,
    *,
    baseline: str | None = None,
    score: str | None = None,
    sort: str | None = None,
) -> dict[str, Any]:
    """Row-by-row comparison with the baseline (matched by input)."""
    exp = _experiment(svc, p, experiment_id)
    base = resolve_baseline(svc, p, exp.id, baseline)
    if base is None:
        raise NotFound(
            f"experiment {exp.name!r} has no baseline to compare with; pass ?baseline=<id>"
        )
    result = compare(
        experiment_root_rows(svc, p, exp.id),
        experiment_root_rows(svc, p, base.id),
        score=score,
        sort=sort,
    )
    return {
        "experiment_id": exp.id,
        "experiment_name": exp.name,
        "baseline_experiment_id": base.id,
        "baseline_experiment_name": base.name,
        **result,
    }
