"""The ``Moderation`` scorer: asks a provider's moderation endpoint whether ``output`` is flagged.

The score is 0 when the text is flagged and 1 otherwise. Without a ``threshold`` the provider's
own ``flagged`` verdict decides; with one, the text is flagged when any category score is above
the threshold (so ``threshold=0.2`` is stricter than the provider's defaults).

The call goes to ``<base_url>/moderations`` of the organization's ``openai`` provider (or, when
there is none, its first ``openai_compatible`` one), through the provider layer's HTTP client
with its timeouts and retries. Options: ``threshold``, ``provider`` (a provider name to use)
and ``model`` (default ``omni-moderation-latest``). Like every scorer, it never raises on a
row: a missing provider or a failed call becomes ``Score(score=None, error=...)``.

>>> Moderation().evaluate(output="hello").error.startswith("Moderation needs")
True
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import orjson

from openloop.errors import InvalidInput, NotFound, OpenLoopError
from openloop.evals.score import Score
from openloop.evals.scorers.registry import ScorerSpec, register_scorer
from openloop.evals.templates import to_text

if TYPE_CHECKING:
    from openloop.llm.providers import ResolvedModel, RetryPolicy
    from openloop.store.control import ControlStore

logger = logging.getLogger(__name__)

__all__ = ["DEFAULT_MODERATION_MODEL", "Moderation", "moderation_target"]

DEFAULT_MODERATION_MODEL = "omni-moderation-latest"
_KINDS = ("openai", "openai_compatible")
_NO_PROVIDER = (
    "Moderation needs an OpenAI or OpenAI-compatible AI provider: an admin can add one in "
    "Settings → AI providers (or with POST /v1/ai_provider)"
)


def moderation_target(
    control: ControlStore,
    org_id: str,
    *,
    provider: str | None = None,
    model: str | None = None,
) -> ResolvedModel | None:
    """The provider (with its key) that serves moderation for ``org_id``, or None when the
    organization has no OpenAI or OpenAI-compatible provider. ``provider`` picks one by name."""
    from openloop.llm.providers import ResolvedModel

    providers = control.list_providers(org_id)
    if provider is not None:
        chosen = next((p for p in providers if p.name == provider), None)
        if chosen is None:
            names = ", ".join(p.name for p in providers) or "none"
            raise NotFound(f"Moderation: no AI provider named {provider!r} (providers: {names})")
        if chosen.provider not in _KINDS:
            raise InvalidInput(
                f"Moderation: provider {provider!r} is {chosen.provider}; moderation needs an "
                "openai or openai_compatible provider",
                field="provider",
            )
    else:
        usable = [p for p in providers if p.provider in _KINDS]
        chosen = next((p for p in usable if p.provider == "openai"), None) or (
            usable[0] if usable else None
        )
    if chosen is None:
        return None
    key = control.get_provider_key(org_id, chosen.name) if chosen.has_key else None
    return ResolvedModel(provider=chosen, model=model or DEFAULT_MODERATION_MODEL, api_key=key)


def _check_threshold(threshold: Any) -> float | None:
    if threshold is None:
        return None
    if isinstance(threshold, bool) or not isinstance(threshold, int | float):
        raise InvalidInput("Moderation threshold must be a number in [0, 1]", field="threshold")
    if not 0 <= threshold <= 1:
        raise InvalidInput("Moderation threshold must be a number in [0, 1]", field="threshold")
    return float(threshold)


class Moderation:
    """Score 0 when the provider's moderation endpoint flags ``output``, else 1.

    ``target`` is the resolved provider to call (see :func:`moderation_target`); the platform
    fills it in from the organization's providers. ``policy`` overrides the retry policy.
    """

    name = "Moderation"

    def __init__(
        self,
        threshold: float | None = None,
        *,
        target: ResolvedModel | None = None,
        policy: RetryPolicy | None = None,
        missing: str = _NO_PROVIDER,
    ) -> None:
        self.threshold = _check_threshold(threshold)
        self.target = target
        self.policy = policy
        self.missing = missing

    def _verdict(self, result: dict[str, Any]) -> tuple[bool, list[str], dict[str, float]]:
        raw_scores = result.get("category_scores") or {}
        scores = {
            str(k): float(v)
            for k, v in raw_scores.items()
            if isinstance(v, int | float) and not isinstance(v, bool)
        }
        if self.threshold is None:
            categories = result.get("categories") or {}
            hit = sorted(str(k) for k, v in categories.items() if v is True)
            return bool(result.get("flagged")), hit, scores
        hit = sorted(k for k, v in scores.items() if v > self.threshold)
        return bool(hit), hit, scores

    async def _call(self, target: ResolvedModel, text: str) -> dict[str, Any]:
        from openloop.llm import providers
        from openloop.llm.retries import send_with_retries

        policy = self.policy or providers.DEFAULT_RETRY
        url = target.base_url.rstrip("/") + "/moderations"
        headers = {"content-type": "application/json"}
        if target.api_key:
            headers["authorization"] = f"Bearer {target.api_key}"
        payload = orjson.dumps({"model": target.model, "input": text})
        client = providers.http_client_factory(policy)
        async with client:
            response = await send_with_retries(
                client,
                lambda: client.build_request("POST", url, content=payload, headers=headers),
                target,
                policy,
            )
            body = await response.aread()
        data = orjson.loads(body)
        results = data.get("results") if isinstance(data, dict) else None
        if not isinstance(results, list) or not results or not isinstance(results[0], dict):
            raise ValueError("the moderation answer has no results")
        return results[0]

    async def evaluate_async(
        self,
        *,
        input: Any = None,
        output: Any = None,
        expected: Any = None,
        metadata: Any = None,
        **kwargs: Any,
    ) -> Score:
        if self.target is None:
            return Score.failure(self.name, self.missing)
        text = "" if output is None else to_text(output)
        try:
            result = await self._call(self.target, text)
        except OpenLoopError as exc:
            logger.info("scorer.moderation.error provider=%s", self.target.provider_name)
            return Score.failure(self.name, exc.message)
        except (ValueError, orjson.JSONDecodeError) as exc:
            return Score.failure(
                self.name,
                f"provider {self.target.provider_name!r} sent an unreadable moderation "
                f"answer: {exc}",
            )
        flagged, categories, scores = self._verdict(result)
        meta: dict[str, Any] = {
            "flagged": flagged,
            "categories": categories,
            "category_scores": scores,
        }
        if self.threshold is not None:
            meta["threshold"] = self.threshold
        return Score(self.name, 0.0 if flagged else 1.0, meta)

    def evaluate(self, **kwargs: Any) -> Score:
        from openloop.evals.llm_judge import run_sync

        return run_sync(lambda: self.evaluate_async(**kwargs))

    def __repr__(self) -> str:
        return f"Moderation(threshold={self.threshold!r}, target={self.target!r})"


def _bind(svc: Any, org_id: str, options: dict[str, Any]) -> dict[str, Any]:
    """Resolve the ``provider``/``model`` options to the organization's provider."""
    opts = dict(options)
    provider = opts.pop("provider", None)
    model = opts.pop("model", None)
    if provider is not None and not isinstance(provider, str):
        raise InvalidInput("Moderation provider must be a provider name", field="provider")
    if model is not None and (not isinstance(model, str) or not model.strip()):
        raise InvalidInput("Moderation model must be a model name", field="model")
    opts["target"] = moderation_target(
        svc.control, org_id, provider=provider, model=model.strip() if model else None
    )
    return opts


def _factory(**options: Any) -> Moderation:
    # Unbound (outside an organization) the provider options cannot be resolved; the scorer
    # then reports on every row what to configure.
    options.pop("provider", None)
    options.pop("model", None)
    return Moderation(**options)


register_scorer(
    ScorerSpec(
        "Moderation",
        "moderation",
        "0 when the provider's moderation endpoint flags the output, else 1 (optional threshold)",
        ("output",),
        factory=_factory,
        builtin=True,
        bind=_bind,
    )
)
