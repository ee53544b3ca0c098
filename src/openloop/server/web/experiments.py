"""The Experiments pages: the list with per-score means, one experiment's rows (paged through
``POST /btql``) and the comparison with a baseline (``GET /v1/experiment/{id}/compare``).
``static/experiments.js`` does the paging, the comparison table and the output diff."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from starlette.concurrency import run_in_threadpool

from openloop.errors import NotFound, OpenLoopError
from openloop.evals.compare import summarize
from openloop.server.web.common import (
    PageAuth,
    page_context,
    project_or_404,
    require_page,
    templates,
)
from openloop.services import experiments as svc_exp

router = APIRouter(include_in_schema=False)
logger = logging.getLogger(__name__)

#: Experiments whose score means the list computes (newest first); older ones show names only.
LIST_SUMMARIES = 40


def _score_means(auth: PageAuth, experiments: list[dict[str, Any]]) -> list[str]:
    """Fill ``e["means"]`` (score -> mean) and ``e["row_count"]``; returns every score name."""
    names: set[str] = set()
    for i, exp in enumerate(experiments):
        exp["means"], exp["row_count"] = {}, None
        if i >= LIST_SUMMARIES:
            continue
        try:
            rows = svc_exp.experiment_root_rows(auth.svc, auth.principal, exp["id"])
        except OpenLoopError as exc:
            logger.warning("web.experiment_summary_failed id=%s %s", exp["id"], exc)
            continue
        body = summarize(rows)
        exp["means"] = {k: v["score"] for k, v in body["scores"].items()}
        exp["row_count"] = len(rows)
        names.update(exp["means"])
    return sorted(names)


@router.get("/p/{project}/experiments", response_class=HTMLResponse)
async def experiments_page(project: str, request: Request) -> Any:
    auth = require_page(request)
    if not isinstance(auth, PageAuth):
        return auth
    proj = project_or_404(auth, project)
    exps = svc_exp.list_experiments(auth.svc, auth.principal, proj.id)
    score_names = await run_in_threadpool(_score_means, auth, exps)
    datasets = {
        o.id: o.name
        for o in auth.svc.control.list_objects(auth.principal.org_id, proj.id, "dataset")
    }
    ctx = page_context(
        request, auth, page="experiments", project=proj, experiments=exps,
        score_names=score_names, datasets=datasets,
    )  # fmt: skip
    return templates.TemplateResponse(request, "experiments.html", ctx)


@router.get("/p/{project}/experiments/{experiment_id}", response_class=HTMLResponse)
def experiment_page(project: str, experiment_id: str, request: Request) -> Any:
    auth = require_page(request)
    if not isinstance(auth, PageAuth):
        return auth
    proj = project_or_404(auth, project)
    exps = svc_exp.list_experiments(auth.svc, auth.principal, proj.id)
    exp = next((e for e in exps if experiment_id in (e["id"], e["name"])), None)
    if exp is None:
        raise NotFound(f"experiment {experiment_id!r} not found in {proj.name!r}")
    baseline = request.query_params.get("baseline") or exp.get("base_exp_id") or ""
    if not baseline:
        older = [e for e in exps if e["created"] < exp["created"]]
        baseline = older[0]["id"] if older else ""
    ctx = page_context(
        request, auth, page="experiments", project=proj, experiment=exp,
        others=[e for e in exps if e["id"] != exp["id"]], baseline=baseline,
        tab="compare" if request.query_params.get("baseline") else "rows",
    )  # fmt: skip
    return templates.TemplateResponse(request, "experiment.html", ctx)
