"""``@traced`` on functions, coroutines, generators and async generators."""

from __future__ import annotations

import asyncio

import pytest

import openloop


def _by_name(server):
    return {row["span_attributes"]["name"]: row for row in server.folded().values()}


def test_sync_function_logs_input_output_and_nests(server, logger):
    @openloop.traced
    def add(a: int, b: int = 1) -> int:
        return inner(a) + b

    @openloop.traced(name="double", type="tool")
    def inner(x: int) -> int:
        return 2 * x

    assert add(3, b=4) == 10
    logger.flush()
    spans = _by_name(server)
    outer, child = spans["add"], spans["double"]
    assert outer["input"] == {"a": 3, "b": 4} and outer["output"] == 10
    assert outer["span_attributes"]["type"] == "function"
    assert child["span_attributes"] == {"name": "double", "type": "tool"}
    assert child["input"] == {"x": 3} and child["output"] == 6
    assert child["span_parents"] == [outer["span_id"]]
    assert child["root_span_id"] == outer["span_id"] == outer["root_span_id"]
    assert outer["metrics"]["start"] <= child["metrics"]["start"] <= child["metrics"]["end"]
    assert child["metrics"]["end"] <= outer["metrics"]["end"]


def test_methods_drop_self_and_notrace_io_hides_io(server, logger):
    class Service:
        @openloop.traced
        def lookup(self, key: str) -> str:
            return key.upper()

        @openloop.traced(notrace_io=True)
        def secret(self, password: str) -> str:
            return "token"

    assert Service().lookup("k") == "K"
    assert Service().secret("hunter2") == "token"
    logger.flush()
    spans = _by_name(server)
    assert spans["lookup"]["input"] == {"key": "k"}
    assert "input" not in spans["secret"] and "output" not in spans["secret"]
    assert "hunter2" not in str(server.rows)


def test_errors_are_recorded_and_reraised(server, logger):
    @openloop.traced
    def boom(n: int) -> None:
        raise ValueError(f"bad n={n}")

    with pytest.raises(ValueError, match="bad n=7"):
        boom(7)
    logger.flush()
    error = _by_name(server)["boom"]["error"]
    assert error["type"] == "ValueError" and error["message"] == "bad n=7"
    assert "Traceback" in error["traceback"] and "raise ValueError" in error["traceback"]


def test_async_function(server, logger):
    @openloop.traced
    async def fetch(url: str) -> dict:
        await asyncio.sleep(0)
        return {"url": url}

    assert asyncio.run(fetch("u")) == {"url": "u"}
    logger.flush()
    row = _by_name(server)["fetch"]
    assert row["input"] == {"url": "u"} and row["output"] == {"url": "u"}


def test_generator_collects_yields_and_children_nest(server, logger):
    @openloop.traced
    def count(n: int):
        for i in range(n):
            with openloop.start_span(name=f"step{i}"):
                pass
            yield i
        return "done"

    assert list(count(3)) == [0, 1, 2]
    logger.flush()
    spans = _by_name(server)
    assert spans["count"]["output"] == [0, 1, 2]
    assert spans["count"]["input"] == {"n": 3}
    assert spans["step2"]["span_parents"] == [spans["count"]["span_id"]]
    # Between yields the generator's span is not current for the consumer.
    assert "end" in spans["count"]["metrics"]


def test_generator_closed_early_ends_the_span(server, logger):
    @openloop.traced
    def forever():
        i = 0
        while True:
            yield i
            i += 1

    gen = forever()
    assert [next(gen), next(gen)] == [0, 1]
    assert openloop.current_span().is_noop
    gen.close()
    logger.flush()
    row = _by_name(server)["forever"]
    assert row["output"] == [0, 1] and "end" in row["metrics"] and "error" not in row


def test_generator_error_is_recorded(server, logger):
    @openloop.traced
    def broken():
        yield 1
        raise RuntimeError("mid-stream")

    with pytest.raises(RuntimeError):
        list(broken())
    logger.flush()
    assert _by_name(server)["broken"]["error"]["message"] == "mid-stream"


def test_async_generator(server, logger):
    @openloop.traced(name="agen")
    async def tokens(words: list[str]):
        for w in words:
            await asyncio.sleep(0)
            with openloop.start_span(name=f"tok-{w}"):
                pass
            yield w

    async def consume() -> list[str]:
        return [w async for w in tokens(["a", "b"])]

    assert asyncio.run(consume()) == ["a", "b"]
    logger.flush()
    spans = _by_name(server)
    assert spans["agen"]["output"] == ["a", "b"]
    assert spans["tok-b"]["span_parents"] == [spans["agen"]["span_id"]]


def test_traced_without_logger_is_transparent():
    @openloop.traced
    def f(x: int) -> int:
        return x + 1

    assert openloop.current_logger() is None
    assert f(1) == 2
    assert openloop.current_span().is_noop
    with openloop.start_span(name="nothing") as span:
        span.log(output=1)
        assert span.export() == ""


def test_logger_traced_logs_into_that_logger(server, make_logger):
    main = make_logger("main")
    other = make_logger("other", set_current=False)

    @other.traced(name="side")
    def side() -> int:
        return 1

    side()
    other.flush()
    main.flush()
    [row] = server.folded().values()
    assert row["span_attributes"]["name"] == "side"
    assert server.bodies[0] == {"name": "other"}
