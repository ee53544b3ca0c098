"""The one place evals, the playground and online scoring turn a model name into a model.

Everything goes through :func:`model_for`, which asks the provider layer
(:mod:`openloop.llm.providers`) to resolve the organization's model name. Tests swap
:data:`model_factory` for one that returns a pydantic-ai ``FunctionModel``/``TestModel``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pydantic_ai.models import Model

    from openloop.services import Services

logger = logging.getLogger(__name__)

__all__ = ["model_factory", "model_for"]


def _provider_model(svc: Services, org_id: str, name: str) -> Model:
    from openloop.llm.providers import build_model, resolve_model

    return build_model(resolve_model(svc.control, org_id, name))


#: ``(services, org_id, model name) -> pydantic-ai Model``; replaced in tests.
model_factory: Callable[[Any, str, str], Any] = _provider_model


def model_for(svc: Services, org_id: str, name: str) -> Model:
    """The pydantic-ai model that serves ``name`` for ``org_id``."""
    return model_factory(svc, org_id, name)
