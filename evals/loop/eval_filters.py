"""Loop suite 2: plain-language descriptions → Logs-page filters.

Each request from ``cases/filters.jsonl`` goes to Loop's filter generator; the filter must
compile and keep exactly the spans the reference filter keeps (compared by row id over the
demo's whole window). Run with ``openloop eval evals/loop/eval_filters.py``.
"""

from __future__ import annotations

import harness as h

import openloop

cfg = h.config()
loop = h.open_backend(cfg, "filters")
try:
    result = openloop.Eval(
        h.EVAL_PROJECT,
        data=h.eval_data("filters", cfg.limit),
        task=lambda request, hooks: h.ask_filter(loop, hooks.expected),
        scores=[h.answer_correct, h.valid_query, h.repaired],
        **h.eval_options(cfg, "filters"),
    )
    h.print_report("Loop: plain language → filter", result.results)
finally:
    loop.close()
