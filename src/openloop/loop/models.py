"""Which model a Loop thread talks to.

A thread names a model (``Thread.model``); without one Loop uses ``OPENLOOP_LOOP_DEFAULT_MODEL``,
then the first model of the organization's allowlist, then the first model a configured
provider lists. The allowlist is ``ControlStore.get_org_settings(org)["loop_models"]``: when it
is not empty, a thread may only use the models it names.

The model itself comes from the provider layer (:mod:`openloop.llm.providers`), the same one
the playground, LLM judges and the proxy use. Tests put a scripted pydantic-ai model in its
place with :func:`override_models`; nothing else does.

>>> from pydantic_ai.models.test import TestModel
>>> with override_models(TestModel()):
...     pass
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from openloop.errors import InvalidInput

if TYPE_CHECKING:
    from pydantic_ai.models import Model

    from openloop.services import Services

__all__ = [
    "LoopModel",
    "allowed_models",
    "check_model_allowed",
    "default_model_name",
    "override_models",
    "resolve_loop_model",
]

logger = logging.getLogger(__name__)

ModelFactory = Callable[[str], "Model"]
_override: ModelFactory | None = None


@dataclass(frozen=True)
class LoopModel:
    name: str
    model: Model


@contextmanager
def override_models(models: Model | dict[str, Model] | ModelFactory) -> Iterator[None]:
    """Serve every Loop model from ``models`` while the block runs: one model for every name,
    a dict by name (unknown names are rejected), or a factory ``name -> Model``."""
    global _override
    previous = _override
    _override = _as_factory(models)
    try:
        yield
    finally:
        _override = previous


def _as_factory(models: Any) -> ModelFactory:
    if isinstance(models, dict):
        table = dict(models)

        def pick(name: str) -> Model:
            if name not in table:
                raise InvalidInput(
                    f"model {name!r} is not available; models: {', '.join(sorted(table))}",
                    field="model",
                )
            return table[name]

        return pick
    if callable(models) and not hasattr(models, "request"):
        return models
    return lambda _name: models


def _org_allowlist(svc: Services, org_id: str) -> list[str]:
    return list(svc.control.get_org_settings(org_id).get("loop_models") or [])


def _configured_models(svc: Services, org_id: str) -> list[str]:
    """Every model the org's providers list, as ``provider/model``."""
    return [f"{p.name}/{m}" for p in svc.control.list_providers(org_id) for m in p.models]


def allowed_models(svc: Services, org_id: str) -> list[str]:
    """What a thread of this org may pick: the allowlist, else every listed provider model."""
    allow = _org_allowlist(svc, org_id)
    return allow or _configured_models(svc, org_id)


def default_model_name(svc: Services, org_id: str, *, allow: list[str] | None = None) -> str | None:
    allow = _org_allowlist(svc, org_id) if allow is None else allow
    configured = svc.settings.loop_default_model
    if configured and (not allow or configured in allow):
        return configured
    if allow:
        return allow[0]
    if _override is not None:
        return "test"
    listed = _configured_models(svc, org_id)
    return listed[0] if listed else None


def check_model_allowed(
    svc: Services, org_id: str, name: str, *, allow: list[str] | None = None
) -> str:
    """``name`` if this org may use it in Loop, else InvalidInput naming the allowed ones."""
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("model must be a non-empty string", field="model")
    name = name.strip()
    allow = _org_allowlist(svc, org_id) if allow is None else allow
    if allow and name not in allow:
        raise InvalidInput(
            f"model {name!r} is not enabled for Loop in this organization; "
            f"allowed: {', '.join(allow)}",
            field="model",
        )
    return name


def resolve_loop_model(svc: Services, org_id: str, name: str | None) -> LoopModel | None:
    """The model for a thread asking for ``name`` (None: the default), or None when no model is
    configured at all — then Loop answers slash commands only."""
    allow = _org_allowlist(svc, org_id)
    name = name or default_model_name(svc, org_id, allow=allow)
    if name is None:
        return None
    name = check_model_allowed(svc, org_id, name, allow=allow)
    if _override is not None:
        return LoopModel(name, _override(name))
    return LoopModel(name, _provider_model(svc, org_id, name))


def _provider_model(svc: Services, org_id: str, name: str) -> Model:
    """The one place Loop reaches the provider layer."""
    from openloop.llm.providers import build_model, resolve_model

    return build_model(resolve_model(svc.control, org_id, name))
