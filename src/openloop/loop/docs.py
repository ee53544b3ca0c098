"""Generate ``docs/loop.md`` from the tool registry: ``python -m openloop.loop.docs > docs/loop.md``.

The header explains Loop; the tool reference below it lists every registered tool (name, read or
write, slash command, description, arguments). A test regenerates the page and fails when the
committed file differs, so the reference never drifts from the code.
"""

from __future__ import annotations

import sys
from typing import Any

from openloop.loop.tools.base import MAX_ROWS, MAX_TEXT_CHARS, ToolSpec, list_tools

__all__ = ["render"]

_HEADER = """\
# Loop

Loop is OpenLoop's assistant. It works on your project's data through the same services as the
API and the UI: it queries logs, turns plain language into filters and queries, writes and
improves prompts, scorers and datasets, summarizes and compares experiments, draws charts and
searches these docs. Every query Loop runs is an ordinary BTQL/SQL query you could paste into
the query sandbox yourself.

## How Loop works

- **Threads.** Conversations are kept per user (optionally per project). Send messages while
  Loop is working: they wait in a queue and run in order. Interrupt the running answer to move on
  to the next message. Edit an earlier message to re-run the conversation from there (everything
  after it is dropped). Switch the model or turn tools off mid-thread; the next turn uses them.
- **Approvals.** Tools that only read run at once. Every tool that creates or changes something
  (marked *write* below) pauses with a one-line description of the change, and a diff for edits,
  until you approve or reject it. Turn on *auto-accept* for a thread (or an organization) to skip
  the question. Every decision is recorded in the thread with who made it and when.
- **Context.** The page you are on (project, experiment, dataset, prompt, scorer, query) is
  attached to your message; you can attach more data sources. When a request needs a data source
  and the page has none or several — or you ask for "a different dataset" — Loop lists the
  candidates and asks you to pick instead of guessing.
- **Models.** Loop uses the AI providers your organization configured (OpenAI, Anthropic, or any
  OpenAI-compatible server such as vLLM, Ollama or llama.cpp). Admins can limit Loop to an
  allowlist of models (organization setting `loop_models`); `OPENLOOP_LOOP_DEFAULT_MODEL` picks
  the default.
- **Without a model.** Slash commands run Loop's deterministic skills with no model at all:
  type `/help` for the list. Text after a command is its main argument; `key=value` pairs or a
  JSON object set any argument.
- **Bounded, and data is data.** A tool result shows the model at most {max_rows} rows and
  {max_chars} characters, with a note saying what was cut. Text from logs, datasets and
  documents is marked as data; Loop never follows instructions found inside it, and no change
  is made without your approval.
- **Traced.** Every turn, model call and tool call is logged as spans (task, llm, tool) in the
  project `openloop-internal`, so you can search, chart and evaluate Loop like any other app.

## Using Loop

- In the browser: the Loop panel on any project page.
- In the terminal: `openloop chat [--project P] [--message M] [--yes] [--model M]` (in-process
  against the data directory, or against a server with `OPENLOOP_BASE_URL` and
  `OPENLOOP_API_KEY`).
- Over HTTP: `POST /v1/loop/threads`, `POST /v1/loop/threads/{{id}}/messages`
  `{{"content", "page", "data_sources"}}`, then `GET /v1/loop/threads/{{id}}/events` for a
  Server-Sent Events stream of `queued`, `turn_start`, `text_delta`, `tool_call`, `tool_result`,
  `choices`, `approval_request`, `approval_decision`, `error` and `done` events
  (`?after=<id>` or `Last-Event-ID` replays what you missed; `?until_idle=true` ends the stream
  when the thread is idle). Decide with `POST /v1/loop/approvals/{{id}}`
  `{{"decision": "approve" | "reject", "note"}}`; interrupt with
  `POST /v1/loop/threads/{{id}}/interrupt`; edit with
  `POST /v1/loop/threads/{{id}}/messages/{{seq}}/edit`. `GET /v1/loop/tools` and
  `GET /v1/loop/models` list what is available.

## Tools

This reference is generated from the tool registry (`python -m openloop.loop.docs`).
"""


def _type(schema: dict[str, Any]) -> str:
    if "enum" in schema:
        return " | ".join(repr(v) for v in schema["enum"])
    if "anyOf" in schema:
        return " or ".join(_type(s) for s in schema["anyOf"])
    if schema.get("type") == "array":
        return f"list of {_type(schema.get('items', {}))}"
    return str(schema.get("type", schema.get("$ref", "any").rsplit("/", 1)[-1]))


def _args(spec: ToolSpec) -> list[str]:
    schema = spec.args.model_json_schema()
    props: dict[str, Any] = schema.get("properties", {})
    required = set(schema.get("required", []))
    if not props:
        return ["- *(no arguments)*"]
    out = []
    for name, prop in props.items():
        need = "required" if name in required else f"default `{prop.get('default')!r}`"
        desc = " ".join(str(prop.get("description", "")).split())
        out.append(f"- `{name}` ({_type(prop)}, {need}){': ' + desc if desc else ''}")
    return out


def _tool(spec: ToolSpec) -> str:
    kind = "write — asks for approval" if spec.kind == "write" else "read"
    lines = [f"### `{spec.name}`", "", f"*{kind}*"]
    if spec.command:
        lines[-1] += f" · slash command `{spec.command}`"
    if spec.pages:
        lines[-1] += f" · pages: {', '.join(spec.pages)}"
    lines += ["", " ".join(spec.description.split()), "", "Arguments:", "", *_args(spec), ""]
    return "\n".join(lines)


def render(tools: list[ToolSpec] | None = None) -> str:
    """The whole of ``docs/loop.md``."""
    tools = list_tools() if tools is None else tools
    header = _HEADER.format(max_rows=MAX_ROWS, max_chars=f"{MAX_TEXT_CHARS:,}")
    rows = ["| Tool | Kind | Slash command |", "| --- | --- | --- |"]
    for t in tools:
        rows.append(
            f"| [`{t.name}`](#{t.name}) | {t.kind} | {f'`{t.command}`' if t.command else ''} |"
        )
    body = "\n".join(_tool(t) for t in tools)
    return f"{header}\n" + "\n".join(rows) + "\n\n" + body


if __name__ == "__main__":  # pragma: no cover
    sys.stdout.write(render())
