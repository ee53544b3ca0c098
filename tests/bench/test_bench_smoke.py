"""The benchmark harness at toy size: the generator plants its needles, and every operation of
the query benchmark — in our language and in hand-written SQL — returns the planted truth.
No timing is asserted here; speed is measured by ``python -m bench.query``."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench._gen import GEN_VERSION
from bench.query import run_suite


@pytest.fixture(scope="module")
def base(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("bench-data")


@pytest.fixture(scope="module")
def smoke(base: Path) -> dict:
    return run_suite("smoke", seed=3, warm=1, base=base, workers=1, compile_reps=2)


def test_the_cache_is_keyed_by_the_generator_version(smoke: dict, base: Path) -> None:
    assert [p.name for p in base.iterdir()] == [f"smoke-s3-g{GEN_VERSION}"]


def test_needles_are_planted(smoke: dict) -> None:
    n = smoke["needles"]
    assert smoke["spans"] >= 5_000
    assert n["phrase_spans"] > 0
    assert n["token_spans"] == 1
    assert n["big_trace_spans"] == 500


def test_every_operation_returns_the_planted_truth(smoke: dict) -> None:
    names = {o["name"] for o in smoke["ops"]}
    assert {"list_page", "hot_filter_count", "json_path", "rollup", "fulltext_page",
            "fulltext_token", "trace", "big_trace", "top_errors"} <= names  # fmt: skip
    failures = {o["name"]: o["checks"] for o in smoke["ops"] if not o["accepted"]}
    assert failures == {}
    assert smoke["all_checks_passed"]


def test_every_variant_was_timed_and_compiled(smoke: dict) -> None:
    for o in smoke["ops"]:
        assert {"ours", "ours_engine", "l0_sql"} <= set(o["times"]), o["name"]
        assert o["compiled_sql"].startswith(("SELECT", "WITH"))
    assert set(smoke["compile"]["per_query_us"]) == {o["name"] for o in smoke["ops"]}
