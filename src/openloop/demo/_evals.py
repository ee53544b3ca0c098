"""The evaluation side of the demo: a 50-row dataset, a prompt with three versions, two scorers
(an LLM judge and a Python code scorer) and two experiments comparing prompt v1 and v2.

Experiment rows follow the ``Eval`` trace shape: a root ``eval`` span (input, expected, output,
scores, origin → dataset row) with a ``task`` child (which holds the ``Chat Completion`` call)
and one ``score`` child per scorer. ``citations-v2`` improves some rows and regresses others;
which ones is recorded in the facts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import _text as text
from ._common import MODELS, CostFn, Ids, iso, lognormal

__all__ = ["CITES", "DATASET", "JUDGE", "PROMPT", "EvalsData", "Experiment", "generate_evals"]

DATASET, PROMPT = "support-questions", "support-answer"
JUDGE, CITES = "Answer quality (judge)", "cites_source"
_CHOICES = {"A": 1.0, "B": 0.5, "C": 0.0}
_EVAL_MODEL = "gpt-4o-mini"

JUDGE_PROMPT = """You are grading an answer given by Acme Cloud's customer-support assistant.

[Question]
{{input}}

[Answer]
{{output}}

[Reference answer]
{{expected}}

Compare the answer with the reference answer and select one option:
(A) The answer is correct and fully resolves the customer's question.
(B) The answer is partly correct, incomplete or vague.
(C) The answer is wrong, off-topic or does not help the customer."""

_TITLES = sorted({title for t in text.TOPICS for title, _ in t.docs})

CITES_CODE = (
    "TITLES = " + repr(_TITLES) + "\n\n\n"
    "def handler(input, output, expected, metadata):\n"
    '    """1 when the answer has a "Source: <title>" line naming a real help-center article."""\n'
    "    text = output if isinstance(output, str) else str(output or '')\n"
    "    known = {title.lower() for title in TITLES}\n"
    "    for line in text.splitlines():\n"
    "        line = line.strip()\n"
    "        if line.lower().startswith('source:'):\n"
    "            cited = line[len('source:'):].strip().strip('.').lower()\n"
    "            return 1.0 if cited in known else 0.0\n"
    "    return 0.0\n"
)

_V1 = (
    "You are Acme Cloud's support assistant. Answer the customer's question in one or two "
    "sentences."
)
_V2 = (
    _V1 + " Use only Acme Cloud's help-center documentation. End every answer with a line "
    "'Source: <article title>' naming the article you used."
)
_V3 = (
    "You are Acme Cloud's friendly support assistant. Start with a short, warm "
    "acknowledgement of the customer's problem, then answer in two or three sentences using "
    "only Acme Cloud's help-center documentation. End every answer with a line "
    "'Source: <article title>' naming the article you used."
)
_FEW_SHOT = (
    {"role": "user", "content": "How do I verify the webhook signature?"},
    {
        "role": "assistant",
        "content": "Good question, signature checks trip up a lot of people! "
        "Compute an HMAC-SHA256 of the raw request body with your signing secret and compare it "
        "to the Acme-Signature header in constant time.\nSource: Verifying webhook signatures",
    },
)
_VERSIONS = (
    ("v1", "Terse answers.", _V1, (), 0.2, 200),
    ("v2", "Cite the help-center article used.", _V2, (), 0.2, 300),
    ("v3", "Friendlier tone and a few-shot example.", _V3, _FEW_SHOT, 0.4, 400),
)


@dataclass
class Experiment:
    id: str
    name: str
    description: str
    prompt_version: int  # index into EvalsData.prompt_versions
    base: str | None
    rows: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class EvalsData:
    dataset_id: str
    prompt_id: str
    scorer_ids: dict[str, str]
    dataset_rows: list[dict[str, Any]] = field(default_factory=list)
    prompt_versions: list[dict[str, Any]] = field(default_factory=list)
    scorer_rows: list[dict[str, Any]] = field(default_factory=list)
    experiments: list[Experiment] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)


def _dataset(rng: random.Random, ids: Ids, created: float) -> list[dict[str, Any]]:
    pairs = [(t, q) for t in text.TOPICS for q in t.questions]
    picked = sorted(rng.sample(range(len(pairs)), 50))
    rows = []
    for n, i in enumerate(picked):
        topic, template = pairs[i]
        values = text.slots(
            rng,
            name=rng.choice(text.FIRST_NAMES),
            plan=rng.choice(text.PLANS),
            region=rng.choice(text.REGIONS),
        )
        rid, answer = ids.new(), text.answer_for(topic.key, template)
        rows.append(
            {
                "id": rid,
                "span_id": rid,
                "root_span_id": rid,
                "created": iso(created + n),
                "input": {"question": text.fill(template, values)},
                "expected": {"answer": text.fill(answer, values)},
                "metadata": {
                    "category": topic.key,
                    "difficulty": rng.choices(("easy", "medium", "hard"), (5, 3, 2))[0],
                    "source_doc": text.doc_for(topic.key, answer),
                },
                "tags": [topic.tags[0]],
            }
        )
    return rows


def _prompt_versions(pid: str, created: float) -> list[dict[str, Any]]:
    out = []
    for n, (label, change, system, shots, temperature, max_tokens) in enumerate(_VERSIONS):
        messages = [
            {"role": "system", "content": system},
            *shots,
            {"role": "user", "content": "{{input.question}}"},
        ]
        out.append(
            {
                "id": pid,
                "created": iso(created + n * 3600),
                "name": PROMPT,
                "slug": PROMPT,
                "description": "Answers an Acme Cloud support question.",
                "prompt_data": {
                    "prompt": {"type": "chat", "messages": messages},
                    "options": {
                        "model": _EVAL_MODEL,
                        "params": {"temperature": temperature, "max_tokens": max_tokens},
                    },
                    "template_format": "mustache",
                },
                "template_format": "mustache",
                "metadata": {"version_label": label, "change": change},
            }
        )
    return out


def _scorers(ids: dict[str, str], created: float) -> list[dict[str, Any]]:
    common = {
        "function_type": "scorer",
        "metadata": {"__pass_threshold": 0.7},
        "created": iso(created),
    }
    return [
        {
            **common,
            "id": ids[JUDGE],
            "name": JUDGE,
            "slug": "answer-quality-judge",
            "description": "LLM judge: is the answer correct and complete against the reference?",
            "function_data": {
                "type": "llm_judge",
                "prompt": JUDGE_PROMPT,
                "model": _EVAL_MODEL,
                "choice_scores": dict(_CHOICES),
                "use_cot": True,
            },
        },
        {
            **common,
            "id": ids[CITES],
            "name": CITES,
            "slug": "cites-source",
            "description": "1 when the answer names the help-center article it used.",
            "function_data": {"type": "code", "language": "python", "code": CITES_CODE},
        },
    ]


def _output(rng: random.Random, row: dict[str, Any], choice: str, cites: bool) -> str:
    answer = row["expected"]["answer"]
    if choice == "A":
        body = answer
    elif choice == "B":
        body = answer.split(". ")[0].rstrip(".") + "."
    else:
        body = rng.choice(text.DEFLECTIONS)
    return body + (f"\nSource: {row['metadata']['source_doc']}" if cites else "")


def _span(
    base: dict[str, Any],
    sid: str,
    parent: str | None,
    name: str,
    kind: str,
    t0: float,
    t1: float,
    **fields: Any,
) -> dict[str, Any]:
    attrs = {"name": name, "type": kind, **({"purpose": "scorer"} if kind == "score" else {})}
    return {
        "id": sid,
        "span_id": sid,
        "span_parents": [parent] if parent else [],
        "created": iso(t0),
        "span_attributes": attrs,
        **base,
        **fields,
        "metrics": {"start": round(t0, 6), "end": round(t1, 6), **fields.get("metrics", {})},
    }


def _experiment_rows(
    rng: random.Random,
    ids: Ids,
    dataset_id: str,
    data: list[dict[str, Any]],
    plan: list[tuple[str, bool]],
    prompt: dict[str, Any],
    start: float,
    cost: CostFn,
) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    ts = start
    system = prompt["prompt_data"]["prompt"]["messages"][:-1]
    for drow, (choice, cites) in zip(data, plan, strict=True):
        root, task, llm = ids.new(), ids.new(), ids.new()
        output = _output(rng, drow, choice, cites)
        scores = {JUDGE: _CHOICES[choice], CITES: 1.0 if cites else 0.0}
        prompt_tokens = (
            60 + sum(len(m["content"]) for m in system) // 4 + len(drow["input"]["question"]) // 4
        )
        completion = max(8, len(output) // 4)
        ttft = lognormal(rng, 0.35, 0.25)
        llm_end = ts + 0.02 + ttft + completion / 90
        base = {"root_span_id": root, "input": drow["input"]}

        end = llm_end + 0.01 + 2.5
        rows.append(
            _span(
                base,
                root,
                None,
                "eval",
                "eval",
                ts,
                end,
                expected=drow["expected"],
                output=output,
                scores=scores,
                metadata=drow["metadata"],
                tags=drow["tags"],
                origin={"object_type": "dataset", "object_id": dataset_id, "id": drow["id"]},
            )
        )
        rows.append(
            _span(base, task, root, "task", "task", ts + 0.01, llm_end + 0.005, output=output)
        )
        messages = [*system, {"role": "user", "content": drow["input"]["question"]}]
        rows.append(
            _span(
                base,
                llm,
                task,
                "Chat Completion",
                "llm",
                ts + 0.02,
                llm_end,
                input=messages,
                output={"role": "assistant", "content": output},
                metadata={"model": _EVAL_MODEL, "provider": MODELS[_EVAL_MODEL][0]},
                metrics={
                    "prompt_tokens": prompt_tokens,
                    "completion_tokens": completion,
                    "tokens": prompt_tokens + completion,
                    "prompt_cached_tokens": 0,
                    "time_to_first_token": round(ttft, 4),
                    "estimated_cost": round(cost(_EVAL_MODEL, prompt_tokens, completion, 0), 8),
                },
            )
        )
        s0 = llm_end + 0.01
        judge_in = {"input": drow["input"], "output": output, "expected": drow["expected"]}
        rows.append(
            _span(
                base,
                ids.new(),
                root,
                JUDGE,
                "score",
                s0,
                s0 + 2.4,
                input=judge_in,
                output={"score": scores[JUDGE], "choice": choice},
                scores={JUDGE: scores[JUDGE]},
                metadata={"choice": choice, "rationale": _RATIONALE[choice]},
            )
        )
        rows.append(
            _span(
                base,
                ids.new(),
                root,
                CITES,
                "score",
                s0,
                s0 + 0.002,
                input=judge_in,
                output={"score": scores[CITES]},
                scores={CITES: scores[CITES]},
            )
        )
        ts = end + rng.uniform(0.5, 3.0)
    return rows


_RATIONALE = {
    "A": "The answer matches the reference and resolves the question.",
    "B": "The answer is on topic but leaves out steps the reference includes.",
    "C": "The answer does not address the question that was asked.",
}


def _plans(rng: random.Random, n: int) -> tuple[list[tuple[str, bool]], list[tuple[str, bool]]]:
    base = [rng.choices("ABC", (55, 33, 12))[0] for _ in range(n)]
    order = rng.sample(range(n), n)
    up = [i for i in order if base[i] != "A"][:12]
    down = [i for i in order if base[i] != "C" and i not in up][:6]
    new = list(base)
    for i in up:
        new[i] = "A" if base[i] == "B" or rng.random() < 0.6 else "B"
    for i in down:
        new[i] = "B" if base[i] == "A" else "C"
    cite_v1 = set(rng.sample(range(n), 2))
    forgot_v2 = set(rng.sample(range(n), 4))
    return (
        [(base[i], i in cite_v1) for i in range(n)],
        [(new[i], i not in forgot_v2) for i in range(n)],
    )


def _compare(
    data: list[dict[str, Any]], a: list[dict[str, Any]], b: list[dict[str, Any]], name: str
) -> dict[str, Any]:
    ra = {r["origin"]["id"]: r["scores"][name] for r in a if r.get("origin")}
    rb = {r["origin"]["id"]: r["scores"][name] for r in b if r.get("origin")}
    ids = [d["id"] for d in data]
    return {
        "improved": [i for i in ids if rb[i] > ra[i]],
        "regressed": [i for i in ids if rb[i] < ra[i]],
        "unchanged": sum(1 for i in ids if rb[i] == ra[i]),
    }


def generate_evals(rng: random.Random, ids: Ids, now: datetime, cost: CostFn) -> EvalsData:
    t = now.timestamp()
    out = EvalsData(
        dataset_id=ids.new(), prompt_id=ids.new(), scorer_ids={JUDGE: ids.new(), CITES: ids.new()}
    )
    out.dataset_rows = _dataset(rng, ids, t - 4 * 86400)
    out.prompt_versions = _prompt_versions(out.prompt_id, t - 3.5 * 86400)
    out.scorer_rows = _scorers(out.scorer_ids, t - 3.4 * 86400)
    plan_v1, plan_v2 = _plans(rng, len(out.dataset_rows))
    base = Experiment(ids.new(), "baseline-v1", "Prompt support-answer v1 (terse).", 0, None)
    cite = Experiment(
        ids.new(), "citations-v2", "Prompt support-answer v2 (cites sources).", 1, base.id
    )
    for exp, plan, when in ((base, plan_v1, t - 2 * 86400), (cite, plan_v2, t - 86400)):
        exp.rows = _experiment_rows(
            rng,
            ids,
            out.dataset_id,
            out.dataset_rows,
            plan,
            out.prompt_versions[exp.prompt_version],
            when,
            cost,
        )
        out.experiments.append(exp)

    def summary(exp: Experiment) -> dict[str, Any]:
        roots = [r for r in exp.rows if not r["span_parents"]]
        return {
            "id": exp.id,
            "rows": len(roots),
            "spans": len(exp.rows),
            "mean": {
                s: round(sum(r["scores"][s] for r in roots) / len(roots), 4) for s in (JUDGE, CITES)
            },
        }

    categories: dict[str, int] = {}
    for r in out.dataset_rows:
        categories[r["metadata"]["category"]] = categories.get(r["metadata"]["category"], 0) + 1
    out.facts = {
        "dataset": {
            "name": DATASET,
            "id": out.dataset_id,
            "rows": len(out.dataset_rows),
            "categories": categories,
        },
        "prompt": {"name": PROMPT, "id": out.prompt_id, "versions": len(out.prompt_versions)},
        "scorers": dict(out.scorer_ids),
        "experiments": {e.name: summary(e) for e in out.experiments},
        "comparison": {
            "base": base.name,
            "compare": cite.name,
            "matched_by": "origin.id",
            "scores": {
                s: _compare(out.dataset_rows, base.rows, cite.rows, s) for s in (JUDGE, CITES)
            },
        },
    }
    return out
