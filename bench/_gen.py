"""Deterministic span generator for the query benchmark, with planted needles of known counts.

Traces are shaped like the demo project: a root ``support_request`` task span, a
``retrieve_docs`` tool span, one to eight ``Chat Completion`` llm spans and sometimes an action
tool span, over 30 days with a daily cycle. Text is drawn from a Zipf vocabulary of synthetic
words made of consonant-vowel syllables, so no generated word can be ``over``, ``the`` or
``rainbow`` and no generated word is 32 characters long: the needles below occur exactly where
they are planted.

Needles (counted as they are planted, see :class:`Facts`):

* the phrase ``over the rainbow`` in ~0.1 % of spans (llm outputs);
* one 32-character token in exactly one span;
* a rare model ``gpt-rare-needle`` on ~0.01 % of spans;
* one big trace (10,000 spans, fewer at toy sizes);
* ~2 % error spans of 10 skewed types, ``output.steps[1].tool`` on every root (a deep JSON path).

Rows go through the product's own row preparation (:func:`openloop.ingest.rows.prepare_row` and
:func:`~openloop.ingest.rows.to_columns`), so the hot columns are derived exactly as ingest
derives them. Each chunk is one Parquet file; chunks are generated in parallel processes and are
reproducible from ``(seed, chunk)``.
"""

from __future__ import annotations

import logging
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from openloop.ingest.rows import IncomingRow, RowLimits, prepare_row, to_columns
from openloop.store.data._schema import ARROW_SCHEMA, STORE_ASSIGNED

__all__ = ["END", "PHRASE", "RARE_MODEL", "START", "Facts", "generate_chunk", "plan_chunks"]

logger = logging.getLogger(__name__)

END = datetime(2026, 11, 1, tzinfo=UTC)  # exclusive; data covers the 30 days before it
DAYS = 30
START_S = END.timestamp() - DAYS * 86400
START = datetime.fromtimestamp(START_S, UTC)
PHRASE = "over the rainbow"
RARE_MODEL = "gpt-rare-needle"
CHUNK_SPANS = 100_000
VOCAB = 30_000
_P_PHRASE, _P_RARE, _P_ERROR = 0.001, 0.0001, 0.0155

USER_COLUMNS = [f for f in ARROW_SCHEMA if f.name not in STORE_ASSIGNED]
_MODELS = {  # model -> (provider, weight)
    "gpt-4o-mini": ("openai", 0.34),
    "gpt-4o": ("openai", 0.20),
    "gpt-4.1-mini": ("openai", 0.12),
    "claude-3-5-sonnet": ("anthropic", 0.14),
    "claude-3-5-haiku": ("anthropic", 0.10),
    "claude-sonnet-4": ("anthropic", 0.06),
    "gemini-2.5-pro": ("google", 0.04),
}
_LLM_ERRORS = {"RateLimitError": 0.40, "APITimeoutError": 0.20, "ContextWindowExceededError": 0.10,
               "ContentFilterError": 0.05, "AuthenticationError": 0.02,
               "APIConnectionError": 0.03}  # fmt: skip
_TOOL_ERRORS = {"ToolTimeoutError": 0.08, "KeyError": 0.06, "ValueError": 0.04, "HTTPError": 0.02}
_ACTIONS = ("router", "lookup_account", "create_ticket", "check_status", "answer_directly")
_ACTION_W = (0.2, 0.25, 0.15, 0.15, 0.25)


@dataclass
class Facts:
    """The answer key of one dataset (summed over chunks)."""

    spans: int = 0
    traces: int = 0
    llm_by_day_model: Counter[tuple[int, str]] = field(default_factory=Counter)
    errors_by_day_type: Counter[tuple[int, str]] = field(default_factory=Counter)
    errors_by_day_model: Counter[tuple[int, str]] = field(default_factory=Counter)
    router_by_day: Counter[int] = field(default_factory=Counter)
    phrase: list[tuple[int, str]] = field(default_factory=list)  # (created_us, id)
    token: tuple[str, str] | None = None  # (token, span id)
    rare_model: int = 0
    big_trace: tuple[str, int] | None = None  # (root_span_id, spans)
    sample_trace: tuple[str, int] | None = None  # an ordinary trace

    def merge(self, other: Facts) -> None:
        self.spans += other.spans
        self.traces += other.traces
        self.llm_by_day_model.update(other.llm_by_day_model)
        self.errors_by_day_type.update(other.errors_by_day_type)
        self.errors_by_day_model.update(other.errors_by_day_model)
        self.router_by_day.update(other.router_by_day)
        self.phrase.extend(other.phrase)
        self.rare_model += other.rare_model
        self.token = self.token or other.token
        self.big_trace = self.big_trace or other.big_trace
        self.sample_trace = self.sample_trace or other.sample_trace


def plan_chunks(n_spans: int) -> list[int]:
    """Span targets per chunk."""
    full, rest = divmod(n_spans, CHUNK_SPANS)
    return [CHUNK_SPANS] * full + ([rest] if rest else [])


def _vocabulary(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = random.Random(seed)
    cons, vows = "bcdfghjklmnprstvwz", "aeiou"
    words: set[str] = set()
    while len(words) < VOCAB:
        words.add(
            "".join(rng.choice(cons) + rng.choice(vows) for _ in range(rng.choice((2, 2, 3, 4))))
        )
    vocab = np.array(sorted(words), dtype=object)
    np.random.default_rng(seed).shuffle(vocab)
    weights = 1.0 / np.arange(1, VOCAB + 1) ** 1.07
    return vocab, np.cumsum(weights / weights.sum())


class _Chunk:
    def __init__(self, seed: int, chunk: int, target: int, big: int) -> None:
        self.rng = random.Random(seed * 1_000_003 + chunk)
        self.np = np.random.default_rng([seed, chunk])
        self.vocab, self.cdf = _vocabulary(seed)
        self.pool = self._draw(target * 150 + 10_000)
        self.pos = 0
        self.facts = Facts()
        self.rows: list[dict[str, Any]] = []
        self.target, self.big = target, big
        self.plant_token = chunk == 0
        self.chunk = chunk

    def _draw(self, n: int) -> np.ndarray:
        return np.searchsorted(self.cdf, self.np.random(n))

    def text(self, n: int) -> str:
        n = max(3, int(n * self.rng.lognormvariate(0, 0.35)))
        if self.pos + n > len(self.pool):
            self.pool, self.pos = self._draw(len(self.pool)), 0
        ids = self.pool[self.pos : self.pos + n]
        self.pos += n
        return " ".join(self.vocab[ids])

    def uid(self) -> str:
        return f"{self.rng.getrandbits(128):032x}"

    def when(self) -> float:
        while True:  # daily cycle peaking at 15:00 UTC, mild upward trend
            ts = START_S + self.rng.random() * DAYS * 86400
            hour = (ts % 86400) / 3600
            w = (1 + 0.75 * np.cos((hour - 15) / 24 * 2 * np.pi)) * (
                0.75 + 0.5 * (ts - START_S) / (DAYS * 86400)
            )
            if self.rng.random() * 2.2 <= w:
                return ts

    def error(self, kinds: dict[str, float]) -> str:
        kind = self.rng.choices(list(kinds), weights=list(kinds.values()))[0]
        return f"{kind}: {self.text(8)}"

    def span(
        self, trace: str, parent: str | None, start: float, end: float, **fields: Any
    ) -> dict[str, Any]:
        sid = trace if parent is None else self.uid()
        row = {"id": sid, "span_id": sid, "root_span_id": trace,
               "span_parents": [parent] if parent else [], "created": int(start * 1e6),
               "metrics": {"start": start, "end": end}, **fields}  # fmt: skip
        if "error" in row:
            day = int((start - START_S) // 86400)
            self.facts.errors_by_day_type[(day, row["error"].split(":", 1)[0])] += 1
        self.rows.append(row)
        return row

    def llm(self, trace: str, root: str, t: float, question: str) -> None:
        r = self.rng
        day = int((t - START_S) // 86400)
        model = r.choices(list(_MODELS), weights=[w for _, w in _MODELS.values()])[0]
        if r.random() < _P_RARE / 0.41:
            model = RARE_MODEL
            self.facts.rare_model += 1
        pt, ct = r.randrange(300, 2500), r.randrange(40, 400)
        answer = self.text(55)
        if r.random() < _P_PHRASE / 0.41:
            words = answer.split(" ")
            cut = r.randrange(len(words) + 1)
            answer = " ".join([*words[:cut], PHRASE, *words[cut:]])
        fields: dict[str, Any] = {
            "input": [{"role": "system", "content": "You are a support assistant."},
                      {"role": "user", "content": question}],
            "output": {"role": "assistant", "content": answer},
            "metadata": {"model": model,
                         "provider": _MODELS[model][0] if model in _MODELS else "openai",
                         "temperature": 0.2},
            "span_attributes": {"name": "Chat Completion", "type": "llm"},
        }  # fmt: skip
        token = None
        if self.plant_token:
            token = f"needle{r.getrandbits(104):026x}"
            fields["input"][1]["content"] = f"{question} {token}"
            self.plant_token = False
        if r.random() < _P_ERROR * 1.6:
            fields["error"] = self.error(_LLM_ERRORS)
            self.facts.errors_by_day_model[(day, model)] += 1
        dur = r.lognormvariate(0.3, 0.6)
        row = self.span(trace, root, t, t + dur, **fields)
        row["metrics"].update(prompt_tokens=pt, completion_tokens=ct, tokens=pt + ct,
                              time_to_first_token=min(dur, r.uniform(0.2, 0.9)))  # fmt: skip
        if token is not None:
            self.facts.token = (token, row["id"])
        if PHRASE in answer:
            self.facts.phrase.append((row["created"], row["id"]))
        self.facts.llm_by_day_model[(day, model)] += 1

    def trace(self, n_llm: int | None = None) -> None:
        r = self.rng
        trace, t0 = self.uid(), self.when()
        day = int((t0 - START_S) // 86400)
        before = len(self.rows)
        question = self.text(25)
        user = f"u_{min(int(r.paretovariate(1.2)), 5000):05d}"
        action = r.choices(_ACTIONS, weights=_ACTION_W)[0]
        steps = [{"tool": "retrieve_docs", "ok": True}, {"tool": action, "ok": True}]
        self.facts.router_by_day[day] += action == "router"
        root = self.span(
            trace, None, t0, t0 + r.lognormvariate(0.8, 0.5),
            input={"question": question, "user_id": user},
            output={"answer": self.text(60), "steps": steps},
            metadata={"user_id": user, "session_id": f"s_{r.randrange(50_000):06d}",
                      "channel": r.choice(("web", "slack", "email")), "env": "production",
                      "client": {"app": {"version": f"2.{r.randrange(8)}.{r.randrange(20)}"}}},
            span_attributes={"name": "support_request", "type": "task"},
            tags=r.sample(["billing", "sso", "beta", "escalated"], k=r.randrange(3)),
        )  # fmt: skip
        if r.random() < 0.3:
            root["scores"] = {
                "Factuality": round(r.random(), 3),
                "Helpfulness": round(r.random(), 3),
            }
        tool: dict[str, Any] = {
            "input": {"query": question[:80]},
            "output": {"documents": [self.text(12) for _ in range(3)]},
            "span_attributes": {"name": "retrieve_docs", "type": "tool"},
        }
        if r.random() < _P_ERROR:
            tool["error"] = self.error(_TOOL_ERRORS)
        self.span(trace, trace, t0 + 0.01, t0 + r.lognormvariate(-1.7, 0.5), **tool)
        if n_llm is None:
            n_llm = 1 if r.random() < 0.6 else 2 if r.random() < 0.75 else r.randrange(3, 9)
        for i in range(n_llm):
            self.llm(trace, trace, t0 + 0.3 + i * 1.5, question)
        if action in ("lookup_account", "create_ticket", "check_status"):
            act: dict[str, Any] = {
                "input": {"user_id": user}, "output": {"result": self.text(15)},
                "span_attributes": {"name": action, "type": "tool"},
            }  # fmt: skip
            if r.random() < _P_ERROR * 2:
                act["error"] = self.error(_TOOL_ERRORS)
            self.span(trace, trace, t0 + 0.2, t0 + r.lognormvariate(-1.2, 0.6), **act)
        if (
            root is not None
            and any("error" in s for s in self.rows[before + 1 :])
            and r.random() < 0.5
        ):
            child = next(s for s in self.rows[before + 1 :] if "error" in s)
            root["error"] = child["error"]
            self.facts.errors_by_day_type[(day, child["error"].split(":", 1)[0])] += 1
        self.facts.traces += 1
        if self.facts.sample_trace is None and self.chunk == 0 and n_llm == 1:
            self.facts.sample_trace = (trace, len(self.rows) - before)
        if self.big and self.facts.big_trace is None and len(self.rows) - before > 100:
            self.facts.big_trace = (trace, len(self.rows) - before)

    def build(self) -> pa.Table:
        if self.big:
            self.trace(n_llm=self.big - 3)
        while len(self.rows) < self.target:
            self.trace()
        self.facts.spans = len(self.rows)
        # Validation (prepare_row) is checked on a sample; the hot-column derivation
        # (to_columns) runs on every row, exactly as at ingest.
        limits = RowLimits()
        for i in range(0, len(self.rows), 997):
            prepare_row(self.rows[i], i, limits)
        prepared = []
        for i, row in enumerate(self.rows):
            fields = {k: v for k, v in row.items() if k not in ("id", "created")}
            prepared.append(IncomingRow(i, row["id"], created=row["created"], fields=fields))
        cols = to_columns(prepared)
        arrays = [pa.array(cols[f.name], type=f.type) for f in USER_COLUMNS]
        return pa.Table.from_arrays(arrays, schema=pa.schema(USER_COLUMNS))


def generate_chunk(args: tuple[int, int, int, int, str]) -> Facts:
    """Write chunk ``chunk`` of dataset ``seed`` to ``path``; returns its facts."""
    seed, chunk, target, big, path = args
    c = _Chunk(seed, chunk, target, big)
    table = c.build()
    # The big trace sits near the end of one chunk only; keep whole traces.
    tmp = Path(path).with_suffix(".tmp")
    pq.write_table(table, tmp, compression="zstd", row_group_size=50_000)
    tmp.rename(path)
    logger.info("bench.gen chunk=%d spans=%d", chunk, c.facts.spans)
    return c.facts
