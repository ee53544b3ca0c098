"""Column builders of the benchmark generator (:mod:`bench._gen`) and the check that ties them to
the product's ingest rules.

Spans are built as Arrow columns: JSON payloads are assembled as compact JSON text (generated
text holds only letters, digits, spaces and colons, so it needs no escaping), hot columns are
derived the way :func:`openloop.ingest.rows.to_columns` derives them. :func:`check_sample`
proves it on every chunk: it rebuilds sampled rows as an ingest client would send them, runs
them through ``prepare_row`` and ``to_columns`` and requires every column, JSON bytes included,
to be identical.
"""

from __future__ import annotations

import logging
from typing import Any, TypeAlias

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from openloop.ingest.rows import RowLimits, prepare_row, to_columns
from openloop.llm.prices import lookup
from openloop.model.fields import JSON_FIELDS
from openloop.store.data._schema import ARROW_SCHEMA, STORE_ASSIGNED

__all__ = ["USER_SCHEMA", "check_sample", "rows_from_table"]

logger = logging.getLogger(__name__)

USER_SCHEMA = pa.schema([f for f in ARROW_SCHEMA if f.name not in STORE_ASSIGNED])
Part: TypeAlias = pa.Array | str


def cat(*parts: Part) -> pa.Array:
    """Element-wise concatenation (a null part makes the result null)."""
    return pc.binary_join_element_wise(*parts, "")


def q(text: pa.Array) -> pa.Array:
    """JSON string literals of ``text``."""
    return cat('"', text, '"')


def obj(**members: Part) -> pa.Array:
    """Compact JSON objects from member values given as JSON text."""
    parts: list[Part] = []
    for i, (key, value) in enumerate(members.items()):
        parts += [("{" if i == 0 else ",") + f'"{key}":', value]
    return cat(*parts, "}")


def num(values: np.ndarray) -> pa.Array:
    """JSON numbers as ``orjson`` writes them (a float keeps its ``.0``)."""
    text = pc.cast(pa.array(values), pa.string())
    if values.dtype.kind != "f":
        return text
    whole = pa.array(values == np.floor(values))
    return pc.if_else(whole, cat(text, ".0"), text)


def strings(values: np.ndarray) -> pa.Array:
    return pa.array(values, pa.string())


def hex_ids(rng: np.random.Generator, n: int) -> pa.Array:
    """``n`` random 128-bit ids as 32 lowercase hex digits."""
    data = rng.bytes(16 * n).hex().encode()
    offsets = np.arange(0, 32 * n + 1, 32, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(data))


def prefixed(prefix: str, values: np.ndarray, width: int) -> pa.Array:
    return cat(prefix, pc.utf8_lpad(pc.cast(pa.array(values), pa.string()), width, padding="0"))


def version(minor: np.ndarray, patch: np.ndarray) -> pa.Array:
    return cat("2.", num(minor), ".", num(patch))


def offsets(counts: np.ndarray) -> np.ndarray:
    out = np.zeros(len(counts) + 1, np.int32)
    np.cumsum(counts, out=out[1:])
    return out


def str_lists(texts: pa.Array, k: int) -> pa.Array:
    """JSON arrays of ``k`` consecutive strings of ``texts`` each."""
    lists = pa.ListArray.from_arrays(pa.array(np.arange(0, len(texts) + 1, k, dtype=np.int32)),
                                     texts)  # fmt: skip
    return cat('["', pc.binary_join(lists, '","'), '"]')


def spread(mask: np.ndarray, values: pa.Array) -> pa.Array:
    """``values`` placed at the ``True`` positions of ``mask``, nulls elsewhere."""
    return values.take(pa.array(np.cumsum(mask) - 1, mask=~mask))


def scores(mask: np.ndarray, values: np.ndarray) -> pa.Array:
    """``{"Factuality": v0, "Helpfulness": v1}`` where ``mask``, null elsewhere."""
    n = int(mask.sum())
    keys = pa.array(["Factuality", "Helpfulness"] * n, pa.string())
    return pa.MapArray.from_arrays(pa.array(offsets(2 * mask)), keys, pa.array(values.ravel()),
                                   type=pa.map_(pa.string(), pa.float64()),
                                   mask=pa.array(~mask))  # fmt: skip


def created_us(start: np.ndarray) -> np.ndarray:
    return (start * 1e6).astype(np.int64)


def _const(value: Any, n: int) -> pa.Array:
    return pa.repeat(value, n)


def _table(n: int, ids: pa.Array, trace: pa.Array, start: np.ndarray, end: np.ndarray,
           error: pa.Array, **cols: Any) -> pa.Table:  # fmt: skip
    """A table of ``USER_SCHEMA``: common columns from the arguments, the rest null."""
    root = cols.pop("root", False)
    cols.update(
        id=ids, span_id=ids, root_span_id=trace, _object_delete=_const(False, n),
        created=pa.array(created_us(start), pa.timestamp("us", tz="UTC")),
        span_parents=pa.ListArray.from_arrays(pa.array(np.zeros(n + 1, np.int32)), pa.array(
            [], pa.string())) if root else pa.ListArray.from_arrays(pa.array(
                np.arange(n + 1, dtype=np.int32)), trace),
        is_root=_const(root, n), start_time=pa.array(start), end_time=pa.array(end),
        duration=pa.array(end - start), has_error=pc.is_valid(error), error=q(error),
        error_type=pc.list_element(pc.split_pattern(error, ":", max_splits=1), 0),
    )  # fmt: skip
    cols.setdefault("metrics", obj(start=num(start), end=num(end)))
    arrays = []
    for f in USER_SCHEMA:
        v = cols.pop(f.name, None)
        if v is None:
            arrays.append(pa.nulls(n, f.type))
        else:
            arrays.append((_const(v, n) if isinstance(v, str | pa.Scalar) else v).cast(f.type))
    if cols:
        raise ValueError(f"unknown columns {sorted(cols)}")
    return pa.Table.from_arrays(arrays, schema=USER_SCHEMA)


def root_table(*, trace: pa.Array, start: np.ndarray, end: np.ndarray, question: pa.Array,
               user: pa.Array, answer: pa.Array, action: np.ndarray, session: pa.Array,
               channel: np.ndarray, version: pa.Array, tags: pa.Array, scores: pa.Array,
               error: pa.Array) -> pa.Table:  # fmt: skip
    steps = cat('[{"tool":"retrieve_docs","ok":true},{"tool":"', strings(action), '","ok":true}]')
    return _table(
        len(trace), trace, trace, start, end, error, root=True, span_type="task",
        span_name="support_request", user_id=user, session_id=session, tags=tags, scores=scores,
        input=obj(question=q(question), user_id=q(user)), output=obj(answer=q(answer), steps=steps),
        metadata=obj(user_id=q(user), session_id=q(session), channel=q(strings(channel)),
                     env='"production"', client=cat('{"app":{"version":"', version, '"}}')),
        span_attributes='{"name":"support_request","type":"task"}',
    )  # fmt: skip


def tool_table(*, ids: pa.Array, trace: pa.Array, start: np.ndarray, end: np.ndarray,
               name: pa.Array | str, input: pa.Array, output: pa.Array,
               error: pa.Array) -> pa.Table:  # fmt: skip
    attrs = obj(name=f'"{name}"' if isinstance(name, str) else q(name), type='"tool"')
    return _table(len(ids), ids, trace, start, end, error, span_type="tool", span_name=name,
                  input=input, output=output, span_attributes=attrs)  # fmt: skip


def llm_table(*, ids: pa.Array, trace: pa.Array, start: np.ndarray, end: np.ndarray,
              ttft: np.ndarray, model: np.ndarray, prompt: pa.Array, answer: pa.Array,
              prompt_tokens: np.ndarray, completion_tokens: np.ndarray, error: pa.Array,
              models: list[str], providers: list[str]) -> pa.Table:  # fmt: skip
    m = strings(np.array(models, dtype=object)[model])
    provider = strings(np.array(providers, dtype=object)[model])
    total = prompt_tokens + completion_tokens
    # ModelPrice.cost with no cached tokens: (prompt * input + completion * output) / 1e6
    prices = [lookup(x) for x in models]
    inp = np.array([p.input if p else np.nan for p in prices])[model]
    out = np.array([p.output if p else np.nan for p in prices])[model]
    cost = (prompt_tokens * inp + completion_tokens * out) / 1_000_000
    metrics = obj(start=num(start), end=num(end), prompt_tokens=num(prompt_tokens),
                  completion_tokens=num(completion_tokens), tokens=num(total),
                  time_to_first_token=num(ttft))  # fmt: skip
    return _table(
        len(ids), ids, trace, start, end, error, span_type="llm", span_name="Chat Completion",
        model=m, provider=provider, prompt_tokens=pa.array(prompt_tokens),
        completion_tokens=pa.array(completion_tokens), total_tokens=pa.array(total),
        estimated_cost=pa.array(cost, from_pandas=True), time_to_first_token=pa.array(ttft),
        input=cat('[{"role":"system","content":"You are a support assistant."},'
                  '{"role":"user","content":"', prompt, '"}]'),
        output=obj(role='"assistant"', content=q(answer)),
        metadata=obj(model=q(m), provider=q(provider), temperature="0.2"), metrics=metrics,
        span_attributes='{"name":"Chat Completion","type":"llm"}',
    )  # fmt: skip


# -- the check against the product's ingest rules ----------------------------------------------


def rows_from_table(table: pa.Table, indices: list[int]) -> list[dict[str, Any]]:
    """Rows ``indices`` of a generated table as an ingest client would send them."""
    sub = table.take(pa.array(indices, pa.int64()))
    created = sub.column("created").cast(pa.int64()).to_pylist()
    out = []
    for i, rec in enumerate(sub.to_pylist()):
        row: dict[str, Any] = {"id": rec["id"], "created": created[i], "span_id": rec["span_id"],
                               "root_span_id": rec["root_span_id"],
                               "span_parents": rec["span_parents"]}  # fmt: skip
        for name in JSON_FIELDS:
            if rec[name] is not None:
                row[name] = orjson.loads(rec[name])
        if rec["tags"] is not None:
            row["tags"] = rec["tags"]
        if rec["scores"] is not None:
            row["scores"] = dict(rec["scores"])
        out.append(row)
    return out


def check_sample(table: pa.Table, step: int) -> int:
    """Compare every ``step``-th row with the product's ``prepare_row`` + ``to_columns``;
    raises ``AssertionError`` naming the first differing column. Returns rows checked."""
    indices = list(range(0, table.num_rows, step))
    rows = rows_from_table(table, indices)
    limits = RowLimits()
    expected = to_columns([prepare_row(r, i, limits) for i, r in enumerate(rows)])
    sub = table.take(pa.array(indices, pa.int64()))
    for name, want in expected.items():
        col = sub.column(name)
        got = col.cast(pa.int64()).to_pylist() if name == "created" else col.to_pylist()
        if name in JSON_FIELDS or name == "extra":
            got = [None if v is None else v.encode() for v in got]
        want = [list(v) if isinstance(v, tuple) else v for v in want]
        for i, (g, w) in enumerate(zip(got, want, strict=True)):
            if g != w or type(g) is not type(w):
                raise AssertionError(f"row {indices[i]} column {name}: generated {g!r}, "
                                     f"ingest derives {w!r}")  # fmt: skip
    return len(indices)
