"""Python ``Eval(...)`` code that reproduces an experiment, optionally with a proposed prompt.

The code uses only the public SDK (``init_dataset``, ``load_prompt``, ``Eval``,
``wrap_openai``) plus the scorer classes OpenLoop ships, so a user can save it as a file and run
``openloop eval file.py``. Every literal is written with ``repr``/``pformat``, never pasted
text, and the result is checked to parse before it is returned.
"""

from __future__ import annotations

import ast
import logging
import pprint
from collections.abc import Mapping, Sequence
from typing import Any

from openloop.errors import InvalidInput

__all__ = ["eval_code"]

logger = logging.getLogger(__name__)


def _ident(name: str, taken: set[str]) -> str:
    base = "".join(c if c.isalnum() else "_" for c in name.lower()).strip("_") or "scorer"
    if base[0].isdigit():
        base = "s_" + base
    out, n = base, 2
    while out in taken:
        out, n = f"{base}_{n}", n + 1
    taken.add(out)
    return out


def _scorer_lines(scorers: Sequence[Mapping[str, Any]]) -> tuple[list[str], list[str], set[str]]:
    """Definitions, the ``scores=[...]`` entries, and the imports they need."""
    defs: list[str] = []
    names: list[str] = []
    imports: set[str] = set()
    taken: set[str] = {"task", "client", "prompt", "dataset"}
    for s in scorers:
        data = s.get("function_data") or {}
        kind = data.get("type")
        if kind == "llm_judge":
            ident = _ident(s["name"], taken).upper()
            imports.add("from openloop.evals.llm_judge import LLMJudge")
            defs.append(
                f"{ident} = LLMJudge(\n    {s['name']!r},\n    {data['prompt']!r},\n"
                f"    {data['choice_scores']!r},\n    model={'openai:' + data['model']!r},\n"
                f"    use_cot={bool(data.get('use_cot', True))!r},\n)"
            )
            names.append(ident)
        elif kind == "code":
            ident = _ident(s["name"], taken).upper()
            imports.add("from openloop.evals.scorers.code import CodeScorer")
            defs.append(f"{ident} = CodeScorer({s['name']!r}, {data['code']!r})")
            names.append(ident)
        else:
            names.append(repr(str(data.get("name") or s["name"])))
    return defs, names, imports


def eval_code(
    *,
    project: str,
    dataset: str | None,
    prompt_slug: str | None,
    prompt_version: str | None,
    proposed: Mapping[str, Any] | None,
    scorers: Sequence[Mapping[str, Any]],
    experiment_name: str,
    baseline_id: str | None,
    note: str = "",
) -> str:
    """The program text (see the module docstring). ``proposed`` is a ``prompt_data`` that
    replaces the saved prompt; ``scorers`` are ``{name, function_data}`` (built-ins as
    ``{"type": "builtin", "name": ...}``)."""
    if dataset is None:
        raise InvalidInput("the experiment has no dataset to reproduce it with; name one")
    if prompt_slug is None and proposed is None:
        raise InvalidInput("no prompt to run: name the prompt or propose messages")
    defs, names, imports = _scorer_lines(scorers)
    lines = [f'"""Re-run {experiment_name!r}{" with the proposed change" if proposed else ""}.',
             "", "Run it with:  openloop eval this_file.py", '"""', "",
             "from openai import OpenAI", "", "from openloop import Eval, init_dataset, wrap_openai"]  # fmt: skip
    if proposed is not None:
        imports.add("from openloop.evals.prompts import build")
    else:
        lines[-1] = "from openloop import Eval, init_dataset, load_prompt, wrap_openai"
    lines += sorted(imports)
    lines += ["", f"PROJECT = {project!r}", "client = wrap_openai(OpenAI())",
              f"dataset = init_dataset(PROJECT, {dataset!r})"]  # fmt: skip
    if proposed is not None:
        if note:
            lines.append(f"# Proposed change: {' '.join(note.split())[:200]}")
        lines.append("PROMPT = " + pprint.pformat(dict(proposed), width=96, sort_dicts=False))
        build_call = "build(PROMPT, variables)"
    else:
        version = f", version={prompt_version!r}" if prompt_version else ""
        lines.append(f"prompt = load_prompt(PROJECT, {prompt_slug!r}{version})")
        build_call = "prompt.build(variables)"
    lines += [*(["", *defs] if defs else []), "", "",
              "def task(input, hooks):",
              '    variables = {"input": input, "expected": hooks.expected, '
              '"metadata": hooks.metadata}',
              f"    request = {build_call}",
              "    response = client.chat.completions.create(**request)",
              "    return response.choices[0].message.content", "", "",
              "Eval(", "    PROJECT,", "    data=dataset,", "    task=task,",
              f"    scores=[{', '.join(names)}],",
              f"    experiment_name={(experiment_name + '-rerun')!r},"]  # fmt: skip
    if baseline_id:
        lines.append(f"    base_experiment_id={baseline_id!r},")
    lines.append(")")
    code = "\n".join(lines) + "\n"
    ast.parse(code)  # a bug here must never hand the user code that does not parse
    return code
