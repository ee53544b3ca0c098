"""The model price registry."""

from __future__ import annotations

import math

import pytest

from openloop.llm.prices import MODELS, estimate_cost, lookup


@pytest.mark.parametrize(
    ("name", "canonical"),
    [
        ("gpt-4o", "gpt-4o"),
        ("gpt-4o-2024-08-06", "gpt-4o"),
        ("gpt-4o-mini-2024-07-18", "gpt-4o-mini"),
        ("openai/gpt-4.1-mini", "gpt-4.1-mini"),
        ("gpt-4-1106-preview", "gpt-4-1106-preview"),
        ("claude-3-5-sonnet-20241022", "claude-3-5-sonnet"),
        ("anthropic:claude-sonnet-4-20250514", "claude-sonnet-4"),
        ("claude-3.5-haiku", "claude-3-5-haiku"),
        ("models/gemini-2.5-flash", "gemini-2.5-flash"),
        ("gemini-2.5-flash-lite-preview", "gemini-2.5-flash-lite"),
        ("meta-llama/Meta-Llama-3.1-8B-Instruct-Turbo", "llama-3.1-8b"),
        ("Llama-3.3-70B-Versatile", "llama-3.3-70b"),
    ],
)
def test_lookup_resolves_vendor_and_dated_names(name: str, canonical: str) -> None:
    found = lookup(name)
    assert found is not None and found.name == canonical


@pytest.mark.parametrize("name", ["", None, "gpt-4o1", "my-fine-tune", "claude"])
def test_unknown_models_have_no_price(name: str | None) -> None:
    assert lookup(name) is None
    assert estimate_cost(name, 100, 100) is None


def test_cost_formula_with_cache_reads_and_writes() -> None:
    # claude-3-5-sonnet: input 3, output 15, cache read 0.30, cache write 3.75 per million
    cost = estimate_cost("claude-3-5-sonnet", 10_000, 1_000, cached_tokens=4_000,
                         cache_creation_tokens=2_000)  # fmt: skip
    expected = (4_000 * 3 + 4_000 * 0.30 + 2_000 * 3.75 + 1_000 * 15) / 1e6
    assert cost is not None and math.isclose(cost, expected)


def test_missing_cache_price_falls_back_to_input_rate() -> None:
    assert math.isclose(estimate_cost("gpt-4", 1_000, 0, cached_tokens=500) or 0, 0.03)


def test_no_tokens_means_no_estimate() -> None:
    assert estimate_cost("gpt-4o", None, None) is None
    assert estimate_cost("gpt-4o", 0, 0) == 0


def test_every_entry_is_sane() -> None:
    for model in MODELS.values():
        assert model.context_tokens >= 4096
        assert 0 <= model.input <= 200 and 0 <= model.output <= 700
        if model.cached_input is not None:
            assert model.cached_input <= model.input
