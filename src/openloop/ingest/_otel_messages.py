"""Chat messages out of the several ways OTel instrumentations record them.

Every form is normalised to OpenAI-style chat messages (``{"role", "content", "tool_calls",
"tool_call_id", "name", "finish_reason"}``, absent keys left out) because that is what the trace
view renders and what Braintrust users already know. Each ``*_messages`` function pops the
attributes it consumed from ``attrs`` and returns ``None`` when its form is absent.
"""

from __future__ import annotations

import logging
from typing import Any

import orjson

logger = logging.getLogger(__name__)

Attrs = dict[str, Any]
Message = dict[str, Any]

_EVENT_ROLES = {
    "gen_ai.system.message": "system",
    "gen_ai.user.message": "user",
    "gen_ai.assistant.message": "assistant",
    "gen_ai.tool.message": "tool",
}


def parse_json(value: Any) -> Any:
    """``value`` parsed when it is a JSON text, else ``value`` unchanged."""
    if isinstance(value, str | bytes) and value:
        try:
            return orjson.loads(value)
        except orjson.JSONDecodeError:
            return value
    return value


def json_text(value: Any) -> Any:
    """Tool-call arguments as the JSON text OpenAI messages carry."""
    if value is None or isinstance(value, str):
        return value
    try:
        return orjson.dumps(value).decode("utf-8")
    except TypeError:
        return str(value)


def take_indexed(attrs: Attrs, prefix: str) -> list[Attrs]:
    """Pop ``prefix.N.rest`` keys and return ``[{rest: value}, ...]`` ordered by ``N``."""
    head = prefix + "."
    groups: dict[int, Attrs] = {}
    for key in [k for k in attrs if k.startswith(head)]:
        index, _, rest = key[len(head) :].partition(".")
        # Nine digits is plenty and keeps int() away from huge digit strings.
        if rest and index.isascii() and index.isdigit() and len(index) <= 9:
            groups.setdefault(int(index), {})[rest] = attrs.pop(key)
    return [groups[i] for i in sorted(groups)]


def _clean(message: Message) -> Message:
    return {k: v for k, v in message.items() if v is not None and v != []}


def _content(items: list[Any]) -> Any:
    if not items:
        return None
    if len(items) == 1 and isinstance(items[0], dict) and items[0].get("type") == "text":
        return items[0].get("text")
    return items


def _tool_call(call_id: Any, name: Any, arguments: Any) -> Message:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": arguments}}


# -- OTel GenAI semantic conventions (gen_ai.input.messages / gen_ai.output.messages) ------------


def _from_parts(message: Any) -> list[Message]:
    """One GenAI ``{role, parts, finish_reason}`` message → one or more chat messages."""
    if not isinstance(message, dict) or not isinstance(message.get("parts"), list):
        return [message]
    items: list[Any] = []
    calls: list[Message] = []
    replies: list[Message] = []
    for part in message["parts"]:
        kind = part.get("type") if isinstance(part, dict) else None
        if kind == "text":
            items.append({"type": "text", "text": part.get("content")})
        elif kind == "tool_call":
            calls.append(
                _tool_call(part.get("id"), part.get("name"), json_text(part.get("arguments")))
            )
        elif kind == "tool_call_response":
            reply = {"role": "tool", "tool_call_id": part.get("id")}
            response = part.get("response")
            reply["content"] = response if isinstance(response, str) else json_text(response)
            replies.append(reply)
        else:
            items.append(part)
    out: list[Message] = []
    if items or calls or not replies:
        out.append(
            _clean(
                {
                    "role": message.get("role"),
                    "name": message.get("name"),
                    "content": _content(items),
                    "tool_calls": calls,
                    "finish_reason": message.get("finish_reason"),
                }
            )
        )
    return out + replies


def _genai_list(value: Any) -> Any:
    parsed = parse_json(value)
    if not isinstance(parsed, list):
        return parsed
    return [m for message in parsed for m in _from_parts(message)]


def genai_input(attrs: Attrs) -> Any:
    messages = _genai_list(attrs.pop("gen_ai.input.messages", None))
    system = parse_json(attrs.pop("gen_ai.system_instructions", None))
    if system is None:
        return messages
    if isinstance(system, list):
        system = _content(
            [{"type": "text", "text": p.get("content")} if _is_text(p) else p for p in system]
        )
    head = [{"role": "system", "content": system}]
    if messages is None:
        return head
    return head + messages if isinstance(messages, list) else [*head, messages]


def _is_text(part: Any) -> bool:
    return isinstance(part, dict) and part.get("type") == "text"


def genai_output(attrs: Attrs) -> Any:
    return _genai_list(attrs.pop("gen_ai.output.messages", None))


# -- OpenInference (llm.input_messages.N.message.*) ---------------------------------------------


def _openinference_message(flat: Attrs) -> Message:
    contents: list[Any] = []
    for item in take_indexed(flat, "message.contents"):
        kind = item.get("message_content.type")
        if kind == "image":
            url = item.get("message_content.image.image.url")
            contents.append({"type": "image_url", "image_url": {"url": url}})
        else:
            contents.append({"type": kind or "text", "text": item.get("message_content.text")})
    calls = [
        _tool_call(
            c.get("tool_call.id"),
            c.get("tool_call.function.name"),
            json_text(c.get("tool_call.function.arguments")),
        )
        for c in take_indexed(flat, "message.tool_calls")
    ]
    content = flat.get("message.content")
    return _clean(
        {
            "role": flat.get("message.role"),
            "name": flat.get("message.name"),
            "content": content if content is not None else _content(contents),
            "tool_calls": calls,
            "tool_call_id": flat.get("message.tool_call_id"),
        }
    )


def openinference_messages(attrs: Attrs, prefix: str) -> list[Message] | None:
    flat = take_indexed(attrs, prefix)
    return [_openinference_message(m) for m in flat] or None


def openinference_texts(attrs: Attrs, prefix: str, key: str) -> list[Any] | None:
    """``llm.prompts.N.prompt.text`` style lists of plain texts."""
    return [item.get(key) for item in take_indexed(attrs, prefix)] or None


# -- OpenLLMetry (gen_ai.prompt.N.* / gen_ai.completion.N.*) ------------------------------------


def openllmetry_messages(attrs: Attrs, prefix: str) -> list[Message] | None:
    out = []
    for flat in take_indexed(attrs, prefix):
        content = flat.get("content")
        if isinstance(content, str) and content.startswith("["):
            content = parse_json(content)
        calls = [
            _tool_call(c.get("id"), c.get("name"), json_text(c.get("arguments")))
            for c in take_indexed(flat, "tool_calls")
        ]
        message = {
            "role": flat.get("role"),
            "content": content,
            "tool_calls": calls,
            "tool_call_id": flat.get("tool_call_id"),
            "finish_reason": flat.get("finish_reason"),
        }
        out.append(_clean(message))
    return out or None


# -- span events (older GenAI conventions) -------------------------------------------------------


def _event_body(event_attrs: Attrs) -> Attrs:
    body = parse_json(event_attrs.get("body", event_attrs.get("gen_ai.event.content")))
    merged = dict(event_attrs)
    if isinstance(body, dict):
        merged.update(body)
    return merged


def event_messages(events: list[Attrs]) -> tuple[Any, Any]:
    """Pop GenAI message events from ``events``; return ``(input, output)`` (``None`` if absent).

    ``events`` items are ``{"name", "time", "attributes"}`` dicts.
    """
    inputs: list[Message] = []
    outputs: list[Message] = []
    legacy_in: Any = None
    legacy_out: Any = None
    keep = []
    for event in events:
        name, attrs = event["name"], event["attributes"]
        if name in _EVENT_ROLES:
            body = _event_body(attrs)
            calls = parse_json(body.get("tool_calls"))
            inputs.append(
                _clean(
                    {
                        "role": body.get("role") or _EVENT_ROLES[name],
                        "content": parse_json(body.get("content")),
                        "tool_calls": calls if isinstance(calls, list) else None,
                        "tool_call_id": body.get("id") if name == "gen_ai.tool.message" else None,
                    }
                )
            )
        elif name == "gen_ai.choice":
            body = _event_body(attrs)
            raw = body.get("message", body.get("content"))
            if raw is None:  # the message flattened into "message.content", "message.role", …
                raw = {k[8:]: parse_json(v) for k, v in body.items() if k.startswith("message.")}
            message = parse_json(raw)
            message = dict(message) if isinstance(message, dict) else {"content": message}
            message.setdefault("role", "assistant")
            message["finish_reason"] = body.get("finish_reason")
            outputs.append(_clean(message))
        elif name == "gen_ai.content.prompt" and "gen_ai.prompt" in attrs:
            legacy_in = parse_json(attrs["gen_ai.prompt"])
        elif name == "gen_ai.content.completion" and "gen_ai.completion" in attrs:
            legacy_out = parse_json(attrs["gen_ai.completion"])
        else:
            keep.append(event)
    events[:] = keep
    return (inputs or legacy_in), (outputs or legacy_out)


# -- retrieval ------------------------------------------------------------------------------------


def retrieval_documents(attrs: Attrs, indexed: bool = True) -> list[Any] | None:
    """``retrieval.documents.N.document.*`` (when ``indexed``), else ``gen_ai.retrieval.documents``."""
    docs = []
    for flat in take_indexed(attrs, "retrieval.documents") if indexed else ():
        doc = {
            "id": flat.get("document.id"),
            "content": flat.get("document.content"),
            "score": flat.get("document.score"),
            "metadata": parse_json(flat.get("document.metadata")),
        }
        docs.append(_clean(doc))
    genai = parse_json(attrs.pop("gen_ai.retrieval.documents", None))
    return docs or genai


# -- input / output precedence ------------------------------------------------------------------


def _value(attrs: Attrs, prefix: str) -> Any:
    """OpenInference ``input.value``/``output.value``, parsed when its mime type says JSON."""
    key = prefix + ".value"
    if key not in attrs:
        return None
    value = attrs.pop(key)
    mime = attrs.pop(prefix + ".mime_type", None)
    return parse_json(value) if isinstance(mime, str) and "json" in mime.lower() else value


def _texts(attrs: Attrs, prefix: str, key: str) -> list[Any] | None:
    texts = [t for t in (openinference_texts(attrs, prefix, key) or []) if t is not None]
    return texts or None


#: Heads of the ``prefix.N.rest`` attribute families that :func:`span_io` reads.
_INDEXED_HEADS = (
    "llm.input_messages.",
    "gen_ai.prompt.",
    "llm.prompts.",
    "embedding.embeddings.",
    "llm.output_messages.",
    "gen_ai.completion.",
    "llm.choices.",
    "retrieval.documents.",
)
#: The single attributes :func:`span_io` reads.
_IO_KEYS = frozenset(
    {
        "gen_ai.input.messages",
        "gen_ai.system_instructions",
        "gen_ai.tool.call.arguments",
        "gen_ai.retrieval.query.text",
        "input.value",
        "gen_ai.prompt",
        "gen_ai.output.messages",
        "gen_ai.tool.call.result",
        "gen_ai.retrieval.documents",
        "output.value",
        "gen_ai.completion",
    }
)


def _present(attrs: Attrs) -> set[str]:
    """Which of :data:`_IO_KEYS` and of :data:`_INDEXED_HEADS` (dot included) ``attrs`` holds,
    in one pass over the keys: the forms a span lacks then cost nothing."""
    found = attrs.keys() & _IO_KEYS
    for key in attrs:
        if key.startswith(_INDEXED_HEADS):
            found.update(h for h in _INDEXED_HEADS if key.startswith(h))
    return found


def _pop_json(attrs: Attrs, key: str, has: set[str]) -> Any:
    return parse_json(attrs.pop(key)) if key in has else None


def span_io(attrs: Attrs, events: list[Attrs]) -> tuple[Any, Any]:
    """The row's ``(input, output)``: the first form present wins; every form is consumed."""
    events_in, events_out = event_messages(events) if events else (None, None)
    has = _present(attrs)
    if not has:
        return events_in, events_out
    inputs = (
        genai_input(attrs)
        if "gen_ai.input.messages" in has or "gen_ai.system_instructions" in has
        else None,
        openinference_messages(attrs, "llm.input_messages")
        if "llm.input_messages." in has
        else None,
        openllmetry_messages(attrs, "gen_ai.prompt") if "gen_ai.prompt." in has else None,
        events_in,
        _texts(attrs, "llm.prompts", "prompt.text") if "llm.prompts." in has else None,
        _pop_json(attrs, "gen_ai.tool.call.arguments", has),
        attrs.pop("gen_ai.retrieval.query.text", None),
        _texts(attrs, "embedding.embeddings", "embedding.text")
        if "embedding.embeddings." in has
        else None,
        _value(attrs, "input") if "input.value" in has else None,
        _pop_json(attrs, "gen_ai.prompt", has),
    )
    outputs = (
        genai_output(attrs) if "gen_ai.output.messages" in has else None,
        openinference_messages(attrs, "llm.output_messages")
        if "llm.output_messages." in has
        else None,
        openllmetry_messages(attrs, "gen_ai.completion") if "gen_ai.completion." in has else None,
        events_out,
        _texts(attrs, "llm.choices", "completion.text") if "llm.choices." in has else None,
        _pop_json(attrs, "gen_ai.tool.call.result", has),
        retrieval_documents(attrs, "retrieval.documents." in has)
        if "retrieval.documents." in has or "gen_ai.retrieval.documents" in has
        else None,
        _value(attrs, "output") if "output.value" in has else None,
        _pop_json(attrs, "gen_ai.completion", has),
    )
    return _first(inputs), _first(outputs)


def _first(values: tuple[Any, ...]) -> Any:
    for value in values:
        if value is not None:
            return value
    return None
