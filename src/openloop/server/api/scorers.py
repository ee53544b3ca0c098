"""Saved scorers (``/v1/scorer``) and online scoring rules (``/v1/online_rule``).

This router also owns the online-scoring worker: it starts with the app and stops with it.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, FastAPI, Query, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from openloop.evals import online
from openloop.server.security import get_principal, get_services
from openloop.services import scorers as svc_scorers

logger = logging.getLogger(__name__)


@asynccontextmanager
async def _lifespan(app: FastAPI) -> AsyncIterator[None]:
    svc = app.state.svc
    interval = svc.settings.online_scoring_interval_seconds
    worker = (
        online.OnlineScoringWorker(svc, interval) if svc.data is not None and interval > 0 else None
    )
    if worker is not None:
        worker.start()
    try:
        yield
    finally:
        if worker is not None:
            worker.stop()


router = APIRouter(tags=["scorers"], lifespan=_lifespan)


class ScorerCreate(BaseModel):
    project_name: str | None = None
    project_id: str | None = None
    name: str = Field(min_length=1, max_length=256)
    slug: str | None = Field(default=None, max_length=256)
    description: str = Field(default="", max_length=4000)
    function_data: dict[str, Any] = Field(description="llm_judge, code or builtin definition.")
    metadata: dict[str, Any] | None = Field(default=None, description='e.g. {"__pass_threshold"}')


class ScorerPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=256)
    slug: str | None = Field(default=None, max_length=256)
    description: str | None = Field(default=None, max_length=4000)
    function_data: dict[str, Any] | None = None
    metadata: dict[str, Any] | None = None


class ScorerVersion(BaseModel):
    function_data: dict[str, Any]
    metadata: dict[str, Any] | None = None


class ScorerTest(BaseModel):
    input: Any = None
    output: Any = None
    expected: Any = None
    metadata: dict[str, Any] | None = None
    dataset_id: str | None = None
    row_id: str | None = None
    definition: dict[str, Any] | None = Field(
        default=None, description="Test an unsaved definition (POST /v1/scorer/test)."
    )


class RuleBody(BaseModel):
    project_name: str | None = None
    project_id: str | None = None
    name: str | None = Field(default=None, min_length=1, max_length=256)
    description: str | None = Field(default=None, max_length=4000)
    scorers: list[Any] | None = None
    sampling_rate: float | None = Field(default=None, ge=0, le=1)
    btql_filter: str | None = Field(default=None, max_length=10_000)
    apply_to_root_span: bool | None = None
    apply_to_span_names: list[str] | None = None


def _project_of(body: Any) -> str:
    from openloop.errors import InvalidInput

    project = body.project_id or body.project_name
    if not project:
        raise InvalidInput("give project_id or project_name")
    return project


@router.get("/v1/scorer/builtins", summary="Built-in scorers")
def builtins(p: Any = Depends(get_principal)) -> dict[str, Any]:
    return {"objects": svc_scorers.list_builtins()}


@router.post("/v1/scorer", status_code=201, summary="Create a scorer")
def create_scorer(
    body: ScorerCreate, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    return svc_scorers.create_scorer(
        svc,
        p,
        project=_project_of(body),
        name=body.name,
        slug=body.slug,
        description=body.description,
        function_data=body.function_data,
        metadata=body.metadata,
    )


@router.get("/v1/scorer", summary="List a project's scorers")
def list_scorers(
    project: str = Query(description="Project id or name."),
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:
    return {"objects": svc_scorers.list_scorers(svc, p, project)}


@router.post("/v1/scorer/test", summary="Test-run an unsaved scorer definition")
async def test_definition(
    body: ScorerTest, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    return await run_in_threadpool(_test, svc, p, None, body)


@router.get("/v1/scorer/{scorer_id}", summary="Get a scorer (optionally one version)")
def get_scorer(
    scorer_id: str,
    version: int | None = None,
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:
    return svc_scorers.get_scorer_record(svc, p, scorer_id, version=version)


@router.patch("/v1/scorer/{scorer_id}", summary="Change a scorer (new version)")
def patch_scorer(
    scorer_id: str,
    body: ScorerPatch,
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:
    return svc_scorers.update_scorer(
        svc,
        p,
        scorer_id,
        name=body.name,
        slug=body.slug,
        description=body.description,
        function_data=body.function_data,
        metadata=body.metadata,
    )


@router.delete("/v1/scorer/{scorer_id}", status_code=204, summary="Delete a scorer")
def delete_scorer(
    scorer_id: str, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> Response:
    svc_scorers.delete_scorer(svc, p, scorer_id)
    return Response(status_code=204)


@router.get("/v1/scorer/{scorer_id}/versions", summary="Every saved version")
def versions(
    scorer_id: str, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    return {"objects": svc_scorers.scorer_versions(svc, p, scorer_id)}


@router.post("/v1/scorer/{scorer_id}/versions", status_code=201, summary="Save a new version")
def save_version(
    scorer_id: str,
    body: ScorerVersion,
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:
    return svc_scorers.save_scorer_version(
        svc, p, scorer_id, function_data=body.function_data, metadata=body.metadata
    )


def _test(svc: Any, p: Any, scorer_id: str | None, body: ScorerTest) -> dict[str, Any]:
    return svc_scorers.run_scorer_test(
        svc,
        p,
        scorer_id,
        definition=body.definition,
        input=body.input,
        output=body.output,
        expected=body.expected,
        metadata=body.metadata,
        dataset_id=body.dataset_id,
        row_id=body.row_id,
    )


@router.post("/v1/scorer/{scorer_id}/test", summary="Run a scorer on one row")
async def test_scorer(
    scorer_id: str,
    body: ScorerTest,
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:
    return await run_in_threadpool(_test, svc, p, scorer_id, body)


# -- online scoring rules ------------------------------------------------------------------------


def _config(body: RuleBody) -> dict[str, Any]:
    keys = ("scorers", "sampling_rate", "btql_filter", "apply_to_root_span", "apply_to_span_names")
    return {k: getattr(body, k) for k in keys if getattr(body, k) is not None}


@router.post("/v1/online_rule", status_code=201, summary="Create an online scoring rule")
def create_rule(
    body: RuleBody, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    from openloop.errors import InvalidInput

    if not body.name:
        raise InvalidInput("an online rule needs a name")
    return online.create_rule(
        svc, p, _project_of(body), body.name, body.description or "", **_config(body)
    )


@router.get("/v1/online_rule", summary="List a project's online scoring rules")
def list_rules(
    project: str = Query(description="Project id or name."),
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:
    return {"objects": online.list_rules(svc, p, project)}


@router.get("/v1/online_rule/{rule_id}", summary="Get an online scoring rule")
def get_rule(
    rule_id: str, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    return online.get_rule(svc, p, rule_id)


@router.patch("/v1/online_rule/{rule_id}", summary="Change an online scoring rule")
def patch_rule(
    rule_id: str, body: RuleBody, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    return online.update_rule(
        svc, p, rule_id, name=body.name, description=body.description, **_config(body)
    )


@router.delete("/v1/online_rule/{rule_id}", status_code=204, summary="Delete a rule")
def delete_rule(
    rule_id: str, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> Response:
    online.delete_rule(svc, p, rule_id)
    return Response(status_code=204)
