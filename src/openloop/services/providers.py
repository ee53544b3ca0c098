"""AI providers, the models they serve, the organization's Loop model allowlist and its default
judge model (what LLM judges use when they name no model).

Managing providers and the allowlist is for owners and admins; every member may list the
models available to the organization (what the proxy and the playground accept). Provider keys
are write-only: they are stored encrypted and never returned — a listing says ``has_key`` and
shows a masked hint such as ``sk-...wxyz``.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from openloop.auth import require_admin
from openloop.errors import InvalidInput, NotFound, OpenLoopError
from openloop.llm.prices import MODELS
from openloop.llm.providers import (
    ResolvedModel,
    pick_provider,
    resolve_model,
    validate_provider_name,
)

if TYPE_CHECKING:
    from openloop.auth import Principal
    from openloop.services import Services
    from openloop.store.control.records import Provider

__all__ = [
    "ModelInfo",
    "delete_provider",
    "get_judge_model",
    "get_loop_models",
    "list_available_models",
    "list_providers",
    "mask_key",
    "resolve_loop_model",
    "set_judge_model",
    "set_loop_models",
    "set_provider",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelInfo:
    """One model the organization can call."""

    id: str  # "<provider>/<model>": always resolves to this provider
    model: str
    provider: str  # the provider's name in this organization
    kind: str  # openai, anthropic or openai_compatible
    context_tokens: int | None
    configured: bool  # listed on the provider (rather than known from the registry)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def mask_key(key: str | None) -> str | None:
    """A hint that tells keys apart without revealing them: ``sk-...wxyz``.

    >>> mask_key("sk-abcdefghijklmnopqrstuvwxyz")
    'sk-...wxyz'
    >>> mask_key("short")
    '****'
    """
    if not key:
        return None
    if len(key) < 16:
        return "****"
    return f"{key[:3]}...{key[-4:]}"


def _public(svc: Services, p: Principal, provider: Provider) -> dict[str, Any]:
    out = provider.to_dict()
    out["key_hint"] = None
    if provider.has_key:
        try:
            out["key_hint"] = mask_key(svc.control.get_provider_key(p.org_id, provider.name))
        except OpenLoopError as exc:
            # Saved under another secret key: say so instead of failing the whole listing.
            out["key_error"] = exc.message
    return out


def list_providers(svc: Services, p: Principal) -> list[dict[str, Any]]:
    """The organization's providers without their keys (admins)."""
    require_admin(p)
    return [_public(svc, p, prov) for prov in svc.control.list_providers(p.org_id)]


def set_provider(
    svc: Services,
    p: Principal,
    name: str,
    provider: str,
    *,
    api_key: str | None = None,
    base_url: str | None = None,
    models: list[str] | None = None,
) -> dict[str, Any]:
    """Create or replace a provider (admins). ``api_key=None`` keeps the stored key."""
    require_admin(p)
    name = validate_provider_name(name)
    if api_key is not None and not isinstance(api_key, str):
        raise InvalidInput("api_key must be a string", field="api_key")
    if provider in ("openai", "anthropic") and not api_key:
        existing = {x.name: x for x in svc.control.list_providers(p.org_id)}.get(name)
        if api_key == "" or existing is None or not existing.has_key:
            raise InvalidInput(f"a {provider} provider needs an api_key", field="api_key")
    record = svc.control.set_provider(
        p.org_id, name, provider, api_key=api_key, base_url=base_url, models=models
    )
    logger.info("providers.set org=%s name=%s kind=%s by=%s", p.org_id, name, provider, p.user_id)
    return _public(svc, p, record)


def delete_provider(svc: Services, p: Principal, name: str) -> None:
    """Remove a provider and its key (admins)."""
    require_admin(p)
    svc.control.delete_provider(p.org_id, name)


def list_available_models(svc: Services, p: Principal) -> list[ModelInfo]:
    """Every model the organization can call: each provider's listed models, then the registry
    models of its kind (OpenAI or Anthropic), without duplicates."""
    out: list[ModelInfo] = []
    seen: set[str] = set()
    for prov in svc.control.list_providers(p.org_id):
        names = [(m, True) for m in prov.models]
        if prov.provider in ("openai", "anthropic"):
            names += [(m.name, False) for m in MODELS.values() if m.provider == prov.provider]
        for model, configured in names:
            ident = f"{prov.name}/{model}"
            if ident in seen:
                continue
            seen.add(ident)
            price = MODELS.get(model)
            out.append(
                ModelInfo(
                    id=ident,
                    model=model,
                    provider=prov.name,
                    kind=prov.provider,
                    context_tokens=price.context_tokens if price else None,
                    configured=configured,
                )
            )
    return out


def get_loop_models(svc: Services, p: Principal) -> dict[str, Any]:
    """The Loop allowlist (empty = every available model) and the models it could name."""
    settings = svc.control.get_org_settings(p.org_id)
    return {
        "loop_models": list(settings.get("loop_models") or []),
        "available": [m.id for m in list_available_models(svc, p)],
    }


def set_loop_models(svc: Services, p: Principal, models: Any) -> dict[str, Any]:
    """Replace the Loop allowlist (admins). Every entry must resolve to a configured provider."""
    require_admin(p)
    if not isinstance(models, list) or not all(isinstance(m, str) for m in models):
        raise InvalidInput("loop_models must be a list of model names", field="loop_models")
    cleaned = list(dict.fromkeys(m.strip() for m in models if m.strip()))
    _unserved(svc, p, cleaned, "loop_models")
    settings = svc.control.get_org_settings(p.org_id)
    settings["loop_models"] = cleaned
    svc.control.set_org_settings(p.org_id, settings)
    logger.info("providers.loop_models org=%s count=%d", p.org_id, len(cleaned))
    return get_loop_models(svc, p)


def _unserved(svc: Services, p: Principal, models: list[str], field: str) -> None:
    providers = svc.control.list_providers(p.org_id)
    unknown = [m for m in models if pick_provider(providers, m) is None]
    if unknown:
        configured = ", ".join(f"{x.name} ({x.provider})" for x in providers) or "none"
        raise InvalidInput(
            f"no configured provider serves {', '.join(repr(m) for m in unknown)}. "
            f"Providers: {configured}. Add a provider first or write '<provider>/<model>'.",
            field=field,
            unknown=unknown,
        )


def get_judge_model(svc: Services, p: Principal) -> dict[str, Any]:
    """The default judge model: the one set (or None), the one judges will use (the set one,
    else the first Loop model) and the models it could name."""
    from openloop.evals._models import DEFAULT_JUDGE_SETTING, default_judge_model

    chosen = svc.control.get_org_settings(p.org_id).get(DEFAULT_JUDGE_SETTING) or None
    effective = default_judge_model(svc, p.org_id)
    source = "setting" if chosen else ("loop_models" if effective else None)
    return {
        "default_judge_model": chosen,
        "effective": effective,
        "source": source,
        "available": [m.id for m in list_available_models(svc, p)],
    }


def set_judge_model(svc: Services, p: Principal, model: Any) -> dict[str, Any]:
    """Set the default judge model (admins); None or "" clears it (judges then fall back to the
    first Loop model). The model must resolve to a configured provider."""
    from openloop.evals._models import DEFAULT_JUDGE_SETTING

    require_admin(p)
    if model is not None and not isinstance(model, str):
        raise InvalidInput("default_judge_model must be a model name", field="default_judge_model")
    cleaned = (model or "").strip() or None
    if cleaned is not None:
        _unserved(svc, p, [cleaned], "default_judge_model")
    settings = svc.control.get_org_settings(p.org_id)
    if cleaned is None:
        settings.pop(DEFAULT_JUDGE_SETTING, None)
    else:
        settings[DEFAULT_JUDGE_SETTING] = cleaned
    svc.control.set_org_settings(p.org_id, settings)
    logger.info("providers.judge_model org=%s set=%s", p.org_id, cleaned is not None)
    return get_judge_model(svc, p)


def resolve_loop_model(svc: Services, p: Principal, model: str | None = None) -> ResolvedModel:
    """The model Loop should use: ``model`` when the allowlist permits it, else the configured
    default (``Settings.loop_default_model``) or the first allowlisted model."""
    allowed = list(svc.control.get_org_settings(p.org_id).get("loop_models") or [])
    wanted = model or svc.settings.loop_default_model or (allowed[0] if allowed else None)
    if not wanted:
        raise NotFound(
            "Loop has no model: an admin can add a provider (POST /v1/ai_provider) and choose "
            "models (PUT /v1/org/loop_models)"
        )
    target = resolve_model(svc.control, p.org_id, wanted)
    if allowed:
        permitted = set()
        providers = svc.control.list_providers(p.org_id)
        for entry in allowed:
            found = pick_provider(providers, entry)
            if found is not None:
                permitted.add((found[0].name, found[1]))
        if (target.provider_name, target.model) not in permitted:
            raise InvalidInput(
                f"model {wanted!r} is not allowed for Loop in this organization; allowed: "
                f"{', '.join(allowed)}",
                field="model",
            )
    return target
