"""Build (once per size and seed) the query benchmark's data: Parquet chunks, the product store
and the L0 "ideal" table, all cached under ``bench/data/<name>-s<seed>-g<generator version>/``.

* **Store.** The ``rows`` table is created with the store's own DDL
  (:func:`openloop.store.data._schema.create_statements`) and filled straight from Parquet (the
  write path is for ingest-sized batches, not 10 M rows); the ART indexes are created after the
  load, then :class:`~openloop.store.data.duckdb.DuckDBStore` is opened, which indexes every
  row for full-text search through its own backlog path. ``_pagination_key`` follows the
  store's rule (milliseconds << 20 plus a sequence), so rows are in time order. The Parquet
  files are split into time buckets (:data:`bench._gen.BUCKETS`); each bucket is sorted and
  appended on its own, so no step ever sorts or holds the whole dataset.
* **L0.** A separate DuckDB file with one narrow ``spans`` table: hot fields as typed columns,
  payloads as JSON text, ordered by ``created``, an ART index on ``trace_id``. Hand-written SQL
  runs on it: the physical limit of the engine on this data.

The cache directory is keyed by size, seed and :data:`bench._gen.GEN_VERSION`, so data of an
older generator is never reused.
"""

from __future__ import annotations

import json
import logging
import multiprocessing as mp
import os
import shutil
import time
from dataclasses import fields
from pathlib import Path
from typing import Any

import duckdb

from bench._gen import BUCKETS, GEN_VERSION, Facts, generate_chunk, plan_chunks
from openloop.settings import Settings
from openloop.store.data import _schema
from openloop.store.data.duckdb import DuckDBStore

__all__ = ["ORG", "PROJECT", "SIZES", "Dataset", "prepare"]

logger = logging.getLogger(__name__)

ORG, PROJECT = "bench-org", "bench-project"
SIZES = {"smoke": 5_000, "50k": 50_000, "1M": 1_000_000, "10M": 10_000_000}
_XACT = 1_000_000


class Dataset:
    """Paths and facts of one prepared dataset."""

    def __init__(self, root: Path, facts: Facts, phases: dict[str, Any]) -> None:
        self.root = root
        self.facts = facts
        self.phases = phases

    @property
    def settings(self) -> Settings:
        return Settings(data_dir=self.root / "store")

    @property
    def l0_path(self) -> Path:
        return self.root / "l0.duckdb"

    @property
    def parquet_glob(self) -> str:
        return str(self.root / "parts" / "*" / "*.parquet")

    def bucket_globs(self) -> list[str]:
        """One glob per non-empty time bucket, oldest first."""
        dirs = [self.root / "parts" / f"b{b:02d}" for b in range(BUCKETS)]
        return [str(d / "*.parquet") for d in dirs if any(d.glob("*.parquet"))]


def _facts_to_json(f: Facts) -> dict[str, Any]:
    d: dict[str, Any] = {}
    for k in fields(f):
        v = getattr(f, k.name)
        if isinstance(v, dict):  # Counters with tuple keys -> [*key, n] rows
            v = [[*(key if isinstance(key, tuple) else (key,)), n] for key, n in v.items()]
        d[k.name] = v
    return d


def _facts_from_json(d: dict[str, Any]) -> Facts:
    f = Facts()
    for k, v in d.items():
        cur = getattr(f, k)
        if isinstance(cur, dict):
            for *key, n in v:
                cur[tuple(key) if len(key) > 1 else key[0]] = n
        elif k == "phrase":
            f.phrase = [tuple(x) for x in v]  # type: ignore[misc]
        else:
            setattr(f, k, tuple(v) if isinstance(v, list) else v)
    return f


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _generate(root: Path, n_spans: int, seed: int, workers: int) -> Facts:
    parts = root / "parts"
    shutil.rmtree(parts, ignore_errors=True)
    parts.mkdir(parents=True)
    targets = plan_chunks(n_spans)
    big = min(10_000, max(n_spans // 10, 50))
    jobs = [(seed, i, t, big if i == 0 else 0, str(parts)) for i, t in enumerate(targets)]
    facts = Facts()
    if workers > 1 and len(jobs) > 1:
        with mp.get_context("spawn").Pool(workers) as pool:
            for f in pool.imap(generate_chunk, jobs):
                facts.merge(f)
    else:
        for job in jobs:
            facts.merge(generate_chunk(job))
    return facts


def _load_store(ds: Dataset) -> None:
    settings = ds.settings
    shutil.rmtree(settings.data_dir, ignore_errors=True)
    settings.data_dir.mkdir(parents=True)
    con = duckdb.connect(str(settings.duckdb_path))
    stmts = _schema.create_statements()
    for stmt in stmts:
        if not stmt.startswith("CREATE INDEX"):
            con.execute(stmt)
    system = {
        "org_id": f"'{ORG}'",
        "project_id": f"'{PROJECT}'",
        "object_type": "'project_logs'",
        "object_id": f"'{PROJECT}'",
        "_xact_id": str(_XACT),
        "_pagination_key": "(epoch_ms(created) << 20) + _seq",
        "_superseded_by": "NULL::BIGINT",
    }
    cols = ", ".join(system.get(f.name, f'"{f.name}"') for f in _schema.ARROW_SCHEMA)
    # Buckets are whole days, so a millisecond (and its _seq numbering) never spans two. One
    # transaction: a commit per bucket would cost a third more CPU (WAL + checkpoint each).
    con.begin()
    for glob in ds.bucket_globs():
        con.execute(
            f"INSERT INTO rows SELECT {cols} FROM (SELECT *, row_number() OVER "
            f"(PARTITION BY epoch_ms(created) ORDER BY id) - 1 AS _seq "
            f"FROM read_parquet('{glob}')) ORDER BY created, id"
        )
    con.commit()
    for stmt in stmts:
        if stmt.startswith("CREATE INDEX"):
            con.execute(stmt)
    con.execute("CHECKPOINT")
    con.close()


def _index_store(ds: Dataset) -> None:
    """Open the store: its full-text indexer picks up every row as backlog."""
    store = DuckDBStore.open(ds.settings)
    try:
        if not store.wait_indexed(timeout=4 * 3600):
            raise RuntimeError("full-text indexing did not finish")
    finally:
        store.close()


def _load_l0(ds: Dataset) -> None:
    ds.l0_path.unlink(missing_ok=True)
    con = duckdb.connect(str(ds.l0_path))
    select = (
        "SELECT span_id, root_span_id AS trace_id, "
        "span_parents[1] AS parent_id, created, span_name AS name, span_type AS type, model, "
        "provider, user_id, session_id, prompt_tokens, completion_tokens, total_tokens, "
        "estimated_cost AS cost, duration, has_error, error_type, error, input, output, "
        "metadata, span_attributes, scores, tags FROM read_parquet('{}') ORDER BY created"
    )
    con.begin()
    for i, glob in enumerate(ds.bucket_globs()):
        head = "INSERT INTO spans " if i else "CREATE TABLE spans AS "
        con.execute(head + select.format(glob))
    con.commit()
    con.execute("CREATE INDEX spans_trace_idx ON spans (trace_id)")
    con.execute("CHECKPOINT")
    con.close()


def prepare(
    size: str, seed: int, base: Path, *, workers: int = 2, rebuild: bool = False
) -> Dataset:
    """The dataset for ``size``/``seed``, generating and loading only what is not cached."""
    root = base / f"{size}-s{seed}-g{GEN_VERSION}"
    root.mkdir(parents=True, exist_ok=True)
    meta_path = root / "meta.json"
    meta: dict[str, Any] = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    if rebuild:
        meta = {}
    phases: dict[str, Any] = meta.get("phases", {})

    def save() -> None:
        meta["phases"] = phases
        meta_path.write_text(json.dumps(meta))

    if "facts" not in meta:
        t0, phases["generate"] = time.perf_counter(), {"load_1m_before": _load()}
        facts = _generate(root, SIZES[size], seed, workers)
        phases["generate"]["seconds"] = round(time.perf_counter() - t0, 1)
        meta["facts"] = _facts_to_json(facts)
        meta.pop("store", None), meta.pop("indexed", None), meta.pop("l0", None)
        save()
    ds = Dataset(root, _facts_from_json(meta["facts"]), phases)
    for step, fn in (("store", _load_store), ("indexed", _index_store), ("l0", _load_l0)):
        if not meta.get(step):
            before = _load()
            t0 = time.perf_counter()
            logger.info("bench.prepare step=%s size=%s", step, size)
            fn(ds)
            phases[step] = {"seconds": round(time.perf_counter() - t0, 1), "load_1m_before": before}
            meta[step] = True
            save()
    sizes = {p.name: sum(f.stat().st_size for f in p.rglob("*") if f.is_file())
             for p in (root / "parts", root / "store")}  # fmt: skip
    sizes["l0.duckdb"] = ds.l0_path.stat().st_size
    phases["bytes"] = sizes
    return ds
