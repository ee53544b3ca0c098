"""The benchmark generator at toy size: its columns are exactly what ingest derives from the same
rows, its answer key is exact, it is reproducible, and its files are split into time buckets."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from bench._gen import (
    BUCKETS,
    DAY_US,
    PHRASE,
    RARE_MODEL,
    START_US,
    Facts,
    _Chunk,
    bucket_of,
    generate_chunk,
)
from bench._gencols import check_sample


@pytest.fixture(scope="module")
def chunk(tmp_path_factory: pytest.TempPathFactory) -> tuple[pa.Table, Facts, Path]:
    out = tmp_path_factory.mktemp("gen")
    facts = generate_chunk((5, 0, 4_000, 120, str(out)))
    files = sorted(out.rglob("*.parquet"))
    return pa.concat_tables([pq.read_table(f) for f in files]), facts, out


def test_every_column_equals_what_ingest_derives(chunk: tuple[pa.Table, Facts, Path]) -> None:
    table, _, _ = chunk
    assert check_sample(table, step=1) == table.num_rows


def test_a_changed_column_is_caught(chunk: tuple[pa.Table, Facts, Path]) -> None:
    table, _, _ = chunk
    i = table.schema.get_field_index("duration")
    bad = table.set_column(i, "duration", pa.array([1.0] * table.num_rows))
    with pytest.raises(AssertionError, match="duration"):
        check_sample(bad, step=1)


def _day(created: int) -> int:
    return (created - START_US) // DAY_US


def test_the_answer_key_is_exact(chunk: tuple[pa.Table, Facts, Path]) -> None:
    table, facts, _ = chunk
    created = table.column("created").cast(pa.int64()).to_pylist()
    rows = table.to_pylist()
    llm, errors, errors_model, router = Counter(), Counter(), Counter(), Counter()
    phrase, token_rows = [], []
    for c, r in zip(created, rows, strict=True):
        day = _day(c)
        if r["span_type"] == "llm":
            llm[(day, r["model"])] += 1
            if r["has_error"]:
                errors_model[(day, r["model"])] += 1
        if r["has_error"]:
            errors[(day, r["error_type"])] += 1
        if r["is_root"] and orjson.loads(r["output"])["steps"][1]["tool"] == "router":
            router[day] += 1
        text = " ".join(r[k] or "" for k in ("input", "output", "metadata", "error"))
        if PHRASE in text:
            phrase.append((c, r["id"]))
        if facts.token and facts.token[0] in text:
            token_rows.append(r["id"])
    assert facts.spans == table.num_rows
    assert facts.traces == sum(r["is_root"] for r in rows)
    assert facts.llm_by_day_model == llm
    assert facts.errors_by_day_type == errors
    assert facts.errors_by_day_model == errors_model
    assert facts.router_by_day == router
    assert sorted(facts.phrase) == sorted(phrase) and phrase
    assert facts.token is not None and len(facts.token[0]) == 32
    assert token_rows == [facts.token[1]]
    assert facts.rare_model == sum(r["model"] == RARE_MODEL for r in rows)
    per_trace = Counter(r["root_span_id"] for r in rows)
    assert facts.big_trace is not None and facts.big_trace[1] == 120
    assert per_trace[facts.big_trace[0]] == 120
    assert facts.sample_trace is not None
    assert per_trace[facts.sample_trace[0]] == facts.sample_trace[1]


def test_payloads_have_the_benchmark_shape(chunk: tuple[pa.Table, Facts, Path]) -> None:
    table, _, _ = chunk
    names = Counter(table.column("span_name").to_pylist())
    assert {"support_request", "retrieve_docs", "Chat Completion"} <= set(names)
    json_bytes = sum(
        sum(len(v) for v in table.column(c).to_pylist() if v)
        for c in ("input", "output", "metadata", "metrics", "span_attributes", "error")
    )
    assert 700 < json_bytes / table.num_rows < 1_000  # payloads alone; ~1.1 KB with the rest


def test_files_are_time_buckets_sorted_by_created(chunk: tuple[pa.Table, Facts, Path]) -> None:
    _, _, out = chunk
    files = sorted(out.rglob("*.parquet"))
    assert len(files) <= BUCKETS
    for f in files:
        created = pq.read_table(f, columns=["created"]).column(0).cast(pa.int64()).to_numpy()
        assert list(created) == sorted(created)
        assert set(bucket_of(created).tolist()) == {int(f.parent.name[1:])}


def test_a_chunk_is_reproducible_from_seed_and_index() -> None:
    a, b, other = _Chunk(7, 2, 800, 0), _Chunk(7, 2, 800, 0), _Chunk(7, 3, 800, 0)
    first = a.build()
    assert first.equals(b.build())
    assert a.facts == b.facts
    assert not first.equals(other.build())
