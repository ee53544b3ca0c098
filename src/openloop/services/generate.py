"""Plain language → query, filter or chart, with a model that proposes and the parser that decides.

Used by the Logs page "Generate" button (a filter), the query sandbox (a query, or an update of
the current one) and the Monitor "+ Chart" box (a chart). The model is grounded with the query
language's rules and the project's real fields (:func:`~openloop.loop.skills.schema.describe_source`);
its proposal is compiled, and on a :class:`~openloop.errors.QueryError` it gets exactly one
self-repair round with the error text and valid field names. A proposal that still fails is a
400 with the last error, never a query that does not run.

``model`` is a pydantic-ai ``Model`` (tests pass ``FunctionModel``), a model name, or ``None``
for the organization's Loop model.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from openloop.errors import InvalidInput, QueryError

if TYPE_CHECKING:
    from openloop.auth import Principal
    from openloop.loop.skills.querying import Scope
    from openloop.services import Services

__all__ = ["ChartProposal", "FilterProposal", "QueryProposal", "generate_chart", "generate_filter",
           "generate_query"]  # fmt: skip

logger = logging.getLogger(__name__)

_RULES = """You write queries in OpenLoop's query language (Braintrust BTQL/SQL).
SQL form: SELECT ... FROM project_logs('<project>') WHERE ... GROUP BY ... ORDER BY ... LIMIT n.
Fields: id, root_span_id, is_root, created, input, output, expected, error, error_type, tags,
scores.<name>, metadata.<key> (metadata.model, metadata.user_id), span_attributes.type
('llm', 'tool', 'task', 'score'), span_attributes.name, metrics.prompt_tokens,
metrics.completion_tokens, metrics.tokens, latency (seconds), metrics.time_to_first_token.
Functions: count(1), count(error), count_distinct(x), sum, avg, min, max, percentile(x, 0.95),
estimated_cost(), day(created), hour(created), now(), search('words'), x MATCH 'words'.
Rules: quote text with single quotes; use = not ==; in SQL write 'x' IN tags (INCLUDES is
BTQL-only); every project_logs query needs a range such as created > now() - interval 7 day."""


class QueryProposal(BaseModel):
    query: str = Field(description="The complete query.")
    explanation: str = Field(default="", description="One sentence on what it returns.")


class FilterProposal(BaseModel):
    filter: str = Field(description="Only the filter expression (what follows WHERE).")
    explanation: str = Field(default="", description="One sentence on what it keeps.")


class ChartProposal(BaseModel):
    title: str = Field(description="Short chart title.")
    query: str = Field(
        description="Aggregating query: time column for timeseries, category for bar."
    )
    chart_type: Literal["timeseries", "bar", "big_number"]
    unit: Literal["count", "seconds", "usd", "percent", "tokens"] = "count"
    group_by: str | None = Field(default=None, description="Result column that splits series.")


def _scope(svc: Services, p: Principal, project: str) -> Scope:
    from openloop.loop.skills.querying import Scope

    proj = svc.control.get_project(p.org_id, project)
    return Scope(svc, p, proj.id, proj.name)


def _model(svc: Services, p: Principal, model: Any) -> Any:
    if model is not None and not isinstance(model, str):
        return model
    from openloop.llm.providers import build_model
    from openloop.services.providers import resolve_loop_model

    return build_model(resolve_loop_model(svc, p, model))


def _grounding(scope: Scope) -> tuple[str, list[str]]:
    from openloop.loop.skills.schema import describe_source
    from openloop.loop.tools.base import quote_untrusted

    schema = describe_source(scope, sample=100)
    text = schema.text()[:4000]
    fields = quote_untrusted(text, source="project logs") if text else "(no recent rows)"
    return (f"{_RULES}\nThe project is {scope.project!r}: write project_logs('{scope.project}').\n"
            f"Fields seen in its recent logs (path (type): values):\n{fields}"), schema.paths()  # fmt: skip


def _run(svc: Services, p: Principal, model: Any, instructions: str, prompt: str, output_type: type,
         validate: Any, known: list[str]) -> Any:  # fmt: skip
    """One agent run whose output must pass ``validate``; one repair round on failure."""
    from pydantic_ai import Agent, ModelRetry
    from pydantic_ai.exceptions import UnexpectedModelBehavior

    from openloop.loop.skills.filter_gen import retry_message

    agent = Agent(_model(svc, p, model), output_type=output_type, instructions=instructions,
                  retries={"output": 1})  # fmt: skip
    last: list[str] = []

    @agent.output_validator
    def _check(out: Any) -> Any:
        try:
            return validate(out)
        except QueryError as err:
            last.append(str(err))
            raise ModelRetry(retry_message(err, known)) from err
        except InvalidInput as err:
            last.append(err.message)
            raise ModelRetry(f"That does not work: {err.message}. Fix it.") from err

    try:
        return agent.run_sync(prompt).output
    except UnexpectedModelBehavior as exc:
        detail = last[-1] if last else str(exc)
        raise InvalidInput(f"could not generate a valid query for that request: {detail}") from None


def generate_query(svc: Services, p: Principal, request: str, *, project: str, model: Any = None,
                   current_query: str | None = None) -> dict[str, Any]:  # fmt: skip
    """A query for ``request`` (or ``current_query`` updated by it), checked to compile."""
    from openloop.loop.skills.query_fix import add_range
    from openloop.loop.skills.querying import compile_text

    scope = _scope(svc, p, project)
    instructions, known = _grounding(scope)
    prompt = request if not current_query else (
        f"Current query:\n{current_query}\n\nUpdate it: {request}\nReturn the complete new query.")  # fmt: skip

    def validate(out: QueryProposal) -> QueryProposal:
        compiled = compile_text(scope, out.query)
        if any(w.get("code") == "no_range_filter" for w in compiled.warnings):
            out.query = add_range(out.query)
            compile_text(scope, out.query)
        return out

    out = _run(svc, p, model, instructions, prompt, QueryProposal, validate, known)
    logger.info("generate.query project=%s", scope.project_id)
    return {"query": out.query, "explanation": out.explanation}


def generate_filter(svc: Services, p: Principal, request: str, *, project: str,
                    model: Any = None) -> dict[str, Any]:  # fmt: skip
    """A filter expression for ``request``, checked to compile, with its match count."""
    from openloop.loop.skills.filter_gen import check_filter

    scope = _scope(svc, p, project)
    instructions, known = _grounding(scope)
    instructions += "\nAnswer with a filter expression only (no SELECT, no clauses)."

    def validate(out: FilterProposal) -> FilterProposal:
        out.filter = check_filter(scope, out.filter, count=False).expr
        return out

    out = _run(svc, p, model, instructions, request, FilterProposal, validate, known)
    check = check_filter(scope, out.filter)
    return {"filter": check.expr, "explanation": out.explanation, "matches": check.matches,
            "window_days": check.window_days}  # fmt: skip


def generate_chart(svc: Services, p: Principal, request: str, *, project: str,
                   model: Any = None) -> dict[str, Any]:  # fmt: skip
    """A chart definition for ``request`` whose query runs and fits its type, plus its series."""
    from openloop.loop.skills.query_fix import add_range
    from openloop.loop.skills.querying import compile_text
    from openloop.services.charts import preview_chart

    scope = _scope(svc, p, project)
    instructions, known = _grounding(scope)
    instructions += ("\nPick chart_type: timeseries for 'over time' (SELECT day(created) AS day, ... "
                     "GROUP BY 1), bar for top lists (category + measure, ORDER BY measure DESC "
                     "LIMIT n), big_number for a single value. Units: count, seconds, usd, "
                     "percent (rates as fractions), tokens.")  # fmt: skip
    previews: list[dict[str, Any]] = []

    def validate(out: ChartProposal) -> ChartProposal:
        compiled = compile_text(scope, out.query)
        if any(w.get("code") == "no_range_filter" for w in compiled.warnings):
            out.query = add_range(out.query)
        previews.append(preview_chart(svc, p, out.query, out.chart_type, unit=out.unit,
                                      group_by=out.group_by, project=scope.project))  # fmt: skip
        return out

    out = _run(svc, p, model, instructions, request, ChartProposal, validate, known)
    return {**out.model_dump(), "preview": previews[-1]}
