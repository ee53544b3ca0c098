"""Model registry: context window and list price of common hosted models.

Prices are USD per million tokens (list prices of the provider's own API; Meta's open models at
a typical hosted rate). They feed ``estimated_cost`` at ingest, the query function
``estimated_cost()`` and the SDK wrappers. A model that is not listed has no estimate (``None``),
never a guess.

Cost follows the usual convention: prompt tokens read from the cache are billed at the cache-read
rate, tokens written to the cache at the cache-write rate, and the rest of the prompt at the input
rate::

    uncached = max(prompt - cached - cache_creation, 0)
    cost = (uncached * input + cached * cache_read + cache_creation * cache_write
            + completion * output) / 1e6

>>> round(estimate_cost("gpt-4o-mini", 1_000_000, 0), 2)
0.15
>>> estimate_cost("my-private-model", 10, 10) is None
True
"""

from __future__ import annotations

import functools
import logging
import re
from dataclasses import dataclass

__all__ = ["MODELS", "ModelPrice", "estimate_cost", "lookup"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ModelPrice:
    """One model's context window and prices (USD per million tokens).

    ``cached_input`` is the cache-read rate and ``cache_write`` the cache-write rate; ``None``
    means the provider bills those tokens at the plain input rate.
    """

    name: str
    provider: str
    context_tokens: int
    input: float
    output: float
    cached_input: float | None = None
    cache_write: float | None = None

    def cost(
        self,
        prompt_tokens: float,
        completion_tokens: float,
        cached_tokens: float = 0,
        cache_creation_tokens: float = 0,
    ) -> float:
        """USD cost of one call with these token counts."""
        uncached = max(prompt_tokens - cached_tokens - cache_creation_tokens, 0)
        read_rate = self.input if self.cached_input is None else self.cached_input
        write_rate = self.input if self.cache_write is None else self.cache_write
        total = (
            uncached * self.input
            + cached_tokens * read_rate
            + cache_creation_tokens * write_rate
            + completion_tokens * self.output
        )
        return total / 1_000_000


def _p(
    name: str,
    provider: str,
    context: int,
    inp: float,
    out: float,
    cached: float | None = None,
    write: float | None = None,
) -> ModelPrice:
    return ModelPrice(name, provider, context, inp, out, cached, write)


_K = 1024
_TABLE: tuple[ModelPrice, ...] = (
    # -- OpenAI ---------------------------------------------------------------------------------
    _p("gpt-5", "openai", 400_000, 1.25, 10.0, 0.125),
    _p("gpt-5-mini", "openai", 400_000, 0.25, 2.0, 0.025),
    _p("gpt-5-nano", "openai", 400_000, 0.05, 0.40, 0.005),
    _p("gpt-4.1", "openai", 1_047_576, 2.0, 8.0, 0.50),
    _p("gpt-4.1-mini", "openai", 1_047_576, 0.40, 1.60, 0.10),
    _p("gpt-4.1-nano", "openai", 1_047_576, 0.10, 0.40, 0.025),
    _p("gpt-4o", "openai", 128_000, 2.50, 10.0, 1.25),
    _p("gpt-4o-2024-05-13", "openai", 128_000, 5.0, 15.0),
    _p("gpt-4o-mini", "openai", 128_000, 0.15, 0.60, 0.075),
    _p("chatgpt-4o-latest", "openai", 128_000, 5.0, 15.0),
    _p("o1", "openai", 200_000, 15.0, 60.0, 7.50),
    _p("o1-mini", "openai", 128_000, 1.10, 4.40, 0.55),
    _p("o1-pro", "openai", 200_000, 150.0, 600.0),
    _p("o3", "openai", 200_000, 2.0, 8.0, 0.50),
    _p("o3-mini", "openai", 200_000, 1.10, 4.40, 0.55),
    _p("o3-pro", "openai", 200_000, 20.0, 80.0),
    _p("o4-mini", "openai", 200_000, 1.10, 4.40, 0.275),
    _p("gpt-4-turbo", "openai", 128_000, 10.0, 30.0),
    _p("gpt-4-1106-preview", "openai", 128_000, 10.0, 30.0),
    _p("gpt-4-0125-preview", "openai", 128_000, 10.0, 30.0),
    _p("gpt-4", "openai", 8 * _K, 30.0, 60.0),
    _p("gpt-4-32k", "openai", 32 * _K, 60.0, 120.0),
    _p("gpt-3.5-turbo", "openai", 16_385, 0.50, 1.50),
    _p("gpt-3.5-turbo-instruct", "openai", 4 * _K, 1.50, 2.0),
    _p("text-embedding-3-small", "openai", 8 * _K, 0.02, 0.0),
    _p("text-embedding-3-large", "openai", 8 * _K, 0.13, 0.0),
    _p("text-embedding-ada-002", "openai", 8 * _K, 0.10, 0.0),
    # -- Anthropic (cache read 0.1x input, 5-minute cache write 1.25x input) ---------------------
    _p("claude-opus-4-5", "anthropic", 200_000, 5.0, 25.0, 0.50, 6.25),
    _p("claude-opus-4-1", "anthropic", 200_000, 15.0, 75.0, 1.50, 18.75),
    _p("claude-opus-4", "anthropic", 200_000, 15.0, 75.0, 1.50, 18.75),
    _p("claude-sonnet-4-5", "anthropic", 200_000, 3.0, 15.0, 0.30, 3.75),
    _p("claude-sonnet-4", "anthropic", 200_000, 3.0, 15.0, 0.30, 3.75),
    _p("claude-haiku-4-5", "anthropic", 200_000, 1.0, 5.0, 0.10, 1.25),
    _p("claude-3-7-sonnet", "anthropic", 200_000, 3.0, 15.0, 0.30, 3.75),
    _p("claude-3-5-sonnet", "anthropic", 200_000, 3.0, 15.0, 0.30, 3.75),
    _p("claude-3-5-haiku", "anthropic", 200_000, 0.80, 4.0, 0.08, 1.0),
    _p("claude-3-opus", "anthropic", 200_000, 15.0, 75.0, 1.50, 18.75),
    _p("claude-3-sonnet", "anthropic", 200_000, 3.0, 15.0, 0.30, 3.75),
    _p("claude-3-haiku", "anthropic", 200_000, 0.25, 1.25, 0.03, 0.30),
    # -- Google ---------------------------------------------------------------------------------
    _p("gemini-2.5-pro", "google", 1_048_576, 1.25, 10.0, 0.31),
    _p("gemini-2.5-flash", "google", 1_048_576, 0.30, 2.50, 0.075),
    _p("gemini-2.5-flash-lite", "google", 1_048_576, 0.10, 0.40, 0.025),
    _p("gemini-2.0-flash", "google", 1_048_576, 0.10, 0.40, 0.025),
    _p("gemini-2.0-flash-lite", "google", 1_048_576, 0.075, 0.30),
    _p("gemini-1.5-pro", "google", 2_097_152, 1.25, 5.0, 0.3125),
    _p("gemini-1.5-flash", "google", 1_048_576, 0.075, 0.30, 0.01875),
    _p("gemini-1.5-flash-8b", "google", 1_048_576, 0.0375, 0.15, 0.01),
    # -- Meta Llama (typical hosted price) ------------------------------------------------------
    _p("llama-4-maverick", "meta", 1_048_576, 0.27, 0.85),
    _p("llama-4-scout", "meta", 327_680, 0.18, 0.59),
    _p("llama-3.3-70b", "meta", 131_072, 0.88, 0.88),
    _p("llama-3.2-3b", "meta", 131_072, 0.06, 0.06),
    _p("llama-3.2-1b", "meta", 131_072, 0.06, 0.06),
    _p("llama-3.1-405b", "meta", 131_072, 3.50, 3.50),
    _p("llama-3.1-70b", "meta", 131_072, 0.88, 0.88),
    _p("llama-3.1-8b", "meta", 131_072, 0.18, 0.18),
    _p("llama-3-70b", "meta", 8 * _K, 0.88, 0.88),
    _p("llama-3-8b", "meta", 8 * _K, 0.18, 0.18),
    # -- Mistral --------------------------------------------------------------------------------
    _p("mistral-large", "mistral", 131_072, 2.0, 6.0),
    _p("mistral-small", "mistral", 131_072, 0.10, 0.30),
    _p("codestral", "mistral", 262_144, 0.30, 0.90),
)

#: Every listed model by canonical name.
MODELS: dict[str, ModelPrice] = {m.name: m for m in _TABLE}

#: Other spellings seen in the wild (dots vs dashes, "latest" aliases).
_ALIASES: dict[str, str] = {
    "claude-3.5-sonnet": "claude-3-5-sonnet",
    "claude-3.5-haiku": "claude-3-5-haiku",
    "claude-3.7-sonnet": "claude-3-7-sonnet",
    "claude-sonnet-4.5": "claude-sonnet-4-5",
    "claude-haiku-4.5": "claude-haiku-4-5",
    "claude-opus-4.1": "claude-opus-4-1",
    "claude-opus-4.5": "claude-opus-4-5",
    "claude-4-sonnet": "claude-sonnet-4",
    "claude-4-opus": "claude-opus-4",
    "llama-3.3-70b-versatile": "llama-3.3-70b",
    "llama-3.1-8b-instant": "llama-3.1-8b",
}

# Prefixes a provider or gateway puts before the model name ("openai/gpt-4o",
# "meta-llama/Meta-Llama-3.1-8B-Instruct", "bedrock:anthropic.claude-3-haiku...").
_PREFIX = re.compile(r"^(?:[\w.-]+[/:])+")
_VENDOR = re.compile(r"^(?:meta-|anthropic\.|us\.anthropic\.|models/)")
_BOUNDARY = frozenset("-:@_ ")
_BY_LENGTH = sorted({*MODELS, *_ALIASES}, key=len, reverse=True)


def _canonical(model: str) -> str:
    name = model.strip().lower()
    name = _PREFIX.sub("", name)
    return _VENDOR.sub("", name)


@functools.lru_cache(maxsize=4096)
def _lookup(model: str) -> ModelPrice | None:
    name = _canonical(model)
    if name in MODELS:
        return MODELS[name]
    if name in _ALIASES:
        return MODELS[_ALIASES[name]]
    for known in _BY_LENGTH:
        if name.startswith(known) and name[len(known)] in _BOUNDARY:
            return MODELS[_ALIASES.get(known, known)]
    return None


def lookup(model: str | None) -> ModelPrice | None:
    """The registry entry for ``model``, matching dated or vendor-prefixed names by the longest
    listed prefix (``gpt-4o-2024-08-06`` → ``gpt-4o``, ``openai/gpt-4o-mini`` → ``gpt-4o-mini``).

    >>> lookup("anthropic/claude-3-5-sonnet-20241022").name
    'claude-3-5-sonnet'
    """
    if not model or not isinstance(model, str):
        return None
    return _lookup(model)


def estimate_cost(
    model: str | None,
    prompt_tokens: float | None,
    completion_tokens: float | None,
    cached_tokens: float | None = 0,
    cache_creation_tokens: float | None = 0,
) -> float | None:
    """USD cost of one call, or ``None`` when the model is unknown or no token count is given."""
    if prompt_tokens is None and completion_tokens is None:
        return None
    price = lookup(model)
    if price is None:
        return None
    return price.cost(
        prompt_tokens or 0,
        completion_tokens or 0,
        cached_tokens or 0,
        cache_creation_tokens or 0,
    )
