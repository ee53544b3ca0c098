"""Plain language → query, filter or chart, and Fix with Loop: ``/v1/loop/generate/*`` and
``/v1/loop/fix``. These back the Logs "Generate" box, the Monitor "+ Chart" box and the query
sandbox's "Fix with Loop" button, and use the org's Loop model."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field, model_validator
from starlette.concurrency import run_in_threadpool

from openloop.errors import InvalidInput, OpenLoopError
from openloop.server.security import get_principal, get_services

router = APIRouter(prefix="/v1/loop", tags=["loop"])

_CHART_UI_TYPE = {"timeseries": "line", "bar": "toplist", "big_number": "number"}


class GenerateBody(BaseModel):
    project: str = Field(min_length=1, description="Project id or name.")
    request: str = Field(default="", max_length=4000, description="What you want, in plain words.")
    text: str | None = Field(default=None, max_length=4000, description="Alias of request.")
    prompt: str | None = Field(default=None, max_length=4000, description="Alias of request.")
    current_query: str | None = Field(default=None, max_length=100_000)
    model: str | None = Field(default=None, description="A model from the org's Loop allowlist.")

    @model_validator(mode="after")
    def _request_text(self) -> GenerateBody:
        self.request = (self.request or self.text or self.prompt or "").strip()
        if not self.request:
            raise ValueError("say what to generate in 'request'")
        return self


class FixBody(BaseModel):
    project: str = Field(min_length=1)
    query: str = Field(min_length=1, max_length=100_000)
    error: str = Field(default="", max_length=10_000)
    model: str | None = None


@router.post("/generate/query", summary="Plain language → a query that compiles")
def generate_query(
    body: GenerateBody, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    from openloop.services.generate import generate_query as gen

    return gen(svc, p, body.request, project=body.project, model=body.model,
               current_query=body.current_query)  # fmt: skip


@router.post("/generate/filter", summary="Plain language → a logs filter expression")
def generate_filter(
    body: GenerateBody, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    from openloop.services.generate import generate_filter as gen

    return gen(svc, p, body.request, project=body.project, model=body.model)


@router.post("/generate/chart", summary="Plain language → a chart definition with its data")
def generate_chart(
    body: GenerateBody, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    from openloop.services.generate import generate_chart as gen

    out = gen(svc, p, body.request, project=body.project, model=body.model)
    out["type"] = _CHART_UI_TYPE.get(out.get("chart_type", ""), "line")
    return out


@router.post("/fix", summary="Fix with Loop: a corrected query that parses and runs")
async def fix(
    body: FixBody, svc: Any = Depends(get_services), p: Any = Depends(get_principal)
) -> dict[str, Any]:
    """Deterministic repairs first (no model needed); if they cannot fix the query and the org
    has a Loop model, the model rewrites it, validated by the parser."""
    return await run_in_threadpool(_fix, svc, p, body)


def _fix(svc: Any, p: Any, body: FixBody) -> dict[str, Any]:
    from openloop.loop.skills.query_fix import fix_query
    from openloop.loop.skills.querying import Scope

    proj = svc.control.get_project(p.org_id, body.project)
    result = fix_query(Scope(svc, p, proj.id, proj.name), body.query)
    if result.ok:
        return {"query": result.query, "changes": result.changes, "ok": True, "by": "rules",
                "text": "; ".join(result.changes) or "the query already runs"}  # fmt: skip
    try:
        from openloop.services.generate import generate_query

        out = generate_query(
            svc,
            p,
            f"Fix this query. It fails with: {body.error or result.error}",
            project=body.project,
            model=body.model,
            current_query=body.query,
        )
    except (InvalidInput, OpenLoopError) as exc:
        return {"query": None, "changes": result.changes, "ok": False, "by": "rules",
                "text": f"no automatic fix: {result.error}. Loop's model could not help: {exc.message}"}  # fmt: skip
    return {"query": out["query"], "changes": [out.get("explanation", "")], "ok": True,
            "by": "model", "text": out.get("explanation", "")}  # fmt: skip
