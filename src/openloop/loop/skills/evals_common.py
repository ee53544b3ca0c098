"""Shared pieces of Loop's eval skills (prompts, scorers, datasets, experiments): which object a
request is about, short snippets of row values, one-line descriptions and JSON diffs for
approval cards, and running a coroutine from a tool.

A tool names its object either explicitly (an id, a name or a slug) or not at all; then the
page's object, an attached data source, or the project's only object of that kind is used. When
that is ambiguous the tool fails with a message telling the model to ask the user.
"""

from __future__ import annotations

import difflib
import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import orjson

from openloop.errors import InvalidInput, NotFound
from openloop.evals.templates import to_text

if TYPE_CHECKING:
    from openloop.loop.tools.base import LoopContext
    from openloop.store.control.records import RegistryObject

__all__ = [
    "describe",
    "fmt_num",
    "json_diff",
    "pretty",
    "project_of",
    "resolve_object",
    "row_key",
    "run_coro",
    "snippet",
    "thresholds",
]

logger = logging.getLogger(__name__)

_MAX_DESCRIPTION = 240


def resolve_object(ctx: LoopContext, kind: str, ref: str | None = None) -> RegistryObject:
    """The ``kind`` object a request is about (see the module docstring)."""
    control, org = ctx.svc.control, ctx.principal.org_id
    if ref and ref.strip():
        key = ref.strip()
        try:
            obj = control.find_object(org, key)
        except NotFound:
            obj = None
        if obj is not None and obj.kind == kind:
            return obj
        projects = [ctx.project_id] if ctx.project_id else [
            p.id for p in control.list_projects(org)
        ]  # fmt: skip
        pool: list[RegistryObject] = []
        for pid in projects:
            pool.extend(control.list_objects(org, pid, kind))
        for obj in pool:
            if key in (obj.name, obj.slug):
                return obj
        lowered = [o for o in pool if o.name.lower() == key.lower()]
        if len(lowered) == 1:
            return lowered[0]
        names = ", ".join(repr(o.name) for o in pool[:20]) or "none"
        raise InvalidInput(f"no {kind} named {key!r}; {kind}s here: {names}", field=kind)
    from pydantic_ai import ModelRetry

    from openloop.loop.context import require_data_source

    try:
        source = require_data_source(ctx, kind)
    except ModelRetry as exc:
        raise InvalidInput(str(exc.message), field=kind) from None
    return control.find_object(org, str(source["id"]))


def project_of(ctx: LoopContext, project: str | None = None) -> Any:
    """The project a tool works in: ``project`` (id or name), else the thread's project."""
    key = project or ctx.project_id or ctx.page.get("project_id")
    if not key:
        raise InvalidInput("this needs a project: open a project or name one", field="project")
    return ctx.svc.control.get_project(ctx.principal.org_id, str(key))


def snippet(value: Any, limit: int = 120) -> str:
    """A value as one short line of text (JSON for structures, whitespace collapsed)."""
    if isinstance(value, Mapping) and len(value) == 1:
        value = next(iter(value.values()))  # {"question": "..."} reads better as its text
    text = " ".join(to_text(value).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def describe(text: str) -> str:
    """An approval card's description: one line, bounded."""
    line = " ".join(text.split())
    return line if len(line) <= _MAX_DESCRIPTION else line[: _MAX_DESCRIPTION - 1] + "…"


def pretty(value: Any) -> str:
    """Stable, indented JSON (sorted keys) for diffs and previews."""
    return orjson.dumps(
        value, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS | orjson.OPT_NON_STR_KEYS,
        default=str,
    ).decode()  # fmt: skip


def json_diff(old: Any, new: Any, *, old_label: str, new_label: str) -> str:
    """Unified diff of two values rendered as :func:`pretty` JSON ('' when equal)."""
    return "".join(
        difflib.unified_diff(
            (pretty(old) + "\n").splitlines(keepends=True) if old is not None else [],
            (pretty(new) + "\n").splitlines(keepends=True),
            fromfile=old_label,
            tofile=new_label,
        )
    )


def fmt_num(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "—"
    return f"{value:.{digits}g}" if abs(value) < 1e4 else f"{value:,.0f}"


def row_key(row: Mapping[str, Any]) -> str:
    """An experiment row's dataset row id when it came from a dataset, else its own id."""
    origin = row.get("origin")
    if isinstance(origin, Mapping) and origin.get("id"):
        return str(origin["id"])
    return str(row.get("id"))


def thresholds(ctx: LoopContext, project_id: str, names: Sequence[str]) -> dict[str, float]:
    """Pass thresholds per score: a saved scorer's ``__pass_threshold``, else 0.5."""
    from openloop.evals.score import PASS_THRESHOLD_KEY
    from openloop.services.scorers import list_scorers

    saved: dict[str, float] = {}
    try:
        for record in list_scorers(ctx.svc, ctx.principal, project_id):
            value = (record.get("metadata") or {}).get(PASS_THRESHOLD_KEY)
            if isinstance(value, int | float) and not isinstance(value, bool):
                saved[record["name"]] = float(value)
    except NotFound:
        pass
    return {name: saved.get(name, 0.5) for name in names}


def run_coro(make: Callable[[], Any]) -> Any:
    """Run ``make()`` (a coroutine factory) to completion from a sync tool."""
    from openloop.evals.llm_judge import run_sync

    return run_sync(make)
