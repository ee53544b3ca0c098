from __future__ import annotations

import asyncio

import pytest
from pydantic_ai import Embedder
from pydantic_ai.embeddings.test import TestEmbeddingModel

from openloop.evals.scorers.embedding import AnswerSimilarity, EmbeddingSimilarity
from openloop.evals.scorers.registry import get_scorer

VECTORS = {"cat": [1.0, 0.0], "kitten": [0.96, 0.28], "car": [0.0, 1.0]}


def fake_embed(texts: list[str]) -> list[list[float]]:
    return [VECTORS[t] for t in texts]


def test_without_a_provider_every_row_says_what_is_missing() -> None:
    score = get_scorer("EmbeddingSimilarity").evaluate(output="cat", expected="kitten")
    assert score.score is None
    assert score.error == "EmbeddingSimilarity needs an embedding provider (pass embedder=...)"


def test_cosine_similarity_rescaled_from_expected_min() -> None:
    scorer = EmbeddingSimilarity(fake_embed)
    close = scorer.evaluate(output="cat", expected="kitten")
    assert close.metadata["similarity"] == pytest.approx(0.96)
    assert close.score == pytest.approx((0.96 - 0.7) / 0.3)
    assert scorer.evaluate(output="cat", expected="car").score == 0.0
    assert scorer.evaluate(output="cat", expected="cat").score == pytest.approx(1.0)


def test_async_embedders_and_provider_failures() -> None:
    async def embed(texts: list[str]) -> list[list[float]]:
        return fake_embed(texts)

    scorer = AnswerSimilarity(embed)
    assert asyncio.run(scorer.evaluate_async(output="cat", expected="cat")).score == pytest.approx(
        1.0
    )

    def broken(texts: list[str]) -> list[list[float]]:
        raise ConnectionError("embedding service unreachable")

    failed = AnswerSimilarity(broken).evaluate(output="cat", expected="cat")
    assert failed.score is None
    assert (
        failed.error == "embedding provider failed: ConnectionError: embedding service unreachable"
    )


def test_pydantic_ai_embedder_is_accepted() -> None:
    scorer = EmbeddingSimilarity(Embedder(TestEmbeddingModel()))
    score = scorer.evaluate(output="same text", expected="same text")
    assert score.error is None and score.score is not None and 0.0 <= score.score <= 1.0
