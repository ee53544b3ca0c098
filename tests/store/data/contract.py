"""The data-store contract, reusable by every backend.

A backend's test module subclasses :class:`DataStoreContract` and provides two fixtures:
``store`` (an open, empty store) and ``reopen`` (a callable that closes the given store and
returns a fresh one on the same data). See ``test_duckdb.py``.
"""

from __future__ import annotations

import math
import uuid
from typing import Any

import pytest

from openloop.errors import InvalidInput
from openloop.store.data.base import DataStore, ObjectRef, WriteRequest

REF = ObjectRef("org-1", "proj-1", "project_logs", "proj-1")
OTHER = ObjectRef("org-1", "proj-1", "dataset", "ds-1")


def put(store: DataStore, *rows: dict[str, Any], ref: ObjectRef = REF):
    (result,) = store.write([WriteRequest(ref, list(rows))])
    return result


def by_id(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in rows}


def keys(rows: list[dict[str, Any]]) -> list[int]:
    return [r["_pagination_key"] for r in rows]


def wait_indexed(store: DataStore) -> None:
    waiter = getattr(store, "wait_indexed", None)
    if waiter is not None:
        assert waiter(30)


class DataStoreContract:
    # -- writes and reads ---------------------------------------------------------------------

    def test_write_returns_ids_and_increasing_xact(self, store: DataStore) -> None:
        a = put(store, {"id": "a", "input": "hi"}, {"input": "no id"})
        b = put(store, {"id": "b", "input": "there"})
        assert a.ids[0] == "a" and len(a.ids) == 2 and a.errors == []
        assert uuid.UUID(a.ids[1])
        assert b.xact_id > a.xact_id
        row = store.read(REF, ids=["a"])[0]
        assert row["_xact_id"] == a.xact_id
        assert row["input"] == "hi"
        assert row["created"].endswith("Z")

    def test_replace_drops_old_fields(self, store: DataStore) -> None:
        put(store, {"id": "r", "input": "v1", "metadata": {"a": 1}})
        put(store, {"id": "r", "output": "v2"})
        (row,) = store.read(REF)
        assert row["output"] == "v2"
        assert row["input"] is None and row["metadata"] is None
        assert store.count(REF) == 1

    def test_merge_is_deep(self, store: DataStore) -> None:
        put(store, {"id": "m", "input": "q", "metadata": {"a": 1, "b": {"c": 1}}, "tags": ["x"]})
        put(store, {"id": "m", "_is_merge": True, "metadata": {"b": {"d": 2}},
                    "scores": {"acc": 1}, "tags": ["y"]})  # fmt: skip
        (row,) = store.read(REF)
        assert row["metadata"] == {"a": 1, "b": {"c": 1, "d": 2}}
        assert row["input"] == "q"
        assert row["scores"] == {"acc": 1.0}
        assert row["tags"] == ["y"]

    def test_merge_keeps_created_and_merge_paths_replace(self, store: DataStore) -> None:
        put(store, {"id": "m", "created": "2024-01-02T03:04:05Z", "metadata": {"o": {"x": 1}}})
        put(store, {"id": "m", "_is_merge": True, "created": "2025-01-01T00:00:00Z",
                    "metadata": {"o": {"y": 2}}, "_merge_paths": [["metadata", "o"]]})  # fmt: skip
        (row,) = store.read(REF)
        assert row["created"].startswith("2024-01-02T03:04:05")
        assert row["metadata"] == {"o": {"y": 2}}

    def test_merge_onto_missing_row_is_a_replace(self, store: DataStore) -> None:
        put(store, {"id": "new", "_is_merge": True, "output": "o"})
        assert store.read(REF)[0]["output"] == "o"

    def test_tombstone_hides_row_but_history_keeps_it(self, store: DataStore) -> None:
        first = put(store, {"id": "t", "input": "keep me"})
        put(store, {"id": "t", "_object_delete": True})
        assert store.read(REF) == [] and store.count(REF) == 0
        assert store.read(REF, version=first.xact_id)[0]["input"] == "keep me"
        hist = store.history(REF, "t")
        assert [h.get("_object_delete", False) for h in hist] == [False, True]
        put(store, {"id": "t", "input": "back"})
        assert store.read(REF)[0]["input"] == "back"

    def test_resending_a_row_is_idempotent(self, store: DataStore) -> None:
        row = {"id": "i", "input": {"q": 1}, "scores": {"s": 0.5}}
        put(store, row)
        put(store, row)
        (got,) = store.read(REF)
        assert got["input"] == {"q": 1} and got["scores"] == {"s": 0.5}
        assert store.count(REF) == 1

    def test_later_row_in_a_batch_wins(self, store: DataStore) -> None:
        put(store, {"id": "d", "input": "first"}, {"id": "d", "input": "second"},
            {"id": "e", "input": "x", "metadata": {"a": 1}},
            {"id": "e", "_is_merge": True, "metadata": {"b": 2}})  # fmt: skip
        rows = by_id(store.read(REF))
        assert rows["d"]["input"] == "second"
        assert rows["e"]["metadata"] == {"a": 1, "b": 2} and rows["e"]["input"] == "x"
        assert len(store.history(REF, "d")) == 1

    def test_read_as_of_every_version(self, store: DataStore) -> None:
        steps = [
            [{"id": "a", "input": 1}, {"id": "b", "input": 1}],
            [{"id": "a", "input": 2}],
            [{"id": "b", "_object_delete": True}],
            [{"id": "c", "input": 3}, {"id": "a", "_is_merge": True, "output": "o"}],
        ]
        expected: list[tuple[int, dict[str, Any]]] = []
        state: dict[str, Any] = {}
        for rows in steps:
            xact = put(store, *rows).xact_id
            for r in rows:
                if r.get("_object_delete"):
                    state.pop(r["id"], None)
                elif r.get("_is_merge"):
                    state[r["id"]] = (state[r["id"]][0], r["output"])
                else:
                    state[r["id"]] = (r["input"], None)
            expected.append((xact, dict(state)))
        for xact, snapshot in expected:
            got = {r["id"]: (r["input"], r["output"]) for r in store.read(REF, version=xact)}
            assert got == snapshot
        assert store.read(REF, version=expected[0][0] - 1) == []
        assert store.versions(REF) == [x for x, _ in expected]

    def test_history_lists_every_version_oldest_first(self, store: DataStore) -> None:
        xs = [put(store, {"id": "h", "input": n}).xact_id for n in range(3)]
        hist = store.history(REF, "h")
        assert [h["_xact_id"] for h in hist] == xs
        assert [h["input"] for h in hist] == [0, 1, 2]

    def test_read_by_ids_limit_and_newest_first(self, store: DataStore) -> None:
        put(store, *[{"id": f"r{i}"} for i in range(5)])
        put(store, {"id": "r0", "input": "updated"})
        rows = store.read(REF)
        assert rows[0]["id"] == "r0" and keys(rows) == sorted(keys(rows), reverse=True)
        assert len(store.read(REF, limit=2)) == 2
        assert {r["id"] for r in store.read(REF, ids=["r1", "r3", "zz"])} == {"r1", "r3"}

    def test_containers_are_isolated(self, store: DataStore) -> None:
        put(store, {"id": "same", "input": "logs"})
        put(store, {"id": "same", "input": "dataset"}, ref=OTHER)
        assert store.read(REF)[0]["input"] == "logs"
        assert store.read(OTHER)[0]["input"] == "dataset"
        assert store.read(OTHER)[0]["dataset_id"] == "ds-1"

    def test_extra_fields_round_trip(self, store: DataStore) -> None:
        put(store, {"id": "x", "comment": {"text": "nice"}, "name": "n", "_xact_id": 1})
        row = store.read(REF)[0]
        assert row["comment"] == {"text": "nice"} and row["name"] == "n"
        assert row["_xact_id"] != 1

    # -- traces -------------------------------------------------------------------------------

    def test_trace_returns_one_trace_oldest_first(self, store: DataStore) -> None:
        put(store,
            {"id": "root", "span_id": "s0", "root_span_id": "T", "created": 100},
            {"id": "kid", "span_id": "s1", "root_span_id": "T", "span_parents": ["s0"],
             "created": 101},
            {"id": "other", "span_id": "o0", "root_span_id": "U", "created": 100})  # fmt: skip
        put(store, {"id": "kid", "_is_merge": True, "output": "done"})
        spans = store.trace(REF, "T")
        assert [s["id"] for s in spans] == ["root", "kid"]
        assert spans[0]["is_root"] and spans[0]["span_parents"] is None
        assert spans[1]["span_parents"] == ["s0"] and spans[1]["output"] == "done"
        assert store.trace(REF, "nope") == []

    def test_span_defaults_make_its_own_root(self, store: DataStore) -> None:
        put(store, {"id": "solo"})
        (row,) = store.read(REF)
        assert row["span_id"] == "solo" and row["root_span_id"] == "solo" and row["is_root"]

    # -- hot columns --------------------------------------------------------------------------

    def test_hot_columns_are_filled(self, store: DataStore) -> None:
        put(store, {
            "id": "llm",
            "span_attributes": {"type": "llm", "name": "Chat Completion"},
            "metadata": {"model": "gpt-4o-mini", "provider": "openai", "user_id": "u1",
                         "session_id": "s1"},
            "metrics": {"start": 10.0, "end": 12.5, "input_tokens": 1000, "output_tokens": 500},
            "error": "ValueError: boom",
            "tags": ["prod"],
            "scores": {"acc": True, "f": 0.25},
        })  # fmt: skip
        table = store.execute(
            "SELECT span_type, span_name, model, provider, user_id, session_id, prompt_tokens, "
            "completion_tokens, total_tokens, estimated_cost, duration, has_error, error_type, "
            "tags, scores['acc'] AS acc, is_root FROM rows WHERE id = ?",
            ["llm"],
        )
        (row,) = table.to_pylist()
        assert row["span_type"] == "llm" and row["span_name"] == "Chat Completion"
        assert (row["model"], row["provider"]) == ("gpt-4o-mini", "openai")
        assert (row["user_id"], row["session_id"]) == ("u1", "s1")
        assert (row["prompt_tokens"], row["completion_tokens"], row["total_tokens"]) == (
            1000, 500, 1500)  # fmt: skip
        assert math.isclose(row["estimated_cost"], (1000 * 0.15 + 500 * 0.60) / 1e6)
        assert row["duration"] == 2.5
        assert row["has_error"] and row["error_type"] == "ValueError"
        assert row["tags"] == ["prod"] and row["acc"] == 1.0 and row["is_root"]
        stored = store.read(REF)[0]["metrics"]
        assert stored["prompt_tokens"] == 1000 and "input_tokens" not in stored

    def test_scorer_spans_cost_nothing(self, store: DataStore) -> None:
        put(store, {"id": "sc", "span_attributes": {"type": "llm", "purpose": "scorer"},
                    "metadata": {"model": "gpt-4o"},
                    "metrics": {"prompt_tokens": 10, "completion_tokens": 10}})  # fmt: skip
        (row,) = store.execute("SELECT estimated_cost FROM rows WHERE id = ?", ["sc"]).to_pylist()
        assert row["estimated_cost"] is None

    # -- validation ---------------------------------------------------------------------------

    def test_bad_rows_do_not_sink_the_batch(self, store: DataStore) -> None:
        deep: Any = "leaf"
        for _ in range(200):
            deep = {"d": deep}
        result = put(store,
                     {"id": "ok1", "input": "fine"},
                     {"id": "bad1", "scores": "high"},
                     {"id": "bad2", "tags": [1, 2]},
                     {"id": "bad3", "metadata": deep},
                     {"id": "bad4", "scores": {"acc": 1.5}},
                     {"id": "bad5", "input": {"x": float("nan")}},
                     {"id": "bad6", "span_parents": "p"},
                     {"id": "ok2", "input": "fine too"})  # fmt: skip
        assert result.ids == ["ok1", "ok2"]
        errs = {e.row_id: (e.index, e.message) for e in result.errors}
        assert set(errs) == {"bad1", "bad2", "bad3", "bad4", "bad5", "bad6"}
        assert errs["bad1"][0] == 1 and "scores" in errs["bad1"][1]
        assert "tags" in errs["bad2"][1]
        assert "metadata" in errs["bad3"][1] and "deeper" in errs["bad3"][1]
        assert "scores.acc" in errs["bad4"][1]
        assert "input" in errs["bad5"][1] and "finite" in errs["bad5"][1]
        assert "span_parents" in errs["bad6"][1]
        assert {r["id"] for r in store.read(REF)} == {"ok1", "ok2"}

    def test_execute_rejects_writes(self, store: DataStore) -> None:
        for sql in ("DELETE FROM rows", "DROP TABLE rows", "SELECT 1; SELECT 2",
                    "UPDATE rows SET id = 'x'"):  # fmt: skip
            with pytest.raises(InvalidInput):
                store.execute(sql)

    # -- search -------------------------------------------------------------------------------

    def _search_rows(self, store: DataStore) -> dict[str, int]:
        put(store,
            {"id": "w1", "input": "The quick brown fox", "output": "jumps over the lazy dog"},
            {"id": "w2", "input": {"messages": [{"content": "Rate limit exceeded\nretry later"}]}},
            {"id": "w3", "output": "quick thinking", "metadata": {"env": "staging"},
             "tags": ["Urgent"]},
            {"id": "w4", "error": "TimeoutError: upstream gpt-4o timed out",
             "input": "quickly"})  # fmt: skip
        return {r["id"]: r["_pagination_key"] for r in store.read(REF)}

    def _ids(self, store: DataStore, key_of: dict[str, int], query: str, **kw: Any) -> set[str]:
        found = set(store.search_ids([REF], query, **kw).to_pylist())
        return {i for i, k in key_of.items() if k in found}

    def _check_search(self, store: DataStore, key_of: dict[str, int]) -> None:
        assert self._ids(store, key_of, "quick") == {"w1", "w3"}
        assert self._ids(store, key_of, "QUICK fox") == {"w1"}
        assert self._ids(store, key_of, '"lazy dog"') == {"w1"}
        assert self._ids(store, key_of, '"dog lazy"') == set()
        assert self._ids(store, key_of, '"limit exceeded retry"') == {"w2"}
        assert self._ids(store, key_of, "gpt-4o") == {"w4"}
        assert self._ids(store, key_of, "urgent staging") == {"w3"}
        assert self._ids(store, key_of, "quick", fields=["input"]) == {"w1"}
        assert self._ids(store, key_of, "nothing-like-this") == set()

    def test_search_finds_fresh_rows_immediately(self, store: DataStore) -> None:
        self._check_search(store, self._search_rows(store))

    def test_search_through_the_index_and_only_visible_rows(self, store: DataStore) -> None:
        key_of = self._search_rows(store)
        wait_indexed(store)
        self._check_search(store, key_of)
        put(store, {"id": "w1", "input": "replaced text"})
        put(store, {"id": "w3", "_object_delete": True})
        key_of = {r["id"]: r["_pagination_key"] for r in store.read(REF)}
        assert self._ids(store, key_of, "quick") == set()
        assert self._ids(store, key_of, "replaced") == {"w1"}
        assert store.search_ids([OTHER], "quick").to_pylist() == []

    def test_search_rejects_empty_query_and_unknown_field(self, store: DataStore) -> None:
        with pytest.raises(InvalidInput):
            store.search_ids([REF], '  "" !! ')
        with pytest.raises(InvalidInput):
            store.search_ids([REF], "x", fields=["nope"])

    # -- containers ---------------------------------------------------------------------------

    def test_delete_object_tombstones_everything(self, store: DataStore) -> None:
        before = put(store, *[{"id": f"d{i}", "input": i} for i in range(4)]).xact_id
        put(store, {"id": "kept"}, ref=OTHER)
        assert store.delete_object(REF) == 4
        assert store.count(REF) == 0 and store.read(REF) == []
        assert len(store.read(REF, version=before)) == 4
        assert store.count(OTHER) == 1
        assert store.delete_object(REF) == 0
        assert len(store.versions(REF)) == 2

    def test_iter_rows_streams_all_visible_rows_oldest_first(self, store: DataStore) -> None:
        put(store, *[{"id": f"n{i}"} for i in range(7)])
        put(store, {"id": "n0", "_object_delete": True})
        batches = list(store.iter_rows(REF, batch_size=3))
        assert [len(b) for b in batches] == [3, 3]
        flat = [r["id"] for b in batches for r in b]
        assert flat == [f"n{i}" for i in range(1, 7)]

    def test_reopen_keeps_everything(self, store: DataStore, reopen: Any) -> None:
        first = put(store, {"id": "p", "input": "persisted words", "metadata": {"model": "m"}})
        store = reopen(store)
        (row,) = store.read(REF)
        assert row["input"] == "persisted words" and row["_xact_id"] == first.xact_id
        second = put(store, {"id": "q", "input": "after reopen"})
        assert second.xact_id > first.xact_id
        assert store.read(REF)[0]["_pagination_key"] > row["_pagination_key"]
        assert len(store.search_ids([REF], "persisted")) == 1
        put(store, {"id": "p", "_is_merge": True, "metadata": {"extra": 1}})
        (merged,) = store.read(REF, ids=["p"])
        assert merged["metadata"] == {"model": "m", "extra": 1}
        assert merged["input"] == "persisted words"
