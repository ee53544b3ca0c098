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

A chunk is built column-wise: every random choice of the chunk is drawn at once with numpy,
texts are joined from word ids by Arrow, and JSON payloads are assembled as compact JSON text
(the bytes ``orjson`` writes at ingest). The hot columns follow the product's rules
(:func:`openloop.ingest.rows.to_columns`); :func:`bench._gencols.check_sample` rebuilds a sample of rows of
every chunk as ingest would receive them, runs them through the product's ``prepare_row`` and
``to_columns`` and fails the chunk on any difference. Each chunk is written as one Parquet file
per time bucket (sorted by ``created``), so the loader can sort one bucket at a time; chunks are
generated in parallel processes and are reproducible from ``(seed, chunk)``.
"""

from __future__ import annotations

import functools
import logging
import random
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from bench import _gencols as gc

__all__ = [
    "BUCKETS",
    "END",
    "GEN_VERSION",
    "PHRASE",
    "RARE_MODEL",
    "START",
    "Facts",
    "generate_chunk",
    "plan_chunks",
]

logger = logging.getLogger(__name__)

#: Version of the generated data; cached datasets are keyed by it (bump on any change).
GEN_VERSION = 2
END = datetime(2026, 11, 1, tzinfo=UTC)  # exclusive; data covers the 30 days before it
DAYS = 30
START_S = END.timestamp() - DAYS * 86400
START = datetime.fromtimestamp(START_S, UTC)
START_US, DAY_US = int(START_S) * 1_000_000, 86_400 * 1_000_000
BUCKET_DAYS = 3
BUCKETS = -(-(DAYS + 1) // BUCKET_DAYS)  # the last bucket also holds spans ending after END
PHRASE = "over the rainbow"
RARE_MODEL = "gpt-rare-needle"
CHUNK_SPANS = 100_000
VOCAB = 30_000
_TABLE_BITS = 22  # Zipf sampling through a 4 M-entry inverse-CDF table
_P_PHRASE, _P_RARE, _P_ERROR = 0.001, 0.0001, 0.0155

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
_ERROR_KINDS = [*_LLM_ERRORS, *_TOOL_ERRORS]
_ACTIONS = ("router", "lookup_account", "create_ticket", "check_status", "answer_directly")
_ACTION_W = (0.2, 0.25, 0.15, 0.15, 0.25)
_TAGS = np.array(["billing", "sso", "beta", "escalated"], dtype=object)


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


@functools.lru_cache(maxsize=2)
def _vocabulary(seed: int) -> tuple[pa.Array, np.ndarray]:
    """The words (plus :data:`PHRASE` as the last entry) and an inverse-CDF table of Zipf ranks."""
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
    cdf = np.cumsum(weights / weights.sum())
    size = 1 << _TABLE_BITS
    table = np.searchsorted(cdf, (np.arange(size) + 0.5) / size)
    return pa.array([*vocab.tolist(), PHRASE], pa.string()), np.minimum(table, VOCAB - 1).astype(
        np.uint16
    )


def _day(created_us: np.ndarray) -> np.ndarray:
    return (created_us - START_US) // DAY_US


def _count(*keys: np.ndarray) -> Counter:
    """Counter of the rows of ``keys`` (parallel integer arrays), keys as tuples of ints."""
    if len(keys[0]) == 0:
        return Counter()
    uniq, n = np.unique(np.stack(keys, axis=1), axis=0, return_counts=True)
    return Counter({tuple(int(x) for x in k): int(c) for k, c in zip(uniq, n, strict=True)})


class _Chunk:
    def __init__(self, seed: int, chunk: int, target: int, big: int) -> None:
        self.rng = np.random.default_rng([seed, chunk])
        self.words, self.table = _vocabulary(seed)
        self.target, self.big, self.chunk = target, big, chunk
        self.facts = Facts()

    def text(self, base: int, count: int, phrase: np.ndarray | None = None) -> pa.Array:
        """``count`` texts of ~``base`` Zipf words; ``phrase`` marks texts that get
        :data:`PHRASE` inserted at a random position."""
        r = self.rng
        n = np.maximum(3, (base * r.lognormal(0, 0.35, count)).astype(np.int64))
        lens = n if phrase is None else n + phrase
        offsets = np.zeros(count + 1, np.int32)
        np.cumsum(lens, out=offsets[1:])
        ids = self.table[r.integers(0, len(self.table), int(offsets[-1]))]
        if phrase is not None and phrase.any():
            rows = np.flatnonzero(phrase)
            ids[offsets[rows] + r.integers(0, n[rows] + 1)] = VOCAB
        words = self.words.take(pa.array(ids))
        return pc.binary_join(pa.ListArray.from_arrays(pa.array(offsets), words), " ")

    def when(self, n: int) -> np.ndarray:
        """Trace start times: a daily cycle peaking at 15:00 UTC with a mild upward trend."""
        out: list[np.ndarray] = []
        have = 0
        while have < n:
            ts = START_S + self.rng.random(2 * n) * DAYS * 86400
            hour = (ts % 86400) / 3600
            w = (1 + 0.75 * np.cos((hour - 15) / 24 * 2 * np.pi)) * (
                0.75 + 0.5 * (ts - START_S) / (DAYS * 86400)
            )
            ok = ts[self.rng.random(2 * n) * 2.2 <= w]
            out.append(ok)
            have += len(ok)
        return np.concatenate(out)[:n]

    def errors(self, mask: np.ndarray, kinds: dict[str, float]) -> tuple[np.ndarray, pa.Array]:
        """Error kind (index into ``_ERROR_KINDS``) and text of the rows in ``mask``."""
        m = int(mask.sum())
        names = list(kinds)
        w = np.array(list(kinds.values()))
        kind = self.rng.choice(len(names), size=m, p=w / w.sum())
        ids = np.array([_ERROR_KINDS.index(x) for x in names])[kind]
        kind_text = pa.array(np.array(_ERROR_KINDS, dtype=object)[ids], pa.string())
        return ids, pc.binary_join_element_wise(kind_text, self.text(8, m), ": ")

    def structure(self) -> tuple[np.ndarray, np.ndarray]:
        """LLM spans and action (index into ``_ACTIONS``) of each trace, enough traces to reach
        the target (the last trace is kept whole)."""
        r = self.rng
        n_llm_parts: list[np.ndarray] = []
        action_parts: list[np.ndarray] = []
        spans = 0
        while spans < self.target:
            k = max(64, int((self.target - spans) / 4.3 * 1.02))
            u, u2, many = r.random(k), r.random(k), r.integers(3, 9, k)
            n_llm = np.where(u < 0.6, 1, np.where(u2 < 0.75, 2, many))
            action = r.choice(len(_ACTIONS), size=k, p=_ACTION_W)
            if self.big and not n_llm_parts:  # the big trace comes first, with an action span
                n_llm[0], action[0] = self.big - 3, r.integers(1, 4)
            n_llm_parts.append(n_llm)
            action_parts.append(action)
            spans += int((2 + n_llm + (action % 4 > 0)).sum())
        n_llm, action = np.concatenate(n_llm_parts), np.concatenate(action_parts)
        per = 2 + n_llm + (action % 4 > 0)
        n_traces = int(np.searchsorted(np.cumsum(per), self.target)) + 1
        return n_llm[:n_traces], action[:n_traces]

    def build(self) -> pa.Table:
        r = self.rng
        n_llm, action = self.structure()
        n = len(n_llm)
        has_act = action % 4 > 0  # lookup_account, create_ticket, check_status
        tid = gc.hex_ids(r, n)
        t0 = self.when(n)
        question = self.text(25, n)
        users = np.minimum((r.pareto(1.2, n) + 1).astype(np.int64), 5000)
        user = gc.prefixed("u_", users, 5)

        # -- llm spans ------------------------------------------------------------------------
        tr = np.repeat(np.arange(n), n_llm)
        m = len(tr)
        first = np.repeat(np.cumsum(n_llm) - n_llm, n_llm)
        start = t0[tr] + 0.3 + (np.arange(m) - first) * 1.5
        dur = r.lognormal(0.3, 0.6, m)
        model = r.choice(len(_MODELS), size=m, p=[w for _, w in _MODELS.values()])
        model[r.random(m) < _P_RARE / 0.41] = len(_MODELS)  # RARE_MODEL
        phrase = r.random(m) < _P_PHRASE / 0.41
        err = r.random(m) < _P_ERROR * 1.6
        llm_ids = gc.hex_ids(r, m)
        prompt = question.take(pa.array(tr))
        if self.chunk == 0 and m:
            token = f"needle{int(r.integers(0, 1 << 52)):013x}{int(r.integers(0, 1 << 52)):013x}"
            prompt = pa.concat_arrays([pa.array([f"{prompt[0].as_py()} {token}"]), prompt[1:]])
            self.facts.token = (token, llm_ids[0].as_py())
        kinds, texts = self.errors(err, _LLM_ERRORS)
        llm = gc.llm_table(
            ids=llm_ids, trace=tid.take(pa.array(tr)), start=start, end=start + dur,
            ttft=np.minimum(dur, r.uniform(0.2, 0.9, m)), model=model, prompt=prompt,
            answer=self.text(55, m, phrase), prompt_tokens=r.integers(300, 2500, m),
            completion_tokens=r.integers(40, 400, m), error=gc.spread(err, texts),
            models=[*_MODELS, RARE_MODEL], providers=[p for p, _ in _MODELS.values()] + ["openai"],
        )  # fmt: skip
        llm_created = gc.created_us(start)
        llm_err = (llm_created[err], kinds)
        llm_src = np.full(n, -1)  # first llm error of each trace (index among llm errors)
        err_tr, at = np.unique(tr[err], return_index=True)
        llm_src[err_tr] = at

        # -- retrieval and action tool spans ----------------------------------------------------
        tool_err = r.random(n) < _P_ERROR
        tool_kinds, tool_texts = self.errors(tool_err, _TOOL_ERRORS)
        tool = gc.tool_table(
            ids=gc.hex_ids(r, n), trace=tid, start=t0 + 0.01, end=t0 + r.lognormal(-1.7, 0.5, n),
            name="retrieve_docs", input=gc.obj(query=gc.q(pc.utf8_slice_codeunits(question, 0, 80))),
            output=gc.obj(documents=gc.str_lists(self.text(12, 3 * n), 3)),
            error=gc.spread(tool_err, tool_texts),
        )  # fmt: skip
        ta = np.flatnonzero(has_act)
        a = len(ta)
        act_err = r.random(a) < _P_ERROR * 2
        act_kinds, act_texts = self.errors(act_err, _TOOL_ERRORS)
        act = gc.tool_table(
            ids=gc.hex_ids(r, a), trace=tid.take(pa.array(ta)), start=t0[ta] + 0.2,
            end=t0[ta] + r.lognormal(-1.2, 0.6, a),
            name=gc.strings(np.array(_ACTIONS, dtype=object)[action[ta]]),
            input=gc.obj(user_id=gc.q(user.take(pa.array(ta)))),
            output=gc.obj(result=gc.q(self.text(15, a))), error=gc.spread(act_err, act_texts),
        )  # fmt: skip

        # -- roots: copy the first child error (tool, llm spans, action) half of the time ------
        child_texts = pa.concat_arrays([tool_texts, texts, act_texts])
        child_kinds = np.concatenate([tool_kinds, kinds, act_kinds])
        src = np.full(n, -1)  # index into child_texts, later sources overridden by earlier ones
        src[ta[act_err]] = len(tool_kinds) + len(kinds) + np.arange(len(act_kinds))
        src = np.where(llm_src >= 0, len(tool_kinds) + llm_src, src)
        src[tool_err] = np.arange(len(tool_kinds))
        root_err = (src >= 0) & (r.random(n) < 0.5)
        k_tags = r.integers(0, 3, n)
        tags = _TAGS[np.argsort(r.random((n, 4)), axis=1)][np.arange(4) < k_tags[:, None]]
        scored = r.random(n) < 0.3
        root = gc.root_table(
            trace=tid, start=t0, end=t0 + r.lognormal(0.8, 0.5, n), question=question, user=user,
            answer=self.text(60, n), action=np.array(_ACTIONS, dtype=object)[action],
            session=gc.prefixed("s_", r.integers(0, 50_000, n), 6),
            channel=np.array(["web", "slack", "email"], dtype=object)[r.integers(0, 3, n)],
            version=gc.version(r.integers(0, 8, n), r.integers(0, 20, n)),
            tags=pa.ListArray.from_arrays(pa.array(gc.offsets(k_tags)), gc.strings(tags)),
            scores=gc.scores(scored, r.integers(0, 1001, (int(scored.sum()), 2)) / 1000),
            error=gc.spread(root_err, child_texts.take(pa.array(src[root_err]))),
        )  # fmt: skip

        # -- facts ------------------------------------------------------------------------------
        f = self.facts
        f.traces, day0 = n, _day(gc.created_us(t0))
        f.spans = n + n + m + a
        f.llm_by_day_model = self._named(_count(_day(llm_created), model), 1)
        f.errors_by_day_model = self._named(_count(_day(llm_created[err]), model[err]), 1)
        err_days = [_day(llm_err[0]), _day(gc.created_us(t0[tool_err] + 0.01)),
                    _day(gc.created_us(t0[ta[act_err]] + 0.2)), day0[root_err]]  # fmt: skip
        err_kinds = [llm_err[1], tool_kinds, act_kinds, child_kinds[src[root_err]]]
        counts = _count(np.concatenate(err_days), np.concatenate(err_kinds))
        f.errors_by_day_type = Counter({(d, _ERROR_KINDS[k]): c for (d, k), c in counts.items()})
        f.router_by_day = Counter({d: c for (d,), c in _count(day0[action == 0]).items()})
        f.rare_model = int((model == len(_MODELS)).sum())
        pick = np.flatnonzero(phrase)
        f.phrase = [(int(c), llm_ids[int(i)].as_py()) for c, i in zip(llm_created[pick], pick,
                                                                       strict=True)]  # fmt: skip
        spans_per = 2 + n_llm + has_act
        if self.big:
            f.big_trace = (tid[0].as_py(), int(spans_per[0]))
        ordinary = np.flatnonzero(n_llm == 1)
        if self.chunk == 0 and len(ordinary):
            f.sample_trace = (tid[int(ordinary[0])].as_py(), int(spans_per[ordinary[0]]))
        return pa.concat_tables([root, tool, llm, act])

    @staticmethod
    def _named(counts: Counter, pos: int) -> Counter:
        names = [*_MODELS, RARE_MODEL]
        return Counter({(k[0], names[k[pos]]): c for k, c in counts.items()})


def bucket_of(created_us: np.ndarray) -> np.ndarray:
    """Time bucket (``BUCKET_DAYS`` days) of each ``created`` value."""
    return np.clip(_day(created_us) // BUCKET_DAYS, 0, BUCKETS - 1)


def generate_chunk(args: tuple[int, int, int, int, str]) -> Facts:
    """Write chunk ``chunk`` of dataset ``seed`` under the directory ``path`` (one Parquet file
    per time bucket, ``b<bucket>/part-<chunk>.parquet``, rows sorted by ``created``); returns
    its facts."""
    seed, chunk, target, big, path = args
    c = _Chunk(seed, chunk, target, big)
    table = c.build()
    gc.check_sample(table, step=997)
    created = table.column("created").cast(pa.int64()).to_numpy()
    order = np.argsort(created, kind="stable")
    table, bucket = table.take(pa.array(order)), bucket_of(created[order])
    bounds = np.searchsorted(bucket, np.arange(BUCKETS + 1))
    for b in range(BUCKETS):
        if bounds[b + 1] == bounds[b]:
            continue
        part = table.slice(int(bounds[b]), int(bounds[b + 1] - bounds[b]))
        out = Path(path) / f"b{b:02d}" / f"part-{chunk:04d}.parquet"
        out.parent.mkdir(parents=True, exist_ok=True)
        tmp = out.with_suffix(".tmp")
        pq.write_table(part, tmp, compression="zstd", row_group_size=50_000)
        tmp.rename(out)
    logger.info("bench.gen chunk=%d spans=%d", chunk, c.facts.spans)
    return c.facts
