"""Mustache templates for prompts and LLM judges.

Templates are tokenized by ``chevron`` (so delimiter changes ``{{=<% %>=}}``, comments and
standalone-tag whitespace follow the mustache spec) and rendered here, because prompts need
three things chevron's renderer does not offer:

* **no HTML escaping** — ``{{x}}``, ``{{{x}}}`` and ``{{&x}}`` all insert the value as-is;
* **non-string values as JSON** — ``{{input}}`` with ``{"q": 1}`` renders ``{"q": 1}``, not a
  Python repr; ``true``/``false`` for booleans; ``None`` renders as an empty string;
* **strict mode** (the default) — a variable or section name that does not resolve raises
  ``InvalidInput("template variable 'x.y' is missing", variable="x.y")`` naming the first one
  in render order. An inverted section ``{{^x}}`` is the way to test for absence, so a missing
  name there is never an error.

Name resolution follows mustache: the first segment of a dotted path is looked up through the
section stack (innermost first), the rest strictly inside what it found; ``.`` is the current
item; a numeric segment indexes a list (``{{items.0}}``).

>>> render("Q: {{input.q}} ({{#tags}}{{.}} {{/tags}})", {"input": {"q": "2+2?"}, "tags": ["a", "b"]})
'Q: 2+2? (a b )'
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from chevron.tokenizer import ChevronError, tokenize

from openloop.errors import InvalidInput

logger = logging.getLogger(__name__)

__all__ = ["render", "render_messages", "template_variables", "to_text"]

_MISSING = object()
_VALUE_TAGS = frozenset({"variable", "no escape"})

# A parsed template is a tuple of nodes: ("text", str), ("var", key) or
# ("section" | "inverted", key, children).
_Node = tuple[Any, ...]


def to_text(value: Any) -> str:
    """How a value appears inside rendered text: strings as-is, ``None`` as empty, the rest as
    JSON (``true``, ``1.5``, ``{"a": [1]}``)."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    return json.dumps(value, ensure_ascii=False, default=str)


def _lookup(scopes: list[Any], key: str) -> Any:
    if key == ".":
        return scopes[-1]
    head, *rest = key.split(".")
    for scope in reversed(scopes):
        found = _child(scope, head)
        if found is not _MISSING:
            value = found
            for part in rest:
                value = _child(value, part)
                if value is _MISSING:
                    return _MISSING
            return value
    return _MISSING


def _child(value: Any, name: str) -> Any:
    if isinstance(value, Mapping):
        return value.get(name, _MISSING)
    if isinstance(value, Sequence) and not isinstance(value, str | bytes) and name.isdigit():
        index = int(name)
        return value[index] if index < len(value) else _MISSING
    return _MISSING


def _missing(key: str) -> InvalidInput:
    return InvalidInput(f"template variable {key!r} is missing", variable=key)


def _render_nodes(
    nodes: tuple[_Node, ...], scopes: list[Any], strict: bool, out: list[str]
) -> None:
    for node in nodes:
        kind = node[0]
        if kind == "text":
            out.append(node[1])
            continue
        key = node[1]
        value = _lookup(scopes, key)
        if kind == "var":
            if value is _MISSING:
                if strict:
                    raise _missing(key)
                continue
            out.append(to_text(value))
        elif kind == "section":
            if value is _MISSING:
                if strict:
                    raise _missing(key)
                continue
            if isinstance(value, list | tuple):
                for item in value:
                    _render_nodes(node[2], [*scopes, item], strict, out)
            elif value:
                _render_nodes(node[2], [*scopes, value], strict, out)
        elif value is _MISSING or not value:  # inverted section
            _render_nodes(node[2], scopes, strict, out)


def render(template: str, variables: Mapping[str, Any], *, strict: bool = True) -> str:
    """Render a mustache ``template`` with ``variables`` (see the module docs for the rules)."""
    nodes = _parse_tree(template)
    out: list[str] = []
    _render_nodes(nodes, [variables], strict, out)
    return "".join(out)


@lru_cache(maxsize=512)
def _parse_tree(template: str) -> tuple[_Node, ...]:
    """Parse into nested nodes, remembering whether each section was normal or inverted."""
    try:
        tokens = list(tokenize(template))
    except ChevronError as exc:
        message = " ".join(str(exc).split())
        raise InvalidInput(f"template syntax error: {message}") from exc
    stack: list[tuple[str, str, list[_Node]]] = [("root", "", [])]
    for tag, key in tokens:
        name = key.strip() if isinstance(key, str) else key
        if tag == "literal":
            stack[-1][2].append(("text", key))
        elif tag in _VALUE_TAGS:
            stack[-1][2].append(("var", name))
        elif tag == "no escape?":
            # chevron's name for ``{x}`` (triple-stache) under changed delimiters
            stack[-1][2].append(("var", name.rstrip("}").strip()))
        elif tag == "section":
            stack.append(("section", name, []))
        elif tag == "inverted section":
            stack.append(("inverted", name, []))
        elif tag == "end":
            kind, opened, children = stack.pop()
            stack[-1][2].append((kind, opened, tuple(children)))
        elif tag == "partial":
            raise InvalidInput(f"template partials are not supported: '{{{{> {name}}}}}'")
    if len(stack) != 1:
        raise InvalidInput(f"template syntax error: section {stack[-1][1]!r} is never closed")
    return tuple(stack[0][2])


def template_variables(text: str) -> set[str]:
    """The variable paths a template needs from its caller: every tag outside a section, and
    every section's own name. Tags inside a section resolve against the section's item first,
    so they are not listed.

    >>> sorted(template_variables("{{input.q}} {{#items}}{{name}}{{/items}} {{^done}}!{{/done}}"))
    ['done', 'input.q', 'items']
    """
    names: set[str] = set()
    for node in _parse_tree(text):
        if node[0] in ("var", "section", "inverted") and node[1] != ".":
            names.add(node[1])
    return names


def _render_content(content: Any, variables: Mapping[str, Any], strict: bool) -> Any:
    if isinstance(content, str):
        return render(content, variables, strict=strict)
    if isinstance(content, list):
        parts = []
        for part in content:
            if not isinstance(part, Mapping):
                parts.append(part)
                continue
            new = dict(part)
            if isinstance(new.get("text"), str):
                new["text"] = render(new["text"], variables, strict=strict)
            image = new.get("image_url")
            if isinstance(image, Mapping) and isinstance(image.get("url"), str):
                new["image_url"] = {**image, "url": render(image["url"], variables, strict=strict)}
            parts.append(new)
        return parts
    return content


def render_messages(
    messages: Sequence[Mapping[str, Any]], variables: Mapping[str, Any], strict: bool = True
) -> list[dict[str, Any]]:
    """Render every message's text (plain ``content``, ``text`` parts and image URLs) and return
    new message dicts; other fields (role, name, tool calls) are copied unchanged."""
    rendered: list[dict[str, Any]] = []
    for message in messages:
        new = dict(message)
        if "content" in new:
            new["content"] = _render_content(new["content"], variables, strict)
        rendered.append(new)
    return rendered
