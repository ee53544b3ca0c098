"""Embedding scorers: cosine similarity of ``output`` and ``expected`` embeddings.

They need an embedding provider: a pydantic-ai ``Embedder`` (or embedding model name, e.g.
``"openai:text-embedding-3-small"``) or any callable taking a list of texts and returning their
vectors (sync or async). Without one, every row gets an error saying so.

The raw cosine similarity is rescaled so that ``expected_min`` (the similarity two unrelated
texts typically have with the model) maps to 0 and 1 stays 1.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
from collections.abc import Callable, Sequence
from typing import Any

from openloop.evals.score import Score
from openloop.evals.scorers.registry import ScorerSpec, register_scorer
from openloop.evals.templates import to_text

logger = logging.getLogger(__name__)

__all__ = ["AnswerSimilarity", "EmbeddingSimilarity", "cosine_similarity"]

Embed = Callable[[list[str]], Any]


def cosine_similarity(a: Sequence[float], b: Sequence[float]) -> float:
    if len(a) != len(b):
        raise ValueError(f"embeddings have different sizes ({len(a)} and {len(b)})")
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return dot / norm if norm else 0.0


class EmbeddingSimilarity:
    name = "EmbeddingSimilarity"
    needs_embedding_provider = True

    def __init__(
        self,
        embedder: Any = None,
        *,
        prefix: str = "",
        expected_min: float = 0.7,
    ) -> None:
        self.embedder = embedder
        self.prefix = prefix
        self.expected_min = expected_min

    async def _embed(self, texts: list[str]) -> list[Sequence[float]]:
        embedder = self.embedder
        if isinstance(embedder, str):
            from pydantic_ai import Embedder

            embedder = Embedder(embedder)
        if hasattr(embedder, "embed_documents"):
            result = await embedder.embed_documents(texts)
            return list(result.embeddings)
        vectors = embedder(texts)
        if inspect.isawaitable(vectors):
            vectors = await vectors
        return list(vectors)

    async def evaluate_async(
        self,
        *,
        input: Any = None,
        output: Any = None,
        expected: Any = None,
        metadata: Any = None,
        **kwargs: Any,
    ) -> Score:
        if self.embedder is None:
            return Score.failure(
                self.name, f"{self.name} needs an embedding provider (pass embedder=...)"
            )
        if expected is None:
            return Score.failure(self.name, f"{self.name} needs an expected value")
        texts = [self.prefix + to_text(output or ""), self.prefix + to_text(expected)]
        try:
            first, second = await self._embed(texts)
            similarity = cosine_similarity(first, second)
        except Exception as exc:  # the provider's failure belongs on the row, not the run
            logger.info("scorer.embedding.error name=%s error=%s", self.name, type(exc).__name__)
            return Score.failure(
                self.name, f"embedding provider failed: {type(exc).__name__}: {exc}"
            )
        span = 1.0 - self.expected_min
        scaled = (similarity - self.expected_min) / span if span > 0 else float(similarity >= 1.0)
        return Score(self.name, min(1.0, max(0.0, scaled)), {"similarity": similarity})

    def evaluate(self, **kwargs: Any) -> Score:
        return asyncio.run(self.evaluate_async(**kwargs))


class AnswerSimilarity(EmbeddingSimilarity):
    """RAG-style semantic similarity of an answer to the reference answer."""

    name = "AnswerSimilarity"

    def __init__(self, embedder: Any = None, *, expected_min: float = 0.7) -> None:
        super().__init__(embedder, expected_min=expected_min)


register_scorer(
    ScorerSpec(
        "EmbeddingSimilarity",
        "embedding",
        "Cosine similarity of output and expected embeddings (needs an embedding provider)",
        ("output", "expected"),
        factory=EmbeddingSimilarity,
        builtin=True,
    )
)
register_scorer(
    ScorerSpec(
        "AnswerSimilarity",
        "embedding",
        "Semantic similarity of the answer to the reference answer (needs an embedding provider)",
        ("output", "expected"),
        factory=AnswerSimilarity,
        builtin=True,
    )
)
