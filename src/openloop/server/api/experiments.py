"""Experiments (``/v1/experiment``) and human review (``/v1/review``)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Response
from pydantic import BaseModel, Field
from starlette.concurrency import run_in_threadpool

from openloop.server.security import get_principal, get_services
from openloop.services import experiments as svc_exp
from openloop.services import review as svc_review

router = APIRouter(tags=["experiments"])


class ExperimentRegister(BaseModel):
    project_name: str | None = Field(default=None, description="Project, created if new.")
    project_id: str | None = None
    name: str | None = Field(
        default=None, max_length=256, description="Experiment name; a taken name gets a suffix."
    )
    experiment_name: str | None = Field(default=None, max_length=256, description="Alias of name.")
    description: str = Field(default="", max_length=4000)
    dataset_id: str | None = None
    dataset_version: str | int | None = None
    base_experiment_id: str | None = None
    base_exp_id: str | None = Field(default=None, description="Alias of base_experiment_id.")
    base_experiment: str | None = Field(default=None, description="Baseline by name.")
    metadata: dict[str, Any] | None = None
    tags: list[str] | None = None


class ExperimentPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=256)
    description: str | None = Field(default=None, max_length=4000)
    metadata: dict[str, Any] | None = None
    tags: list[str] | None = None
    base_exp_id: str | None = None


class ReviewBody(BaseModel):
    row_id: str = Field(min_length=1, description="Id of the reviewed row.")
    scores: dict[str, float | bool] | None = Field(default=None, description="name -> [0, 1]")
    category: dict[str, str] | None = Field(default=None, description="score name -> label")
    text: str | None = Field(default=None, max_length=20_000)
    reviewer: str | None = Field(default=None, max_length=256)


@router.post("/v1/experiment/register", summary="Create an experiment (used by Eval)")
def register(
    body: ExperimentRegister, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    return svc_exp.register_experiment(
        svc,
        p,
        project_name=body.project_name,
        project_id=body.project_id,
        name=body.name or body.experiment_name,
        description=body.description,
        dataset_id=body.dataset_id,
        dataset_version=body.dataset_version,
        base_experiment_id=body.base_experiment_id or body.base_exp_id,
        base_experiment=body.base_experiment,
        metadata=body.metadata,
        tags=body.tags,
    )


@router.get("/v1/experiment", summary="List experiments")
def list_experiments(
    project: str | None = Query(default=None, description="Project id or name."),
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:
    return {"objects": svc_exp.list_experiments(svc, p, project)}


@router.get("/v1/experiment/{experiment_id}", summary="Get an experiment")
def get_experiment(
    experiment_id: str, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    return svc_exp.get_experiment(svc, p, experiment_id)


@router.patch("/v1/experiment/{experiment_id}", summary="Rename, describe or re-tag")
def patch_experiment(
    experiment_id: str,
    body: ExperimentPatch,
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:
    return svc_exp.update_experiment(
        svc,
        p,
        experiment_id,
        name=body.name,
        description=body.description,
        metadata=body.metadata,
        tags=body.tags,
        base_exp_id=body.base_exp_id,
    )


@router.delete("/v1/experiment/{experiment_id}", status_code=204, summary="Delete")
def delete_experiment(
    experiment_id: str, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> Response:
    svc_exp.delete_experiment(svc, p, experiment_id)
    return Response(status_code=204)


@router.get("/v1/experiment/{experiment_id}/summarize", summary="Score and metric summary")
async def summarize(
    experiment_id: str,
    comparison_experiment_id: str | None = None,
    summarize_scores: bool = True,
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:
    out = await run_in_threadpool(
        svc_exp.summarize_experiment,
        svc,
        p,
        experiment_id,
        comparison_experiment_id=comparison_experiment_id,
    )
    if not summarize_scores:
        out.pop("scores", None)
    return out


@router.get("/v1/experiment/{experiment_id}/compare", summary="Row-by-row baseline comparison")
async def compare(
    experiment_id: str,
    baseline: str | None = Query(default=None, description="Baseline experiment id or name."),
    score: str | None = Query(default=None, description="Only this score decides."),
    sort: str | None = Query(default=None, description="diff, -diff or input."),
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:
    return await run_in_threadpool(
        svc_exp.compare_experiments,
        svc,
        p,
        experiment_id,
        baseline=baseline,
        score=score,
        sort=sort,
    )


@router.post("/v1/review/{object_type}/{object_id}", summary="Submit a human review of a row")
def review(
    object_type: str,
    object_id: str,
    body: ReviewBody,
    svc: Any = Depends(get_services),
    p: Any = Depends(get_principal),
) -> dict[str, Any]:
    return svc_review.submit_review(
        svc,
        p,
        object_type,
        object_id,
        row_id=body.row_id,
        scores=body.scores,
        category=body.category,
        text=body.text,
        reviewer=body.reviewer,
    )
