"""The scorer contract and registry: the one file that shows what a scorer is and how OpenLoop
finds one by name.

A **scorer** is any object with a ``name`` and ``evaluate(*, input, output, expected, metadata,
**kwargs) -> Score`` (plus an awaitable ``evaluate_async``). A **spec** says how to build one:
its name, kind, a one-line description, the row arguments it reads, and a factory taking the
scorer's options. Built-in scorers register through :func:`register_scorer` exactly as a third
party would::

    from openloop.evals.scorers.registry import ScorerSpec, register_scorer

    register_scorer(ScorerSpec(
        name="Shouting", kind="heuristic", description="Share of upper-case letters",
        args=("output",), factory=lambda **options: Shouting(**options),
    ))

Kinds: ``heuristic`` (pure computation), ``llm`` (an LLM judge), ``rag`` (an LLM judge over
retrieved ``context``), ``embedding`` (needs an embedding provider), ``moderation`` (calls a
provider's moderation endpoint).

A scorer that needs something of the organization it runs for (a provider, a key) gives its
spec a ``bind(services, org_id, options) -> options`` hook; the platform calls it before the
factory, so ``{"provider": "oa"}`` can become a resolved provider. Outside the platform the
factory is called with the options as given.
"""

from __future__ import annotations

import difflib
import importlib
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from openloop.errors import Conflict, NotFound
from openloop.evals.score import Score

logger = logging.getLogger(__name__)

__all__ = [
    "Scorer",
    "ScorerInfo",
    "ScorerKind",
    "ScorerSpec",
    "get_scorer",
    "get_scorer_spec",
    "list_builtin_scorers",
    "list_scorers",
    "register_scorer",
    "unregister_scorer",
]

ScorerKind = Literal["heuristic", "llm", "embedding", "rag", "moderation"]

# Modules whose import registers the built-in scorers. Loaded lazily so that importing the
# registry stays cheap and free of cycles.
_BUILTIN_MODULES = (
    "openloop.evals.scorers.heuristic",
    "openloop.evals.scorers.embedding",
    "openloop.evals.scorers.judges",
    "openloop.evals.scorers.moderation",
)


@runtime_checkable
class Scorer(Protocol):
    """What the experiment runner calls for every row."""

    name: str

    def evaluate(
        self,
        *,
        input: Any = None,
        output: Any = None,
        expected: Any = None,
        metadata: Any = None,
        **kwargs: Any,
    ) -> Score: ...

    async def evaluate_async(self, **kwargs: Any) -> Score: ...


@dataclass(frozen=True)
class ScorerSpec:
    """How to build a scorer by name. ``args`` are the row fields it reads (``input``,
    ``output``, ``expected``, ``context``, ...); ``factory(**options)`` returns a Scorer.
    ``bind(services, org_id, options)``, when set, turns organization-level options into
    factory options before the platform builds the scorer."""

    name: str
    kind: ScorerKind
    description: str
    args: tuple[str, ...]
    factory: Callable[..., Scorer]
    builtin: bool = False
    bind: Callable[[Any, str, dict[str, Any]], dict[str, Any]] | None = None


@dataclass(frozen=True)
class ScorerInfo:
    """What the UI, the API and Loop show about a scorer."""

    name: str
    kind: ScorerKind
    description: str
    args: list[str]


_registry: dict[str, ScorerSpec] = {}
_lock = threading.RLock()
_builtins_loaded = False


def _load_builtins() -> None:
    global _builtins_loaded
    if _builtins_loaded:
        return
    with _lock:
        if _builtins_loaded:
            return
        _builtins_loaded = True
        for module in _BUILTIN_MODULES:
            importlib.import_module(module)


def register_scorer(spec: ScorerSpec, *, replace: bool = False) -> ScorerSpec:
    """Add ``spec`` to the registry. A taken name raises ``Conflict`` unless ``replace``."""
    with _lock:
        existing = _registry.get(spec.name)
        if existing is not None and not replace and existing != spec:
            raise Conflict(f"a scorer named {spec.name!r} is already registered", name=spec.name)
        _registry[spec.name] = spec
    logger.debug("scorer.register name=%s kind=%s", spec.name, spec.kind)
    return spec


def unregister_scorer(name: str) -> None:
    """Remove a scorer (tests and plugins that reload); unknown names are ignored."""
    with _lock:
        _registry.pop(name, None)


def get_scorer_spec(name: str) -> ScorerSpec:
    """The spec registered under ``name``; ``NotFound`` suggests close names."""
    _load_builtins()
    with _lock:
        spec = _registry.get(name)
        names = list(_registry)
    if spec is None:
        lowered = {n.lower(): n for n in names}
        if name.lower() in lowered:
            return _registry[lowered[name.lower()]]
        suggestions = difflib.get_close_matches(name, names, n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(suggestions)}?" if suggestions else ""
        raise NotFound(f"no scorer named {name!r}{hint}", suggestions=suggestions or None)
    return spec


def get_scorer(name: str, **options: Any) -> Scorer:
    """Build the scorer registered under ``name`` with ``options`` (e.g. ``model=...``).

    >>> get_scorer("ExactMatch").evaluate(output="a", expected="a").score
    1.0
    """
    return get_scorer_spec(name).factory(**options)


def _info(spec: ScorerSpec) -> ScorerInfo:
    return ScorerInfo(spec.name, spec.kind, spec.description, list(spec.args))


def list_scorers() -> list[ScorerInfo]:
    """Every registered scorer, built-in or not, by kind then name."""
    _load_builtins()
    with _lock:
        specs = list(_registry.values())
    return [_info(s) for s in sorted(specs, key=lambda s: (s.kind, s.name))]


def list_builtin_scorers() -> list[ScorerInfo]:
    """The scorers OpenLoop ships, by kind then name."""
    _load_builtins()
    with _lock:
        specs = [s for s in _registry.values() if s.builtin]
    return [_info(s) for s in sorted(specs, key=lambda s: (s.kind, s.name))]
