"""docs/loop.md is generated from the tool registry and must match it."""

from __future__ import annotations

from pathlib import Path

from openloop.loop.docs import render
from openloop.loop.tools.base import list_tools

DOC = Path(__file__).resolve().parents[2] / "docs" / "loop.md"


def test_docs_loop_md_is_up_to_date():
    expected = render()
    assert DOC.read_text() == expected, (
        "docs/loop.md is stale; regenerate it: python -m openloop.loop.docs > docs/loop.md"
    )


def test_every_registered_tool_is_documented_with_kind_and_command():
    text = render()
    for tool in list_tools():
        assert f"### `{tool.name}`" in text
        if tool.command:
            assert f"slash command `{tool.command}`" in text
