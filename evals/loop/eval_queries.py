"""Loop suite 1: plain-language questions about the demo project → queries.

Each question from ``cases/questions.jsonl`` goes to Loop's query generator; the query it
returns is run and its answer compared with the answer of the case's reference query, run right
after it. Run with ``openloop eval evals/loop/eval_queries.py`` (settings: README.md).
"""

from __future__ import annotations

import harness as h

import openloop

cfg = h.config()
loop = h.open_backend(cfg, "questions")
try:
    result = openloop.Eval(
        h.EVAL_PROJECT,
        data=h.eval_data("questions", cfg.limit),
        task=lambda question, hooks: h.ask_query(loop, hooks.expected),
        scores=[h.answer_correct, h.valid_query, h.repaired],
        **h.eval_options(cfg, "queries"),
    )
    h.print_report("Loop: plain language → query", result.results)
finally:
    loop.close()
