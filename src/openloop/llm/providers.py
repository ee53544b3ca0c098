"""The provider layer: which configured provider serves a model, and how to call it.

Every model call OpenLoop makes — LLM judges, the playground, Loop and the OpenAI-compatible
proxy — starts here. An organization configures providers (``ControlStore.set_provider``) of
three kinds:

* ``openai`` — api.openai.com (or an explicit ``base_url``);
* ``anthropic`` — api.anthropic.com (Messages API);
* ``openai_compatible`` — any server speaking OpenAI chat completions at ``base_url``: vLLM,
  Ollama, llama.cpp, OpenRouter, LiteLLM...

:func:`resolve_model` maps a model name to one of them, in this order:

1. ``"<provider name>/<model>"`` or ``"<provider name>:<model>"`` picks that provider
   (a provider *kind* works too: ``"openai:gpt-4.1"``);
2. a provider whose ``models`` list names the model exactly;
3. a model the registry (:mod:`openloop.llm.prices`) or its family prefix (``gpt-``, ``o3``,
   ``claude-``) places with a kind → the first provider of that kind;
4. the single ``openai_compatible`` provider that lists no models (it serves anything).

Otherwise :class:`~openloop.errors.NotFound` lists what is configured.

:func:`build_model` turns the result into a pydantic-ai ``Model``; :func:`send_with_retries`
is the HTTP call with timeouts and exponential backoff that the proxy uses. Tests replace
:data:`http_client_factory` (and :data:`sdk_http_client_factory`) to put a
``MockTransport`` where the network would be.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import httpx

from openloop.errors import InvalidInput, NotFound
from openloop.llm.prices import lookup
from openloop.llm.retries import (
    DEFAULT_RETRY,
    ProviderError,
    RetryPolicy,
    send_with_retries,
    upstream_message,
)
from openloop.store.control.records import PROVIDER_KINDS

if TYPE_CHECKING:
    from pydantic_ai.models import Model

    from openloop.store.control import ControlStore
    from openloop.store.control.records import Provider

__all__ = [
    "DEFAULT_BASE_URLS",
    "DEFAULT_RETRY",
    "PROVIDER_KINDS",
    "ProviderError",
    "ResolvedModel",
    "RetryPolicy",
    "build_model",
    "guess_kind",
    "http_client_factory",
    "new_http_client",
    "pick_provider",
    "resolve_model",
    "sdk_http_client_factory",
    "send_with_retries",
    "upstream_message",
    "validate_provider_name",
]

logger = logging.getLogger(__name__)


#: Where a provider without ``base_url`` is reached. Anthropic's URL has no ``/v1``: the
#: Messages path is ``/v1/messages`` below it, as in Anthropic's own SDK.
DEFAULT_BASE_URLS: dict[str, str] = {
    "openai": "https://api.openai.com/v1",
    "anthropic": "https://api.anthropic.com",
}

_NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")
# Model families whose names say who serves them, for models newer than the price registry.
_FAMILIES: tuple[tuple[str, str], ...] = (
    ("gpt-", "openai"),
    ("chatgpt-", "openai"),
    ("o1", "openai"),
    ("o3", "openai"),
    ("o4", "openai"),
    ("text-embedding-", "openai"),
    ("claude-", "anthropic"),
)


def new_http_client(policy: RetryPolicy = DEFAULT_RETRY) -> httpx.AsyncClient:
    """The HTTP client the proxy talks to providers with (one per call; the caller closes it)."""
    return httpx.AsyncClient(timeout=policy.httpx_timeout(), follow_redirects=False)


#: Builds the proxy's HTTP client. Tests swap it for one with an ``httpx.MockTransport``.
http_client_factory: Callable[[RetryPolicy], httpx.AsyncClient] = new_http_client
#: Builds the ``httpx2.AsyncClient`` handed to the OpenAI/Anthropic SDKs inside pydantic-ai
#: models; ``None`` lets each SDK build its own.
sdk_http_client_factory: Callable[[], Any] | None = None


@dataclass(frozen=True)
class ResolvedModel:
    """A model name resolved to one configured provider of an organization."""

    provider: Provider
    model: str  # the name the provider knows the model by
    api_key: str | None

    @property
    def kind(self) -> str:
        return self.provider.provider

    @property
    def provider_name(self) -> str:
        return self.provider.name

    @property
    def qualified(self) -> str:
        """``"<provider name>/<model>"``, which always resolves back to this provider."""
        return f"{self.provider.name}/{self.model}"

    @property
    def base_url(self) -> str:
        return self.provider.base_url or DEFAULT_BASE_URLS.get(self.kind, "")

    def __repr__(self) -> str:  # never show the key
        return f"ResolvedModel({self.qualified!r}, kind={self.kind!r})"


def validate_provider_name(name: object) -> str:
    """A provider name usable as the ``<name>/`` prefix of a model: letters, digits, ``_.-``."""
    if not isinstance(name, str) or not _NAME_RE.match(name.strip()):
        raise InvalidInput(
            "provider name must be 1-64 letters, digits, '_', '.' or '-' (no '/' or ':'), "
            f"got {name!r}",
            field="name",
        )
    return name.strip()


def guess_kind(model: str) -> str | None:
    """``"openai"`` or ``"anthropic"`` when the registry or the name's family says so."""
    price = lookup(model)
    if price is not None and price.provider in ("openai", "anthropic"):
        return price.provider
    name = model.strip().lower()
    for prefix, kind in _FAMILIES:
        if name.startswith(prefix):
            return kind
    return None


def pick_provider(providers: Sequence[Provider], name: str) -> tuple[Provider, str] | None:
    """The provider serving ``name`` and the model name to send it, or None (no key lookup)."""
    name = name.strip()
    by_name = {p.name: p for p in providers}
    for sep in ("/", ":"):
        prefix, found, rest = name.partition(sep)
        if not found or not rest.strip():
            continue
        if prefix in by_name:
            return by_name[prefix], rest.strip()
        if prefix in PROVIDER_KINDS:
            of_kind = [p for p in providers if p.provider == prefix]
            if of_kind:
                return of_kind[0], rest.strip()
    for p in providers:
        if name in p.models:
            return p, name
    kind = guess_kind(name)
    if kind is not None:
        for p in providers:
            if p.provider == kind:
                return p, name
    open_ended = [p for p in providers if p.provider == "openai_compatible" and not p.models]
    if len(open_ended) == 1:
        return open_ended[0], name
    return None


def resolve_model(control: ControlStore, org_id: str, name: str) -> ResolvedModel:
    """Resolve ``name`` to a configured provider of ``org_id`` and load its decrypted key.

    Raises :class:`~openloop.errors.NotFound` naming the configured models when nothing serves
    it, and :class:`~openloop.errors.InvalidInput` for an empty name.
    """
    if not isinstance(name, str) or not name.strip():
        raise InvalidInput("model must be a non-empty string, e.g. 'gpt-4o'", field="model")
    providers = control.list_providers(org_id)
    found = pick_provider(providers, name)
    if found is None:
        raise NotFound(_unknown_model_message(name, providers), model=name)
    provider, model = found
    key = control.get_provider_key(org_id, provider.name) if provider.has_key else None
    return ResolvedModel(provider=provider, model=model, api_key=key)


def _unknown_model_message(name: str, providers: Sequence[Provider]) -> str:
    if not providers:
        return (
            f"model {name!r} is not available: this organization has no AI provider yet. "
            "An admin can add one with POST /v1/ai_provider."
        )
    listed = [f"{p.name}/{m}" for p in providers for m in p.models]
    kinds = ", ".join(f"{p.name} ({p.provider})" for p in providers)
    shown = ", ".join(listed[:20]) + (" ..." if len(listed) > 20 else "")
    return (
        f"model {name!r} is not served by any configured provider. Providers: {kinds}. "
        f"Configured models: {shown or 'none listed'}. Use '<provider>/<model>' to pick one."
    )


# -- pydantic-ai models ------------------------------------------------------------------------


def build_model(target: ResolvedModel, policy: RetryPolicy = DEFAULT_RETRY) -> Model:
    """A pydantic-ai ``Model`` that calls ``target`` with its stored key and base URL.

    The SDK client underneath retries 429/5xx/connection errors with exponential backoff
    (``policy.retries``) and applies ``policy.timeout``; what still fails surfaces as
    pydantic-ai's ``ModelHTTPError``/``ModelAPIError`` carrying the model name.
    """
    http_client = sdk_http_client_factory() if sdk_http_client_factory is not None else None
    common: dict[str, Any] = {
        "max_retries": policy.retries,
        "timeout": policy.timeout,
        "http_client": http_client,
    }
    if target.kind == "anthropic":
        from anthropic import AsyncAnthropic
        from pydantic_ai.models.anthropic import AnthropicModel
        from pydantic_ai.providers.anthropic import AnthropicProvider

        base = target.provider.base_url
        if base and base.endswith("/v1"):
            base = base[: -len("/v1")]
        anthropic = AsyncAnthropic(api_key=target.api_key or "", base_url=base, **common)
        return AnthropicModel(target.model, provider=AnthropicProvider(anthropic_client=anthropic))

    from openai import AsyncOpenAI
    from pydantic_ai.models.openai import OpenAIChatModel

    client = AsyncOpenAI(
        api_key=target.api_key or "api-key-not-set", base_url=target.base_url, **common
    )
    if target.kind == "openai":
        from pydantic_ai.providers.openai import OpenAIProvider

        return OpenAIChatModel(target.model, provider=OpenAIProvider(openai_client=client))
    from pydantic_ai.providers.openai_compatible import OpenAICompatibleProvider

    provider = OpenAICompatibleProvider(target.provider_name, openai_client=client)
    return OpenAIChatModel(target.model, provider=provider)
