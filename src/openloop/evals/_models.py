"""The one place evals, the playground and online scoring turn a model name into a model.

Everything goes through :func:`model_for`, which asks the provider layer
(:mod:`openloop.llm.providers`) to resolve the organization's model name. Tests swap
:data:`model_factory` for one that returns a pydantic-ai ``FunctionModel``/``TestModel``.

A judge given no model uses the organization's default judge model
(:func:`default_judge_model`): the ``default_judge_model`` organization setting, else the first
model of the Loop allowlist (``loop_models``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic_ai.models import Model

    from openloop.services import Services

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_JUDGE_SETTING",
    "default_judge_model",
    "judge_model_for",
    "model_factory",
    "model_for",
    "no_judge_model_message",
]

#: The organization setting naming the model judges use when they name none.
DEFAULT_JUDGE_SETTING = "default_judge_model"


def _provider_model(svc: Services, org_id: str, name: str) -> Model:
    from openloop.llm.providers import build_model, resolve_model

    return build_model(resolve_model(svc.control, org_id, name))


#: ``(services, org_id, model name) -> pydantic-ai Model``; replaced in tests.
model_factory: Callable[[Any, str, str], Any] = _provider_model


def model_for(svc: Services, org_id: str, name: str) -> Model:
    """The pydantic-ai model that serves ``name`` for ``org_id``."""
    return model_factory(svc, org_id, name)


def default_judge_model(svc: Services, org_id: str) -> str | None:
    """The model a judge without one uses: the org's ``default_judge_model`` setting, else the
    first model of its Loop allowlist, else None."""
    settings = svc.control.get_org_settings(org_id)
    chosen = settings.get(DEFAULT_JUDGE_SETTING)
    if isinstance(chosen, str) and chosen.strip():
        return chosen.strip()
    allowed = [m for m in settings.get("loop_models") or [] if isinstance(m, str) and m.strip()]
    return allowed[0].strip() if allowed else None


def no_judge_model_message(judge: str) -> str:
    """What a row says when a judge has no model and the organization no default."""
    return (
        f"judge {judge!r} has no model and this organization has no default judge model: an "
        "admin can choose one in Settings → Default judge model (or PUT /v1/org/judge_model), "
        "or give the scorer a 'model'"
    )


def judge_model_for(svc: Services, org_id: str, name: str | None, judge: str) -> Model:
    """The model for judge ``judge``: ``name`` when given, else the org's default judge model.
    Raises :class:`~openloop.errors.NotFound` saying how to configure one when there is none."""
    from openloop.errors import NotFound

    wanted = name.strip() if isinstance(name, str) and name.strip() else None
    wanted = wanted or default_judge_model(svc, org_id)
    if wanted is None:
        raise NotFound(no_judge_model_message(judge))
    logger.debug("evals.judge_model org=%s judge=%s model=%s", org_id, judge, wanted)
    return model_for(svc, org_id, wanted)
