"""Saved scorers: create, version, list, read, change, delete, build and test-run them.

A saved scorer is a registry object (kind ``scorer``) plus versioned rows in the data plane:
object type ``function`` under the project, row id = the scorer's id, with ``name``, ``slug``,
``description``, ``function_type: "scorer"``, ``function_data`` and ``metadata``
(``{"__pass_threshold": x}`` colours rows pass/fail). Each save is a new version; every
version is kept. ``function_data`` is one of::

    {"type": "llm_judge", "prompt": "...{{output}}...", "model": "gpt-4o-mini",
     "choice_scores": {"Yes": 1, "No": 0}, "use_cot": true}   # no model: the org's default
    {"type": "code", "language": "python", "code": "def handler(output, expected): ...",
     "timeout_s": 2, "memory_mb": 256}
    {"type": "builtin", "name": "Levenshtein", "options": {}}

:func:`resolve_scorer` turns a saved scorer, a built-in name or an inline definition into a
runnable scorer; the experiment runner, the playground and online scoring all use it.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, TypeGuard

from openloop.auth import require_write
from openloop.errors import InvalidInput, NotFound, OpenLoopError
from openloop.evals import _models
from openloop.evals.score import PASS_THRESHOLD_KEY, Score
from openloop.store.data.base import ObjectRef, WriteRequest

if TYPE_CHECKING:
    from openloop.auth import Principal
    from openloop.services import Services
    from openloop.store.control import RegistryObject

__all__ = [
    "build_scorer",
    "builtin_scorer",
    "check_function_data",
    "create_scorer",
    "delete_scorer",
    "get_scorer_record",
    "list_builtins",
    "list_scorers",
    "resolve_scorer",
    "run_scorer_test",
    "save_scorer_version",
    "scorer_versions",
    "update_scorer",
]

logger = logging.getLogger(__name__)

_TYPES = ("llm_judge", "code", "builtin")
_MAX_TIMEOUT_S = 30.0
_MAX_MEMORY_MB = 1024


def _num01(value: Any) -> TypeGuard[int | float]:
    return isinstance(value, int | float) and not isinstance(value, bool) and 0 <= value <= 1


def check_function_data(data: Any) -> dict[str, Any]:
    """Validate a scorer definition; InvalidInput says what to fix."""
    if not isinstance(data, dict) or data.get("type") not in _TYPES:
        raise InvalidInput(f"function_data must be an object whose type is one of {_TYPES}")
    kind = data["type"]
    if kind == "llm_judge":
        if not isinstance(data.get("prompt"), str) or not data["prompt"].strip():
            raise InvalidInput("an llm_judge scorer needs a non-empty 'prompt'")
        model = data.get("model")
        if model is not None and (not isinstance(model, str) or not model.strip()):
            raise InvalidInput(
                "an llm_judge scorer's 'model' must be a model name, e.g. 'gpt-4o-mini' "
                "(leave it out to use the organization's default judge model)"
            )
        choices = data.get("choice_scores")
        if not isinstance(choices, dict) or not choices:
            raise InvalidInput("an llm_judge scorer needs 'choice_scores' {choice: score}")
        bad = [k for k, v in choices.items() if not _num01(v)]
        if bad:
            raise InvalidInput(f"choice_scores[{bad[0]!r}] must be a number in [0, 1]")
        return {**data, "use_cot": bool(data.get("use_cot", True))}
    if kind == "code":
        if data.get("language", "python") != "python":
            raise InvalidInput("code scorers run Python; set language to 'python'")
        code = data.get("code")
        if not isinstance(code, str) or not code.strip():
            raise InvalidInput("a code scorer needs 'code' defining handler(...)")
        timeout = data.get("timeout_s", 2.0)
        memory = data.get("memory_mb", 256)
        if not isinstance(timeout, int | float) or not 0 < timeout <= _MAX_TIMEOUT_S:
            raise InvalidInput(f"timeout_s must be in (0, {_MAX_TIMEOUT_S:g}]")
        if not isinstance(memory, int) or not 16 <= memory <= _MAX_MEMORY_MB:
            raise InvalidInput(f"memory_mb must be an integer in [16, {_MAX_MEMORY_MB}]")
        from openloop.evals.scorers.code import CodeScorer

        CodeScorer("check", code)  # raises CodeScorerError (400) on syntax or policy problems
        return {**data, "language": "python", "timeout_s": timeout, "memory_mb": memory}
    from openloop.evals.scorers.registry import get_scorer_spec

    if not isinstance(data.get("name"), str):
        raise InvalidInput("a builtin scorer needs the built-in 'name', e.g. 'Levenshtein'")
    get_scorer_spec(data["name"])
    if not isinstance(data.get("options", {}), dict):
        raise InvalidInput("options must be an object")
    return data


def _check_metadata(metadata: Any) -> dict[str, Any]:
    if metadata is None:
        return {}
    if not isinstance(metadata, dict):
        raise InvalidInput("metadata must be an object")
    if PASS_THRESHOLD_KEY in metadata and not _num01(metadata[PASS_THRESHOLD_KEY]):
        raise InvalidInput(f"{PASS_THRESHOLD_KEY} must be a number in [0, 1]")
    return metadata


def _ref(org_id: str, project_id: str) -> ObjectRef:
    return ObjectRef(org_id, project_id, "function", project_id)


def _scorer_obj(svc: Services, p: Principal, scorer_id: str) -> RegistryObject:
    try:
        obj = svc.control.find_object(p.org_id, scorer_id)
    except NotFound:
        obj = None
    if obj is None or obj.kind != "scorer":
        raise NotFound(f"scorer {scorer_id!r} not found")
    return obj


def _record(obj: RegistryObject, row: dict[str, Any] | None) -> dict[str, Any]:
    row = row or {}
    return {
        "id": obj.id,
        "project_id": obj.project_id,
        "name": obj.name,
        "slug": obj.slug,
        "description": obj.description,
        "function_type": "scorer",
        "function_data": row.get("function_data"),
        "metadata": row.get("metadata") or {},
        "_xact_id": None if row.get("_xact_id") is None else str(row["_xact_id"]),
        "created": obj.created.isoformat(),
    }


def _write_version(
    svc: Services, obj: RegistryObject, function_data: dict[str, Any], metadata: dict[str, Any]
) -> dict[str, Any]:
    row = {
        "id": obj.id,
        "name": obj.name,
        "slug": obj.slug,
        "description": obj.description,
        "function_type": "scorer",
        "function_data": function_data,
        "metadata": metadata,
        "_is_merge": False,
    }
    ref = _ref(obj.org_id, obj.project_id)
    result = svc.data.write([WriteRequest(ref=ref, rows=[row])])[0]
    if result.errors:
        raise InvalidInput(result.errors[0].message)
    return _record(obj, {**row, "_xact_id": result.xact_id})


def create_scorer(
    svc: Services,
    p: Principal,
    *,
    project: str,
    name: str,
    function_data: Any,
    slug: str | None = None,
    description: str = "",
    metadata: Any = None,
) -> dict[str, Any]:
    """Register a scorer and store its first version."""
    require_write(p)
    data = check_function_data(function_data)
    meta = _check_metadata(metadata)
    proj = svc.control.get_project(p.org_id, project)
    obj = svc.control.create_object(
        p.org_id, proj.id, "scorer", name, slug=slug, description=description
    )
    logger.info("scorer.created id=%s type=%s", obj.id, data["type"])
    return _write_version(svc, obj, data, meta)


def get_scorer_record(
    svc: Services, p: Principal, scorer_id: str, *, version: int | None = None
) -> dict[str, Any]:
    """The scorer's current (or given) version."""
    obj = _scorer_obj(svc, p, scorer_id)
    rows = svc.data.read(_ref(p.org_id, obj.project_id), ids=[obj.id], version=version)
    if not rows:
        raise NotFound(f"scorer {obj.name!r} has no version {version}" if version else "no rows")
    return _record(obj, rows[0])


def list_scorers(svc: Services, p: Principal, project: str) -> list[dict[str, Any]]:
    proj = svc.control.get_project(p.org_id, project)
    objs = svc.control.list_objects(p.org_id, proj.id, "scorer")
    rows = {
        r["id"]: r for r in svc.data.read(_ref(p.org_id, proj.id), ids=[o.id for o in objs]) if objs
    }
    return [_record(o, rows.get(o.id)) for o in objs]


def scorer_versions(svc: Services, p: Principal, scorer_id: str) -> list[dict[str, Any]]:
    """Every saved version, oldest first."""
    obj = _scorer_obj(svc, p, scorer_id)
    history = svc.data.history(_ref(p.org_id, obj.project_id), obj.id)
    return [_record(obj, r) for r in history if not r.get("_object_delete")]


def save_scorer_version(
    svc: Services, p: Principal, scorer_id: str, *, function_data: Any, metadata: Any = None
) -> dict[str, Any]:
    require_write(p)
    obj = _scorer_obj(svc, p, scorer_id)
    current = get_scorer_record(svc, p, obj.id)
    meta = current["metadata"] if metadata is None else _check_metadata(metadata)
    return _write_version(svc, obj, check_function_data(function_data), meta)


def update_scorer(
    svc: Services,
    p: Principal,
    scorer_id: str,
    *,
    name: str | None = None,
    slug: str | None = None,
    description: str | None = None,
    function_data: Any = None,
    metadata: Any = None,
) -> dict[str, Any]:
    """Rename/describe; a new ``function_data`` or ``metadata`` stores a new version."""
    require_write(p)
    obj = _scorer_obj(svc, p, scorer_id)
    current = get_scorer_record(svc, p, obj.id)
    obj = svc.control.update_object(p.org_id, obj.id, name=name, slug=slug, description=description)
    data = current["function_data"] if function_data is None else function_data
    meta = current["metadata"] if metadata is None else _check_metadata(metadata)
    return _write_version(svc, obj, check_function_data(data), meta)


def delete_scorer(svc: Services, p: Principal, scorer_id: str) -> None:
    require_write(p)
    obj = _scorer_obj(svc, p, scorer_id)
    svc.control.delete_object(p.org_id, obj.id)
    tomb = {"id": obj.id, "_object_delete": True}
    svc.data.write([WriteRequest(ref=_ref(p.org_id, obj.project_id), rows=[tomb])])


def list_builtins() -> list[dict[str, Any]]:
    from openloop.evals.scorers.registry import list_builtin_scorers

    return [
        {"name": s.name, "kind": s.kind, "description": s.description, "args": s.args}
        for s in list_builtin_scorers()
    ]


# -- building and running ------------------------------------------------------------------------


@dataclass
class _Failing:
    """Stands in for a scorer that cannot be built: every row gets the same clear error."""

    name: str
    message: str

    async def evaluate_async(self, **_: Any) -> Score:
        return Score.failure(self.name, self.message)

    def evaluate(self, **_: Any) -> Score:
        return Score.failure(self.name, self.message)


@dataclass
class _WithThreshold:
    """Adds the saved ``__pass_threshold`` to every score's metadata."""

    inner: Any
    threshold: float
    name: str

    async def evaluate_async(self, **kwargs: Any) -> Score:
        score = await self.inner.evaluate_async(**kwargs)
        return replace(score, metadata={**score.metadata, PASS_THRESHOLD_KEY: self.threshold})

    def evaluate(self, **kwargs: Any) -> Score:
        from openloop.evals.llm_judge import run_sync

        return run_sync(lambda: self.evaluate_async(**kwargs))


def build_scorer(
    svc: Services, org_id: str, name: str, function_data: dict[str, Any], metadata: Any = None
) -> Any:
    """A runnable scorer (``evaluate``/``evaluate_async``) for a definition. Problems that only
    show at run time (an unknown model) become a scorer that reports them on every row."""
    kind = function_data.get("type")
    try:
        if kind == "llm_judge":
            from openloop.evals.llm_judge import LLMJudge

            model = _models.judge_model_for(svc, org_id, function_data.get("model"), name)
            scorer: Any = LLMJudge(
                name,
                function_data["prompt"],
                function_data["choice_scores"],
                model=model,
                use_cot=bool(function_data.get("use_cot", True)),
            )
        elif kind == "code":
            from openloop.evals.scorers.code import CodeScorer

            scorer = CodeScorer(
                name,
                function_data["code"],
                timeout_s=float(function_data.get("timeout_s", 2.0)),
                memory_mb=int(function_data.get("memory_mb", 256)),
            )
        elif kind == "builtin":
            scorer = builtin_scorer(
                svc, org_id, function_data["name"], function_data.get("options")
            )
        else:
            raise InvalidInput(f"unknown scorer type {kind!r}")
    except OpenLoopError as exc:
        return _Failing(name, exc.message)
    threshold = (metadata or {}).get(PASS_THRESHOLD_KEY)
    if _num01(threshold):
        return _WithThreshold(scorer, float(threshold), name)
    return scorer


def builtin_scorer(svc: Services, org_id: str, name: str, options: Any = None) -> Any:
    """A built-in scorer for ``org_id``. A judge's ``model`` option (a name) is resolved for the
    org; a judge without one uses the org's default judge model, and with no default at all
    every row says how to set one. A spec's ``bind`` hook resolves its own options."""
    from openloop.evals.scorers.registry import get_scorer, get_scorer_spec

    opts = dict(options or {})
    spec = get_scorer_spec(name)
    if spec.kind in ("llm", "rag") and (
        opts.get("model") is None or isinstance(opts["model"], str)
    ):
        try:
            opts["model"] = _models.judge_model_for(svc, org_id, opts.get("model"), spec.name)
        except NotFound as exc:
            if opts.get("model") is not None:
                raise
            return _Failing(spec.name, exc.message)
    if spec.bind is not None:
        opts = spec.bind(svc, org_id, opts)
    return get_scorer(spec.name, **opts)


def resolve_scorer(svc: Services, p: Principal, project_id: str, ref: Any) -> Any:
    """A runnable scorer from: a saved scorer's id, name or slug (in ``project_id``); a
    built-in name; ``{"id": ...}``/``{"name": ...}``; or an inline ``{"name", "function_data",
    "metadata"?}``."""
    if isinstance(ref, dict) and "function_data" in ref:
        data = check_function_data(ref["function_data"])
        return build_scorer(
            svc, p.org_id, str(ref.get("name") or data["type"]), data, ref.get("metadata")
        )
    key = (ref.get("id") or ref.get("name")) if isinstance(ref, dict) else ref
    if not isinstance(key, str) or not key:
        raise InvalidInput(f"cannot use {ref!r} as a scorer; give a scorer id, name or definition")
    try:
        obj = svc.control.get_object(p.org_id, project_id, "scorer", key)
    except NotFound:
        obj = None
    if obj is None:
        try:
            found = svc.control.find_object(p.org_id, key)
            obj = found if found.kind == "scorer" else None
        except NotFound:
            obj = None
    if obj is not None:
        record = get_scorer_record(svc, p, obj.id)
        return build_scorer(
            svc, p.org_id, obj.name, record["function_data"] or {}, record["metadata"]
        )
    return builtin_scorer(svc, p.org_id, key)


def _dataset_row(svc: Services, p: Principal, dataset_id: str, row_id: str) -> dict[str, Any]:
    ds = svc.control.find_object(p.org_id, dataset_id)
    if ds.kind != "dataset":
        raise NotFound(f"dataset {dataset_id!r} not found")
    rows = svc.data.read(ObjectRef(p.org_id, ds.project_id, "dataset", ds.id), ids=[row_id])
    if not rows:
        raise NotFound(f"row {row_id!r} not found in dataset {ds.name!r}")
    return rows[0]


def run_scorer_test(
    svc: Services,
    p: Principal,
    scorer_id: str | None = None,
    *,
    definition: dict[str, Any] | None = None,
    input: Any = None,
    output: Any = None,
    expected: Any = None,
    metadata: Any = None,
    dataset_id: str | None = None,
    row_id: str | None = None,
) -> dict[str, Any]:
    """Run a saved scorer (or an unsaved ``definition``) on one row — given inline or taken
    from a dataset row — and return the Score (errors included, never raised)."""
    if dataset_id or row_id:
        if not (dataset_id and row_id):
            raise InvalidInput("give both dataset_id and row_id")
        row = _dataset_row(svc, p, dataset_id, row_id)
        input = row.get("input") if input is None else input
        expected = row.get("expected") if expected is None else expected
        metadata = row.get("metadata") if metadata is None else metadata
        output = row.get("output") if output is None else output
    if definition is not None:
        data = check_function_data(definition.get("function_data", definition))
        name = str(definition.get("name") or data["type"])
        scorer = build_scorer(svc, p.org_id, name, data, definition.get("metadata"))
    elif scorer_id:
        obj = _scorer_obj(svc, p, scorer_id)
        record = get_scorer_record(svc, p, obj.id)
        scorer = build_scorer(
            svc, p.org_id, obj.name, record["function_data"] or {}, record["metadata"]
        )
    else:
        raise InvalidInput("give a scorer id or a definition to test")
    from openloop.evals.runner import as_scorer

    runnable = as_scorer(scorer)
    args = {"input": input, "output": output, "expected": expected, "metadata": metadata or {}}
    scores = _run(runnable(args))
    first = scores[0]
    out = first.to_dict()
    out["passed"] = first.passed
    if len(scores) > 1:
        out["all"] = [s.to_dict() for s in scores]
    return out


def _run(coro: Any) -> Any:
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    from openloop.evals.llm_judge import run_sync

    return run_sync(lambda: coro)
