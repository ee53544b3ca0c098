"""A small, realistic data set for query tests: ~200 project-log spans in 40 traces, plus an
experiment and a dataset, stored in a real DuckDB file and (optionally) a chDB table."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pyarrow as pa

from openloop.errors import NotFound
from openloop.model.fields import COLUMNS

PROJECT_ID = "proj-1"
PROJECT_NAME = "my-project"
EXPERIMENT_ID = "exp-1"
DATASET_ID = "ds-1"
NOW = datetime.now(UTC).replace(microsecond=0)

_ARROW = {"VARCHAR": pa.string(), "BIGINT": pa.int64(), "DOUBLE": pa.float64(),
          "BOOLEAN": pa.bool_(), "TIMESTAMPTZ": pa.timestamp("us", tz="UTC"),
          "VARCHAR[]": pa.list_(pa.string()), "MAP(VARCHAR, DOUBLE)": pa.map_(pa.string(), pa.float64()),
          "JSON": pa.string()}  # fmt: skip
SCHEMA = pa.schema([pa.field(c.name, _ARROW[c.duckdb]) for c in COLUMNS])
MODELS = [("gpt-4o", "openai", 2.5, 10.0), ("gpt-4o-mini", "openai", 0.15, 0.6),
          ("claude-sonnet", "anthropic", 3.0, 15.0)]  # fmt: skip


def resolver(kind: str, name_or_id: str) -> list[tuple[str, str]]:
    """Test resolver: one project (by id or name), one experiment, one dataset."""
    table = {
        "project_logs": {PROJECT_ID: PROJECT_ID, PROJECT_NAME: PROJECT_ID},
        "experiment": {EXPERIMENT_ID: EXPERIMENT_ID, "baseline": EXPERIMENT_ID},
        "dataset": {DATASET_ID: DATASET_ID, "golden-set": DATASET_ID},
    }
    object_type = {"project_logs": "project_logs", "experiment": "experiment", "dataset": "dataset"}
    try:
        return [(object_type[kind], table[kind][name_or_id])]
    except KeyError:
        raise NotFound(f"no {kind} named {name_or_id!r}") from None


class _Builder:
    def __init__(self) -> None:
        self.rows: list[dict[str, Any]] = []
        self.key = 1000
        self.xact = 1

    def add(self, object_type: str, object_id: str, **f: Any) -> dict[str, Any]:
        self.key += 1
        row = {c.name: None for c in COLUMNS}
        row.update(org_id="org-1", project_id=PROJECT_ID, object_type=object_type,
                   object_id=object_id, _xact_id=self.xact, _pagination_key=self.key,
                   _object_delete=False, tags=[], scores={}, span_parents=[], has_error=False)  # fmt: skip
        row.update(f)
        row["is_root"] = not row["span_parents"]
        self.rows.append(row)
        return row


def _js(value: Any) -> str | None:
    return None if value is None else json.dumps(value)


def build_rows(seed: int = 7) -> list[dict[str, Any]]:
    rnd = random.Random(seed)
    b = _Builder()
    for t in range(40):
        start = NOW - timedelta(days=t * 0.25, minutes=rnd.randint(0, 50))
        root = f"trace-{t:02d}"
        user = f"user-{t % 5}"
        tags = [["triage"], ["feedback"], ["feedback", "content-change"], []][t % 4]
        question = (
            f"Question {t}: how do I reset my password?"
            if t % 3
            else f"Question {t}: refund timeout"
        )
        err_trace = t % 7 == 3
        meta: dict[str, Any] = {"user_id": user, "environment": "production" if t % 2 else "staging",
                "endpoint": "/chat" if t % 3 else "/search", "config": json.dumps({"environment": "production", "version": 2 + t % 3})}  # fmt: skip
        if t == 5:
            meta["note"] = "it's a \\ back\\slash"  # quoting survives both engines
        b.xact += 1
        root_end = start + timedelta(seconds=2 + t % 5)
        b.add("project_logs", PROJECT_ID, id=f"{root}-root", span_id=root, root_span_id=root,
              created=start, span_type="task", span_name="chat", user_id=user, tags=tags,
              input=_js({"question": question}), output=_js(None if err_trace else {"answer": f"Answer {t}"}),
              metadata=_js(meta),
              metrics=_js({"start": start.timestamp(), "end": root_end.timestamp()}),
              span_attributes=_js({"name": "chat", "type": "task"}),
              start_time=start.timestamp(), end_time=root_end.timestamp(),
              duration=(root_end - start).total_seconds(),
              scores={"Factuality": round(rnd.random(), 3)} if t % 2 == 0 else {},
              extra=_js({"facets": {"sentiment": ["POSITIVE", "NEGATIVE", "MIXED"][t % 3]},
                         "classifications": {"Issues": [{"id": "login", "label": "Login"}] +
                                             ([{"id": "billing", "label": "Billing"}] if t % 2 else [])}}))  # fmt: skip
        for k in range(1 + t % 3):
            model, provider, pin, pout = MODELS[(t + k) % 3]
            pt, ct = rnd.randint(100, 3000), rnd.randint(10, 800)
            cost = round(pt * pin / 1e6 + ct * pout / 1e6, 6)
            s = start + timedelta(seconds=0.2 + k)
            dur = round(0.3 + rnd.random() * 2, 3)
            llm_err = err_trace and k == 0
            b.add("project_logs", PROJECT_ID, id=f"{root}-llm{k}", span_id=f"{root}-llm{k}",
                  root_span_id=root, span_parents=[root], created=s, span_type="llm",
                  span_name="Chat Completion", model=model, provider=provider, user_id=user,
                  prompt_tokens=pt, completion_tokens=ct, total_tokens=pt + ct,
                  prompt_cached_tokens=pt // 4, estimated_cost=cost, start_time=s.timestamp(),
                  end_time=s.timestamp() + dur, duration=dur, time_to_first_token=round(dur / 4, 3),
                  has_error=llm_err, error_type="RateLimitError" if llm_err else None,
                  error=_js({"type": "RateLimitError", "message": "429 timeout"} if llm_err else None),
                  input=_js([{"role": "user", "content": question}]),
                  output=_js(None if llm_err else [{"role": "assistant", "content": f"Answer {t}"}]),
                  metadata=_js({"model": model, "provider": provider, "user_id": user, "temperature": 0.1 * k}),
                  metrics=_js({"prompt_tokens": pt, "completion_tokens": ct, "tokens": pt + ct,
                               "prompt_cached_tokens": pt // 4, "start": s.timestamp(),
                               "end": s.timestamp() + dur, "time_to_first_token": round(dur / 4, 3),
                               "latency": dur}),
                  span_attributes=_js({"name": "Chat Completion", "type": "llm"}))  # fmt: skip
        for k in range(t % 2 + (1 if t % 5 == 0 else 0)):
            s = start + timedelta(seconds=1.5 + k)
            tool_err = t % 10 == 5 and k == 0
            b.add("project_logs", PROJECT_ID, id=f"{root}-tool{k}", span_id=f"{root}-tool{k}",
                  root_span_id=root, span_parents=[root], created=s, span_type="tool",
                  span_name="search_docs", start_time=s.timestamp(), end_time=s.timestamp() + 0.4,
                  duration=0.4, has_error=tool_err, error_type="TimeoutError" if tool_err else None,
                  error=_js("TimeoutError: search timed out" if tool_err else None),
                  input=_js({"query": "password reset"}), output=_js(None if tool_err else {"hits": 3}),
                  metadata=_js({"tool": "search_docs"}), span_attributes=_js({"name": "search_docs", "type": "tool"}))  # fmt: skip
        s = root_end
        b.add("project_logs", PROJECT_ID, id=f"{root}-score", span_id=f"{root}-score",
              root_span_id=root, span_parents=[root], created=s, span_type="score",
              span_name="Factuality" if t % 4 else "null_score", span_purpose="scorer",
              scores={"Factuality": round(rnd.random(), 3), **({"email sent": 1.0} if t % 4 == 2 else {})},
              metadata=_js({"scorer": "Factuality"}), start_time=s.timestamp(), duration=0.1,
              estimated_cost=0.5,  # the judge's own cost: estimated_cost() must not count it
              span_attributes=_js({"name": "Factuality", "type": "score", "purpose": "scorer"}))  # fmt: skip
    # versioning: an old version superseded by a later one, and a deleted row
    old = b.rows[0]
    b.xact += 1
    old_version = dict(old, _pagination_key=1, _xact_id=1, _superseded_by=old["_xact_id"],
                       output=_js({"answer": "stale answer"}))  # fmt: skip
    b.rows.append(old_version)
    b.add("project_logs", PROJECT_ID, id="deleted-row", span_id="deleted-row", root_span_id="deleted-row",
          created=NOW - timedelta(hours=1), _object_delete=True, span_type="task")  # fmt: skip
    for i in range(10):
        b.xact += 1
        b.add("experiment", EXPERIMENT_ID, id=f"exp-row-{i}", span_id=f"exp-{i}", root_span_id=f"exp-{i}",
              created=NOW - timedelta(hours=i), span_type="eval", input=_js({"q": i}),
              output=_js({"a": i}), expected=_js({"a": i if i % 3 else -1}),
              scores={"accuracy": 1.0 if i % 3 else 0.0}, span_attributes=_js({"type": "eval", "name": "eval"}))  # fmt: skip
        b.add("dataset", DATASET_ID, id=f"ds-row-{i}", span_id=f"ds-row-{i}", root_span_id=f"ds-row-{i}",
              created=NOW - timedelta(days=i), input=_js({"q": i}), expected=_js({"a": i}),
              metadata=_js({"split": "train" if i % 2 else "test"}), tags=["golden"])  # fmt: skip
    return b.rows


def arrow_table(rows: list[dict[str, Any]]) -> pa.Table:
    return pa.Table.from_pylist(
        [{k: (list(v.items()) if isinstance(v, dict) else v) for k, v in r.items()} for r in rows],
        schema=SCHEMA,
    )


class DuckStore:
    dialect = "duckdb"

    def __init__(self, path: Path, table: pa.Table) -> None:
        import duckdb

        self.con = duckdb.connect(str(path))
        cols = ", ".join(f'"{c.name}" {c.duckdb}' for c in COLUMNS)
        self.con.execute(f"CREATE TABLE rows ({cols})")
        self.con.register("_load", table)
        self.con.execute("INSERT INTO rows SELECT * FROM _load")
        self.con.unregister("_load")

    def execute(self, sql: str, params: Any = None) -> pa.Table:
        return self.con.sql(sql, params=params).to_arrow_table() if params else \
            self.con.sql(sql).to_arrow_table()  # fmt: skip


class ChStore:
    dialect = "clickhouse"

    def __init__(self, path: Path, table: pa.Table) -> None:
        import pyarrow.parquet as pq
        from chdb import session

        self.sess = session.Session(str(path / "chdb"))
        file = path / "rows.parquet"
        pq.write_table(table, file)
        cols = ", ".join(f'"{c.name}" {c.clickhouse}' for c in COLUMNS)
        self.sess.query("DROP TABLE IF EXISTS rows")
        self.sess.query(f"CREATE TABLE rows ({cols}) ENGINE = MergeTree "
                        "ORDER BY (object_type, object_id, _pagination_key)")  # fmt: skip
        self.sess.query(f"INSERT INTO rows SELECT * FROM file('{file}', Parquet)")

    def execute(self, sql: str, params: Any = None) -> pa.Table:
        return self.sess.query(sql, "ArrowTable")

    def close(self) -> None:
        self.sess.close()
