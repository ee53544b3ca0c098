"""Spans: linkage, context propagation across threads and tasks, exported handles, feedback."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
from concurrent.futures import ThreadPoolExecutor

import pytest

import openloop
from openloop.errors import InvalidInput, UsageError
from openloop.sdk.spans import SpanHandle


def _by_name(server):
    return {row["span_attributes"]["name"]: row for row in server.folded().values()}


def test_first_row_is_a_replace_with_linkage_and_context(server, logger):
    with openloop.start_span(name="root", type="task", input={"q": 1}) as root:
        assert openloop.current_span() is root
        child = root.start_span(name="child", type="llm")
        child.log(output="x", metrics={"tokens": 3})
        child.end()
    logger.flush()

    first_rows = {}
    for row in server.rows:
        first_rows.setdefault(row["id"], row)
    first = first_rows[child.id]
    assert first["_is_merge"] is False
    assert first["span_attributes"] == {"name": "child", "type": "llm"}
    assert first["context"]["caller_filename"] == __file__
    assert (
        first["context"]["caller_functionname"]
        == "test_first_row_is_a_replace_with_linkage_and_context"
    )
    folded = server.folded()
    assert folded[child.id]["span_parents"] == [root.span_id]
    assert folded[child.id]["root_span_id"] == root.span_id
    assert folded[child.id]["metrics"]["tokens"] == 3
    assert folded[root.id]["input"] == {"q": 1}
    assert openloop.current_span().is_noop


def test_error_inside_span_block_is_logged_and_propagates(server, logger):
    with pytest.raises(KeyError), openloop.start_span(name="failing"):
        {}["missing"]
    logger.flush()
    row = _by_name(server)["failing"]
    assert row["error"]["type"] == "KeyError" and "end" in row["metrics"]


def test_explicit_end_is_idempotent(server, logger):
    span = logger.start_span(name="manual")
    end = span.end()
    assert span.end() == end
    logger.flush()
    ends = [r for r in server.rows if "end" in r.get("metrics", {})]
    assert len(ends) == 1


def test_traced_thread_pool_keeps_the_parent_plain_threads_do_not(server, logger):
    def task(name: str) -> None:
        with openloop.start_span(name=name):
            pass

    with openloop.start_span(name="parent") as parent:
        with openloop.TracedThreadPoolExecutor(max_workers=2) as pool:
            list(pool.map(task, ["t1", "t2"]))
        with ThreadPoolExecutor(max_workers=1) as plain:
            plain.submit(task, "orphan").result()
    logger.flush()
    spans = _by_name(server)
    assert spans["t1"]["span_parents"] == [parent.span_id]
    assert spans["t2"]["root_span_id"] == parent.span_id
    assert spans["orphan"]["span_parents"] == []  # a new thread starts with an empty context


def test_asyncio_tasks_keep_their_parent(server, logger):
    @openloop.traced
    async def leaf(i: int) -> int:
        await asyncio.sleep(0.01 * (3 - i))
        return i

    @openloop.traced
    async def fan_out() -> list[int]:
        return list(await asyncio.gather(*(leaf(i) for i in range(3))))

    assert asyncio.run(fan_out()) == [0, 1, 2]
    logger.flush()
    rows = server.folded().values()
    root = next(r for r in rows if r["span_attributes"]["name"] == "fan_out")
    leaves = [r for r in rows if r["span_attributes"]["name"] == "leaf"]
    assert len(leaves) == 3
    assert all(r["span_parents"] == [root["span_id"]] for r in leaves)


def test_exported_handle_continues_the_trace_in_another_logger(server, make_logger):
    a = make_logger("proj-a")
    with a.start_span(name="frontend") as span:
        handle = span.export()
    a.flush()

    # "Another process": a separate logger with its own sender and no shared state.
    decoded = SpanHandle.decode(handle)
    assert decoded.span_id == span.span_id and decoded.project_name == "proj-a"
    b = make_logger("unrelated", set_current=True)
    with openloop.start_span(name="backend", parent=handle) as remote:
        remote.log(output="ok")
    b.flush()
    row = server.folded()[remote.id]
    assert row["root_span_id"] == span.root_span_id
    assert row["span_parents"] == [span.span_id]
    assert row["project_id"] == a.project_id  # written into the exporter's project


def test_bad_handle_is_rejected(logger):
    with pytest.raises(InvalidInput):
        openloop.start_span(parent="not-a-handle")


def test_handle_continues_the_trace_in_a_real_subprocess(http_server):
    lg = openloop.init_logger("dist", base_url=http_server.url, api_key="k")
    with lg.start_span(name="caller") as span:
        handle = span.export()
    lg.flush()
    code = textwrap.dedent(
        f"""
        import openloop
        with openloop.start_span(name="callee", parent={handle!r}) as span:
            span.log(output="from child")
        openloop.flush()
        """
    )
    env = {**os.environ, "OPENLOOP_BASE_URL": http_server.url, "OPENLOOP_API_KEY": "k"}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            timeout=60, env=env)  # fmt: skip
    assert result.returncode == 0, result.stderr
    callee = [r for r in http_server.rows if r.get("span_attributes", {}).get("name") == "callee"]
    assert callee[0]["root_span_id"] == span.root_span_id
    assert callee[0]["span_parents"] == [span.span_id]
    assert callee[0]["project_id"] == "proj-http"
    lg.close()


def test_logger_export_starts_new_traces_in_that_project(server, make_logger):
    a = make_logger("exported")
    a.flush()
    handle = a.export()
    with openloop.start_span(name="fresh", parent=handle) as span:
        pass
    a.flush()
    row = server.folded()[span.id]
    assert row["span_parents"] == [] and row["root_span_id"] == span.span_id


def test_feedback_merge_row_and_comment_row(server, logger):
    row_id = logger.log(input="q", output="a")
    openloop.log_feedback(
        row_id, scores={"helpful": 0.5}, expected="A", tags=["reviewed"],
        comment="close enough", metadata={"reviewer": "ann"},
    )  # fmt: skip
    logger.flush()
    merge = next(r for r in server.rows if r["id"] == row_id and r.get("_audit_metadata"))
    target = server.folded()[row_id]
    assert target["scores"] == {"helpful": 0.5} and target["expected"] == "A"
    assert target["tags"] == ["reviewed"] and target["output"] == "a"
    assert merge["_audit_metadata"] == {"reviewer": "ann"}
    assert merge["_audit_source"] == "external"
    [comment] = [r for r in server.rows if "comment" in r]
    assert comment["comment"] == {"text": "close enough"}
    assert comment["origin"] == {"object_type": "project_logs", "object_id": "proj-1", "id": row_id}
    assert comment["id"] != row_id and comment["log_id"] == "g" and comment["created"]


def test_feedback_after_the_span_was_sent_is_a_separate_merge(server, logger):
    row_id = logger.log(input="q")
    logger.flush()
    logger.log_feedback(row_id, scores={"thumbs": False})
    logger.flush()
    last = server.rows[-1]
    assert last == {"id": row_id, "scores": {"thumbs": 0.0}, "_audit_source": "external",
                    "_is_merge": True, "project_id": "proj-1", "log_id": "g"}  # fmt: skip


def test_invalid_feedback_and_scores_are_refused(logger):
    with pytest.raises(UsageError):
        logger.log_feedback("x", metadata={"a": 1})
    with pytest.raises(InvalidInput, match="between 0 and 1"):
        logger.log(scores={"s": 2})
    with pytest.raises(InvalidInput):
        logger.log(tags="one")


def test_unserializable_values_do_not_break_logging(server, logger):
    class Opaque:
        def __repr__(self) -> str:
            return "<Opaque>"

    payload = {"obj": Opaque(), "set": {1}, 1: "int key"}
    row_id = logger.log(input=payload)
    payload["later"] = "mutation"
    logger.flush()
    assert server.folded()[row_id]["input"] == {"obj": "<Opaque>", "set": [1], "1": "int key"}
