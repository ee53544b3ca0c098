from __future__ import annotations

import datetime as dt
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from openloop.evals.sandbox import CodeScorerError, Sandbox, shutdown_default_sandbox
from openloop.evals.scorers.code import CodeScorer, run_code_scorer, run_code_scorer_all

HANDLER = "def handler(input, output, expected, metadata):\n"


def _children() -> set[int]:
    """Live child processes of this test process."""
    me = str(os.getpid())
    found = set()
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[1] == me and fields[0] != "Z":
            found.add(int(stat.parent.name))
    return found


@pytest.fixture(scope="module", autouse=True)
def _stop_default_sandbox() -> Iterator[None]:
    yield
    shutdown_default_sandbox()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    box = Sandbox(max_workers=2)
    yield box
    box.close()


def score(sandbox: Sandbox, code: str, **kwargs):
    row = {"input": "What is 2+2?", "output": "4", "expected": "4", "metadata": {"lang": "en"}}
    row.update(kwargs)
    return run_code_scorer(code, sandbox=sandbox, **row)


def test_handler_scores_a_row(sandbox: Sandbox) -> None:
    code = HANDLER + "    return 1.0 if output.strip() == expected else 0.0\n"
    result = score(sandbox, code)
    assert (result.name, result.score, result.error) == ("code", 1.0, None)
    assert score(sandbox, code, output="5").score == 0.0


def test_handler_returns_metadata_and_may_declare_fewer_args(sandbox: Sandbox) -> None:
    code = (
        "import re, json, math\n"
        "def handler(output, metadata):\n"
        "    digits = re.findall(r'\\d', output)\n"
        "    return {'score': math.sqrt(0.25), 'metadata': {'digits': digits, 'lang': metadata['lang']}}\n"
    )
    result = score(sandbox, code, output="a1b2")
    assert result.score == 0.5 and result.metadata == {"digits": ["1", "2"], "lang": "en"}


def test_bool_none_named_lists_and_printed_logs(sandbox: Sandbox) -> None:
    assert score(sandbox, "def handler(output):\n    return output == '4'").score == 1.0
    skipped = score(sandbox, "def handler(output):\n    return None")
    assert skipped.score is None and skipped.error is None
    many = run_code_scorer_all(
        "def handler(**kw):\n    print('checked', kw['output'])\n"
        "    return [{'name': 'a', 'score': 1}, {'name': 'b', 'score': 0}]",
        output="4",
        sandbox=sandbox,
    )
    assert [(s.name, s.score) for s in many] == [("a", 1.0), ("b", 0.0)]
    assert many[0].metadata["logs"] == "checked 4\n"


def test_row_values_that_are_not_json_still_arrive(sandbox: Sandbox) -> None:
    code = "def handler(input):\n    return 1 if input['when'].startswith('2024-01-02') else 0"
    assert score(sandbox, code, input={"when": dt.datetime(2024, 1, 2, 3, 4)}).score == 1.0
    looped: list[object] = []
    looped.append(looped)
    failed = score(sandbox, code, input=looped)
    assert failed.error == "the row could not be passed to the scorer: Circular reference detected"


def test_infinite_loop_times_out_within_the_limit(sandbox: Sandbox) -> None:
    started = time.monotonic()
    result = score(sandbox, HANDLER + "    while True:\n        pass\n")
    elapsed = time.monotonic() - started
    assert result.score is None and result.error == "timed out after 2 s"
    assert elapsed < 3.5


@pytest.mark.parametrize(
    "body",
    [
        "    data = 'x' * (4 * 1024 ** 3)\n    return 1\n",
        "    chunks = []\n    while True:\n        chunks.append([0] * 10_000_000)\n",
    ],
)
def test_allocating_gigabytes_hits_the_memory_limit(sandbox: Sandbox, body: str) -> None:
    result = score(sandbox, HANDLER + body)
    assert result.score is None and result.error == "exceeded the memory limit of 256 MB"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        (
            HANDLER + "    return len(open('/etc/passwd').read())\n",
            "'open' is not allowed in code scorers (line 2)",
        ),
        (
            "import socket\n" + HANDLER + "    return 1\n",
            "import of 'socket' is not allowed (line 1)",
        ),
        ("import os\n" + HANDLER + "    return 1\n", "import of 'os' is not allowed (line 1)"),
        (
            "from subprocess import run\n" + HANDLER + "    return 1\n",
            "import of 'subprocess' is not allowed",
        ),
        (HANDLER + "    exec('import os')\n    return 1\n", "'exec' is not allowed"),
        (HANDLER + "    return ().__class__.__base__\n", "attribute '__class__' is not allowed"),
    ],
)
def test_file_network_and_os_access_is_not_allowed(
    sandbox: Sandbox, code: str, message: str
) -> None:
    result = score(sandbox, code)
    assert result.score is None
    assert result.error is not None and result.error.startswith(message)


def test_os_calls_are_refused_inside_the_sandbox_too(sandbox: Sandbox) -> None:
    # Even with pathlib allowed, reading a host file is answered with a refusal.
    code = "from pathlib import Path\nPath('/etc/passwd').read_text()"
    with pytest.raises(CodeScorerError, match="not allowed in code scorers") as info:
        sandbox.run(code, allowed_imports={"pathlib"})
    assert info.value.kind == "not_allowed"


def test_exceptions_syntax_errors_and_bad_returns_are_clear(sandbox: Sandbox) -> None:
    raised = score(
        sandbox, HANDLER + "    x = 1\n    raise ValueError('expected must be a list')\n"
    )
    assert raised.error == "ValueError: expected must be a list (line 3)"
    broken = score(sandbox, HANDLER + "    return (1\n")
    assert broken.error is not None and broken.error.startswith("syntax error on line 2")
    text = score(sandbox, HANDLER + "    return 'great'\n")
    assert text.error is not None and text.error.startswith("handler returned the string 'great'")
    big = score(sandbox, HANDLER + "    return 3\n")
    assert big.error == "scorer 'code' returned 3, outside [0, 1]"
    missing = score(sandbox, "def grade(output):\n    return 1\n")
    assert missing.error is not None and "must define a function named 'handler'" in missing.error
    odd = score(sandbox, "def handler(output, trace):\n    return 1\n")
    assert odd.error is not None and odd.error.startswith("handler parameter 'trace' is not one of")


def test_saved_code_scorer_is_checked_when_built(sandbox: Sandbox) -> None:
    with pytest.raises(CodeScorerError, match="import of 'os' is not allowed"):
        CodeScorer("bad", "import os\ndef handler(output):\n    return 1\n")
    scorer = CodeScorer(
        "len_ok", "def handler(output):\n    return len(output) < 10\n", timeout_s=1
    )
    assert scorer.evaluate(output="short").score == 1.0


def test_twenty_calls_in_a_row_are_quick_and_leak_nothing() -> None:
    box = Sandbox(max_workers=2)
    threads_before = threading.active_count()
    children_before = _children()
    started = time.monotonic()
    try:
        for i in range(20):
            result = run_code_scorer(
                "def handler(output):\n    return output / 20", output=i, sandbox=box
            )
            assert result.score == i / 20
        # a failing call in between does not leave a process behind either
        assert score(box, HANDLER + "    raise KeyError('k')\n").error == "KeyError: k (line 2)"
        elapsed = time.monotonic() - started
        assert elapsed < 10
        assert len(_children() - children_before) <= 2
    finally:
        box.close()
    assert threading.active_count() <= threads_before
    deadline = time.monotonic() + 5
    while _children() - children_before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not (_children() - children_before)
