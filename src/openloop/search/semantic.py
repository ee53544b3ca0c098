"""Finding traces by meaning: local sentence embeddings and cosine similarity.

The candidates are the visible root spans of one project in a time window, newest first and at
most :data:`MAX_CANDIDATES`, read through the one query path
(:func:`openloop.services.query.run_user_query`), so access rules and deletions apply exactly as
for any query. Each candidate's text (its input, output and error, flattened and truncated) is
embedded with the local all-MiniLM-L6-v2 encoder (:mod:`openloop.search.embeddings`) and the
vector is kept in a small SQLite cache under ``<data_dir>/embeddings/``, keyed by the row
version's ``_pagination_key`` (a new version of a row has a new key, so the cache never serves
stale text). The request, and any alternative phrasings, are embedded the same way; a trace's
score is its best cosine similarity to any of them.

Embedding is lazy and bounded: one search embeds new candidates newest first for at most
``budget_seconds`` and ranks the candidates that have a vector; the result says how many that
is, and later searches embed the rest. Nothing leaves the machine.
"""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections.abc import Iterable, Sequence
from contextlib import closing
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .embeddings import DIM, MODEL_NAME, Encoder

if TYPE_CHECKING:
    from openloop.auth import Principal
    from openloop.services import Services

__all__ = ["MAX_CANDIDATES", "MIN_SCORE", "VectorCache", "document_text", "search_by_meaning"]

logger = logging.getLogger(__name__)

#: Most root spans one search considers (the newest of the window).
MAX_CANDIDATES = 3000
#: Characters of input, and separately of output, that are embedded (about 100 tokens each).
PART_CHARS = 400
#: Seconds one search may spend embedding candidates that have no cached vector.
BUDGET_SECONDS = 20.0
#: Cosine similarity below which a trace is not reported as related (unrelated texts score
#: about 0.0-0.2 with this model, paraphrases 0.4 and up).
MIN_SCORE = 0.25
#: Texts embedded between two budget checks.
_CHUNK = 64
#: Keys per ``IN`` list when fetching candidate texts or cached vectors.
_KEYS_PER_QUERY = 500
#: Bump when :func:`document_text` changes, so older vectors are not reused.
_TEXT_VERSION = 1


def _literal(value: str) -> str:
    return "'" + str(value).replace("\\", "\\\\").replace("'", "''") + "'"


def _leaves(value: Any, out: list[str], key: str = "") -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            _leaves(v, out, str(k))
    elif isinstance(value, list | tuple):
        for v in value:
            _leaves(v, out, key)
    elif isinstance(value, str):
        # Identifiers ("user_id": "u_1115") carry no meaning and only dilute the text.
        if not (key == "id" or key.endswith("_id")) and value.strip():
            out.append(value)
    elif value is not None and not isinstance(value, bool):
        out.append(str(value))


def _flat(value: Any, limit: int) -> str:
    if value is None:
        return ""
    parsed = value
    if isinstance(value, str) and value[:1] in "{[":
        try:
            parsed = json.loads(value)
        except ValueError:
            parsed = value
    parts: list[str] = []
    _leaves(parsed, parts)
    return " ".join(" ".join(parts).split())[:limit]


def document_text(row: dict[str, Any]) -> str:
    """What is embedded for one root span: its input, then its output, then its error (each
    flattened to the text of its values and truncated)."""
    pieces = [_flat(row.get("input"), PART_CHARS), _flat(row.get("output"), PART_CHARS),
              _flat(row.get("error"), PART_CHARS // 2)]  # fmt: skip
    return "\n".join(p for p in pieces if p)


class VectorCache:
    """Embeddings of row versions in one SQLite file, ``_pagination_key -> float32 vector``.
    Safe to share between threads and processes (one connection per call)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        with closing(self._connect()) as db, db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute(
                "CREATE TABLE IF NOT EXISTS vectors (pkey INTEGER PRIMARY KEY, vec BLOB NOT NULL)"
            )

    @classmethod
    def for_data_dir(cls, data_dir: Path) -> VectorCache:
        return cls(Path(data_dir) / "embeddings" / f"{MODEL_NAME}-t{_TEXT_VERSION}.sqlite")

    def _connect(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.path, timeout=30)
        db.execute("PRAGMA busy_timeout=30000")
        return db

    def get(self, keys: Sequence[int]) -> dict[int, np.ndarray]:
        out: dict[int, np.ndarray] = {}
        with closing(self._connect()) as db:
            for start in range(0, len(keys), _KEYS_PER_QUERY):
                chunk = [int(k) for k in keys[start : start + _KEYS_PER_QUERY]]
                marks = ", ".join("?" * len(chunk))
                rows = db.execute(f"SELECT pkey, vec FROM vectors WHERE pkey IN ({marks})", chunk)
                for pkey, vec in rows:
                    out[int(pkey)] = np.frombuffer(vec, dtype=np.float32)
        return out

    def put(self, items: Iterable[tuple[int, np.ndarray]]) -> None:
        rows = [(int(k), np.asarray(v, dtype=np.float32).tobytes()) for k, v in items]
        with closing(self._connect()) as db, db:
            db.executemany("INSERT OR REPLACE INTO vectors (pkey, vec) VALUES (?, ?)", rows)


def _candidates(svc: Services, p: Principal, project: str, days: int,
                max_candidates: int) -> tuple[list[dict[str, Any]], str]:  # fmt: skip
    from openloop.services.query import run_user_query

    src = f"project_logs({_literal(project)})"
    text = (f"SELECT _pagination_key, root_span_id, id, created FROM {src} WHERE is_root AND "
            f"created > now() - interval {int(days)} day ORDER BY created DESC "
            f"LIMIT {int(max_candidates)}")  # fmt: skip
    return run_user_query(svc, p, text, project=project)["data"], text


def _texts(svc: Services, p: Principal, project: str, days: int,
           keys: Sequence[int]) -> dict[int, dict[str, Any]]:  # fmt: skip
    from openloop.services.query import run_user_query

    src = f"project_logs({_literal(project)})"
    rows: dict[int, dict[str, Any]] = {}
    for start in range(0, len(keys), _KEYS_PER_QUERY):
        chunk = [int(k) for k in keys[start : start + _KEYS_PER_QUERY]]
        text = (f"SELECT _pagination_key, input, output, error FROM {src} WHERE is_root AND "
                f"created > now() - interval {int(days)} day AND _pagination_key IN "
                f"({', '.join(str(k) for k in chunk)}) LIMIT {len(chunk)}")  # fmt: skip
        for row in run_user_query(svc, p, text, project=project)["data"]:
            rows[int(row["_pagination_key"])] = row
    return rows


def search_by_meaning(svc: Services, p: Principal, project: str, request: str, *,
                      encoder: Encoder, days: int, limit: int = 10,
                      alternatives: Sequence[str] = (), max_candidates: int = MAX_CANDIDATES,
                      budget_seconds: float = BUDGET_SECONDS,
                      min_score: float = MIN_SCORE) -> dict[str, Any]:  # fmt: skip
    """The ``limit`` root spans of ``project`` (last ``days`` days) whose text is closest in
    meaning to ``request`` or one of ``alternatives`` (cosine ``score`` at least
    ``min_score``), best first; plus how many candidates there were, how many could be ranked
    and the best score seen (``best_score``, also when nothing reached ``min_score``)."""
    started = time.perf_counter()
    max_candidates = max(1, min(max_candidates, svc.settings.query_max_limit))
    rows, candidate_query = _candidates(svc, p, project, days, max_candidates)
    keys = [int(r["_pagination_key"]) for r in rows]
    cache = VectorCache.for_data_dir(svc.settings.data_dir)
    vectors = cache.get(keys)
    missing = [k for k in keys if k not in vectors]  # newest first
    embedded = 0
    texts_by_key: dict[int, dict[str, Any]] = {}
    for start in range(0, len(missing), _CHUNK):
        if start and time.perf_counter() - started > budget_seconds:
            break
        chunk = missing[start : start + _CHUNK]
        texts_by_key.update(_texts(svc, p, project, days, chunk))
        present = [k for k in chunk if k in texts_by_key]
        docs = [document_text(texts_by_key[k]) for k in present]
        if not present:
            continue
        vecs = encoder.encode(docs)
        cache.put(zip(present, vecs, strict=True))
        vectors.update(zip(present, vecs, strict=True))
        embedded += len(present)
    ranked_rows = [r for r in rows if int(r["_pagination_key"]) in vectors]
    phrasings = list(dict.fromkeys(s.strip() for s in [request, *alternatives] if s.strip()))
    traces: list[dict[str, Any]] = []
    best: float | None = None
    if ranked_rows:
        matrix = np.stack([vectors[int(r["_pagination_key"])] for r in ranked_rows])
        scores = (matrix @ encoder.encode(phrasings).T).max(axis=1)
        best = round(float(scores.max()), 3)
        top = [i for i in np.argsort(-scores, kind="stable")[:limit] if scores[i] >= min_score]
        need = [int(ranked_rows[i]["_pagination_key"]) for i in top]
        lacking = [k for k in need if k not in texts_by_key]
        texts_by_key.update(_texts(svc, p, project, days, lacking) if lacking else {})
        for i in top:
            row = ranked_rows[int(i)]
            body = texts_by_key.get(int(row["_pagination_key"]), {})
            traces.append({"root_span_id": row["root_span_id"], "id": row["id"],
                           "created": row["created"], "input": body.get("input"),
                           "output": body.get("output"), "error": body.get("error"),
                           "score": round(float(scores[int(i)]), 3)})  # fmt: skip
    ms = (time.perf_counter() - started) * 1e3
    logger.info("search.semantic candidates=%d ranked=%d embedded=%d ms=%.0f",
                len(rows), len(ranked_rows), embedded, ms)  # fmt: skip
    return {"engine": "embeddings", "model": MODEL_NAME, "dim": DIM, "alternatives": phrasings,
            "queries": [candidate_query], "candidates": len(rows), "ranked": len(ranked_rows),
            "embedded_now": embedded, "complete": len(ranked_rows) == len(rows),
            "best_score": best, "min_score": min_score, "traces": traces}  # fmt: skip
