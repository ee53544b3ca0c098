"""Small helpers shared by the demo generators: deterministic ids, timestamps and model cost."""

from __future__ import annotations

import hashlib
import logging
import math
import random
import uuid
from collections.abc import Callable
from datetime import UTC, datetime

__all__ = ["MODELS", "CostFn", "Ids", "cost_function", "iso", "lognormal"]

logger = logging.getLogger(__name__)

CostFn = Callable[[str, int, int, int], float]

#: model -> (provider, USD per million input, cached input, output tokens).
MODELS: dict[str, tuple[str, float, float, float]] = {
    "gpt-4o": ("openai", 2.50, 1.25, 10.00),
    "gpt-4o-mini": ("openai", 0.15, 0.075, 0.60),
    "claude-3-5-sonnet": ("anthropic", 3.00, 0.30, 15.00),
    "claude-3-5-haiku": ("anthropic", 0.80, 0.08, 4.00),
}


class Ids:
    """UUIDs drawn from the generator's own random stream, so a seed reproduces them.

    ``scope`` (the project id when loading) is mixed in so that two demo projects never share
    row ids while their content stays identical.
    """

    def __init__(self, rng: random.Random, scope: str = "") -> None:
        self._rng = rng
        digest = hashlib.sha256(scope.encode()).digest()[:16]
        self._mask = int.from_bytes(digest, "big") if scope else 0

    def new(self) -> str:
        return str(uuid.UUID(int=self._rng.getrandbits(128) ^ self._mask, version=4))

    def short(self, n: int = 12) -> str:
        return f"{self._rng.getrandbits(4 * n):0{n}x}"


def iso(ts: float) -> str:
    """Unix seconds → ISO-8601 UTC with microseconds."""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="microseconds")


def lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0.0, sigma))


def _local_cost(model: str, prompt: int, completion: int, cached: int) -> float:
    _, rate_in, rate_cached, rate_out = MODELS[model]
    uncached = max(prompt - cached, 0)
    return (uncached * rate_in + cached * rate_cached + completion * rate_out) / 1_000_000


def cost_function() -> CostFn:
    """The platform's price table when it is installed, else the small table above."""
    try:
        from openloop.llm.prices import estimate_cost  # type: ignore[import-not-found]
    except ImportError:
        return _local_cost

    def cost(model: str, prompt: int, completion: int, cached: int) -> float:
        try:
            value = estimate_cost(model, prompt, completion, cached_tokens=cached)
        except Exception:  # an unknown model in someone else's table must not stop the demo
            logger.debug("demo.cost fallback model=%s", model)
            value = None
        return float(value) if value is not None else _local_cost(model, prompt, completion, cached)

    return cost
