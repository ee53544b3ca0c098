"""Online scoring: project rules that score new log spans as they arrive.

A rule (registry kind ``online_rule``) holds ``scorers`` (saved scorer ids/names, built-in
names or inline definitions), ``sampling_rate`` (0..1), an optional ``btql_filter``, and which
spans it applies to: ``apply_to_root_span`` and/or ``apply_to_span_names`` (neither = every
span passing the filter).

A pass over a project (:func:`run_online_scoring_once`) reads, per rule, the project's log rows
whose ``_pagination_key`` is above the rule's high-water mark and that pass its filter, samples
them (deterministically per rule and row, so a rerun makes the same choice), scores them and
writes each result as a merge into the span's ``scores`` plus a ``score`` span (purpose
``scorer``) under it. Spans that already carry every score of the rule, and spans produced by
scoring or review, are skipped — so a rerun changes nothing. :class:`OnlineScoringWorker` runs
passes in a background thread of the server.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import threading
import uuid
from typing import TYPE_CHECKING, Any

from openloop.auth import Principal, require_write
from openloop.errors import InvalidInput, NotFound, OpenLoopError
from openloop.evals.runner import RunnableScorer, as_scorer
from openloop.store.data.base import ObjectRef, WriteRequest

if TYPE_CHECKING:
    from openloop.services import Services
    from openloop.store.control import Project, RegistryObject

__all__ = [
    "ONLINE_SCORING_INTERVAL_S",
    "OnlineScoringWorker",
    "create_rule",
    "delete_rule",
    "get_rule",
    "list_rules",
    "run_online_scoring_once",
    "update_rule",
]

logger = logging.getLogger(__name__)

#: Seconds between background passes.
ONLINE_SCORING_INTERVAL_S = 10.0
_PAGE = 500
_MARK = "_watermark"
_NS = uuid.UUID("0c8e3a9e-2b7d-4d3f-8d6e-6a3d2f6b9e41")
_SKIP_TYPES = ("score", "review")
_pass_lock = threading.Lock()


def _clean(svc: Services, p: Principal, project_id: str, config: dict[str, Any]) -> dict[str, Any]:
    from openloop.services.query import run_user_query
    from openloop.services.scorers import resolve_scorer

    scorers = config.get("scorers")
    if not isinstance(scorers, list) or not scorers:
        raise InvalidInput("an online rule needs a non-empty 'scorers' list")
    for ref in scorers:
        resolve_scorer(svc, p, project_id, ref)  # unknown names fail now, not at run time
    rate = config.get("sampling_rate", 1.0)
    if isinstance(rate, bool) or not isinstance(rate, int | float) or not 0 <= rate <= 1:
        raise InvalidInput("sampling_rate must be a number in [0, 1] (1 = every span)")
    names = config.get("apply_to_span_names") or []
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        raise InvalidInput("apply_to_span_names must be a list of span names")
    text = config.get("btql_filter") or None
    if text is not None:
        if not isinstance(text, str):
            raise InvalidInput("btql_filter must be a string")
        run_user_query(  # a filter that does not compile is rejected with line/column
            svc, p, f"select: id | from: project_logs('{project_id}') | filter: {text} | limit: 1"
        )
    return {
        "scorers": scorers,
        "sampling_rate": float(rate),
        "btql_filter": text,
        "apply_to_root_span": bool(config.get("apply_to_root_span", False)),
        "apply_to_span_names": names,
    }


def _rule_dict(obj: RegistryObject) -> dict[str, Any]:
    meta = obj.metadata
    return {
        "id": obj.id,
        "project_id": obj.project_id,
        "name": obj.name,
        "description": obj.description,
        "created": obj.created.isoformat(),
        **{k: meta.get(k) for k in _KEYS},
        "watermark": meta.get(_MARK, 0),
    }


_KEYS = ("scorers", "sampling_rate", "btql_filter", "apply_to_root_span", "apply_to_span_names")


def create_rule(
    svc: Services, p: Principal, project: str, name: str, description: str = "", **config: Any
) -> dict[str, Any]:
    """Create a rule; it scores spans logged from now on (its mark starts at the newest row)."""
    require_write(p)
    proj = svc.control.get_project(p.org_id, project)
    meta = _clean(svc, p, proj.id, config)
    meta[_MARK] = _newest_key(svc, p, proj.id)
    obj = svc.control.create_object(
        p.org_id, proj.id, "online_rule", name, description=description, metadata=meta
    )
    return _rule_dict(obj)


def _newest_key(svc: Services, p: Principal, project_id: str) -> int:
    rows = svc.data.read(ObjectRef(p.org_id, project_id, "project_logs", project_id), limit=1)
    return int(rows[0]["_pagination_key"]) if rows else 0


def _rule(svc: Services, p: Principal, rule_id: str) -> RegistryObject:
    try:
        obj = svc.control.find_object(p.org_id, rule_id)
    except NotFound:
        obj = None
    if obj is None or obj.kind != "online_rule":
        raise NotFound(f"online rule {rule_id!r} not found")
    return obj


def get_rule(svc: Services, p: Principal, rule_id: str) -> dict[str, Any]:
    return _rule_dict(_rule(svc, p, rule_id))


def list_rules(svc: Services, p: Principal, project: str) -> list[dict[str, Any]]:
    proj = svc.control.get_project(p.org_id, project)
    return [_rule_dict(o) for o in svc.control.list_objects(p.org_id, proj.id, "online_rule")]


def update_rule(
    svc: Services,
    p: Principal,
    rule_id: str,
    *,
    name: str | None = None,
    description: str | None = None,
    **config: Any,
) -> dict[str, Any]:
    require_write(p)
    obj = _rule(svc, p, rule_id)
    merged = {
        **{k: obj.metadata.get(k) for k in _KEYS},
        **{k: v for k, v in config.items() if v is not None},
    }
    meta = {**_clean(svc, p, obj.project_id, merged), _MARK: obj.metadata.get(_MARK, 0)}
    obj = svc.control.update_object(
        p.org_id, obj.id, name=name, description=description, metadata=meta
    )
    return _rule_dict(obj)


def delete_rule(svc: Services, p: Principal, rule_id: str) -> None:
    require_write(p)
    svc.control.delete_object(p.org_id, _rule(svc, p, rule_id).id)


# -- scoring passes -----------------------------------------------------------------------------


def _sampled(rule_id: str, row_id: str, rate: float) -> bool:
    if rate >= 1:
        return True
    if rate <= 0:
        return False
    digest = hashlib.sha256(f"{rule_id}/{row_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


def _applies(rule: dict[str, Any], row: dict[str, Any]) -> bool:
    attrs = row.get("span_attributes") or {}
    if attrs.get("purpose") == "scorer" or attrs.get("type") in _SKIP_TYPES:
        return False
    if row.get("comment") is not None:
        return False
    root, names = rule["apply_to_root_span"], rule["apply_to_span_names"]
    if not root and not names:
        return True
    return (root and bool(row.get("is_root"))) or attrs.get("name") in names


def _fetch(svc: Services, p: Principal, project_id: str, rule: dict[str, Any], mark: int) -> Any:
    from openloop.services.query import run_user_query

    extra = f" and ({rule['btql_filter']})" if rule.get("btql_filter") else ""
    text = (
        f"select: * | from: project_logs('{project_id}') | filter: _pagination_key > {int(mark)}"
        f"{extra} | sort: _pagination_key asc | limit: {_PAGE}"
    )
    return run_user_query(svc, p, text)["data"]


async def _score_row(
    scorers: list[RunnableScorer], rule_id: str, row: dict[str, Any]
) -> list[dict[str, Any]]:
    args = {
        "input": row.get("input"),
        "output": row.get("output"),
        "expected": row.get("expected"),
        "metadata": row.get("metadata") or {},
    }
    results = await asyncio.gather(*(s(args) for s in scorers))
    scores: dict[str, float | None] = {}
    out: list[dict[str, Any]] = []
    span_id = row.get("span_id") or row["id"]
    for scorer, found in zip(scorers, results, strict=True):
        for s in found:
            scores[s.name] = s.score
        span = str(uuid.uuid5(_NS, f"{rule_id}/{row['id']}/{scorer.name}"))
        errors = [f"{s.name}: {s.error}" for s in found if s.error]
        out.append(
            {
                "id": span,
                "span_id": span,
                "root_span_id": row.get("root_span_id") or span_id,
                "span_parents": [span_id],
                "span_attributes": {"name": scorer.name, "type": "score", "purpose": "scorer"},
                "input": args,
                "output": {s.name: s.to_dict() for s in found},
                "scores": {s.name: s.score for s in found},
                "metadata": {"online_rule_id": rule_id},
                **({"error": "; ".join(errors)} if errors else {}),
            }
        )
    out.append({"id": row["id"], "scores": scores, "_is_merge": True})
    return out


def _project(svc: Services, project: Project | str, org_id: str | None) -> Project:
    if not isinstance(project, str):
        return project
    orgs = [org_id] if org_id else [o.id for o in svc.control.list_orgs()]
    for org in orgs:
        try:
            return svc.control.get_project(org, project)
        except NotFound:
            continue
    raise NotFound(f"project {project!r} not found")


def run_online_scoring_once(
    svc: Services, project: Project | str, *, org_id: str | None = None
) -> dict[str, int]:
    """One pass of every rule of ``project``; returns ``{rule_id: spans scored}``."""
    proj = _project(svc, project, org_id)
    p = Principal(org_id=proj.org_id, user_id="online-scoring", role="member")
    scored: dict[str, int] = {}
    with _pass_lock:
        for obj in svc.control.list_objects(p.org_id, proj.id, "online_rule"):
            try:
                scored[obj.id] = _run_rule(svc, p, proj.id, obj)
            except OpenLoopError as exc:
                logger.warning("online.rule_failed rule=%s error=%s", obj.id, exc.message)
                scored[obj.id] = 0
    return scored


def _run_rule(svc: Services, p: Principal, project_id: str, obj: RegistryObject) -> int:
    from openloop.evals.llm_judge import run_sync
    from openloop.services.scorers import resolve_scorer

    rule = _rule_dict(obj)
    scorers = [as_scorer(resolve_scorer(svc, p, project_id, ref)) for ref in rule["scorers"]]
    names = {s.name for s in scorers}
    mark = int(rule["watermark"] or 0)
    ref = ObjectRef(p.org_id, project_id, "project_logs", project_id)
    total = 0
    while True:
        rows = _fetch(svc, p, project_id, rule, mark)
        if not rows:
            break
        todo = [
            r
            for r in rows
            if _applies(rule, r)
            and not names <= set(r.get("scores") or {})
            and _sampled(obj.id, r["id"], rule["sampling_rate"])
        ]
        mark = max(mark, *(int(r["_pagination_key"]) for r in rows))
        if todo:

            async def score_all(batch: list[dict[str, Any]] = todo) -> list[list[dict[str, Any]]]:
                return await asyncio.gather(*(_score_row(scorers, obj.id, r) for r in batch))

            written = [row for rows_of in run_sync(score_all) for row in rows_of]
            svc.data.write([WriteRequest(ref=ref, rows=written)])
            total += len(todo)
        if len(rows) < _PAGE:
            break
    meta = {**obj.metadata, _MARK: mark}
    svc.control.update_object(p.org_id, obj.id, metadata=meta)
    logger.info("online.pass rule=%s scored=%d mark=%d", obj.id, total, mark)
    return total


class OnlineScoringWorker:
    """Runs :func:`run_online_scoring_once` for every project with rules, every ``interval_s``
    seconds, on a daemon thread, until :meth:`stop`."""

    def __init__(self, svc: Services, interval_s: float = ONLINE_SCORING_INTERVAL_S) -> None:
        self.svc = svc
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name="openloop-online", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _loop(self) -> None:
        while not self._stop.wait(self.interval_s):
            try:
                self.run_all()
            except Exception:  # the worker must outlive any one bad pass
                logger.exception("online.worker pass failed")

    def run_all(self) -> None:
        control = self.svc.control
        for org in control.list_orgs():
            for project in control.list_projects(org.id):
                if self._stop.is_set():
                    return
                if control.list_objects(org.id, project.id, "online_rule"):
                    run_online_scoring_once(self.svc, project)
