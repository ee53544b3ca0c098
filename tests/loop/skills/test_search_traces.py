"""search_traces: keyword search newest first; without the local embedding model, "meaning"
mode falls back to expanding into keywords and ranking by BM25 (the embedding path is in
test_search_traces_semantic.py)."""

from __future__ import annotations

import re

import pytest

from openloop.demo._tally import SEARCH_TERMS
from openloop.search import embeddings


@pytest.fixture
def lexical_only(monkeypatch) -> None:
    """Meaning mode as it runs when the embedding model package is not installed."""
    monkeypatch.setattr(embeddings, "MODEL_PACKAGE", "openloop_no_such_model_package")


def test_keyword_search_newest_first_and_bounded(demo) -> None:
    res = demo.run("search_traces", query="refund", days=15, limit=50)
    traces = res.data["traces"]
    assert len(traces) == min(50, demo.facts["questions_mentioning"]["refund"])
    created = [t["created"] for t in traces]
    assert created == sorted(created, reverse=True)
    text = " ".join(str(t["input"]) + str(t["output"]) for t in traces).lower()
    assert "refund" in text
    assert "<<<data from project logs" in res.text


def test_keyword_search_finds_every_planted_mention(demo) -> None:
    res = demo.run("search_traces", query="SCIM", days=15, limit=50)
    hits = [
        t
        for t in res.data["traces"]
        if re.search(SEARCH_TERMS["SCIM"], t["input"]["question"], re.I)
    ]
    assert len(hits) == demo.facts["questions_mentioning"]["SCIM"]


def test_meaning_mode_expands_and_ranks(demo, lexical_only) -> None:
    res = demo.run("search_traces", query="customers who want their money back", mode="meaning",
                   days=15, limit=5)  # fmt: skip
    assert "refund" in res.data["alternatives"]
    traces = res.data["traces"]
    assert len(traces) == 5
    scores = [t["score"] for t in traces]
    assert scores == sorted(scores, reverse=True)
    assert all(re.search(r"refund|charge", str(t["input"]), re.I) for t in traces)
    assert "BM25" in res.text


def test_model_alternatives_are_searched(demo, lexical_only) -> None:
    res = demo.run("search_traces", query="identity provisioning", mode="meaning",
                   alternatives=["SCIM"], days=15, limit=3)  # fmt: skip
    assert res.data["alternatives"][0] == "SCIM"
    assert all("scim" in str(t["input"]).lower() for t in res.data["traces"])


def test_no_match_is_explained(demo) -> None:
    res = demo.run("search_traces", query="zzqxv")
    assert res.data["traces"] == []
    assert "try other words" in res.text
